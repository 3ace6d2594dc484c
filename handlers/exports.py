"""`!export <art> [csv|json]`: staff get an export as a file in the staff room or a DM."""

from __future__ import annotations

import logging

from bot.arguments import Choice
from bot.context import Context, Role
from bot.errors import UsageError
from bot.exports import FORMATS, build_export, kind_names
from bot.router import command, requires

logger = logging.getLogger(__name__)


@command(
    "export",
    "export",
    Choice("kind", choices=kind_names()),
    Choice("file_format", optional=True, choices={name: name for name in FORMATS}),
)
@requires(Role.STAFF)
async def export_file(ctx: Context, kind: str, file_format: str | None) -> None:
    """Upload the export where only staff see it: the staff room or a direct chat."""
    services = ctx.services
    staff_room = services.settings.staff_room
    in_staff_room = staff_room is not None and (
        await services.adapter.resolve_room(staff_room) == ctx.place.room_id
    )
    if not (in_staff_room or ctx.place.is_direct):
        raise UsageError("exports.where")
    async with services.unit_of_work() as uow:
        upload = await build_export(uow, kind, file_format or FORMATS[0], services.clock.now())
        await uow.commit()
    logger.info("Uploading the %s export (%d bytes)", kind, len(upload.data))
    await services.adapter.upload(
        ctx.place.room_id, upload, reply_to=ctx.event_id, dedupe_key=f"{ctx.event_id}/export"
    )
