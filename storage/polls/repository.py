"""Queries of quick polls. Takes an AsyncSession and never commits (see storage.uow)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.matching import SUGGESTIONS, typed_matches
from storage.polls.models import Poll, PollAnswer, PollResponse, SecretTally, SecretVoter
from storage.privacy.models import PollFinalTally
from storage.repositories import _insert


@dataclass(frozen=True)
class NewResponse:
    """A response to store as sent (see `PollRepository.add_responses`)."""

    poll_id: int
    platform: str
    event_id: str
    voter: str
    answer_ids: Sequence[str]
    sent_at: datetime


class PollRepository:
    """Polls, their responses and secret ballots."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        platform: str,
        room_id: str,
        question: str,
        answers: Sequence[tuple[str, str]],
        max_selections: int,
        hidden: bool,
        secret: bool,
        created_by: str,
        created_at: datetime,
        closes_at: datetime | None,
    ) -> Poll:
        """Store a new poll with its answers (id, text); secret polls get zeroed counters."""
        poll = Poll(
            platform=platform,
            room_id=room_id,
            question=question,
            max_selections=max_selections,
            hidden=hidden,
            secret=secret,
            created_by=created_by,
            created_at=created_at,
            closes_at=closes_at,
            answers=[
                PollAnswer(position=position, answer_id=answer_id, text=text)
                for position, (answer_id, text) in enumerate(answers, start=1)
            ],
        )
        self._session.add(poll)
        await self._session.flush()
        if secret:
            self._session.add_all(
                SecretTally(poll_id=poll.id, position=position, votes=0)
                for position in range(1, len(answers) + 1)
            )
            await self._session.flush()
        return poll

    async def get(self, number: int) -> Poll | None:
        """The poll with this number and its answers, always read fresh from the database.

        In one statement: the answers' own SELECT (the relationship's "selectin") was a
        second statement before every `!abstimmen`'s answer (`bench.bot_steps`)."""
        result = await self._session.execute(
            select(Poll)
            .options(joinedload(Poll.answers))
            .where(Poll.id == number)
            .execution_options(populate_existing=True)
        )
        return result.unique().scalar_one_or_none()

    async def by_start_event(self, platform: str, event_id: str) -> Poll | None:
        """The poll whose native start event (or announcement) is `event_id`."""
        return await self._session.scalar(
            select(Poll).where(Poll.platform == platform, Poll.start_event_id == event_id)
        )

    async def everything(self) -> list[Poll]:
        """Every poll, oldest first (for exports)."""
        return list(await self._session.scalars(select(Poll).order_by(Poll.id)))

    async def posted(self) -> list[Poll]:
        """Polls that were posted in a room, newest first (the public page filters rooms)."""
        return list(
            await self._session.scalars(
                select(Poll).where(Poll.start_event_id.is_not(None)).order_by(Poll.id.desc())
            )
        )

    async def open_in_room(self, platform: str, room_id: str) -> list[Poll]:
        """Open polls of a room, oldest first."""
        result = await self._session.scalars(
            select(Poll)
            .where(Poll.platform == platform, Poll.room_id == room_id, Poll.closed_at.is_(None))
            .order_by(Poll.id)
        )
        return list(result)

    async def matching_open_in_room(
        self, platform: str, room_id: str, typed: str
    ) -> list[tuple[int, str]]:
        """Number and question of the open polls of a room whose number starts with or
        question contains `typed`, newest first (at most `SUGGESTIONS`)."""
        rows = await self._session.execute(
            select(Poll.id, Poll.question)
            .where(
                Poll.platform == platform,
                Poll.room_id == room_id,
                Poll.closed_at.is_(None),
                typed_matches(Poll.id, Poll.question, typed),
            )
            .order_by(Poll.id.desc())
            .limit(SUGGESTIONS)
        )
        return [(number, question) for number, question in rows]

    async def unfinished(self) -> list[Poll]:
        """Polls with work left after a restart: not posted, not closed or not published."""
        result = await self._session.scalars(
            select(Poll).where(Poll.published_at.is_(None)).order_by(Poll.id)
        )
        return list(result)

    async def set_start_event(self, poll_id: int, event_id: str) -> None:
        await self._session.execute(
            update(Poll).where(Poll.id == poll_id).values(start_event_id=event_id)
        )

    async def close(
        self, poll_id: int, closed_at: datetime, closed_by: str, end_event_id: str | None = None
    ) -> bool:
        """Close the poll unless it already is; False if another close came first."""
        result = await self._session.execute(
            update(Poll)
            .where(Poll.id == poll_id, Poll.closed_at.is_(None))
            .values(closed_at=closed_at, closed_by=closed_by, end_event_id=end_event_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_published(self, poll_id: int, end_event_id: str | None, when: datetime) -> None:
        """Record that the end event (if any) and the results message were sent."""
        values: dict[str, object] = {"published_at": when}
        if end_event_id is not None:
            values["end_event_id"] = end_event_id
        await self._session.execute(update(Poll).where(Poll.id == poll_id).values(values))

    # ------------------------------------------------------------------ responses

    async def add_response(
        self,
        *,
        poll_id: int,
        platform: str,
        event_id: str,
        voter: str,
        answer_ids: Sequence[str],
        sent_at: datetime,
    ) -> bool:
        """Store a response as sent; False if this event was stored before."""
        result = await self._session.execute(
            _insert(self._session, PollResponse)
            .values(
                poll_id=poll_id,
                platform=platform,
                event_id=event_id,
                voter=voter,
                answer_ids=json.dumps(list(answer_ids)),
                sent_at=sent_at,
                redacted=False,
            )
            .on_conflict_do_nothing(index_elements=[PollResponse.platform, PollResponse.event_id])
            .returning(PollResponse.id)
        )
        return result.first() is not None

    async def add_responses(self, responses: Sequence[NewResponse]) -> None:
        """Store responses as sent, in order, in few statements; repeats are skipped."""
        if not responses:
            return
        rows = [
            {
                "poll_id": response.poll_id,
                "platform": response.platform,
                "event_id": response.event_id,
                "voter": response.voter,
                "answer_ids": json.dumps(list(response.answer_ids)),
                "sent_at": response.sent_at,
                "redacted": False,
            }
            for response in responses
        ]
        # executemany: SQLAlchemy batches the rows into few cached multi-row statements.
        await self._session.execute(
            _insert(self._session, PollResponse.__table__).on_conflict_do_nothing(
                index_elements=["platform", "event_id"]
            ),
            rows,
        )

    async def redact_response(self, platform: str, event_id: str) -> int | None:
        """Forget what a redacted response said; the poll's number, or None if unknown."""
        result = await self._session.execute(
            update(PollResponse)
            .where(PollResponse.platform == platform, PollResponse.event_id == event_id)
            .values(redacted=True, answer_ids="[]")
            .returning(PollResponse.poll_id)
        )
        return result.scalar()

    async def responses(self, poll_id: int) -> list[PollResponse]:
        """Every stored response of the poll in arrival order."""
        result = await self._session.scalars(
            select(PollResponse).where(PollResponse.poll_id == poll_id).order_by(PollResponse.id)
        )
        return list(result)

    # ------------------------------------------------------------- secret ballots

    async def record_secret_vote(
        self, poll_id: int, platform: str, voter: str, positions: Sequence[int]
    ) -> bool:
        """Count a secret vote once per person; False if they have voted already.

        Every counter of the poll is rewritten, chosen or not, so even PostgreSQL's row
        versions (`xmin`) show only that the poll got a vote, not which answer did.
        """
        inserted = await self._session.execute(
            _insert(self._session, SecretVoter)
            .values(poll_id=poll_id, platform=platform, voter=voter)
            .on_conflict_do_nothing(
                index_elements=[SecretVoter.poll_id, SecretVoter.platform, SecretVoter.voter]
            )
            .returning(SecretVoter.poll_id)
        )
        if inserted.first() is None:
            return False
        chosen = sorted(set(positions))
        await self._session.execute(
            update(SecretTally)
            .where(SecretTally.poll_id == poll_id)
            .values(votes=SecretTally.votes + case((SecretTally.position.in_(chosen), 1), else_=0))
        )
        return True

    async def final_tally(self, poll_id: int) -> PollFinalTally | None:
        """The result frozen before a voter erased their data (see storage.privacy.models)."""
        return await self._session.get(PollFinalTally, poll_id)

    async def has_voted_secretly(self, poll_id: int, platform: str, voter: str) -> bool:
        found = await self._session.scalar(
            select(SecretVoter.poll_id).where(
                SecretVoter.poll_id == poll_id,
                SecretVoter.platform == platform,
                SecretVoter.voter == voter,
            )
        )
        return found is not None

    async def secret_tally(self, poll_id: int) -> tuple[dict[int, int], int]:
        """Votes per answer position, and how many people voted."""
        rows = await self._session.execute(
            select(SecretTally.position, SecretTally.votes).where(SecretTally.poll_id == poll_id)
        )
        voters = await self._session.scalar(
            select(func.count()).select_from(SecretVoter).where(SecretVoter.poll_id == poll_id)
        )
        return {position: votes for position, votes in rows}, int(voters or 0)
