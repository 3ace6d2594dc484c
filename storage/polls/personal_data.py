"""One person's rows in polls: found for the data export, erased on request.

Takes a session and never commits (see storage.uow).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.polls.models import Poll, PollResponse, SecretVoter
from storage.privacy.models import ERASED
from storage.privacy.personal_data import Someone


@dataclass(frozen=True)
class Ballot:
    """One stored response of the person to an open (non-secret) poll."""

    poll: Poll
    response: PollResponse


class PollPersonalData:
    """The votes of `person` and the polls they started."""

    def __init__(self, session: AsyncSession, person: Someone) -> None:
        self._session = session
        self.person = person

    async def ballots(self) -> list[Ballot]:
        """Every stored response to non-secret polls, in the order they arrived."""
        rows = await self._session.execute(
            select(Poll, PollResponse)
            .join(PollResponse, PollResponse.poll_id == Poll.id)
            .where(self.person.owns(PollResponse.platform, PollResponse.voter))
            .order_by(PollResponse.id)
        )
        return [Ballot(poll, response) for poll, response in rows]

    async def secret_polls_voted(self) -> list[Poll]:
        """Secret polls the person voted in; what they chose is not stored anywhere."""
        found = await self._session.scalars(
            select(Poll)
            .join(SecretVoter, SecretVoter.poll_id == Poll.id)
            .where(self.person.owns(SecretVoter.platform, SecretVoter.voter))
            .order_by(Poll.id)
        )
        return list(found)

    async def polls_created(self) -> list[Poll]:
        found = await self._session.scalars(
            select(Poll).where(Poll.created_by == self.person.id).order_by(Poll.id)
        )
        return list(found)

    async def delete_responses(self, poll_id: int) -> None:
        await self._session.execute(
            delete(PollResponse).where(
                PollResponse.poll_id == poll_id,
                self.person.owns(PollResponse.platform, PollResponse.voter),
            )
        )

    async def delete_secret_voter(self, poll_id: int) -> None:
        await self._session.execute(
            delete(SecretVoter).where(
                SecretVoter.poll_id == poll_id,
                self.person.owns(SecretVoter.platform, SecretVoter.voter),
            )
        )

    async def unlink_secret_voter(self, poll_id: int, stand_in: str) -> None:
        """Keep that somebody voted in an open secret poll (the count stays right), not who."""
        await self._session.execute(
            update(SecretVoter)
            .where(
                SecretVoter.poll_id == poll_id,
                self.person.owns(SecretVoter.platform, SecretVoter.voter),
            )
            .values(platform=ERASED, voter=stand_in)
        )

    async def anonymise_polls_created(self) -> None:
        """Polls the person started stay, without their id."""
        await self._session.execute(
            update(Poll).where(Poll.created_by == self.person.id).values(created_by=ERASED)
        )
