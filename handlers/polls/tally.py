"""Counting poll votes exactly as Element counts native Matrix polls (MSC3381).

The rules, as ruma's `compile_poll_results` implements them (Element X uses ruma):

* Responses sent after the end (by `origin_server_ts`) are ignored; one sent at the very
  millisecond of the end still counts.
* Only each person's latest response counts, even if it is invalid; of two responses in
  the same millisecond the one that arrived first wins.
* A response naming any answer id the poll does not have is spoiled: that person has no
  vote (their earlier responses do not come back).
* Selections are cut to `max_selections` (in the order sent) and a repeated id counts once.
* An empty selection takes the vote back.
* A redacted response is as if it had never been sent: the person's previous one counts.

Text votes (`!abstimmen`) are responses like any other, so by either path the latest wins.
Pure functions, no I/O: unit tests check every rule without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Ballot:
    """One response as sent: who, which answer ids, when, and whether it was redacted.

    `arrival` orders responses with the same timestamp (the row id in storage).
    """

    voter: str
    answer_ids: tuple[str, ...]
    sent_at: datetime
    arrival: int = 0
    redacted: bool = False


@dataclass(frozen=True)
class Tally:
    """The standing of a poll: votes per answer id (in the poll's order) and turnout."""

    votes: dict[str, int]
    voters: int
    """People whose counted response selects at least one answer."""
    spoiled: int
    """People whose counted response named an answer the poll does not have."""
    counted: dict[str, tuple[str, ...]]
    """Each valid voter's counted selection (for exports), in the order sent."""

    def share(self, answer_id: str) -> float:
        """The part of voters (0..1) who chose this answer; 0 when nobody voted."""
        return self.votes[answer_id] / self.voters if self.voters else 0.0


def count_votes(
    answer_ids: Sequence[str],
    max_selections: int,
    ballots: Iterable[Ballot],
    ended_at: datetime | None = None,
) -> Tally:
    """The tally of `ballots` for a poll with these answers, as of `ended_at` (if ended)."""
    latest: dict[str, Ballot] = {}
    for ballot in sorted(ballots, key=lambda b: (b.sent_at, b.arrival)):
        if ballot.redacted or (ended_at is not None and ballot.sent_at > ended_at):
            continue
        current = latest.get(ballot.voter)
        if current is None or current.sent_at < ballot.sent_at:
            latest[ballot.voter] = ballot
    known = set(answer_ids)
    votes = dict.fromkeys(answer_ids, 0)
    counted: dict[str, tuple[str, ...]] = {}
    spoiled = 0
    for voter, ballot in latest.items():
        selection = valid_selection(ballot.answer_ids, known, max_selections)
        if selection is None:
            spoiled += 1
            continue
        if not selection:
            continue
        counted[voter] = selection
        for answer_id in selection:
            votes[answer_id] += 1
    return Tally(votes=votes, voters=len(counted), spoiled=spoiled, counted=counted)


def valid_selection(
    answer_ids: Sequence[str], known: set[str], max_selections: int
) -> tuple[str, ...] | None:
    """The answers a response counts for; None if it is spoiled by an unknown id."""
    if any(answer_id not in known for answer_id in answer_ids):
        return None
    return tuple(dict.fromkeys(answer_ids[:max_selections]))
