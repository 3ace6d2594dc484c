"""How ideas read in chat: labels, commands and the card. User text only as params."""

from __future__ import annotations

from bot.context import Services
from bot.messages import Message
from bot.web.links import idea_path, public_base, with_page_link
from storage.ideas.models import Idea


def category_label(services: Services, language: str, category: str | None) -> str:
    """The department's name, or "no category" in the reader's language."""
    department = services.settings.department(category) if category else None
    if department is None:
        return services.catalog.text(language, "ideas.no_category")
    return department.name


def status_label(services: Services, language: str, status: str) -> str:
    return services.catalog.text(language, f"ideas.statuses.{status}")


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
    card = services.render(
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
    return idea_link(services, language, card, idea)


def idea_link(services: Services, language: str, message: Message, idea: Idea) -> Message:
    """`message` with the idea's public page linked, where the page shows the idea."""
    if not idea.published or idea.hidden:
        return message
    template = services.catalog.raw(language, "web.chat.idea_link")
    return with_page_link(
        message, template, public_base(services.settings), idea_path(idea.number), language
    )
