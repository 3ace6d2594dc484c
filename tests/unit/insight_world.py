"""Two weeks of participation, seeded straight into the tables, for the staff digest tests.

The reported week is Monday 23 to Sunday 29 November 2026 (Europe/Berlin), the week before
16 to 22 November; the digest is due on Monday 30 November at 08:00. The comments give the
figures the digest must show. Names and ids of people are seeded so that tests can check
none of them leaks into the digest, the CSV or the JSON.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.ideas.models import Idea, IdeaStatusChange, IdeaSupport
from storage.polls.models import Poll, PollResponse, SecretVoter
from storage.questions.models import Question
from storage.workshops.models import Workshop, WorkshopRegistration

TZ = ZoneInfo("Europe/Berlin")
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
AUTHOR, AUTHOR_NAME = "@alice:localhost", "Alice Author"
SUPPORTER, ASKER, ASKER_NAME = "@bob:localhost", "@carol:localhost", "Carol Citizen"
STAFF = "@sabine:localhost"
VOTERS = ("@dan:localhost", "@erin:localhost", "@frank:localhost")
PEOPLE = (AUTHOR, AUTHOR_NAME, SUPPORTER, ASKER, ASKER_NAME, STAFF, *VOTERS, "alice", "carol")

_events = itertools.count(1)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


async def seed(session: AsyncSession) -> None:
    """Ideas 3 (before 2), supports 4 (1), status changes 2 (1); questions: digitales 3
    asked, median 6.0 h (1, 4.0 h), mobilitaet 2 asked, 1 overdue, first answer 338.0 h
    (0 asked, 1 overdue); workshops 1 at 80 % with 2 waiting (2, 25 %); polls 2 with 6
    participants (1 with 1)."""
    ideas = [
        await _idea(session, 1, at(17, 9)),
        await _idea(session, 2, at(20, 9)),
        await _idea(session, 3, at(23, 0, 5)),
        await _idea(session, 4, at(26, 12)),
        await _idea(session, 5, at(29, 23, 30)),  # Sunday night: still the reported week
        await _idea(session, 6, at(30, 0, 10)),  # Monday just after midnight: this week
    ]
    await _support(session, ideas[0], at(18, 10), 1)
    await _support(session, ideas[0], at(24, 10), 2)
    await _support(session, ideas[0], at(25, 10), 3)
    await _support(session, ideas[2], at(24, 11), 1)
    await _support(session, ideas[2], at(28, 11), 2)
    await _status(session, ideas[0], "review", at(19, 15))
    await _status(session, ideas[0], "accepted", at(25, 15))
    await _status(session, ideas[1], "review", at(27, 15))

    await _question(session, "digitales", at(23, 10), timedelta(hours=2))
    await _question(session, "digitales", at(24, 10), timedelta(hours=6))
    await _question(session, "digitales", at(25, 10), timedelta(hours=10))
    await _question(session, "mobilitaet", at(26, 9), None)  # overdue on Sunday 9:00
    await _question(session, "mobilitaet", at(28, 9), None)  # not yet overdue
    await _question(session, "digitales", at(16, 10), timedelta(hours=4))
    # Asked before both weeks, overdue at the end of the earlier one, answered in the later.
    await _question(session, "mobilitaet", at(10, 10), at(24, 12) - at(10, 10))

    await _workshop(session, at(26, 18), 10, registered=8, waiting=2)
    await _workshop(session, at(27, 18), 10, registered=3, waiting=0, status="cancelled")
    await _workshop(session, at(19, 18), 20, registered=5, waiting=0)
    await _workshop(session, at(20, 18), None, registered=3, waiting=0)

    open_poll = await _poll(session, at(27, 12), secret=False)
    await _response(session, open_poll, VOTERS[0], at(25, 9))
    await _response(session, open_poll, VOTERS[0], at(26, 9))
    await _response(session, open_poll, VOTERS[1], at(26, 10))
    await _response(session, open_poll, VOTERS[2], at(26, 11), redacted=True)
    await _response(session, open_poll, "@late:localhost", at(27, 13))  # after the close
    secret_poll = await _poll(session, at(28, 12), secret=True)
    for n in range(4):
        session.add(SecretVoter(poll_id=secret_poll.id, platform="matrix", voter=f"@s{n}:x"))
    earlier_poll = await _poll(session, at(21, 12), secret=False)
    await _response(session, earlier_poll, VOTERS[0], at(20, 9))
    await session.commit()


async def _idea(session: AsyncSession, number: int, created: datetime) -> Idea:
    idea = Idea(
        number=number,
        platform="matrix",
        author_id=AUTHOR,
        author_name=AUTHOR_NAME,
        room_id="!forum:localhost",
        source_event_id=f"$idea{number}",
        category=None,
        text=f"Idee {number}: mehr Sitzbänke am Mainufer",
        status="new",
        published=True,
        hidden=False,
        created_at=created,
    )
    session.add(idea)
    await session.flush()
    session.add(
        IdeaStatusChange(idea_id=idea.id, status="new", changed_by=None, changed_at=created)
    )
    return idea


async def _support(session: AsyncSession, idea: Idea, when: datetime, n: int) -> None:
    session.add(
        IdeaSupport(idea_id=idea.id, platform="matrix", supporter_id=f"{SUPPORTER}{n}",
                    created_at=when)
    )  # fmt: skip
    await session.flush()


async def _status(session: AsyncSession, idea: Idea, status: str, when: datetime) -> None:
    idea.status = status
    session.add(IdeaStatusChange(idea_id=idea.id, status=status, changed_by=STAFF, changed_at=when))


async def _question(
    session: AsyncSession, department: str, asked: datetime, answer_after: timedelta | None
) -> None:
    answered = None if answer_after is None else asked + answer_after
    session.add(
        Question(
            platform="matrix",
            asker=ASKER,
            asker_name=ASKER_NAME,
            public=False,
            text="Wann kommt Glasfaser?",
            origin_room_id="!forum:localhost",
            origin_event_id=f"$q{next(_events)}",
            origin_direct=False,
            status="open" if answered is None else "answered",
            department_id=department,
            candidates="[]",
            created_at=asked,
            routed_at=asked,
            answered_at=answered,
        )
    )


async def _workshop(
    session: AsyncSession,
    starts: datetime,
    capacity: int | None,
    *,
    registered: int,
    waiting: int,
    status: str = "scheduled",
) -> None:
    number = next(_events)
    workshop = Workshop(
        uid=f"w{number}@test",
        sequence=0,
        title=f"Digitaler Stammtisch {number}",
        place="Rathaus",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=capacity,
        status=status,
        slot_at=starts,
        created_by_platform="matrix",
        created_by=STAFF,
        created_at=starts - timedelta(days=14),
    )
    session.add(workshop)
    await session.flush()
    for n in range(registered + waiting):
        session.add(
            WorkshopRegistration(
                workshop_id=workshop.id,
                platform="matrix",
                external_id=f"{ASKER}{n}",
                status="registered" if n < registered else "waiting",
                created_at=starts - timedelta(days=7),
            )
        )


async def _poll(session: AsyncSession, closed: datetime, *, secret: bool) -> Poll:
    poll = Poll(
        platform="matrix",
        room_id="!forum:localhost",
        question="Grillfest?",
        max_selections=1,
        hidden=False,
        secret=secret,
        created_by=STAFF,
        created_at=closed - timedelta(days=3),
        start_event_id=f"$poll{next(_events)}",
        closed_at=closed,
        closed_by="command",
        published_at=closed,
    )
    session.add(poll)
    await session.flush()
    return poll


async def _response(
    session: AsyncSession, poll: Poll, voter: str, sent: datetime, *, redacted: bool = False
) -> None:
    session.add(
        PollResponse(
            poll_id=poll.id,
            platform="matrix",
            event_id=f"$r{next(_events)}",
            voter=voter,
            answer_ids="[]" if redacted else '["a1"]',
            sent_at=sent,
            redacted=redacted,
        )
    )


async def draw_example() -> bytes:
    """The digest chart of the seeded weeks, as the README shows it."""
    from handlers.insight import commands as insight
    from handlers.insight.figures import collect
    from handlers.insight.report import compose
    from tests.integration.question_support import write_departments
    from tests.unit.fakes import make_fake_bot

    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        bot = await make_fake_bot(
            folder,
            (insight,),
            BOT_DEPARTMENTS_FILE=str(write_departments(folder, {}, "!experts:localhost")),
        )
        async with bot.services.unit_of_work() as uow:
            await seed(uow.session)
            report = await collect(uow, DUE.date() - timedelta(weeks=1), 1, TZ, timedelta(hours=72))
        _, chart = await compose(bot.services, "de", report)
    assert chart is not None, "matplotlib is needed: pip install -e '.[charts]'"
    return chart.data


if __name__ == "__main__":
    # python -m tests.unit.insight_world docs/images/digest-chart.png
    Path(sys.argv[1]).write_bytes(asyncio.run(draw_example()))
