"""What polls hold about a person, for `!meinedaten`, and how they erase them.

Votes go; a closed poll's published result is frozen first, so it stays as announced. In an
open secret poll only the mark "somebody voted" stays (the anonymous counts include it).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from bot.capabilities import Erased, Erasing, Reading, on_erase, personal_data
from handlers.polls.lifecycle import load_tally
from storage.polls.models import Poll
from storage.polls.personal_data import PollPersonalData
from storage.polls.repository import PollRepository
from storage.privacy.models import ERASED
from storage.privacy.repository import PrivacyRepository
from storage.uow import UnitOfWork


@personal_data("poll_votes", order=20)
async def poll_votes(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "poll": ballot.poll.id,
            "question": ballot.poll.question,
            "answers": _answer_texts(ballot.poll, ballot.response.answer_ids),
            "withdrawn": ballot.response.redacted,
            "sent_at": reading.moment(ballot.response.sent_at),
        }
        for ballot in await PollPersonalData(uow.session, reading.person).ballots()
    ]


@personal_data("secret_polls_voted_in", order=21)
async def secret_polls_voted_in(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {"poll": poll.id, "question": poll.question, "choice": None}
        for poll in await PollPersonalData(uow.session, reading.person).secret_polls_voted()
    ]


@personal_data("polls_started", order=30, staff=True)
async def polls_started(uow: UnitOfWork, reading: Reading) -> list[int]:
    return [poll.id for poll in await PollPersonalData(uow.session, reading.person).polls_created()]


def _answer_texts(poll: Poll, answer_ids_json: str) -> list[str]:
    """The chosen answers as text (ids the poll does not have are kept as sent)."""
    texts = {answer.answer_id: answer.text for answer in poll.answers}
    return [texts.get(answer_id, answer_id) for answer_id in json.loads(answer_ids_json)]


@on_erase(order=20)
async def erase_votes(uow: UnitOfWork, erasing: Erasing) -> Erased:
    """Remove the person's votes; a closed poll's result is frozen first, so it stays."""
    data = PollPersonalData(uow.session, erasing.person)
    polls = PollRepository(uow.session)
    privacy = PrivacyRepository(uow.session)
    removed = 0

    async def freeze_if_closed(poll_id: int) -> bool:
        poll = await polls.get(poll_id)
        if poll is None or poll.closed_at is None:
            return False
        tally = await load_tally(polls, poll)
        await privacy.freeze_tally(poll.id, tally.votes, tally.voters, tally.spoiled, erasing.now)
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
    await data.anonymise_polls_created()
    return Erased(counts={"votes": removed})
