"""What the ideas feature keeps in memory: the similar-ideas index, categories, a card lock.

All of it is derived from the database and settings (never the source of truth) and lives in
`services.state`, not in a module global: built by the start hook, or on first use where no
start hooks run (unit tests with the fake bot).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.context import Services
from handlers.idea_categories import IdeaCategories
from handlers.idea_similarity import SimilarityIndex
from storage.ideas_models import OPEN_STATUSES, Idea
from storage.ideas_repository import IdeasRepository

logger = logging.getLogger(__name__)

STATE_KEY = "ideas"


@dataclass
class IdeasState:
    """The index of open ideas, the category chooser and the lock that orders card edits."""

    index: SimilarityIndex
    categories: IdeaCategories
    card_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a card's count is read and its edit sent, so edits arrive in count order."""


async def ideas_state(services: Services) -> IdeasState:
    """The feature's state, built from the database the first time it is needed."""
    state = services.state.get(STATE_KEY)
    if isinstance(state, IdeasState):
        return state
    async with services.unit_of_work() as uow:
        texts = await IdeasRepository(uow.session).open_texts()
    built = IdeasState(
        index=SimilarityIndex.build(texts),
        categories=IdeaCategories(services.settings.departments),
    )
    logger.info("Indexed %d open ideas for similar-idea hints", len(built.index))
    return services.state.setdefault(STATE_KEY, built)


def is_open(idea: Idea) -> bool:
    """Whether similar-idea hints may name the idea: public and still being worked on."""
    return (
        idea.published
        and not idea.hidden
        and idea.merged_into is None
        and idea.status in OPEN_STATUSES
    )


async def reindex(services: Services, *ideas: Idea) -> None:
    """Bring the index in line with the ideas' committed state."""
    index = (await ideas_state(services)).index
    for idea in ideas:
        if is_open(idea):
            index.add(idea.number, idea.text)
        else:
            index.remove(idea.number)
