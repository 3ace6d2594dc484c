"""Numbers to suggest while someone types one in a platform's command menu (Discord's
autocomplete): only what that person may see, filtered by what they typed.

Ideas: the visible ones (published, not hidden, not merged); staff also see hidden ideas
and those waiting for review, which their commands (`!zeigen`, `!freigeben`) need. Polls:
the open ones of the channel the command is typed in. Workshops: the coming ones that are
not cancelled. Questions: the asker's own, never anyone else's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.context import Role, Services, Suggestion, SuggestionRequest
from storage.ideas.repository import IdeasRepository
from storage.polls.repository import PollRepository
from storage.questions.repository import QuestionRepository
from storage.uow import UnitOfWork
from storage.workshops.repository import WorkshopRepository

MAX_LABEL = 100
"""Discord's limit for a choice's name."""

Found = Awaitable[list[tuple[int, str]]]
Finder = Callable[[Services, UnitOfWork, SuggestionRequest], Found]
"""Number and text of what matches, at most 25, in the order to offer them."""


async def _ideas(
    services: Services, uow: UnitOfWork, request: SuggestionRequest
) -> list[tuple[int, str]]:
    role = await services.roles.role_of(request.actor.platform, request.actor.id)
    repo = IdeasRepository(uow.session)
    return await repo.matching(request.typed, include_hidden=role >= Role.STAFF)


def _polls(services: Services, uow: UnitOfWork, request: SuggestionRequest) -> Found:
    return PollRepository(uow.session).matching_open_in_room(
        request.actor.platform, request.place.room_id, request.typed
    )


def _workshops(services: Services, uow: UnitOfWork, request: SuggestionRequest) -> Found:
    return WorkshopRepository(uow.session).matching_upcoming(services.clock.now(), request.typed)


def _questions(services: Services, uow: UnitOfWork, request: SuggestionRequest) -> Found:
    return QuestionRepository(uow.session).matching_of_asker(
        request.actor.platform, request.actor.id, request.typed
    )


FINDERS: dict[str, Finder] = {
    "idea": _ideas,
    "poll": _polls,
    "workshop": _workshops,
    "question": _questions,
}


async def suggest(services: Services, request: SuggestionRequest) -> list[Suggestion]:
    """The numbers to offer, each labelled `#N · text` on one line; none for anything else."""
    finder = FINDERS.get(request.refers_to)
    if finder is None:
        return []
    async with services.unit_of_work() as uow:
        found = await finder(services, uow, request)
    return [Suggestion(number, _label(number, text)) for number, text in found]


def _label(number: int, text: str) -> str:
    label = f"#{number} · {' '.join(text.split())}"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
