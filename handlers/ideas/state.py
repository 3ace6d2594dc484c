"""What the ideas feature keeps in memory: the similar-ideas index, categories, a card lock.

All of it is derived from the database and settings (never the source of truth) and lives in
`services.state`, not in a module global. It is built by a job that runs once the bot is synced
or by the first command that needs it, in a child process for many ideas
(`handlers.ideas.index_worker`): indexing 100,000 open ideas takes about two seconds, and
only commands that need the index (`!idee`, status changes) wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.child_process import ChildProcessFailed
from bot.context import Services
from handlers.ideas.categories import IdeaCategories
from handlers.ideas.index_worker import (
    build_in_child,
    can_read_separately,
    search_path,
)
from handlers.ideas.similarity import SimilarityIndex
from handlers.questions.model_worker import departments_model
from storage.ideas.models import OPEN_STATUSES, Idea
from storage.ideas.repository import IdeasRepository

logger = logging.getLogger(__name__)

T = TypeVar("T")
CHILD_PROCESS_FROM = 1_000
"""Open ideas from which the index is built in a child process. Below it, a thread is done
sooner than a child that first imports SQLAlchemy and the stemmer, and holds the lock only
briefly (100,000 ideas take about 1-2 s, `bench.ideas_similarity`)."""
STATE_KEY = "ideas"
CATEGORIES_KEY = "ideas-categories"


@dataclass
class IdeasState:
    """The index of open ideas, the category chooser and the lock that orders card edits."""

    index: SimilarityIndex
    categories: IdeaCategories
    card_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a card's count is read and its edit sent, so edits arrive in count order."""


async def ideas_state(services: Services) -> IdeasState:
    """The feature's state, built once; concurrent callers wait for the same build.

    Ideas committed after the build read the database are not lost: whoever commits one
    calls `reindex`, which waits for this same build first.
    """
    return await _once(services, STATE_KEY, _build)


async def ideas_categories(services: Services) -> IdeaCategories:
    """The category chooser alone: listing ideas must not wait for the index of 100,000
    ideas (bench.scale: the first `!ideen top` after a start waited 1.5 s for it)."""
    return await _once(services, CATEGORIES_KEY, _build_categories)


async def _once(
    services: Services, key: str, build: Callable[[Services], Coroutine[Any, Any, T]]
) -> T:
    """The result of `build(services)`, started by the first caller and shared."""
    building = services.state.get(key)
    if building is None:
        building = asyncio.create_task(build(services), name=key)
        services.state[key] = building
    try:
        return await asyncio.shield(building)
    except Exception:
        services.state.pop(key, None)  # the next caller tries again
        raise


async def _build_categories(services: Services) -> IdeaCategories:
    await departments_model(services)  # the question router's model, trained once
    return await asyncio.to_thread(IdeaCategories, services.settings.departments)


async def _build(services: Services) -> IdeasState:
    index, categories = await asyncio.gather(_build_index(services), ideas_categories(services))
    logger.info("Indexed %d open ideas for similar-idea hints", len(index))
    return IdeasState(index=index, categories=categories)


async def _build_index(services: Services) -> SimilarityIndex:
    """Many ideas are indexed in a child process (`index_worker`: in a thread, 89,000 ideas
    held the interpreter lock for 2.2 s while the first commands waited), a few in a thread
    (quicker than starting a process). If the child fails, the thread does it."""
    url = services.settings.database_url
    if can_read_separately(url):
        async with services.unit_of_work() as uow:
            count = await IdeasRepository(uow.session).open_count()
            schema_path = await search_path(uow.session, url)
        if count >= CHILD_PROCESS_FROM:
            logger.info("Indexing %d open ideas in a child process", count)
            try:
                return await build_in_child(url, schema_path)
            except (OSError, ValueError, ChildProcessFailed):
                logger.exception("Indexing in a child process failed; indexing here instead")
    async with services.unit_of_work() as uow:
        texts = await IdeasRepository(uow.session).open_texts()
    return await asyncio.to_thread(SimilarityIndex.build, texts)


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
