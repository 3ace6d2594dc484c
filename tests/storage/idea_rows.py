"""Idea rows as the ideas box stores them, for storage tests of the trigger-kept counters."""

from datetime import UTC, datetime

from storage.ideas.models import Idea

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def new_idea(
    number: int, *, category: str | None = None, published: bool = True, author: str | None = None
) -> Idea:
    """A new, visible (unless not `published`) idea `number` by `author` (default: its own)."""
    return Idea(
        number=number,
        platform="matrix",
        author_id=author or f"@author{number}:localhost",
        author_name=f"Author {number}",
        room_id="!forum:localhost",
        source_event_id=f"$idea{number}",
        category=category,
        text=f"Idee Nummer {number} für mehr Bänke",
        status="new",
        published=published,
        hidden=False,
        hidden_reason=None,
        merged_into=None,
        card_room_id=None,
        card_event_id=None,
        created_at=NOW,
    )
