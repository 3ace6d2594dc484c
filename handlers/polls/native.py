"""Whether a poll can be a native poll of the platform, or why it is posted as text.

The platform says what its native polls carry (`adapter.features.polls`); a poll beyond
that (more answers, longer texts, a deadline native polls cannot have, results that must
stay hidden where clients cannot hide them) is posted as the text poll that secret polls
use anyway, voted with `!abstimmen`. The decision is recomputed from the stored poll
wherever it matters (posting, counting, ending), so it needs no column of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.context import Services
from storage.polls.models import Poll

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class TextPollReason:
    """Why a poll cannot be native: a key under `polls.text_poll.reasons` and its params."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def text_poll_reason(services: Services, poll: Poll) -> TextPollReason | None:
    """None if the platform's native polls can carry this poll, else the first reason."""
    limits = services.adapter_for(poll.platform).features.polls
    answers = [answer.text for answer in poll.answers]
    duration = poll.closes_at - poll.created_at if poll.closes_at is not None else None
    if limits is None:
        return TextPollReason("unsupported")
    if len(answers) > limits.max_answers:
        return TextPollReason("answers", {"max": limits.max_answers})
    if len(poll.question) > limits.max_question_length:
        return TextPollReason("question_length", {"max": limits.max_question_length})
    if any(len(answer) > limits.max_answer_length for answer in answers):
        return TextPollReason("answer_length", {"max": limits.max_answer_length})
    if 1 < poll.max_selections < len(answers) and not limits.limits_selections:
        return TextPollReason("selections", {"max": poll.max_selections})
    if poll.hidden and not limits.can_hide_results:
        return TextPollReason("hidden")
    if duration is not None and limits.max_duration is not None and duration > limits.max_duration:
        return TextPollReason("duration", {"days": limits.max_duration.days})
    if duration is not None and limits.whole_hours_only and duration % HOUR:
        return TextPollReason("whole_hours")
    return None


def is_native(services: Services, poll: Poll) -> bool:
    """Whether the stored poll is (to be) posted as the platform's native poll."""
    return not poll.secret and text_poll_reason(services, poll) is None
