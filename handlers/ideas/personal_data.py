"""What the ideas box holds about a person, for `!meinedaten`, and how it erases them.

Ideas others built on (supported, or merged into) stay, anonymised; the others go with
their history. Supports and reports go; status changes made as staff stay without the id.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.capabilities import Edit, Erased, Erasing, Reading, on_erase, personal_data, stored_names
from bot.context import Services
from handlers.ideas.effects import refresh_card
from handlers.ideas.state import ideas_state
from storage.ideas.personal_data import IdeaPersonalData
from storage.privacy.personal_data import Someone
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)


@stored_names
async def idea_author_names(uow: UnitOfWork, person: Someone) -> set[str]:
    return await IdeaPersonalData(uow.session, person).names()


@personal_data("ideas", order=10)
async def ideas_written(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "number": idea.number,
            "text": idea.text,
            "category": idea.category,
            "status": idea.status,
            "published": idea.published,
            "hidden": idea.hidden,
            "merged_into": idea.merged_into,
            "supports": supports,
            "created_at": reading.moment(idea.created_at),
        }
        for idea, supports in await IdeaPersonalData(uow.session, reading.person).ideas()
    ]


@personal_data("idea_supports", order=11)
async def ideas_supported(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "idea": number,
            "by_reaction": support.by_reaction,
            "created_at": reading.moment(support.created_at),
        }
        for support, number in await IdeaPersonalData(uow.session, reading.person).supports()
    ]


@personal_data("idea_reports", order=12)
async def ideas_reported(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    return [
        {
            "idea": number,
            "reason": report.reason,
            "resolved": report.resolved,
            "created_at": reading.moment(report.created_at),
        }
        for report, number in await IdeaPersonalData(uow.session, reading.person).reports()
    ]


@personal_data("idea_status_changes", order=20, staff=True)
async def idea_status_changes(uow: UnitOfWork, reading: Reading) -> list[dict[str, Any]]:
    data = IdeaPersonalData(uow.session, reading.person)
    return [
        {"idea": number, "status": change.status, "at": reading.moment(change.changed_at)}
        for change, number in await data.status_changes_made()
    ]


@on_erase(order=10)
async def erase_ideas(uow: UnitOfWork, erasing: Erasing) -> Erased:
    """Withdraw supports and reports, then keep (anonymised) or delete each idea."""
    data = IdeaPersonalData(uow.session, erasing.person)
    supported = await data.delete_supports_and_reports()
    keep, drop, edits = [], [], []
    for idea, supports in await data.ideas():
        if await data.is_built_on(idea, supports):
            keep.append(idea)
            continue
        drop.append(idea)
        if idea.card_platform and idea.card_room_id and idea.card_event_id:
            params: dict[str, object] = {"number": idea.number}
            card = (idea.card_platform, idea.card_room_id, idea.card_event_id)
            edits.append(Edit(*card, "privacy.idea_card_erased", params))
    await data.anonymise_ideas(keep, erasing.label)
    await data.delete_ideas(drop)
    await data.anonymise_status_changes()
    deleted = [idea.number for idea in drop]
    changed_cards = sorted({idea.number for idea in keep} | set(supported))

    async def follow_up(services: Services) -> None:
        """Forget deleted ideas in the similarity index; show new counts on the cards."""
        index = (await ideas_state(services)).index
        for number in deleted:
            index.remove(number)
        for number in changed_cards:
            try:
                await refresh_card(services, number)
            except Exception:
                logger.exception("Could not refresh the card of idea #%d after an erasure", number)

    return Erased(
        counts={"ideas_deleted": len(drop), "ideas_kept": len(keep)},
        edits=edits,
        follow_up=follow_up,
    )
