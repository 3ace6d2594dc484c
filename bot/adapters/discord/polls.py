"""Discord's native polls as the core's: posting, the votes as neutral responses, catch-up.

Answer ids: Discord numbers a poll's answers 1..n in the order they were sent, and the
core's answer ids are `poll_answer_id(position)`, so Discord's answer n is our answer at
position n; nothing is stored to map them.

Votes: the gateway reports each answer a person adds or takes back
(MESSAGE_POLL_VOTE_ADD / _REMOVE, several per person in a multiple-choice poll), while the
core counts each person's latest response as their whole selection. So the adapter keeps
every poll's selections per person (`PollSelections`), learned from Discord's voter lists
the first time a poll is voted on after the bot started (votes from before a restart are
not lost) and kept current by the events, and reports the person's selection after each
event; taking back the last answer reports an empty selection, which the core counts as a
withdrawn vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import discord

from bot.adapters.discord.identity import PLATFORM
from bot.adapters.discord.reactions import Delivery
from bot.context import Actor, IncomingPollResponse, Place, PollDraft, poll_answer_id

ADD = "raw_poll_vote_add"
DEFAULT_DURATION = timedelta(hours=768)
"""Discord's longest poll: a poll the bot ends itself (no deadline) runs that long."""


def discord_poll(draft: PollDraft) -> discord.Poll:
    """The draft as discord.py's poll; multiple choice where more than one answer counts
    (Discord cannot limit a selection to k of n answers)."""
    poll = discord.Poll(
        question=draft.question,
        duration=draft.duration or DEFAULT_DURATION,
        multiple=draft.max_selections > 1,
    )
    for _, text in draft.answers:
        poll.add_answer(text=text)
    return poll


def answer_ids(selection: Iterable[int]) -> tuple[str, ...]:
    """Discord's answer ids (positions) as the core's, in the poll's order."""
    return tuple(poll_answer_id(answer) for answer in sorted(selection))


def vote_event_id(payload: discord.RawPollVoteActionEvent, kind: str, delivery: Delivery) -> str:
    """A stable id for one vote event: what happened, and which dispatch said so (as for
    reactions, docs/discord.md "Reaction event ids")."""
    what = f"{payload.message_id}:{payload.user_id}:{payload.answer_id}:{kind}"
    return f"poll-vote:{what}@{delivery.session_id}:{delivery.sequence}"


class PollSelections:
    """Per poll message and person, the answers chosen now, as the gateway told them."""

    def __init__(self) -> None:
        self._polls: dict[int, dict[int, set[int]]] = {}

    def knows(self, message_id: int) -> bool:
        return message_id in self._polls

    def learn(self, message_id: int, voters: Mapping[int, set[int]]) -> None:
        """Start from Discord's voter lists (read after the event that made us ask)."""
        self._polls[message_id] = {person: set(chosen) for person, chosen in voters.items()}

    def apply(self, payload: discord.RawPollVoteActionEvent, added: bool) -> frozenset[int]:
        """The person's selection after the event; adding twice or taking back what is not
        there changes nothing (the voter list read first may already hold the event)."""
        chosen = self._polls.setdefault(payload.message_id, {}).setdefault(payload.user_id, set())
        if added:
            chosen.add(payload.answer_id)
        else:
            chosen.discard(payload.answer_id)
        return frozenset(chosen)


def incoming_vote(
    payload: discord.RawPollVoteActionEvent,
    kind: str,
    delivery: Delivery,
    selection: frozenset[int],
    display_name: str,
) -> IncomingPollResponse:
    """The person's whole selection after one vote event; `sent_at` is when it arrived (the
    gateway's events carry no time)."""
    return IncomingPollResponse(
        event_id=vote_event_id(payload, kind, delivery),
        actor=Actor(PLATFORM, str(payload.user_id), display_name),
        place=Place(str(payload.channel_id), is_direct=payload.guild_id is None),
        poll_event_id=str(payload.message_id),
        answer_ids=answer_ids(selection),
        sent_at=discord.utils.utcnow(),
    )


def catch_up_responses(
    message: discord.Message, voters: Mapping[int, set[int]], names: Mapping[int, str]
) -> list[IncomingPollResponse]:
    """Every person's current selection from Discord's voter lists.

    Discord says who chose what, not when, so each is dated at the poll's start: a vote the
    gateway delivered (dated on arrival) is newer and wins, a vote the bot missed while it
    was down still counts. The id names the selection, so reading the same lists again adds
    nothing.
    """
    sent_at: datetime = message.created_at
    place = Place(str(message.channel.id), is_direct=message.guild is None)
    return [
        IncomingPollResponse(
            event_id=f"poll-voters:{message.id}:{person}:{','.join(answer_ids(chosen))}",
            actor=Actor(PLATFORM, str(person), names.get(person, str(person))),
            place=place,
            poll_event_id=str(message.id),
            answer_ids=answer_ids(chosen),
            sent_at=sent_at,
        )
        for person, chosen in voters.items()
    ]
