"""Long messages as several short ones, for readers who asked for Leichte Sprache.

Easy-to-read texts work best in small pieces: a wall of text is hard to take in, a few short
messages one after the other are not. A message rendered in such a language carries
`Message.in_parts`; whichever adapter sends it, `ShortMessages` sends its paragraphs (and
long lists in pieces of `MAX_LINES`) as separate messages. Everyone else's messages, and
every message that is edited later (cards, thread roots: always in the deployment's
language), go out unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.messages import Line, Message, plain_text

if TYPE_CHECKING:
    from bot.adapters.base import ChatAdapter

MAX_LINES = 8
"""The most lines one short message holds; a longer paragraph (a list) is cut at lines."""


def pieces(message: Message) -> list[Message]:
    """The messages to send for `message`: itself, or its paragraphs when it is `in_parts`.

    Paragraphs are split at empty lines, a paragraph of more than `MAX_LINES` lines into
    even pieces at line boundaries, never inside a line. Extra people to notify are notified once,
    with the first piece.
    """
    if not message.in_parts:
        return [message]
    paragraphs: list[list[Line]] = [[]]
    for line in message.lines:
        if _blank(line):
            paragraphs.append([])
        else:
            paragraphs[-1].append(line)
    chunks = [chunk for paragraph in paragraphs for chunk in _even_chunks(paragraph)]
    if len(chunks) <= 1:
        return [message]
    return [
        replace(message, lines=tuple(chunk), notify=message.notify if index == 0 else ())
        for index, chunk in enumerate(chunks)
    ]


def _even_chunks(paragraph: list[Line]) -> list[list[Line]]:
    """A paragraph in as few pieces of at most `MAX_LINES` lines as possible, of even size
    (25 lines: 7, 7, 7, 4; not 8, 8, 8, 1)."""
    if not paragraph:
        return []
    count = -(-len(paragraph) // MAX_LINES)
    size = -(-len(paragraph) // count)
    return [paragraph[start : start + size] for start in range(0, len(paragraph), size)]


def _blank(line: Line) -> bool:
    return not "".join(plain_text(span) for span in line).strip()


def piece_key(dedupe_key: str | None, index: int) -> str | None:
    """The first piece keeps the message's key; later ones get their own, derived from it."""
    if dedupe_key is None or index == 0:
        return dedupe_key
    return f"{dedupe_key}/piece{index}"


class ShortMessages:
    """A chat adapter that sends an `in_parts` message as several messages.

    Everything else is the wrapped adapter's; `Services.adapter_for` hands out adapters
    wrapped this way, so every capability's answers, direct messages and notices pass here.
    Each piece replies to what the whole message replied to (so a private answer to a slash
    command stays private in every piece); the first piece's id is returned.
    """

    def __init__(self, adapter: ChatAdapter) -> None:
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    async def send(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        thread_root: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        sent = [
            await self._adapter.send(
                room_id,
                piece,
                reply_to=reply_to,
                thread_root=thread_root,
                dedupe_key=piece_key(dedupe_key, index),
            )
            for index, piece in enumerate(pieces(message))
        ]
        return sent[0]

    async def send_direct(
        self, user_id: str, message: Message, *, dedupe_key: str | None = None
    ) -> str:
        sent = [
            await self._adapter.send_direct(user_id, piece, dedupe_key=piece_key(dedupe_key, index))
            for index, piece in enumerate(pieces(message))
        ]
        return sent[0]
