"""Poll results for the export files (`!export umfragen`): one row per answer of each poll.

Voters appear as pseudonyms
and only for polls that are not secret; secret polls show their counts once closed and
nothing while open (as `!ergebnis` does), so an export cannot watch a secret tally move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.capabilities import Pseudonymise, Table, exporter
from handlers.polls.lifecycle import load_tally
from storage.polls.repository import PollRepository
from storage.uow import UnitOfWork

COLUMNS = (
    "poll",
    "question",
    "created",
    "closes",
    "closed",
    "secret",
    "hidden",
    "max_selections",
    "answer",
    "answer_text",
    "votes",
    "percent",
    "poll_voters",
    "voter_pseudonyms",
    "platform",
)
"""`platform` is the poll's room's, and so its voters'."""


@exporter("polls", "umfragen", "umfrage", "poll")
async def polls_table(uow: UnitOfWork, pseudonymise: Pseudonymise, now: datetime) -> Table:
    """Every poll's standing (final once closed), oldest poll first."""
    polls = PollRepository(uow.session)
    rows: list[tuple[Any, ...]] = []
    for poll in await polls.everything():
        sealed = poll.secret and poll.closed_at is None
        tally = None if sealed else await load_tally(polls, poll)
        for answer in poll.answers:
            voters = ""
            if tally is not None and not poll.secret:
                chosen_by = (v for v, chosen in tally.counted.items() if answer.answer_id in chosen)
                voters = " ".join(sorted(pseudonymise(poll.platform, v) for v in chosen_by))
            rows.append(
                (
                    poll.id,
                    poll.question,
                    _moment(poll.created_at, now),
                    _moment(poll.closes_at, now),
                    _moment(poll.closed_at, now),
                    poll.secret,
                    poll.hidden,
                    poll.max_selections,
                    answer.position,
                    answer.text,
                    None if tally is None else tally.votes[answer.answer_id],
                    None if tally is None else round(tally.share(answer.answer_id) * 100, 1),
                    None if tally is None else tally.voters,
                    voters,
                    poll.platform,
                )
            )
    return Table(columns=COLUMNS, rows=rows)


def _moment(when: datetime | None, now: datetime) -> str | None:
    return None if when is None else when.astimezone(now.tzinfo).isoformat(timespec="minutes")
