"""Matrix event JSON in, neutral incoming events out; and the JSON of what the bot sends.

Works on the raw event (`event.source`), not nio's classes: nio delivers polls as
`UnknownEvent`, rejects some valid room-v12 events, and the raw form is what tests and
other clients see. Polls are read in both the unstable (MSC3381) and stable forms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.adapters.matrix.identity import PLATFORM
from bot.adapters.matrix.render import matrix_html, matrix_text_content
from bot.context import (
    Actor,
    IncomingEvent,
    IncomingMessage,
    IncomingPollEnd,
    IncomingPollResponse,
    IncomingReaction,
    IncomingRedaction,
    Place,
    PollDraft,
)
from bot.messages import Message

POLL_START_TYPES = ("org.matrix.msc3381.poll.start", "m.poll.start")
POLL_RESPONSE_TYPES = ("org.matrix.msc3381.poll.response", "m.poll.response")
POLL_END_TYPES = ("org.matrix.msc3381.poll.end", "m.poll.end")
UNSTABLE_START, UNSTABLE_RESPONSE, UNSTABLE_END = (
    POLL_START_TYPES[0],
    POLL_RESPONSE_TYPES[0],
    POLL_END_TYPES[0],
)
UNSTABLE_TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"


def parse_event(source: dict[str, Any], place: Place, display_name: str) -> IncomingEvent | None:
    """The neutral form of a timeline event, or None for events the bot does not act on."""
    event_type = source.get("type")
    content = source.get("content") or {}
    event_id, sender = source.get("event_id"), source.get("sender")
    if not (isinstance(content, dict) and isinstance(event_id, str) and isinstance(sender, str)):
        return None
    actor = Actor(PLATFORM, sender, display_name)
    sent_at = datetime.fromtimestamp(int(source.get("origin_server_ts", 0)) / 1000, tz=UTC)
    relates = content.get("m.relates_to") if isinstance(content.get("m.relates_to"), dict) else {}
    if event_type == "m.room.message":
        return _message(event_id, actor, place, content, relates, sent_at)
    if event_type == "m.reaction" and relates.get("rel_type") == "m.annotation":
        target, key = relates.get("event_id"), relates.get("key")
        if isinstance(target, str) and isinstance(key, str):
            return IncomingReaction(event_id, actor, place, target, key, sent_at)
        return None
    if event_type == "m.room.redaction":
        redacts = source.get("redacts") or content.get("redacts")
        if isinstance(redacts, str):
            return IncomingRedaction(event_id, actor, place, redacts, sent_at)
        return None
    poll_id = relates.get("event_id") if relates.get("rel_type") == "m.reference" else None
    if not isinstance(poll_id, str):
        return None
    if event_type in POLL_RESPONSE_TYPES:
        body = content.get(UNSTABLE_RESPONSE) or content.get("m.selections") or {}
        answers = body.get("answers") if isinstance(body, dict) else body
        if not isinstance(answers, list):
            answers = []  # malformed: counts as a vote for nothing, as MSC3381 says
        ids = tuple(a for a in answers if isinstance(a, str))
        if len(ids) != len(answers):
            ids = ("\x00invalid",)  # a non-text id spoils the vote
        return IncomingPollResponse(event_id, actor, place, poll_id, ids, sent_at)
    if event_type in POLL_END_TYPES:
        return IncomingPollEnd(event_id, actor, place, poll_id, sent_at)
    return None


def _message(
    event_id: str,
    actor: Actor,
    place: Place,
    content: dict[str, Any],
    relates: dict[str, Any],
    sent_at: datetime,
) -> IncomingMessage | None:
    if content.get("msgtype") != "m.text" or not isinstance(content.get("body"), str):
        return None  # notices are other bots talking; edits are not new commands
    if relates.get("rel_type") == "m.replace":
        return None
    in_reply_to = relates.get("m.in_reply_to")
    reply_to = in_reply_to.get("event_id") if isinstance(in_reply_to, dict) else None
    thread_root = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
    return IncomingMessage(
        event_id=event_id,
        actor=actor,
        place=place,
        text=_strip_reply_fallback(content["body"]) if reply_to else content["body"],
        sent_at=sent_at,
        reply_to=reply_to if isinstance(reply_to, str) else None,
        thread_root=thread_root if isinstance(thread_root, str) else None,
    )


def _strip_reply_fallback(body: str) -> str:
    """Older clients quote the message they reply to as `> ` lines first; drop them."""
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def notice_content(
    message: Message, reply_to: str | None = None, thread_root: str | None = None
) -> dict[str, Any]:
    """An `m.notice` with escaped HTML, explicit mentions and the relation asked for."""
    content: dict[str, Any] = {"msgtype": "m.notice", **matrix_text_content(message)}
    if thread_root:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread_root,
            "is_falling_back": reply_to is None,
            "m.in_reply_to": {"event_id": reply_to or thread_root},
        }
    elif reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def edit_content(event_id: str, message: Message) -> dict[str, Any]:
    """An `m.replace` edit; clients show `m.new_content`, others the `* ` fallback."""
    new_content = notice_content(message)
    return {
        **new_content,
        "body": f"* {message.body}",
        "formatted_body": f"* {matrix_html(message)}",
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }


def poll_start_content(poll: PollDraft) -> dict[str, Any]:
    """The unstable MSC3381 start event that Element and Element X send and render."""
    return {
        UNSTABLE_START: {
            "question": {UNSTABLE_TEXT: poll.question},
            "kind": DISCLOSED if poll.disclosed else UNDISCLOSED,
            "max_selections": poll.max_selections,
            "answers": [{"id": answer_id, UNSTABLE_TEXT: text} for answer_id, text in poll.answers],
        },
        UNSTABLE_TEXT: poll.fallback.body,
    }


def poll_end_content(poll_event_id: str, results: Message) -> dict[str, Any]:
    return {
        UNSTABLE_END: {},
        UNSTABLE_TEXT: results.body,
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll_event_id},
    }
