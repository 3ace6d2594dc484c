"""A neutral message as Discord shows it: Markdown with every piece of user text escaped.

Only the bot's own markup is live: `**bold**`, masked links and `<@id>` mentions. Text
is escaped for Markdown (so `**x**`, `# x`, `> x` or `[a](b)` read as typed) and for
mentions (`@everyone`, `@here`, `<@id>`, `<@&role>` get a zero-width space after the `@`,
so they neither ping nor render as a mention, whatever `allowed_mentions` says). URLs in
text stay unescaped so they remain clickable.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.messages import Bold, Link, Mention, Message, Span, Text, plain_text

LINK_SCHEMES = frozenset({"http", "https"})
"""Schemes a masked link may have; any other link is shown as text."""
ZERO_WIDTH_SPACE = "\u200b"

_URL = r"(?P<url>https?://[^\s<>]+[^\s<>.,:;\"')\]])"
_INLINE = r"[\\*_~`|\[\]<]"
"""Characters that are markup anywhere in a line (emphasis, code, spoilers, links, and `<`
opening mentions, channel links, timestamps and custom emoji)."""
_LINE_START = r"^(?:\s*(?:>{1,3}|#{1,3}|-#?|\+|\d+[.)])(?=\s))"
"""Markup at the start of a line: quotes, headings, subtext, list items."""
_MARKDOWN = re.compile(rf"{_URL}|(?P<inline>{_INLINE})|(?P<start>{_LINE_START})", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here|[!&]?\d{17,20})")


def escape(text: str) -> str:
    """`text` as Discord shows it literally: no Markdown, no mention, links kept."""
    escaped = _MARKDOWN.sub(_escape_match, text)
    return _MENTION.sub(lambda found: f"@{ZERO_WIDTH_SPACE}{found.group(1)}", escaped)


def _escape_match(found: re.Match[str]) -> str:
    if found.group("url"):
        return found.group("url")
    if found.group("inline"):
        return "\\" + found.group("inline")
    start = found.group("start")
    stripped = start.lstrip()
    return start[: len(start) - len(stripped)] + "\\" + stripped


def discord_lines(message: Message) -> list[str]:
    """Each line of the message as Discord Markdown."""
    return ["".join(_span_markdown(span) for span in line) for line in message.lines]


def discord_markdown(message: Message) -> str:
    return "\n".join(discord_lines(message))


def _span_markdown(span: Span) -> str:
    match span:
        case Text(text):
            return escape(text)
        case Bold(text):
            return f"**{escape(text)}**" if text.strip() else escape(text)
        case Link(url, label) if urlsplit(url).scheme in LINK_SCHEMES:
            if label == url:
                return url
            return f"[{escape(label)}]({url.replace(')', '%29')})"
        case Link():
            return escape(plain_text(span))
        case Mention(user_id, _):
            return f"<@{user_id}>"


def split_lines(lines: list[str], limit: int) -> list[str]:
    """The lines packed into messages of at most `limit` characters, split between lines.

    A single line longer than `limit` is cut at its last space before the limit (or hard at
    the limit), never right after an escaping backslash.
    """
    parts: list[str] = []
    current: str | None = None
    for line in lines:
        for piece in _cut(line, limit):
            if current is None:
                current = piece
            elif len(current) + 1 + len(piece) <= limit:
                current = f"{current}\n{piece}"
            else:
                parts.append(current)
                current = piece
    if current is not None:
        parts.append(current)
    return [part for part in parts if part.strip()] or parts[:1]


def _cut(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 1, limit + 1)
        if cut <= 0:
            cut = limit
            backslashes = len(line[:cut]) - len(line[:cut].rstrip("\\"))
            if backslashes % 2:
                cut -= 1  # keep an escaping backslash with the character it escapes
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces
