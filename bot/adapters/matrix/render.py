"""A neutral message as Matrix shows it: plain `body`, sanitised HTML and `m.mentions`."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote, urlsplit

from bot.messages import Bold, Link, Mention, Message, Span, Text, plain_text

HTML_FORMAT = "org.matrix.custom.html"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes a link may have; anything else (`javascript:`) is shown as text."""


def matrix_html(message: Message) -> str:
    """The `formatted_body`: `<strong>`, `<a>` (links, mention pills) and `<br>` are ours;
    all text is escaped."""
    return "<br>".join("".join(_span_html(span) for span in line) for line in message.lines)


def matrix_text_content(message: Message) -> dict[str, Any]:
    """The text fields of an event: `body`, `formatted_body` and who is pinged.

    `m.mentions` is always set, so only the people the message names are notified, never
    someone whose name merely appears in user text.
    """
    mentions = message.mentions
    return {
        "body": message.body,
        "format": HTML_FORMAT,
        "formatted_body": matrix_html(message),
        "m.mentions": {"user_ids": list(mentions)} if mentions else {},
    }


def _span_html(span: Span) -> str:
    match span:
        case Text(text):
            return html.escape(text, quote=False)
        case Bold(text):
            return f"<strong>{html.escape(text, quote=False)}</strong>"
        case Link(url, label) if urlsplit(url).scheme in LINK_SCHEMES:
            return f'<a href="{html.escape(url)}">{html.escape(label, quote=False)}</a>'
        case Link():
            return html.escape(plain_text(span), quote=False)
        case Mention(user_id, name):
            pill = f"https://matrix.to/#/{quote(user_id, safe='@:')}"
            return f'<a href="{html.escape(pill)}">{html.escape(name, quote=False)}</a>'
