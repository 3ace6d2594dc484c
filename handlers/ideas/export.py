"""Ideas for the export files (`!export ideen`): one row per idea, authors as pseudonyms."""

from __future__ import annotations

from datetime import datetime

from bot.capabilities import Pseudonymise, Table, exporter
from storage.ideas.repository import IdeasRepository
from storage.uow import UnitOfWork


@exporter("ideas", "ideen", "idee", "idea")
async def ideas_table(uow: UnitOfWork, pseudonymise: Pseudonymise, now: datetime) -> Table:
    """Every idea (hidden and merged ones too, marked as such), oldest first."""
    listed = await IdeasRepository(uow.session).everything()
    return Table(
        columns=(
            "number",
            "created",
            "category",
            "status",
            "supports",
            "author_pseudonym",
            "author_platform",
            "text",
            "hidden",
            "merged_into",
        ),
        rows=[
            (
                item.idea.number,
                item.idea.created_at.astimezone(now.tzinfo).isoformat(timespec="seconds"),
                item.idea.category,
                item.idea.status,
                item.supports,
                pseudonymise(item.idea.platform, item.idea.author_id),
                item.idea.platform,
                item.idea.text,
                item.idea.hidden,
                item.idea.merged_into,
            )
            for item in listed
        ],
    )
