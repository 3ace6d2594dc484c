"""What Matrix (with Element as the reference client) can do, as the core asks it.

The poll limits are Element's: its poll dialog takes 20 answers and 340 characters for
the question and each answer. MSC3381 polls have no deadline of their own (the bot ends
them), and the 365 days are the longest deadline the bot accepts. "Undisclosed" polls hide
the standing until the end.
"""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.base import PlatformFeatures, PollLimits

MATRIX_FEATURES = PlatformFeatures(
    polls=PollLimits(
        max_answers=20,
        max_answer_length=340,
        max_question_length=340,
        max_duration=timedelta(days=365),
        whole_hours_only=False,
        can_hide_results=True,
        limits_selections=True,
    ),
    threads=True,
    reaction_ids=True,  # a reaction is taken back by redacting its event
    # An event may be 64 KiB of JSON and carries the text twice (body and HTML).
    max_message_length=16_000,
    idempotent_sends=True,  # the homeserver drops a resend with the same transaction id
)
