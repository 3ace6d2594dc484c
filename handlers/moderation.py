"""`!sperren` / `!entsperren`: staff stop someone who abuses the bot, for a while or for good.

A blocked person is ignored silently, except for the privacy commands, which always work.
"""

from __future__ import annotations

from bot.arguments import Text, Word
from bot.context import Context, Role
from bot.errors import UsageError
from bot.router import command, requires
from bot.timeparse import TimeParseError, parse_duration
from storage.moderation.repository import BlockRepository

MAX_BLOCK_DAYS = 3650


def _person(ctx: Context, typed: str) -> str:
    """The platform's id of the person staff named, as the adapter reads a typed mention."""
    adapter = ctx.services.adapter
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
    if await ctx.services.roles.role_of(target) >= Role.STAFF:
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
            local = until.astimezone(ctx.services.settings.timezone)
            ctx.queue_reply(
                uow, "moderation.blocked_until", user=target, until=local.strftime("%d.%m.%Y %H:%M")
            )
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
