"""What Discord can do, as the core asks it.

Native polls have Discord's limits: 10 answers of 55 characters, a question of 300, and a
duration of whole hours up to 32 days (768 hours); clients always show the standing, so a
poll with hidden results is a text poll. A question's thread is a
Discord thread (a forum post in a forum channel) whose id is its root message's id.
Reactions are taken back by person, message and emoji (the gateway's MESSAGE_REACTION_REMOVE
carries no id), and Discord drops no repeated send by itself beyond `enforce_nonce`'s few
minutes, so sends are not idempotent by the platform. Workshops are mirrored as the servers'
scheduled events.
"""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.base import PlatformFeatures, PollLimits

MAX_MESSAGE_LENGTH = 2000
"""Discord's limit on a message's `content`, in characters."""

DISCORD_FEATURES = PlatformFeatures(
    polls=PollLimits(
        max_answers=10,
        max_answer_length=55,
        max_question_length=300,
        max_duration=timedelta(hours=768),
        whole_hours_only=True,
        can_hide_results=False,
        limits_selections=False,
    ),
    threads=True,
    reaction_ids=False,
    max_message_length=MAX_MESSAGE_LENGTH,
    idempotent_sends=False,
    calendar_events=True,
)
