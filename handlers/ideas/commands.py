"""The ideas box for everyone: submit, list, show, support, withdraw and report ideas.

Supports also come from 👍 reactions on an idea's card in the ideas room; redacting the
reaction withdraws the support. Staff commands are in `handlers.ideas.staff_commands`.
"""

from __future__ import annotations

import functools
import logging
import math
from datetime import timedelta

from bot.arguments import Number, Text
from bot.context import (
    Context,
    IncomingReaction,
    IncomingReactionRemoved,
    Role,
    Services,
)
from bot.errors import UsageError
from bot.messages import Message, join
from bot.router import command, listens, on_start, rate_limited
from bot.texts import excerpt, local_time
from handlers.ideas.effects import post_card, refresh_card, tell_staff
from handlers.ideas.listing import PAGE_SIZE, ListingRequest, SingleIdea, parse_listing
from handlers.ideas.lookup import find_idea, public_idea
from handlers.ideas.state import ideas_categories, ideas_state, reindex
from handlers.ideas.texts import category_label, command_text, idea_link, status_label
from storage.ideas.models import MERGED, Idea
from storage.ideas.repository import IdeasRepository, Person

logger = logging.getLogger(__name__)

MIN_TEXT, MAX_TEXT = 10, 2000
RATE_WINDOW = timedelta(hours=1)
SUPPORT_KEY = "👍"
"""Reaction that supports an idea; skin-tone variants (👍🏽) count as well."""


@command("idee", "idea", Text("text", max_length=MAX_TEXT + 200))
async def submit_idea(ctx: Context, text: str) -> None:
    """Store an idea once (idempotent on the event id), then answer, post its card or queue it."""
    services = ctx.services
    settings = services.settings
    state = await ideas_state(services)
    choice = state.categories.choose(text)
    if not MIN_TEXT <= len(choice.text) <= MAX_TEXT:
        raise UsageError("ideas.text_length", min=MIN_TEXT, max=MAX_TEXT, length=len(choice.text))
    now = services.clock.now()
    matches = state.index.similar(choice.text)
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        if settings.idea_rate:
            recent = await repository.count_since(
                ctx.actor.platform, ctx.actor.id, now - RATE_WINDOW
            )
            if recent >= settings.idea_rate:
                await ctx.reply("ideas.rate_limited", count=recent)
                return
        await ctx.claim(uow)
        idea = Idea(
            number=await repository.next_number(),
            platform=ctx.actor.platform,
            author_id=ctx.actor.id,
            author_name=ctx.actor.display_name,
            room_id=ctx.place.room_id,
            source_event_id=ctx.event_id,
            category=choice.category,
            text=choice.text,
            status="new",
            published=not settings.ideas_review,
            hidden=False,
            hidden_reason=None,
            merged_into=None,
            card_platform=None,
            card_room_id=None,
            card_event_id=None,
            created_at=now,
        )
        await repository.add(idea, now)
        similar = await repository.open_numbers([match.number for match in matches])
        ctx.queue_reply_message(uow, _submitted_message(ctx, idea, choice.explicit, similar))
        await uow.commit()
    logger.info("Idea #%d stored (category %s)", idea.number, idea.category)
    await ctx.send_queued()
    await reindex(services, idea)
    if idea.published:
        await post_card(services, idea.number, new=idea)
        return
    await tell_staff(
        services,
        idea.platform,
        "ideas.staff_review",
        f"idea-review:{idea.number}",
        {
            "number": idea.number,
            "category": category_label(services, settings.language, idea.category),
            "text": idea.text,
            "author": idea.author_name,
            "approve": command_text(services, settings.language, "freigeben"),
            "status": command_text(services, settings.language, "status"),
        },
    )


def _submitted_message(ctx: Context, idea: Idea, explicit: bool, similar: list[Idea]) -> Message:
    services = ctx.services
    parts = [ctx.render("ideas.submitted", number=idea.number)]
    if idea.category is not None:
        category = category_label(services, ctx.language, idea.category)
        if explicit:
            parts.append(ctx.render("ideas.category_given", category=category))
        else:
            example = f"{command_text(services, ctx.language, 'idee')} #{idea.category} …"
            parts.append(ctx.render("ideas.category_proposed", category=category, example=example))
    if not idea.published:
        parts.append(ctx.render("ideas.pending_review"))
    if similar:
        support = command_text(services, ctx.language, "unterstuetzen")
        parts.append(ctx.render("ideas.similar_header", command=support))
        parts.extend(
            ctx.render("ideas.similar_line", number=other.number, text=excerpt(other.text))
            for other in similar
        )
    return join(parts)


@command("ideen", "ideas", Text("query", optional=True, max_length=200))
async def list_ideas(ctx: Context, query: str | None) -> None:
    """A page of ideas (newest, top, mine, one category) or one idea with its history."""
    request = await _listing_request(ctx.services, query)
    if isinstance(request, SingleIdea):
        await _show_idea(ctx, request.number)
        return
    author = Person(ctx.actor.platform, ctx.actor.id) if request.view == "mine" else None
    async with ctx.services.unit_of_work() as uow:
        listed, total = await IdeasRepository(uow.session).listing(
            top=request.view == "top",
            category=request.category,
            author=author,
            offset=(request.page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if total == 0:
        await ctx.reply(
            "ideas.list_empty", command=command_text(ctx.services, ctx.language, "idee")
        )
        return
    if request.page > pages:
        raise UsageError("ideas.page_out_of_range", page=request.page, pages=pages)
    services, language = ctx.services, ctx.language
    parts = [
        ctx.render(
            "ideas.list_header",
            view=_view_name(ctx, request),
            page=request.page,
            pages=pages,
            total=total,
        )
    ]
    parts.extend(
        ctx.render(
            "ideas.list_line",
            number=item.idea.number,
            category=category_label(services, language, item.idea.category),
            text=excerpt(item.idea.text),
            supports=item.supports,
            status=status_label(services, language, item.idea.status),
        )
        for item in listed
    )
    if request.page < pages:
        parts.append(ctx.render("ideas.list_more", command=_next_page(ctx, request)))
    await ctx.reply_message(join(parts))


async def _listing_request(services: Services, query: str | None) -> ListingRequest | SingleIdea:
    """What `!ideen <query>` asks for; the category chooser is waited for only if a word
    of the query may be a category.

    The chooser shares its model with the question router, trained in a worker thread at
    start: the first `!ideen top` after a start waited 0.4 s for it (`bench.scale`).
    """
    try:
        return parse_listing(query, _no_category)
    except UsageError:
        categories = await ideas_categories(services)
        return parse_listing(query, categories.find)


def _no_category(_word: str) -> None:
    return None


def _view_name(ctx: Context, request: ListingRequest) -> str:
    if request.view == "category":
        category = category_label(ctx.services, ctx.language, request.category)
        return ctx.t("ideas.view_category", category=category)
    return ctx.t(f"ideas.view_{request.view}")


def _next_page(ctx: Context, request: ListingRequest) -> str:
    german = ctx.language != "en"
    view = {
        "new": "",
        "top": "top",
        "mine": "meine" if german else "mine",
        "category": request.category or "",
    }[request.view]
    words = [command_text(ctx.services, ctx.language, "ideen"), view, "seite" if german else "page"]
    return " ".join(word for word in words if word) + f" {request.page + 1}"


async def _show_idea(ctx: Context, number: int) -> None:
    services, language = ctx.services, ctx.language
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await find_idea(repository, number)
        staff = ctx.role >= Role.STAFF
        own = (idea.platform, idea.author_id) == (ctx.actor.platform, ctx.actor.id)
        if not idea.published and not (staff or own):
            raise UsageError("ideas.not_found", number=number)
        if idea.hidden and not staff:
            raise UsageError("ideas.hidden", number=number)
        supports = await repository.support_count(idea)
        history = await repository.history(idea)
    catalog, tz = services.catalog, services.clock.tz
    parts = [
        ctx.render(
            "ideas.detail",
            number=idea.number,
            category=category_label(services, language, idea.category),
            text=idea.text,
            author=idea.author_name,
            date=local_time(catalog, language, "ideas.date_format", idea.created_at, tz),
            supports=supports,
            status=status_label(services, language, idea.status),
        )
    ]
    if not idea.published:
        parts.append(ctx.render("ideas.detail_pending"))
    if idea.hidden:
        parts.append(
            ctx.render("ideas.detail_hidden", reason=idea.hidden_reason or ctx.t("ideas.no_reason"))
        )
    if idea.merged_into is not None:
        parts.append(ctx.render("ideas.detail_merged", original=idea.merged_into))
    parts.append(ctx.render("ideas.history_header"))
    for change in history:
        date = local_time(catalog, language, "ideas.date_format", change.changed_at, tz)
        if change.status == MERGED:
            parts.append(ctx.render("ideas.history_merged", date=date, original=idea.merged_into))
            continue
        status = status_label(services, language, change.status)
        if change.reason:
            parts.append(
                ctx.render(
                    "ideas.history_line_reason", date=date, status=status, reason=change.reason
                )
            )
        else:
            parts.append(ctx.render("ideas.history_line", date=date, status=status))
    await ctx.reply_message(idea_link(services, language, join(parts), idea))


@rate_limited(per_hour=60)
@command("unterstuetzen", "support", Number("number", refers_to="idea"))
async def support_idea(ctx: Context, number: int) -> None:
    """One support per person and idea; authors cannot support their own idea."""
    async with ctx.services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await public_idea(repository, number, ctx)
        supports = 0
        if (idea.platform, idea.author_id) == (ctx.actor.platform, ctx.actor.id):
            outcome = "ideas.own_idea"
        else:
            await ctx.claim(uow)
            added = await repository.add_support(
                idea, ctx.actor.platform, ctx.actor.id, ctx.services.clock.now()
            )
            outcome = "ideas.supported" if added else "ideas.already_supported"
            supports = await repository.support_count(idea)
            ctx.queue_reply(uow, outcome, number=number, supports=supports)
            await uow.commit()
    if outcome == "ideas.own_idea":
        await ctx.reply(outcome, number=number, supports=supports)
    await ctx.send_queued()
    if outcome == "ideas.supported":
        await refresh_card(ctx.services, number)


@rate_limited(per_hour=60)
@command("zurueckziehen", "unsupport", Number("number", refers_to="idea"))
async def withdraw_support(ctx: Context, number: int) -> None:
    """Withdraw one's support, however it was given (command, 👍 or carried over by a merge)."""
    async with ctx.services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await find_idea(repository, number)
        await ctx.claim(uow)
        removed = await repository.remove_support(idea, ctx.actor.platform, ctx.actor.id)
        supports = await repository.support_count(idea)
        outcome = "ideas.withdrawn" if removed else "ideas.not_supported"
        ctx.queue_reply(uow, outcome, number=number, supports=supports)
        await uow.commit()
    await ctx.send_queued()
    if removed:
        await refresh_card(ctx.services, number)


@rate_limited(per_hour=10)
@command(
    "melden",
    "report",
    Number("number", refers_to="idea"),
    Text("reason", optional=True, max_length=500),
)
async def report_idea(ctx: Context, number: int, reason: str | None) -> None:
    """Tell staff; enough distinct reports hide the idea until staff decide."""
    services = ctx.services
    threshold = services.settings.idea_report_threshold
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await find_idea(repository, number)
        if not idea.published and ctx.role < Role.STAFF:
            raise UsageError("ideas.not_found", number=number)
        await ctx.claim(uow)
        added = await repository.add_report(
            idea, ctx.actor.platform, ctx.actor.id, reason, services.clock.now()
        )
        count = await repository.open_report_count(idea)
        hide = added and not idea.hidden and count >= threshold
        if hide:
            idea.hidden = True
        ctx.queue_reply(uow, "ideas.reported" if added else "ideas.already_reported", number=number)
        await uow.commit()
    await ctx.send_queued()
    if not added:
        return
    language = services.settings.language
    commands = {
        "hide": command_text(services, language, "verbergen"),
        "unhide": command_text(services, language, "zeigen"),
    }
    await tell_staff(
        services,
        idea.platform,
        "ideas.staff_report",
        f"idea-report:{ctx.event_id}",
        {
            "number": number,
            "count": count,
            "reason": reason or services.catalog.text(language, "ideas.no_reason"),
            "text": excerpt(idea.text, 300),
            **commands,
        },
    )
    if hide:
        logger.info("Idea #%d hidden after %d reports", number, count)
        await tell_staff(
            services,
            idea.platform,
            "ideas.staff_auto_hidden",
            f"idea-auto-hidden:{ctx.event_id}",
            {"number": number, "count": count, "unhide": commands["unhide"]},
        )
        await reindex(services, idea)
        await refresh_card(services, number)


@listens(IncomingReaction)
async def support_by_reaction(services: Services, event: IncomingReaction) -> bool:
    """👍 on a card supports the idea; a replayed reaction changes nothing (one support each)."""
    if not event.key.startswith(SUPPORT_KEY):
        return False
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await repository.by_card(event.actor.platform, event.target_event_id)
        if idea is None:
            return False
        usable = idea.published and not idea.hidden and idea.merged_into is None
        own = (idea.platform, idea.author_id) == (event.actor.platform, event.actor.id)
        added = False
        if usable and not own:
            added = await repository.add_support(
                idea, event.actor.platform, event.actor.id, event.sent_at, by_reaction=True
            )
            await uow.commit()
    if added:
        await refresh_card(services, idea.number)
    return True


@listens(IncomingReactionRemoved)
async def withdraw_by_reaction_removal(services: Services, event: IncomingReactionRemoved) -> bool:
    """Taking back the 👍 on a card withdraws a support that a 👍 made; one by command stays.

    A card of an idea merged into another leads to the original, where the support went.
    """
    if not event.key.startswith(SUPPORT_KEY):
        return False
    async with services.unit_of_work() as uow:
        repository = IdeasRepository(uow.session)
        idea = await repository.by_card(event.actor.platform, event.target_event_id)
        while idea is not None and idea.merged_into is not None:
            idea = await repository.get(idea.merged_into)
        if idea is None:
            return False
        withdrawn = await repository.remove_reaction_support(
            idea, event.actor.platform, event.actor.id
        )
        await uow.commit()
    if withdrawn:
        await refresh_card(services, idea.number)
    return True


@on_start
async def prepare_ideas(services: Services) -> None:
    """Once synced: index the open ideas and post the cards a stop left out.

    The index is built in a worker thread after start-up rather than beside the other start
    hooks, which it would slow down; a command that needs it earlier starts the build.
    """
    build = functools.partial(ideas_state, services)
    services.scheduler.schedule_at("ideas-index", services.clock.now(), build)
    if any(rooms.ideas_room for rooms in services.settings.platforms.values()):
        job = functools.partial(post_missing_cards, services)
        services.scheduler.schedule_at("ideas-missing-cards", services.clock.now(), job)


async def post_missing_cards(services: Services) -> None:
    """Post the cards of published ideas that a stop between storing and posting left out."""
    async with services.unit_of_work() as uow:
        missing = await IdeasRepository(uow.session).published_without_card()
    for idea in missing:
        try:
            await post_card(services, idea.number)
        except Exception:
            logger.exception("Could not post the card of idea #%d", idea.number)
