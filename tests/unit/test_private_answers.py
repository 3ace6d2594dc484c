"""Which answers are for the asker alone (`Message.private`): refusals and usage errors."""

import pytest

from bot.app import HANDLER_MODULES
from tests.unit.fakes import make_fake_bot

CITIZEN = "@bernd:localhost"


@pytest.fixture
async def bot(tmp_path):
    return await make_fake_bot(tmp_path, HANDLER_MODULES)


async def test_a_refusal_is_private(bot):
    [refused] = await bot.say(CITIZEN, "!status 1 neu")
    assert "Das dürfen leider nur" in refused.body
    assert refused.private


async def test_a_usage_error_is_private(bot):
    [usage] = await bot.say(CITIZEN, "!idee")
    assert "So geht’s" in usage.body
    assert usage.private


async def test_an_ordinary_answer_is_not_private(bot):
    [helped] = await bot.say(CITIZEN, "!hilfe")
    assert not helped.private
    [stored] = await bot.say(CITIZEN, "!idee Mehr Bänke am Mainufer")
    assert not stored.private
