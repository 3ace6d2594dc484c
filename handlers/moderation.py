"""`!sperren` / `!entsperren`: staff stop someone who abuses the bot, for a while or for good.

A blocked person is ignored silently, except for the privacy commands, which always work.
"""

from __future__ import annotations

from typing import Any

from bot.arguments import Text, Word
from bot.capabilities import Erased, Erasing, Reading, on_erase, personal_data
from bot.context import Context, Role
from bot.errors import UsageError
from bot.router import command, requires
from bot.texts import local_time
from bot.timeparse import TimeParseError, parse_duration
from storage.moderation.personal_data import BlockPersonalData
from storage.moderation.repository import BlockRepository
from storage.uow import UnitOfWork

MAX_BLOCK_DAYS = 3650


def _person(ctx: Context, typed: str) -> str:
    """The platform's id of the person staff named, as the adapter reads a typed mention."""
    adapter = ctx.services.adapter_for(ctx.actor.platform)
    user_id = adapter.parse_user(typed)
    if user_id is None:
        raise UsageError(
            "moderation.not_a_user",
            value=typed[:80],
            reference=ctx.t(f"platforms.{adapter.platform}.user_reference"),
            example=adapter.user_reference_example,
        )
    return user_id


@command("sperren", "block", Word("user"), Text("details", optional=True, max_length=500))
@requires(Role.STAFF)
async def block_person(ctx: Context, user: str, details: str | None) -> None:
    """Block `user`; `details` may start with a duration (2h, 7d), the rest is the reason."""
    target = _person(ctx, user)
    if await ctx.services.roles.role_of(ctx.actor.platform, target) >= Role.STAFF:
        raise UsageError("moderation.not_staff")
    first, _, rest = (details or "").partition(" ")
    now = ctx.services.clock.now()
    try:
        duration = parse_duration(first) if first else None
    except TimeParseError as error:
        if error.reason == "range":
            raise UsageError("moderation.too_long", days=MAX_BLOCK_DAYS) from None
        duration, rest = None, details or ""
    if duration is not None and duration.days > MAX_BLOCK_DAYS:
        raise UsageError("moderation.too_long", days=MAX_BLOCK_DAYS)
    until = now + duration if duration else None
    async with ctx.services.unit_of_work() as uow:
        await ctx.claim(uow)
        await BlockRepository(uow.session).block(
            ctx.actor.platform,
            target,
            until=until,
            reason=rest.strip(),
            blocked_by=ctx.actor.id,
            now=now,
        )
        if until is None:
            ctx.queue_reply(uow, "moderation.blocked_forever", user=target)
        else:
            services = ctx.services
            shown = local_time(
                services.catalog,
                ctx.language,
                "moderation.date_format",
                until,
                services.settings.timezone,
            )
            ctx.queue_reply(uow, "moderation.blocked_until", user=target, until=shown)
        await uow.commit()
    await ctx.send_queued()


@command("entsperren", "unblock", Word("user"))
@requires(Role.STAFF)
async def unblock_person(ctx: Context, user: str) -> None:
    target = _person(ctx, user)
    async with ctx.services.unit_of_work() as uow:
        lifted = await BlockRepository(uow.session).unblock(ctx.actor.platform, target)
        await uow.commit()
    await ctx.reply("moderation.unblocked" if lifted else "moderation.was_not_blocked", user=target)


# ------------------------------------------------------------------- personal data


@personal_data("block", order=50)
async def block_on_person(uow: UnitOfWork, reading: Reading) -> dict[str, Any] | None:
    block = await BlockPersonalData(uow.session, reading.person).block()
    if block is None:
        return None
    return {
        "until": reading.moment(block.until),
        "reason": block.reason,
        "created_at": reading.moment(block.created_at),
    }


@personal_data("blocks_imposed", order=50, staff=True)
async def blocks_imposed(uow: UnitOfWork, reading: Reading) -> int:
    return await BlockPersonalData(uow.session, reading.person).blocks_imposed()


@on_erase(order=50)
async def erase_blocks(uow: UnitOfWork, erasing: Erasing) -> Erased:
    """Blocks the person imposed lose their id; an expired block on them goes, an active one
    stays until it ends (see docs/privacy.md)."""
    data = BlockPersonalData(uow.session, erasing.person)
    await data.anonymise_blocks_imposed()
    await data.delete_expired_block(erasing.now)
    return Erased(counts={"blocks_kept": int(await data.block() is not None)})
