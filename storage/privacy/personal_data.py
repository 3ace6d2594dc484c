"""What every capability's personal-data queries share: the person, the condition that
matches them, the scrubbing of names from text, and the core profile.

Each capability finds and erases its own rows (`storage/<capability>/personal_data.py`) and
registers that with `bot.capabilities`; this module knows no capability's tables. Takes a
session and never commits (see storage.uow).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, LoggedReaction, Person
from storage.privacy.models import ErasureRequest, PrivacyIntroduction


@dataclass(frozen=True)
class Someone:
    """A person as the platform knows them."""

    platform: str
    id: str

    def owns(self, platform: Any, ident: Any) -> ColumnElement[bool]:
        """The condition "this (platform, id) pair of columns is this person"."""
        return (platform == self.platform) & (ident == self.id)


_INSIDE_BEFORE = r"(?<![\w@:.\-])"
_INSIDE_AFTER = r"(?![\w@:\-]|\.\w)"
"""What stands beside a needle inside a longer id or word (a full stop only within one).
A needle counts only where none does: the id `@bernd` of one platform is not found inside
`@bernd:localhost`, somebody's id on another, nor the name "Anna" inside "Annabelle"."""


def scrub(value: Any, needles: Collection[str], name: str) -> Any:
    """`value` with every needle (an id or display name) replaced by `name`, if it is text."""
    if not isinstance(value, str) or not needles:
        return value
    longest_first = sorted(needles, key=len, reverse=True)  # "Anna Maria" before "Anna"
    pattern = "|".join(re.escape(needle) for needle in longest_first)
    whole = re.compile(f"{_INSIDE_BEFORE}(?:{pattern}){_INSIDE_AFTER}")
    return whole.sub(lambda _: name, value)


async def scrub_params(
    session: AsyncSession, model: type[Base], needles: Collection[str], name: str
) -> int:
    """Replace the needles inside the JSON `params` of `model`'s rows (queued and sent
    notices carry display names, e.g. who answered); returns how many rows changed."""
    column = model.params  # type: ignore[attr-defined]
    conditions = [column.contains(json.dumps(needle)[1:-1]) for needle in needles]
    if not conditions:
        return 0
    changed = 0
    for row in await session.scalars(select(model).where(or_(*conditions))):
        params = json.loads(row.params)
        scrubbed = {key: scrub(value, needles, name) for key, value in params.items()}
        if scrubbed != params:
            row.params = json.dumps(scrubbed, ensure_ascii=False, sort_keys=True)
            changed += 1
    await session.flush()
    return changed


async def profile(session: AsyncSession, person: Someone) -> Person | None:
    """The core record of the person (first contact, chosen language)."""
    return await session.scalar(
        select(Person).where(person.owns(Person.platform, Person.external_id))
    )


async def delete_profile(session: AsyncSession, person: Someone) -> None:
    """The person row (language, first contact), their logged reactions and the privacy
    feature's own records."""
    await session.execute(delete(Person).where(person.owns(Person.platform, Person.external_id)))
    await session.execute(
        delete(LoggedReaction).where(person.owns(LoggedReaction.platform, LoggedReaction.person_id))
    )
    for model in (PrivacyIntroduction, ErasureRequest):
        await session.execute(delete(model).where(person.owns(model.platform, model.external_id)))
