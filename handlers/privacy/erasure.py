"""The erasure of Art. 17 DSGVO: every personal datum of one person, in one transaction.

Private items go (profile, supports, reports, votes, registrations, questions nobody
answered, messages queued to the person). Contributions others built on stay, anonymised:
ideas with supports (or merged into), questions whose answers were relayed, and what the
person did as staff or expert. Closed polls keep their published result (it is frozen
before the person's rows go). An active block stays; see docs/privacy.md for why.

`erase` only touches the database, so the CLI can use it; `tell_chat` then brings cards,
thread roots and the in-memory indexes in line when the bot itself erased.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from bot.context import Services
from handlers.ideas.effects import refresh_card
from handlers.ideas.state import ideas_state
from handlers.polls.lifecycle import load_tally
from handlers.questions import timers as question_timers
from handlers.questions.delivery import ROOT
from handlers.questions.routing import build_router
from handlers.workshops.delivery import deliver_notices
from handlers.workshops.registration import unregister
from storage.polls.repository import PollRepository
from storage.privacy.models import ERASED
from storage.privacy.personal_data import PersonalDataRepository, Someone, scrub
from storage.privacy.repository import PrivacyRepository
from storage.questions.repository import notice_params
from storage.uow import UnitOfWork
from storage.workshops.repository import WorkshopRepository

logger = logging.getLogger(__name__)

MIN_NAME_LENGTH = 3
"""Shorter display names are not searched for in other text (they would hit ordinary words)."""


@dataclass(frozen=True)
class Edit:
    """A message the bot posted that must change: where, which, and the catalog text."""

    platform: str
    room_id: str
    event_id: str
    key: str
    params: dict[str, object]


@dataclass
class Erasure:
    """What an erasure did (counts for the reply) and what is left to do in the chat."""

    ideas_deleted: list[int] = field(default_factory=list)
    ideas_anonymised: list[int] = field(default_factory=list)
    supports_withdrawn: list[int] = field(default_factory=list)
    """Numbers of the ideas the person supported (their cards show a new count)."""
    votes_removed: int = 0
    registrations_removed: int = 0
    questions_deleted: list[int] = field(default_factory=list)
    questions_anonymised: list[int] = field(default_factory=list)
    examples_removed: int = 0
    block_kept: bool = False
    edits: list[Edit] = field(default_factory=list)


async def erase(
    uow: UnitOfWork, person: Someone, *, now: datetime, label: str, names: Collection[str] = ()
) -> Erasure:
    """Erase `person` within the caller's transaction; `label` replaces their name.

    `names` are display names known besides the stored ones (e.g. the current one).
    """
    data = PersonalDataRepository(uow.session, person)
    needles = {person.id} | {
        name for name in (await data.names()) | set(names) if len(name) >= MIN_NAME_LENGTH
    }
    done = Erasure()
    done.supports_withdrawn = await data.delete_supports_and_reports()
    await _ideas(data, done, label)
    done.votes_removed = await _votes(uow, data, now)
    done.registrations_removed = await _registrations(uow, data, now)
    await _questions(data, done, needles, label, now)
    await data.anonymise_staff_traces(label)
    await data.scrub_notice_params(needles, label)
    await data.delete_expired_block(now)
    done.block_kept = await data.block() is not None
    await data.delete_profile()
    return done


async def _ideas(data: PersonalDataRepository, done: Erasure, label: str) -> None:
    keep, drop = [], []
    for idea, supports in await data.ideas():
        if await data.is_built_on(idea, supports):
            keep.append(idea)
            continue
        drop.append(idea)
        if idea.card_platform and idea.card_room_id and idea.card_event_id:
            params: dict[str, object] = {"number": idea.number}
            card = (idea.card_platform, idea.card_room_id, idea.card_event_id)
            done.edits.append(Edit(*card, "privacy.idea_card_erased", params))
    await data.anonymise_ideas(keep, label)
    await data.delete_ideas(drop)
    done.ideas_anonymised = [idea.number for idea in keep]
    done.ideas_deleted = [idea.number for idea in drop]


async def _votes(uow: UnitOfWork, data: PersonalDataRepository, now: datetime) -> int:
    """Remove the person's votes; a closed poll's result is frozen first, so it stays."""
    polls = PollRepository(uow.session)
    privacy = PrivacyRepository(uow.session)
    removed = 0

    async def freeze_if_closed(poll_id: int) -> bool:
        poll = await polls.get(poll_id)
        if poll is None or poll.closed_at is None:
            return False
        tally = await load_tally(polls, poll)
        await privacy.freeze_tally(poll.id, tally.votes, tally.voters, tally.spoiled, now)
        return True

    for poll_id in sorted({ballot.poll.id for ballot in await data.ballots()}):
        await freeze_if_closed(poll_id)
        await data.delete_responses(poll_id)
        removed += 1
    for poll in await data.secret_polls_voted():
        if await freeze_if_closed(poll.id):
            await data.delete_secret_voter(poll.id)
        else:  # the vote is in the anonymous counters; only the "has voted" mark remains
            await data.unlink_secret_voter(poll.id, f"{ERASED}-{secrets.token_hex(8)}")
        removed += 1
    return removed


async def _registrations(uow: UnitOfWork, data: PersonalDataRepository, now: datetime) -> int:
    """Unregister everywhere (a freed seat goes to the waitlist) and drop queued messages."""
    repo = WorkshopRepository(uow.session)
    registrations = await data.registrations()
    for registration, workshop in registrations:
        await unregister(repo, workshop, registration, now)
    await data.delete_workshop_notices()
    return len(registrations)


async def _questions(
    data: PersonalDataRepository,
    done: Erasure,
    needles: Collection[str],
    label: str,
    now: datetime,
) -> None:
    """Unanswered questions go; answered ones stay, closed and without the asker."""
    threads = await data.questions()
    answered = [t.question.id for t in threads if t.question.answered_at is not None]
    unanswered = [t.question.id for t in threads if t.question.answered_at is None]
    for notice, platform, room_id in await data.thread_roots(unanswered, ROOT):
        done.edits.append(
            Edit(
                platform,
                room_id,
                str(notice.event_id),
                "privacy.question_root_erased",
                {"number": notice.question_id},
            )
        )
    for notice, platform, room_id in await data.thread_roots(answered, ROOT):
        params = notice_params(notice)
        scrubbed = {key: scrub(value, needles, label) for key, value in params.items()}
        if scrubbed != params:  # a public question named the asker
            key = f"questions.notices.{notice.kind}"
            done.edits.append(Edit(platform, room_id, str(notice.event_id), key, scrubbed))
    done.examples_removed = sum(len(t.examples) for t in threads if t.question.id in unanswered)
    await data.anonymise_questions(answered, label, now)
    await data.delete_questions(unanswered)
    done.questions_anonymised, done.questions_deleted = answered, unanswered


async def tell_chat(services: Services, done: Erasure) -> None:
    """After the commit: update cards and thread roots, indexes, timers and the outbox.

    Each step is best effort: the erasure is committed, a failed edit is only logged.
    """
    index = (await ideas_state(services)).index
    for number in done.ideas_deleted:
        index.remove(number)
    for number in done.questions_deleted + done.questions_anonymised:
        question_timers.cancel(services, number)
    language = services.settings.language
    for edit in done.edits:
        message = services.render(language, edit.key, **edit.params)
        try:
            await services.adapter_for(edit.platform).edit(edit.room_id, edit.event_id, message)
        except Exception:
            logger.exception("Could not update message %s after an erasure", edit.event_id)
    for number in sorted(set(done.ideas_anonymised + done.supports_withdrawn)):
        try:
            await refresh_card(services, number)
        except Exception:
            logger.exception("Could not refresh the card of idea #%d after an erasure", number)
    if done.examples_removed:
        await build_router(services)
    await deliver_notices(services)
