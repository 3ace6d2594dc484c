"""Staff commands of the ideas box: status, hide/unhide, merge and approve.

Every change is stored together with the command's event id (so a replay changes nothing)
and then told to the people it concerns: author and supporters by direct message, each in
their own language.
"""

from __future__ import annotations

import logging

from bot.arguments import Choice, Number, Text
from bot.context import Context, Role
from bot.errors import UsageError
from bot.router import command, requires
from bot.texts import excerpt
from handlers.ideas.effects import notify, post_card, reachable, refresh_card
from handlers.ideas.lookup import find_idea
from handlers.ideas.state import reindex
from handlers.ideas.texts import status_label
from storage.ideas.models import MERGED, Idea
from storage.ideas.repository import IdeasRepository, Person

logger = logging.getLogger(__name__)

STATUS_WORDS = {
    "neu": "new",
    "new": "new",
    "prüfung": "review",
    "pruefung": "review",
    "review": "review",
    "angenommen": "accepted",
    "accepted": "accepted",
    "umgesetzt": "done",
    "done": "done",
    "abgelehnt": "rejected",
    "rejected": "rejected",
}


def _author(idea: Idea) -> Person:
    return Person(idea.platform, idea.author_id)


@command(
    "status",
    "status",
    Number("number", refers_to="idea"),
    Choice("status", choices=STATUS_WORDS),
    Text("reason", optional=True, max_length=1000),
)
@requires(Role.STAFF)
async def set_status(ctx: Context, number: int, status: str, reason: str | None) -> None:
    """Record the new status in the history and tell the author and every supporter."""
    services = ctx.services
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await find_idea(repository, number)
        if idea.merged_into is not None:
            raise UsageError("ideas.merged", number=number, original=idea.merged_into)
        if idea.status == status:
            await ctx.reply(
                "ideas.status_same",
                number=number,
                status=status_label(services, ctx.language, status),
            )
            return
        await ctx.claim(uow)
        change = await repository.record_status(
            idea, status, reason, ctx.actor.id, services.clock.now()
        )
        author = _author(idea)
        people = [(author, "ideas.status_dm_author")] + [
            (supporter, "ideas.status_dm_supporter")
            for supporter in await repository.supporters(idea)
            if supporter != author
        ]
        ctx.queue_reply(
            uow,
            "ideas.status_set",
            number=number,
            status=status_label(services, ctx.language, status),
            count=len(reachable(services, people)),
        )
        await uow.commit()
    logger.info("Idea #%d has the status %s now", number, status)
    await reindex(services, idea)
    await refresh_card(services, number)
    await notify(
        services,
        people,
        f"idea-status:{change.id}",
        lambda language: {
            "number": number,
            "text": excerpt(idea.text),
            "status": status_label(services, language, status),
        },
        reason=reason,
    )
    await ctx.send_queued()


@command(
    "verbergen",
    "hide",
    Number("number", refers_to="idea"),
    Text("reason", optional=True, max_length=500),
)
@requires(Role.STAFF)
async def hide_idea(ctx: Context, number: int, reason: str | None) -> None:
    """Take an idea out of listings, hints and its card until staff show it again."""
    async with ctx.services.unit_of_work() as uow:
        idea = await find_idea(IdeasRepository(uow.session), number)
        if idea.hidden:
            await ctx.reply("ideas.already_hidden", number=number)
            return
        await ctx.claim(uow)
        idea.hidden, idea.hidden_reason = True, reason
        ctx.queue_reply(uow, "ideas.hidden_done", number=number)
        await uow.commit()
    await reindex(ctx.services, idea)
    await refresh_card(ctx.services, number)
    await ctx.send_queued()


@command("zeigen", "unhide", Number("number", refers_to="idea"))
@requires(Role.STAFF)
async def unhide_idea(ctx: Context, number: int) -> None:
    """Show a hidden idea again; the reports so far stop counting towards hiding it."""
    async with ctx.services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await find_idea(repository, number)
        if not idea.hidden:
            await ctx.reply("ideas.not_hidden", number=number)
            return
        await ctx.claim(uow)
        idea.hidden, idea.hidden_reason = False, None
        await repository.resolve_reports(idea)
        ctx.queue_reply(uow, "ideas.unhidden", number=number)
        await uow.commit()
    await reindex(ctx.services, idea)
    await refresh_card(ctx.services, number)
    await ctx.send_queued()


@command(
    "zusammenfuehren",
    "merge",
    Number("duplicate", refers_to="idea"),
    Number("original", refers_to="idea"),
)
@requires(Role.STAFF)
async def merge_ideas(ctx: Context, duplicate: int, original: int) -> None:
    """Close the duplicate with a pointer; its supporters and author support the original."""
    if duplicate == original:
        raise UsageError("ideas.merge_same")
    services = ctx.services
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        copy, kept = await find_idea(repository, duplicate), await find_idea(repository, original)
        for idea in (copy, kept):
            if idea.merged_into is not None:
                raise UsageError("ideas.merged", number=idea.number, original=idea.merged_into)
            if not idea.published:
                raise UsageError("ideas.merge_unpublished", number=idea.number)
        await ctx.claim(uow)
        author = _author(copy)
        people = [(author, "ideas.merge_dm_author")] + [
            (supporter, "ideas.merge_dm_supporter")
            for supporter in await repository.supporters(copy)
            if supporter != author
        ]
        await repository.move_supports(copy, kept)
        copy.merged_into = original
        await repository.record_status(copy, MERGED, None, ctx.actor.id, services.clock.now())
        ctx.queue_reply(
            uow,
            "ideas.merged_done",
            duplicate=duplicate,
            original=original,
            supports=await repository.support_count(kept),
            count=len(reachable(services, people)),
        )
        await uow.commit()
    logger.info("Idea #%d merged into #%d", duplicate, original)
    await reindex(services, copy)
    await refresh_card(services, duplicate)
    await refresh_card(services, original)
    await notify(
        services,
        people,
        f"idea-merge:{duplicate}",
        lambda language: {
            "duplicate": duplicate,
            "original": original,
            "text": excerpt(copy.text),
        },
    )
    await ctx.send_queued()


@command("freigeben", "approve", Number("number", refers_to="idea"))
@requires(Role.STAFF)
async def approve_idea(ctx: Context, number: int) -> None:
    """Publish an idea that waited for review: card, similar-idea hints and the author told."""
    services = ctx.services
    async with services.unit_of_work() as uow:
        idea = await find_idea(IdeasRepository(uow.session), number)
        if idea.published:
            await ctx.reply("ideas.already_published", number=number)
            return
        await ctx.claim(uow)
        idea.published = True
        ctx.queue_reply(uow, "ideas.approved", number=number)
        await uow.commit()
    logger.info("Idea #%d approved", number)
    await reindex(services, idea)
    await post_card(services, number)
    await notify(
        services,
        [(_author(idea), "ideas.approved_dm")],
        f"idea-approved:{number}",
        lambda language: {"number": number, "text": excerpt(idea.text)},
    )
    await ctx.send_queued()
