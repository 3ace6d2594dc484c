"""Blocking abusers, rate limits, and that every staff command refuses citizens."""

from datetime import timedelta

import pytest

from bot.app import HANDLER_MODULES
from bot.context import Role
from bot.router import CommandRegistry
from tests.unit.fakes import make_fake_bot

STAFF = "@sabine:localhost"
CITIZEN = "@bernd:localhost"


@pytest.fixture
async def bot(tmp_path):
    return await make_fake_bot(tmp_path, HANDLER_MODULES, BOT_STAFF_USERS=STAFF)


async def test_blocked_person_is_ignored_until_unblocked(bot):
    [blocked] = await bot.say(STAFF, f"!sperren {CITIZEN} Spam im Forum")
    assert "gesperrt" in blocked.body
    assert await bot.say(CITIZEN, "!hilfe") == []
    [lifted] = await bot.say(STAFF, f"!entsperren {CITIZEN}")
    assert "aufgehoben" in lifted.body
    [helped] = await bot.say(CITIZEN, "!hilfe")
    assert "Das kann ich für dich tun" in helped.body


async def test_block_with_duration_expires(bot):
    [blocked] = await bot.say(STAFF, f"!block {CITIZEN} 2h flooding")
    assert "blocked until" in blocked.body
    assert await bot.say(CITIZEN, "!help") == []
    bot.services.clock.advance(timedelta(hours=2, seconds=1))
    assert len(await bot.say(CITIZEN, "!help")) == 1


async def test_staff_cannot_be_blocked_and_ids_are_checked(bot):
    [refused] = await bot.say(STAFF, f"!sperren {STAFF}")
    assert "können nicht gesperrt werden" in refused.body
    [bad] = await bot.say(STAFF, "!sperren bernd")
    assert "keine Matrix-ID" in bad.body


async def test_citizens_cannot_block(bot):
    [refused] = await bot.say(CITIZEN, f"!sperren {STAFF}")
    assert "Mitarbeitende des Programms" in refused.body


async def test_every_staff_command_refuses_a_citizen(bot):
    staff_only = [
        spec
        for spec in CommandRegistry.from_modules(HANDLER_MODULES).specs
        if spec.role >= Role.STAFF
    ]
    assert staff_only, "the declarations name no staff-only command"
    for spec in staff_only:
        for name in spec.names:
            replies = await bot.say(CITIZEN, f"!{name} 1 2 3")
            assert len(replies) == 1, name
            assert any(
                phrase in replies[0].body
                for phrase in ("Das dürfen leider nur", "only programme staff")
            ), (name, replies[0].body)
