"""A database of a programme that has run for years, written with bulk inserts.

Ideas (with supports and their first history entry), workshops (past and upcoming, with
registrations and the announcements and reminders still pending) and questions (mostly
closed, a few waiting for an expert or for the citizen's pick) as the features would have
stored them. Open timers lie in the future, so starting the bot on this database schedules
them all but sends nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.ideas_similarity import idea_text
from storage.db import upgrade_schema
from storage.ideas.models import Idea, IdeaSequence, IdeaStatusChange, IdeaSupport
from storage.ideas.repository import SEQUENCE_NAME
from storage.questions.models import Question, QuestionMessage, QuestionRoute
from storage.questions.repository import ANSWERED, CHOOSING, CLOSED, OPEN
from storage.workshops.models import Workshop, WorkshopEffect, WorkshopRegistration
from storage.workshops.repository import PENDING, REGISTERED, SCHEDULED, SENT, WAITING

BATCH = 5_000
PEOPLE = 20_000
DEPARTMENTS = ("mobilitaet", "digitales", "bildung", "umwelt", "soziales", "wirtschaft")
IDEA_STATUSES = (("new", 0.80), ("accepted", 0.10), ("done", 0.05), ("rejected", 0.05))
QUESTION_STATUSES = ((CLOSED, 0.88), (ANSWERED, 0.06), (OPEN, 0.05), (CHOOSING, 0.01))
WORKSHOP_EFFECTS = (
    ("announce", timedelta(days=7)),
    ("announce", timedelta(days=1)),
    ("remind", timedelta(hours=24)),
    ("remind", timedelta(hours=1)),
)


@dataclass(frozen=True)
class Size:
    ideas: int
    supports_per_idea: float
    workshops: int
    questions: int


def person(rng: random.Random) -> str:
    return f"@citizen{rng.randrange(PEOPLE):05d}:localhost"


def weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def bulk(engine: AsyncEngine, model: type, rows: Iterator[dict[str, Any]]) -> int:
    """Insert rows in batches of executemany, one transaction per batch."""
    count = 0
    for batch in batches(rows):
        async with engine.begin() as connection:
            await connection.execute(insert(model), batch)
        count += len(batch)
    return count


def idea_rows(size: Size, now: datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    for number in range(1, size.ideas + 1):
        created = now - timedelta(minutes=(size.ideas - number) * 7 + 60)
        yield {
            "id": number,
            "number": number,
            "platform": "matrix",
            "author_id": person(rng),
            "author_name": "Bürger*in",
            "room_id": "!forum:localhost",
            "source_event_id": f"$seed-idea-{number}",
            "category": rng.choice((None, *DEPARTMENTS)),
            "text": idea_text(rng),
            "status": weighted(rng, IDEA_STATUSES),
            "published": True,
            "hidden": rng.random() < 0.01,
            "hidden_reason": None,
            "merged_into": None,
            "card_platform": "matrix",
            "card_room_id": "!ideen:localhost",
            "card_event_id": f"$seed-card-{number}",
            "created_at": created,
        }


def support_rows(size: Size, now: datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    """A few popular ideas and a long tail, like real supports."""
    for idea_id in range(1, size.ideas + 1):
        count = min(int(rng.expovariate(1 / size.supports_per_idea)), 500)
        for supporter in rng.sample(range(PEOPLE), count):
            yield {
                "idea_id": idea_id,
                "platform": "matrix",
                "supporter_id": f"@citizen{supporter:05d}:localhost",
                "by_reaction": False,
                "created_at": now - timedelta(days=1),
            }


def history_rows(size: Size, now: datetime) -> Iterator[dict[str, Any]]:
    for idea_id in range(1, size.ideas + 1):
        yield {
            "idea_id": idea_id,
            "status": "new",
            "reason": None,
            "changed_by": None,
            "changed_at": now - timedelta(days=2),
        }


def workshop_rows(size: Size, now: datetime) -> Iterator[dict[str, Any]]:
    """Half of them over the last two years, half in the next two (every ~3.5 hours)."""
    half = size.workshops // 2
    step = timedelta(days=730) / max(half, 1)
    for number in range(1, size.workshops + 1):
        starts = now + (number - half) * step + timedelta(days=8)
        yield {
            "id": number,
            "uid": f"seed-{number}@smartregion-bench",
            "sequence": 0,
            "title": f"Workshop {number}: Digitale Sprechstunde",
            "place": "Rathaus Würzburg",
            "description": None,
            "online_url": None,
            "starts_at": starts,
            "ends_at": starts + timedelta(minutes=90),
            "capacity": 20 if number % 3 else None,
            "status": SCHEDULED,
            "cancel_reason": None,
            "repeat": None,
            "repeat_until": None,
            "slot_at": starts,
            "created_by_platform": "matrix",
            "created_by": "@staff:localhost",
            "created_at": starts - timedelta(days=30),
        }


def effect_rows(size: Size, now: datetime) -> Iterator[dict[str, Any]]:
    for workshop in workshop_rows(size, now):
        for kind, before in WORKSHOP_EFFECTS:
            due = workshop["starts_at"] - before
            yield {
                "workshop_id": workshop["id"],
                "kind": kind,
                "due_at": due,
                "state": PENDING if due > now else SENT,
                "late": False,
                "decided_at": None if due > now else due,
            }


def registration_rows(size: Size, now: datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    for workshop_id in range(1, size.workshops + 1):
        people = rng.sample(range(PEOPLE), rng.randrange(0, 24))
        for position, someone in enumerate(people):
            yield {
                "workshop_id": workshop_id,
                "platform": "matrix",
                "external_id": f"@citizen{someone:05d}:localhost",
                "status": REGISTERED if position < 20 else WAITING,
                "by_reaction": False,
                "created_at": now - timedelta(days=3),
            }


def question_rows(size: Size, now: datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Waiting questions are recent, so their timers lie ahead and nothing fires at start."""
    for number in range(1, size.questions + 1):
        status = weighted(rng, QUESTION_STATUSES)
        waiting = status in (OPEN, CHOOSING)
        created = now - (timedelta(minutes=rng.randrange(1, 60)) if waiting else timedelta(days=3))
        routed = None if status == CHOOSING else created
        yield {
            "id": number,
            "platform": "matrix",
            "asker": person(rng),
            "asker_name": "Bürger*in",
            "public": False,
            "text": f"Frage {number}: Wann wird der Radweg an der Mergentheimer Straße saniert?",
            "origin_room_id": "!forum:localhost",
            "origin_event_id": f"$seed-question-{number}",
            "origin_direct": False,
            "status": status,
            "department_id": None if status == CHOOSING else rng.choice(DEPARTMENTS),
            "candidates": '["mobilitaet", "umwelt"]' if status == CHOOSING else "[]",
            "created_at": created,
            "routed_at": routed,
            "answered_at": created + timedelta(hours=5) if status in (ANSWERED, CLOSED) else None,
            "closed_at": created + timedelta(days=1) if status == CLOSED else None,
            "reminded_at": None,
            "escalated_at": None,
            "expired_at": None,
        }


def route_rows(questions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for question in questions:
        if question["routed_at"] is None:
            continue
        yield {
            "question_id": question["id"],
            "department_id": question["department_id"],
            "platform": "matrix",
            "room_id": "!experten:localhost",
            "thread_root": f"$seed-root-{question['id']}",
            "how": "router",
            "routed_by": None,
            "routed_at": question["routed_at"],
        }


def answer_rows(questions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for question in questions:
        if question["answered_at"] is None:
            continue
        yield {
            "question_id": question["id"],
            "kind": "answer",
            "platform": "matrix",
            "event_id": f"$seed-answer-{question['id']}",
            "author": "@expertin:localhost",
            "author_name": "Expertin",
            "department_id": question["department_id"],
            "text": "Der Ausbau beginnt im Mai.",
            "created_at": question["answered_at"],
        }


async def seed(engine: AsyncEngine, size: Size, seed_value: int = 5) -> dict[str, Any]:
    """Create the schema and fill it; returns row counts and how long it took."""
    started = time.perf_counter()
    await upgrade_schema(engine)
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    counts = {
        "ideas": await bulk(engine, Idea, idea_rows(size, now, rng)),
        "idea_supports": await bulk(engine, IdeaSupport, support_rows(size, now, rng)),
        "idea_status_changes": await bulk(engine, IdeaStatusChange, history_rows(size, now)),
        "workshops": await bulk(engine, Workshop, workshop_rows(size, now)),
        "workshop_effects": await bulk(engine, WorkshopEffect, effect_rows(size, now)),
        "workshop_registrations": await bulk(
            engine, WorkshopRegistration, registration_rows(size, now, rng)
        ),
    }
    questions = list(question_rows(size, now, rng))
    counts["questions"] = await bulk(engine, Question, iter(questions))
    counts["question_routes"] = await bulk(engine, QuestionRoute, route_rows(questions))
    counts["question_messages"] = await bulk(engine, QuestionMessage, answer_rows(questions))
    await bulk(engine, IdeaSequence, iter([{"name": SEQUENCE_NAME, "last_number": size.ideas}]))
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await _advance_sequences(connection)
            await connection.exec_driver_sql("ANALYZE")
    return {"rows": counts, "seconds": time.perf_counter() - started}


async def _advance_sequences(connection: Any) -> None:
    """Explicit ids leave PostgreSQL's serial sequences behind; move them past the rows."""
    for table in ("ideas", "workshops", "questions"):
        await connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
