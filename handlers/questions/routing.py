"""Which department a question goes to, and how the asker is named there.

The router (handlers.questions.classifier) is built once at start from the departments file
plus the examples experts taught it by forwarding, in a worker thread so that the bot answers
other commands meanwhile, and kept in `services.state`; the database stays the source of
truth, so removing an example simply rebuilds it. Learned examples age: each
counts `0.5 ** (age / BOT_QUESTION_EXAMPLE_HALF_LIFE_DAYS)`, its age taken when the router is
built: at start, whenever examples are removed or purged, and once a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Department
from bot.context import Services
from handlers.questions.classifier import Classification, Classifier, LearnedExample
from handlers.questions.model_worker import departments_model
from storage.questions.repository import QuestionRepository

logger = logging.getLogger(__name__)

STATE_KEY = "questions"
BUILDING_KEY = "questions-building"
"""The build under way (an asyncio task), or the last one."""
REAGE_EVERY = timedelta(days=1)
"""How often the learned examples' weights are brought up to date with their age."""
OFFERED = 3
"""How many departments the citizen may choose from when the router is unsure."""


@dataclass
class QuestionRouter:
    """The departments and the trained classifier (None with fewer than two departments)."""

    departments: tuple[Department, ...]
    classifier: Classifier | None
    built_at: datetime | None = None
    """When the learned examples' ages were taken (None: they do not age)."""

    @classmethod
    def build(
        cls,
        departments: Sequence[Department],
        learned: Iterable[LearnedExample],
        built_at: datetime | None = None,
    ) -> QuestionRouter:
        """The router for `departments`; learned examples of departments no longer in the
        file are left out, and so is what they say against a department that is gone."""
        known = {department.id for department in departments}
        examples = [
            LearnedExample(
                example.text,
                example.department,
                example.previous if example.previous in known else None,
                example.weight,
            )
            for example in learned
            if example.department in known
        ]
        classifier = Classifier(departments, examples) if len(departments) >= 2 else None
        return cls(tuple(departments), classifier, built_at)

    def department(self, department_id: str | None) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def classify(self, text: str) -> Classification:
        if self.classifier is None:
            only = self.departments[0].id
            return Classification(only, 1.0, (only,))
        return self.classifier.classify(text)

    def is_confident(self, classification: Classification) -> bool:
        return classification.confident

    def hint(self, text: str) -> str | None:
        """The department a leading `#abteilung` names, if exactly one fits."""
        if self.classifier is not None:
            return self.classifier.route_hint(text)
        word = text.strip().removeprefix("#").split(maxsplit=1)
        only = self.departments[0]
        return only.id if word and word[0].casefold() == only.id else None

    def find(self, word: str) -> Department | None:
        """A department named by a word typed in a command (`mobilitaet`, `#verkehr`)."""
        return self.department(self.hint("#" + word.removeprefix("#")))

    def forward(self, text: str, department_id: str, previous_id: str | None) -> None:
        """Learn from a forward: `text` belongs to `department_id`, not to `previous_id`."""
        if self.classifier is not None:
            known = previous_id if self.department(previous_id) is not None else None
            self.classifier.forward(text, department_id, known)


def start_building(services: Services) -> asyncio.Task[QuestionRouter]:
    """Begin training the router without waiting for it (the start hook).

    Training takes most of a second, in a child process (`model_worker`): commands that do
    not route questions are answered meanwhile, and a question that arrives first waits
    for it (`question_router`).
    """
    building = asyncio.create_task(_build(services), name="question router")
    services.state[BUILDING_KEY] = building
    return building


async def build_router(services: Services) -> QuestionRouter:
    """Train the router from the departments file and the stored examples now; keep it.

    A build already under way is waited for first: it may have read the examples before
    the change that asks for this one.
    """
    previous = services.state.get(BUILDING_KEY)
    if previous is not None and not previous.done():
        with contextlib.suppress(Exception):
            await asyncio.shield(previous)
    return await _wait_for(services, start_building(services))


async def _build(services: Services) -> QuestionRouter:
    async with services.unit_of_work() as uow:
        examples = await QuestionRepository(uow.session).examples()
    now = services.clock.now()
    half_life = services.settings.question_example_half_life_days
    learned = [
        LearnedExample(
            e.text,
            e.department_id,
            e.from_department_id,
            example_weight(e.created_at, now, half_life),
        )
        for e in examples
    ]
    await departments_model(services)
    router = await asyncio.to_thread(
        QuestionRouter.build,
        services.settings.departments,
        learned,
        now if half_life > 0 else None,
    )
    services.state[STATE_KEY] = router
    logger.info(
        "Question router ready: %d departments, %d learned examples",
        len(router.departments),
        len(examples),
    )
    return router


async def _wait_for(services: Services, building: asyncio.Task[QuestionRouter]) -> QuestionRouter:
    """The router `building` makes; if it fails, the next caller starts a new build."""
    try:
        return await asyncio.shield(building)
    except Exception:
        if services.state.get(BUILDING_KEY) is building:
            services.state.pop(BUILDING_KEY)
        raise


def example_weight(created_at: datetime, now: datetime, half_life_days: int) -> float:
    """How much a learned example taught at `created_at` counts at `now` (1 when fresh)."""
    if half_life_days <= 0:
        return 1.0
    age_days = max((now - created_at).total_seconds(), 0.0) / 86_400
    return 0.5 ** (age_days / half_life_days)


async def question_router(services: Services) -> QuestionRouter:
    """The router built at start, waited for if it is still training (built now if the start
    hooks did not run, as in tests).

    Rebuilt once a day, so that learned examples keep ageing in a bot that is never
    restarted; the trained model is cached, so this only re-weighs the examples.
    """
    router = services.state.get(STATE_KEY)
    if isinstance(router, QuestionRouter) and (
        router.built_at is None or services.clock.now() - router.built_at < REAGE_EVERY
    ):
        return router
    building = services.state.get(BUILDING_KEY)
    if building is None or building.done():
        building = start_building(services)
    return await _wait_for(services, building)


def pseudonym_code(secret: bytes, platform: str, person: str) -> str:
    """Four hex digits standing for a person: stable, but not computable without the key."""
    digest = hmac.new(secret, f"{platform}\n{person}".encode(), hashlib.sha256).hexdigest()
    return digest[:4].upper()
