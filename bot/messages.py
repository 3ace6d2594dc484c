"""Neutral outgoing messages: what the bot says, without any platform's markup.

Handlers build a `Message` from catalog templates (`render`) and join several into one
(`join`); each adapter renders it in its platform's format (Matrix: `bot.adapters.
matrix_render`). Text that comes from people or the database is always a `Text` span, so it
can never become markup on any platform, whatever it contains (`<script>`, `**x**`, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from string import Formatter
from typing import Any


@dataclass(frozen=True)
class Text:
    """Plain text, shown exactly as written: never interpreted as markup."""

    text: str


@dataclass(frozen=True)
class Bold:
    """Emphasised text (catalog templates mark it `**…**`)."""

    text: str


@dataclass(frozen=True)
class Link:
    """A link with a label; the adapter decides how a platform shows it."""

    url: str
    label: str


@dataclass(frozen=True)
class Mention:
    """A person named in the text: the platform's user id and the name people read."""

    user_id: str
    name: str


Span = Text | Bold | Link | Mention
Line = tuple[Span, ...]


def plain_text(span: Span) -> str:
    """How a span reads without formatting (the plain body every client can show)."""
    match span:
        case Text(text) | Bold(text):
            return text
        case Link(url, label):
            return label if label == url else f"{label} ({url})"
        case Mention(_, name):
            return name


@dataclass(frozen=True)
class Message:
    """Lines of spans; an empty line separates paragraphs.

    `notify` names people the message should reach although the text does not mention them
    (e.g. the asker of a question, answered in a shared room).

    `private` marks an answer meant for the asker alone (a refusal, a usage error): where a
    platform can show an answer to one person only (Discord's ephemeral answers to slash
    commands) it does; elsewhere it is an ordinary answer.

    `in_parts` marks a message for a reader who gets long messages as several short ones
    (Leichte Sprache): sending splits it at its paragraphs (`bot.short_messages`).
    """

    lines: tuple[Line, ...]
    notify: tuple[str, ...] = ()
    private: bool = False
    in_parts: bool = False

    @classmethod
    def plain(cls, text: str) -> Message:
        """A message of unformatted text, one line per `\\n`."""
        return cls(tuple(_spans([Text(line)]) for line in text.split("\n")))

    @property
    def body(self) -> str:
        """The message as plain text, lines separated by `\\n`."""
        return "\n".join("".join(plain_text(span) for span in line) for line in self.lines)

    @property
    def mentions(self) -> tuple[str, ...]:
        """Everyone the message should notify: mentioned in the text or in `notify`."""
        named = (span.user_id for line in self.lines for span in line if isinstance(span, Mention))
        return tuple(dict.fromkeys((*named, *self.notify)))

    def notifying(self, user_ids: Iterable[str]) -> Message:
        """The same message, also notifying `user_ids`."""
        return replace(self, notify=tuple(dict.fromkeys((*self.notify, *user_ids))))

    def privately(self) -> Message:
        """The same message, for the asker alone (see `private`)."""
        return replace(self, private=True)

    def to_json(self) -> str:
        """The message as JSON, e.g. to store an answer until it is sent."""
        return json.dumps(
            {
                "lines": [[_span_data(span) for span in line] for line in self.lines],
                "notify": list(self.notify),
                "in_parts": self.in_parts,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, data: str) -> Message:
        """The message `to_json` wrote."""
        decoded = json.loads(data)
        lines = tuple(tuple(_span_from(item) for item in line) for line in decoded["lines"])
        return cls(lines, tuple(decoded["notify"]), in_parts=decoded.get("in_parts", False))


def join(parts: Iterable[Message], *, paragraphs: bool = False) -> Message:
    """Several messages as one: a line each, or (`paragraphs`) an empty line between them.

    A message for a reader who gets it in parts (`in_parts`) also gets an empty line
    between two parts of several lines each, so it is split between statements, never
    inside one; one-line parts (list items, a reason) stay with their neighbours.
    """
    parts = list(parts)
    in_parts = any(part.in_parts for part in parts)
    lines: list[Line] = []
    notify: list[str] = []
    for index, part in enumerate(parts):
        apart = in_parts and len(parts[index - 1].lines) > 1 and len(part.lines) > 1
        if index and (paragraphs or apart):
            lines.append(())
        lines.extend(part.lines)
        notify.extend(part.notify)
    return Message(tuple(lines), tuple(dict.fromkeys(notify)), in_parts=in_parts)


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_FORMATTER = Formatter()


def render(template: str, **params: Any) -> Message:
    """A catalog template filled in: `**…**` is bold, `\\n` a line break, `{name}` a value.

    Values are always inserted as data (a `Text`, or the span passed, e.g. a `Mention`), so
    user text such as `<script>` or `**x**` shows as written on every platform.
    """
    lines: list[list[Span]] = []
    for template_line in template.split("\n"):
        lines.append([])
        position = 0
        for match in _BOLD.finditer(template_line):
            _fill(lines, template_line[position : match.start()], params, bold=False)
            _fill(lines, match.group(1), params, bold=True)
            position = match.end()
        _fill(lines, template_line[position:], params, bold=False)
    return Message(tuple(_spans(line) for line in lines))


def _fill(lines: list[list[Span]], segment: str, params: dict[str, Any], *, bold: bool) -> None:
    """Append a template segment with its fields filled; values with `\\n` start new lines."""
    for literal, field, spec, conversion in _FORMATTER.parse(segment):
        pieces: list[Span | str] = [literal]
        if field is not None:
            value = _FORMATTER.get_field(field, (), params)[0]
            if isinstance(value, (Text, Link, Mention, Bold)) and not spec and not conversion:
                pieces.append(Bold(plain_text(value)) if bold else value)
            else:
                pieces.append(
                    _FORMATTER.format_field(_FORMATTER.convert_field(value, conversion), spec or "")
                )
        for piece in pieces:
            if not isinstance(piece, str):
                lines[-1].append(piece)
                continue
            for index, text in enumerate(piece.split("\n")):
                if index:
                    lines.append([])
                lines[-1].append(Bold(text) if bold else Text(text))


def _spans(spans: Sequence[Span]) -> Line:
    """A line without empty text and with neighbouring text of one kind merged."""
    merged: list[Span] = []
    for span in spans:
        if isinstance(span, (Text, Bold)) and not span.text:
            continue
        previous = merged[-1] if merged else None
        if isinstance(span, Text) and isinstance(previous, Text):
            merged[-1] = Text(previous.text + span.text)
        elif isinstance(span, Bold) and isinstance(previous, Bold):
            merged[-1] = Bold(previous.text + span.text)
        else:
            merged.append(span)
    return tuple(merged)


def _span_data(span: Span) -> dict[str, str]:
    match span:
        case Text(text):
            return {"text": text}
        case Bold(text):
            return {"bold": text}
        case Link(url, label):
            return {"link": url, "label": label}
        case Mention(user_id, name):
            return {"mention": user_id, "name": name}


def _span_from(data: dict[str, str]) -> Span:
    if "text" in data:
        return Text(data["text"])
    if "bold" in data:
        return Bold(data["bold"])
    if "link" in data:
        return Link(data["link"], data["label"])
    return Mention(data["mention"], data["name"])
