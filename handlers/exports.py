"""`!export <art> [Nummer] [csv|json|ics]`: staff get an export file in the staff room or a DM."""

from __future__ import annotations

import logging

from bot.arguments import Word
from bot.capabilities import Capabilities, ExportKind
from bot.context import Context, Role
from bot.errors import UsageError
from bot.exports import FORMATS, ExportError, build_export
from bot.router import command, rate_limited, requires

logger = logging.getLogger(__name__)


@rate_limited(per_hour=20)
@command(
    "export",
    "export",
    Word("kind"),
    Word("first", optional=True),
    Word("second", optional=True),
)
@requires(Role.STAFF)
async def export_file(ctx: Context, kind: str, first: str | None, second: str | None) -> None:
    """Upload the export where only staff see it: the staff room or a direct chat."""
    services = ctx.services
    export = _kind(services.commands.capabilities, kind)
    number, file_format = _number_and_format([word for word in (first, second) if word])
    adapter = services.adapter_for(ctx.actor.platform)
    staff_room = services.settings.for_platform(ctx.actor.platform).staff_room
    in_staff_room = staff_room is not None and (
        await adapter.resolve_room(staff_room) == ctx.place.room_id
    )
    if not (in_staff_room or ctx.place.is_direct):
        raise UsageError("exports.where")
    async with services.unit_of_work() as uow:
        try:
            upload = await build_export(uow, export, file_format, services.clock.now(), number)
        except ExportError as error:
            raise UsageError(error.key, **error.params) from None
        await uow.commit()
    logger.info("Uploading the %s export (%d bytes)", export.key, len(upload.data))
    await adapter.upload(
        ctx.place.room_id, upload, reply_to=ctx.event_id, dedupe_key=f"{ctx.event_id}/export"
    )


def _kind(capabilities: Capabilities, kind: str) -> ExportKind:
    """The kind a capability registered under the name `kind` (German or English)."""
    names = capabilities.export_names()
    key = names.get(kind.casefold())
    if key is None:
        raise UsageError("errors.choice", value=kind[:40], choices=", ".join(names))
    return capabilities.exporters[key]


def _number_and_format(words: list[str]) -> tuple[int | None, str]:
    """`3`, `csv`, `3 json` or `json 3`: an optional item number and an optional format."""
    number: int | None = None
    file_format = FORMATS[0]
    for word in words:
        text = word.casefold().lstrip("#")
        if text in FORMATS:
            file_format = text
        elif text.isascii() and text.isdigit() and len(text) <= 9 and number is None:
            number = int(text)
        else:
            raise UsageError("exports.bad_word", value=word[:40], formats=", ".join(FORMATS))
    return number, file_format
