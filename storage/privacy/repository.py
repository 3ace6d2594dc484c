"""Queries on the privacy feature's own tables; takes a session and never commits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.privacy.models import (
    ErasureRequest,
    PollFinalTally,
    PrivacyIntroduction,
    RetentionRun,
)
from storage.repositories import _insert


class PrivacyRepository:
    """Introductions, erasure requests, frozen poll results and retention runs."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -------------------------------------------------------------- introductions

    async def introduce(self, platform: str, external_id: str, now: datetime) -> bool:
        """Record that the person was introduced; False if they had been already."""
        result = await self._session.execute(
            _insert(self._session, PrivacyIntroduction)
            .values(platform=platform, external_id=external_id, introduced_at=now)
            .on_conflict_do_nothing(
                index_elements=[PrivacyIntroduction.platform, PrivacyIntroduction.external_id]
            )
            .returning(PrivacyIntroduction.external_id)
        )
        return result.first() is not None

    async def introduced_at(self, platform: str, external_id: str) -> datetime | None:
        return await self._session.scalar(
            select(PrivacyIntroduction.introduced_at).where(
                PrivacyIntroduction.platform == platform,
                PrivacyIntroduction.external_id == external_id,
            )
        )

    # ---------------------------------------------------------- erasure requests

    async def request_erasure(self, platform: str, external_id: str, now: datetime) -> None:
        """Remember an erasure request; asking again restarts the confirmation window."""
        statement = _insert(self._session, ErasureRequest).values(
            platform=platform, external_id=external_id, requested_at=now
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[ErasureRequest.platform, ErasureRequest.external_id],
                set_={"requested_at": statement.excluded.requested_at},
            )
        )

    async def erasure_requested_at(self, platform: str, external_id: str) -> datetime | None:
        return await self._session.scalar(
            select(ErasureRequest.requested_at).where(
                ErasureRequest.platform == platform, ErasureRequest.external_id == external_id
            )
        )

    async def forget_erasure_requests_before(self, cutoff: datetime) -> int:
        """Drop requests nobody confirmed in time; returns how many."""
        result = await self._session.execute(
            delete(ErasureRequest)
            .where(ErasureRequest.requested_at < cutoff)
            .returning(ErasureRequest.external_id)
        )
        return len(result.all())

    # ------------------------------------------------------------ poll results

    async def freeze_tally(
        self, poll_id: int, votes: Mapping[str, int], voters: int, spoiled: int, now: datetime
    ) -> None:
        """Keep a closed poll's result; a result frozen earlier stays as it was."""
        await self._session.execute(
            _insert(self._session, PollFinalTally)
            .values(
                poll_id=poll_id,
                votes=json.dumps(dict(votes)),
                voters=voters,
                spoiled=spoiled,
                frozen_at=now,
            )
            .on_conflict_do_nothing(index_elements=[PollFinalTally.poll_id])
        )

    # ------------------------------------------------------------ retention runs

    async def claim_retention_day(self, day: date, now: datetime) -> RetentionRun | None:
        """The run of `day`, if this call is the first to claim it; None if it ran already."""
        result = await self._session.execute(
            _insert(self._session, RetentionRun)
            .values(day=day, ran_at=now, questions=0, registrations=0)
            .on_conflict_do_nothing(index_elements=[RetentionRun.day])
            .returning(RetentionRun.day)
        )
        if result.first() is None:
            return None
        return await self._session.get(RetentionRun, day)

    async def has_run(self, day: date) -> bool:
        return await self._session.get(RetentionRun, day) is not None
