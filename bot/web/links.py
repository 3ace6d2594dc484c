"""Addresses of the public pages, for chat messages and the pages themselves.

No web framework here: handlers import it to put a page link into a message, and only when
BOT_WEB_BASE_URL is set (the listening address may be one the public cannot reach).
"""

from __future__ import annotations

from bot.config import Settings
from bot.i18n import EASY_LANGUAGE
from bot.messages import Link, Message, render


def public_base(settings: Settings) -> str | None:
    """The address people open the page at, or None when chat messages carry no links."""
    if settings.web is None or not settings.web.base_url:
        return None
    return settings.web.base_url


def idea_path(number: int) -> str:
    return f"/ideas/{number}"


def poll_path(number: int) -> str:
    return f"/polls/{number}"


def workshop_path(number: int) -> str:
    return f"/workshops/{number}"


def with_page_link(
    message: Message, template: str, base: str | None, path: str, language: str
) -> Message:
    """`message` with a last line linking to its page (`template` holds `{link}`); the
    message unchanged when there is no public address. A reader of Leichte Sprache gets the
    page in it (`?lang=leicht`): no browser setting can ask for it, German and English
    readers get theirs from the browser."""
    if base is None:
        return message
    url = base + path + ("?lang=" + EASY_LANGUAGE if language == EASY_LANGUAGE else "")
    line = render(template, link=Link(url, url))
    return Message(message.lines + line.lines, message.notify, message.private)
