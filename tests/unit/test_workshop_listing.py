"""`!workshops` with more upcoming workshops than it lists: the count stays right.

Only the listed workshops are loaded (years of planned workshops would be thousands of rows),
so the total comes from a count; this checks the two agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.workshops import commands as workshops
from storage.workshops.models import Workshop
from tests.unit.fakes import make_fake_bot

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
ALICE = "@alice:localhost"


def workshop(number: int, starts_at: datetime, status: str = "scheduled") -> Workshop:
    return Workshop(
        uid=f"listing-{number}@test",
        sequence=0,
        title=f"Sprechstunde {number}",
        place="Rathaus",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        capacity=None,
        status=status,
        slot_at=starts_at,
        created_by_platform="matrix",
        created_by="@sabine:localhost",
        created_at=NOW,
    )


async def test_more_upcoming_workshops_than_listed(tmp_path: Path):
    bot = await make_fake_bot(tmp_path, (workshops,))
    bot.services.clock.set(NOW)
    async with bot.services.unit_of_work() as uow:
        uow.session.add(workshop(0, NOW - timedelta(days=1)))  # over
        uow.session.add(workshop(99, NOW + timedelta(days=1), status="cancelled"))
        for number in range(1, workshops.MAX_LISTED + 4):
            uow.session.add(workshop(number, NOW + timedelta(days=number)))
        await uow.commit()

    [listing] = await bot.say(ALICE, "!workshops")

    lines = listing.body.splitlines()
    assert lines[0] == f"Kommende Workshops ({workshops.MAX_LISTED + 3}):"
    assert "Sprechstunde 1" in lines[1]
    assert f"Sprechstunde {workshops.MAX_LISTED}" in listing.body
    assert f"Sprechstunde {workshops.MAX_LISTED + 1}" not in listing.body
    assert "… und 3 weitere." in listing.body


async def test_a_short_list_needs_no_count(tmp_path: Path):
    bot = await make_fake_bot(tmp_path, (workshops,))
    bot.services.clock.set(NOW)
    async with bot.services.unit_of_work() as uow:
        uow.session.add(workshop(1, NOW + timedelta(days=2)))
        await uow.commit()

    [listing] = await bot.say(ALICE, "!workshops")

    assert listing.body.splitlines()[0] == "Kommende Workshops (1):"
    assert "weitere" not in listing.body
