"""The profile part of a person's data: the core record (first contact, language) and the
privacy feature's own records (the notice shown, a pending erasure request).

Registered like every capability's data; its erasure runs last, after every capability has
used the profile's names and ids.
"""

from __future__ import annotations

from typing import Any

from bot.capabilities import Erased, Erasing, Reading, on_erase, personal_data
from storage.privacy.personal_data import delete_profile, profile
from storage.privacy.repository import PrivacyRepository
from storage.uow import UnitOfWork


@personal_data("profile", order=0)
async def person_profile(uow: UnitOfWork, reading: Reading) -> dict[str, Any]:
    person, moment = reading.person, reading.moment
    known = await profile(uow.session, person)
    privacy = PrivacyRepository(uow.session)
    return {
        "known_since": moment(known.created_at) if known else None,
        "language": known.language if known else None,
        "privacy_notice_shown_at": moment(await privacy.introduced_at(person.platform, person.id)),
        "erasure_requested_at": moment(
            await privacy.erasure_requested_at(person.platform, person.id)
        ),
        "display_names_stored": sorted(reading.names),
    }


@on_erase(order=90)
async def erase_profile(uow: UnitOfWork, erasing: Erasing) -> Erased:
    await delete_profile(uow.session, erasing.person)
    return Erased()
