"""Data protection in the chat: `!datenschutz`, `!meinedaten`, `!datenloeschen`, and a first
word in direct chats that says who is talking.

The three commands work for blocked people too (their rights do not depend on behaving)
and are never rate limited. What is stored and why is explained in docs/privacy.md.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.arguments import Choice
from bot.context import Context, IncomingMessage, Services
from bot.errors import UsageError
from bot.messages import join
from bot.personal_data import controller, erase, export_file, personal_data, tell_chat
from bot.router import EveryMessage, command, listens, open_to_blocked
from storage.moderation.repository import BlockRepository
from storage.privacy.personal_data import Someone
from storage.privacy.repository import PrivacyRepository

logger = logging.getLogger(__name__)

CONFIRM_WINDOW = timedelta(minutes=10)
CONFIRM = {"bestätigen": "confirm", "bestaetigen": "confirm", "confirm": "confirm"}
INFO_COMMAND, EXPORT_COMMAND, ERASE_COMMAND = "datenschutz", "meinedaten", "datenloeschen"
REPORTED = (
    "ideas_deleted",
    "ideas_kept",
    "questions_deleted",
    "questions_kept",
    "votes",
    "registrations",
)
"""The erasure counts `privacy.erase.done` names (the capabilities' `@on_erase` report them)."""


def typed(services: Services, language: str, name: str) -> str:
    """A command as a reader of `language` types it, e.g. `!datenschutz` or `!privacy`."""
    spec = services.commands.find(name)
    return services.settings.command_prefix + (spec.name_in(language) if spec else name)


# ---------------------------------------------------------------- first contact


@listens(EveryMessage)
async def introduce_in_direct_chat(services: Services, message: IncomingMessage) -> None:
    """The first message someone sends in a direct chat gets a short note on who answers."""
    if not message.place.is_direct:
        return
    actor, now = message.actor, services.clock.now()
    async with services.unit_of_work() as uow:
        if await BlockRepository(uow.session).is_blocked(actor.platform, actor.id, now):
            return
        if not await PrivacyRepository(uow.session).introduce(actor.platform, actor.id, now):
            return
        await uow.commit()
    language = await services.language_of(actor)
    note = services.render(
        language, "privacy.intro", command=typed(services, language, INFO_COMMAND)
    )
    await services.adapter_for(actor.platform).send(
        message.place.room_id, note, dedupe_key=f"privacy-intro:{message.event_id}"
    )
    logger.debug("Introduced the bot in direct chat %s", message.place.room_id)


# ---------------------------------------------------------------------- commands


def server_words(ctx: Context) -> str:
    """How the asker's platform names where chat messages are kept (`privacy.server.*`)."""
    key = f"privacy.server.{ctx.actor.platform}"
    return ctx.t(key if ctx.services.catalog.has(key) else "privacy.server.any")


@open_to_blocked
@command(INFO_COMMAND, "privacy")
async def privacy_info(ctx: Context) -> None:
    """What is stored, why, for how long, who is responsible, and how to see or erase it."""
    settings, language = ctx.services.settings, ctx.language
    who = controller(settings, ctx.services.catalog, language)
    parts = [
        ctx.render("privacy.info.header"),
        ctx.render("privacy.info.controller", name=who["name"], contact=who["contact"]),
        ctx.render("privacy.info.what"),
        ctx.render(
            "privacy.info.retention",
            questions=settings.retention_questions_days,
            workshops=settings.retention_workshops_days,
        ),
        ctx.render("privacy.info.visible", server=server_words(ctx)),
        ctx.render(
            "privacy.info.rights",
            export=typed(ctx.services, language, EXPORT_COMMAND),
            erase=typed(ctx.services, language, ERASE_COMMAND),
        ),
    ]
    await ctx.reply_message(join(parts, paragraphs=True))


@open_to_blocked
@command(EXPORT_COMMAND, "mydata")
async def send_my_data(ctx: Context) -> None:
    """Everything stored about the asker, as a JSON file in their direct chat."""
    services, now = ctx.services, ctx.services.clock.now()
    async with services.unit_of_work() as uow:
        document = await personal_data(
            uow,
            services.commands.capabilities,
            Someone(ctx.actor.platform, ctx.actor.id),
            now=now,
            tz=services.settings.timezone,
            controller=controller(services.settings, services.catalog, ctx.language),
            explain=ctx.t,
        )
    adapter = services.adapter_for(ctx.actor.platform)
    room = ctx.place.room_id if ctx.place.is_direct else await adapter.direct_room(ctx.actor.id)
    key = f"privacy-export:{ctx.event_id}"
    await adapter.send(room, ctx.render("privacy.export_caption"), dedupe_key=f"{key}/caption")
    await adapter.upload(room, export_file(document, now), dedupe_key=key)
    if not ctx.place.is_direct:
        await ctx.reply("privacy.export_sent_direct")


@open_to_blocked
@command(ERASE_COMMAND, "deletemydata", Choice("confirmation", optional=True, choices=CONFIRM))
async def delete_my_data(ctx: Context, confirmation: str | None) -> None:
    """Ask for confirmation; confirmed within ten minutes, erase everything about the asker."""
    services, now = ctx.services, ctx.services.clock.now()
    person = Someone(ctx.actor.platform, ctx.actor.id)
    command_typed = typed(services, ctx.language, ERASE_COMMAND)
    confirm = f"{command_typed} {ctx.t('privacy.erase.confirm_word')}"
    async with services.unit_of_work() as uow:
        await ctx.claim(uow)
        privacy = PrivacyRepository(uow.session)
        if confirmation is None:
            await privacy.request_erasure(person.platform, person.id, now)
            minutes = int(CONFIRM_WINDOW.total_seconds() // 60)
            ctx.queue_reply(uow, "privacy.erase.asked", command=confirm, minutes=minutes)
            await uow.commit()
            await ctx.send_queued()
            return
        requested = await privacy.erasure_requested_at(person.platform, person.id)
        if requested is None or now - requested > CONFIRM_WINDOW:
            raise UsageError("privacy.erase.not_requested", command=command_typed)
        label = services.catalog.text(services.settings.language, "privacy.erased_person")
        done = await erase(
            uow,
            services.commands.capabilities,
            person,
            now=now,
            label=label,
            names=[ctx.actor.display_name],
        )
        reported = {key: done.counts[key] for key in REPORTED}
        ctx.queue_reply(uow, "privacy.erase.done", **reported)
        if done.counts["blocks_kept"]:
            ctx.queue_reply(uow, "privacy.erase.block_kept")
        await uow.commit()
    logger.info(
        "Erased a person's data on request: %s",
        ", ".join(f"{key}={count}" for key, count in sorted(done.counts.items())),
    )
    await tell_chat(services, done)
    await ctx.send_queued()
