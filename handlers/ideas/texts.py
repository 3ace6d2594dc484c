"""How ideas read in chat: labels, excerpts, times and the card. User text only as params."""

from __future__ import annotations

from datetime import datetime

from bot.context import Message, Services
from storage.ideas.models import Idea

EXCERPT_LENGTH = 80


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The idea's text on one line, cut at a word boundary with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut + "…"


def category_label(services: Services, language: str, category: str | None) -> str:
    """The department's name, or "no category" in the reader's language."""
    department = services.settings.department(category) if category else None
    if department is None:
        return services.catalog.text(language, "ideas.no_category")
    return department.name


def status_label(services: Services, language: str, status: str) -> str:
    return services.catalog.text(language, f"ideas.statuses.{status}")


def format_time(services: Services, language: str, when: datetime) -> str:
    """A date and time in the bot's zone, written the way the reader's language does."""
    local = when.astimezone(services.clock.tz)
    return local.strftime("%d.%m.%Y %H:%M" if language == "de" else "%Y-%m-%d %H:%M")


def command_text(services: Services, language: str, name: str) -> str:
    """A command as the reader would type it, e.g. `!unterstuetzen` or `!support`."""
    spec = services.commands.find(name)
    typed = spec.name_in(language) if spec is not None else name
    return f"{services.settings.command_prefix}{typed}"


def card_message(services: Services, idea: Idea, supports: int) -> Message:
    """The card in the ideas room, in the deployment's language."""
    language = services.settings.language
    if idea.merged_into is not None:
        return services.render(
            language, "ideas.card_merged", number=idea.number, original=idea.merged_into
        )
    if idea.hidden:
        return services.render(language, "ideas.card_hidden", number=idea.number)
    return services.render(
        language,
        "ideas.card",
        number=idea.number,
        category=category_label(services, language, idea.category),
        text=idea.text,
        author=idea.author_name,
        supports=supports,
        status=status_label(services, language, idea.status),
        command=command_text(services, language, "unterstuetzen"),
    )


def join_messages(*parts: Message) -> Message:
    """One message from several rendered lines (each already escaped)."""
    return Message(
        body="\n".join(part.body for part in parts),
        html="<br>".join(part.html for part in parts),
    )
