"""A poll on an emulated message: created from the create-message body, shaped for REST.

Kept apart from `polls.py` (routes, votes, events) so that `rest.py` can build a poll when a
message is created without importing the routes that import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

MAX_ANSWERS = 10
MAX_QUESTION = 300
MAX_ANSWER = 55
MAX_HOURS = 768
DEFAULT_LAYOUT = 1


class PollBodyError(ValueError):
    """The create-message body's `poll` is not one Discord accepts; the text says why."""


@dataclass
class EmulatedPoll:
    """Question, answers (Discord numbers them 1..n in order), expiry and the votes."""

    question: str
    answers: list[str]
    expiry: datetime
    allow_multiselect: bool
    layout_type: int = DEFAULT_LAYOUT
    votes: dict[int, list[str]] = field(default_factory=dict)
    """Who voted for each answer id, in the order they did."""
    finalized: bool = False

    @classmethod
    def from_body(cls, body: Any, now: datetime) -> EmulatedPoll:
        """The poll of a create-message request, validated as Discord documents it."""
        if not isinstance(body, dict):
            raise PollBodyError("poll must be an object")
        question = _text(body.get("question"))
        if not 1 <= len(question) <= MAX_QUESTION:
            raise PollBodyError(f"poll.question.text must be 1 to {MAX_QUESTION} characters")
        answers = [_text(answer.get("poll_media")) for answer in body.get("answers") or []]
        if not 1 <= len(answers) <= MAX_ANSWERS:
            raise PollBodyError(f"poll.answers must have 1 to {MAX_ANSWERS} answers")
        if any(not 1 <= len(answer) <= MAX_ANSWER for answer in answers):
            raise PollBodyError(f"poll.answers text must be 1 to {MAX_ANSWER} characters")
        hours = body.get("duration", 24)
        if not isinstance(hours, int | float) or hours != int(hours) or not 1 <= hours <= MAX_HOURS:
            raise PollBodyError(f"poll.duration must be a whole number of hours, 1 to {MAX_HOURS}")
        return cls(
            question=question,
            answers=answers,
            expiry=now + timedelta(hours=int(hours)),
            allow_multiselect=bool(body.get("allow_multiselect", False)),
            layout_type=int(body.get("layout_type", DEFAULT_LAYOUT)),
        )

    def answer_counts(self) -> dict[int, int]:
        """Votes per answer id; answers nobody chose are left out, as Discord does."""
        return {answer: len(users) for answer, users in sorted(self.votes.items()) if users}

    def payload(self, viewer: str | None) -> dict[str, Any]:
        """The message's `poll` as REST and the gateway show it to `viewer`."""
        return {
            "question": {"text": self.question},
            "answers": [
                {"answer_id": position, "poll_media": {"text": text}}
                for position, text in enumerate(self.answers, start=1)
            ],
            "expiry": self.expiry.isoformat(),
            "allow_multiselect": self.allow_multiselect,
            "layout_type": self.layout_type,
            "results": {
                "is_finalized": self.finalized,
                "answer_counts": [
                    {"id": answer, "count": count, "me_voted": viewer in self.votes[answer]}
                    for answer, count in self.answer_counts().items()
                ],
            },
        }


def _text(media: Any) -> str:
    text = media.get("text") if isinstance(media, dict) else None
    return text if isinstance(text, str) else ""
