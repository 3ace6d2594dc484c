"""The router as people meet it: help, languages, refusals, typos and failures."""

from types import ModuleType

import pytest

from bot.arguments import Number
from bot.context import Context, Role
from bot.router import command, requires
from handlers import help as help_commands
from tests.unit.fakes import make_fake_bot

STAFF = "@sabine:localhost"
CITIZEN = "@bernd:localhost"
EXPERT = "@eva:localhost"


TEST_MESSAGES = {
    f"commands.{name}.{part}": f"{name} {part}"
    for name in ("umfrage", "kaputt")
    for part in ("summary", "usage", "help")
}


def _test_module() -> ModuleType:
    """A handler module with a staff-only command and one that always fails."""
    module = ModuleType("router_test_commands")

    @command("umfrage", "poll", Number("number"))
    @requires(Role.STAFF)
    async def start_poll(ctx: Context, number: int) -> None:
        await ctx.reply("language.changed")

    @command("kaputt", "broken")
    async def broken(ctx: Context) -> None:
        raise RuntimeError("boom")

    module.start_poll = start_poll
    module.broken = broken
    return module


@pytest.fixture
async def bot(tmp_path):
    fake = await make_fake_bot(
        tmp_path,
        (help_commands, _test_module()),
        TEST_MESSAGES,
        BOT_STAFF_USERS=STAFF,
        BOT_STAFF_ROOM="!staff:localhost",
    )
    return fake


async def test_help_in_german_lists_only_what_the_asker_may_use(bot):
    [reply] = await bot.say(CITIZEN, "!hilfe")
    assert "Das kann ich für dich tun" in reply.body
    assert "!hilfe" in reply.body and "!sprache" in reply.body
    assert "!umfrage" not in reply.body
    [staff_reply] = await bot.say(STAFF, "!hilfe")
    assert "!umfrage" in staff_reply.body


async def test_help_in_english_for_the_english_name(bot):
    [reply] = await bot.say(CITIZEN, "!help")
    assert "What I can do for you" in reply.body
    assert "!help" in reply.body and "!language" in reply.body


async def test_help_for_one_command(bot):
    [reply] = await bot.say(CITIZEN, "!hilfe sprache")
    assert "!sprache <de|en|leicht>" in reply.body
    assert "!language" in reply.body


async def test_chosen_language_wins_and_is_remembered(bot):
    [changed] = await bot.say(CITIZEN, "!sprache en")
    assert "English" in changed.body
    [reply] = await bot.say(CITIZEN, "!hilfe")
    assert "What I can do for you" in reply.body
    [back] = await bot.say(CITIZEN, "!language de")
    assert "Deutsch" in back.body


async def test_unknown_command_suggests_the_closest(bot):
    [reply] = await bot.say(CITIZEN, "!hilfee")
    assert "Meintest du" in reply.body and "!hilfe" in reply.body


async def test_malformed_command_gets_its_usage(bot):
    [reply] = await bot.say(CITIZEN, "!sprache klingonisch")
    assert "klingonisch" in reply.body
    assert "!sprache <de|en|leicht>" in reply.body


async def test_citizen_is_refused_politely_and_told_who_may(bot):
    [reply] = await bot.say(CITIZEN, "!umfrage 1")
    assert "Mitarbeitende des Programms" in reply.body


async def test_staff_by_power_level_in_staff_room(bot):
    bot.adapter.moderators.add(("!staff:localhost", EXPERT))
    [reply] = await bot.say(EXPERT, "!poll 1")
    assert "English" in reply.body


async def test_expert_is_member_of_a_department_room(tmp_path):
    departments = tmp_path / "departments.toml"
    departments.write_text(
        '[[department]]\nid = "mobilitaet"\nname = "Mobilität"\nroom = "!mob:localhost"\n', "utf-8"
    )
    fake = await make_fake_bot(tmp_path, (help_commands,), BOT_DEPARTMENTS_FILE=str(departments))
    fake.adapter.members.add(("!mob:localhost", EXPERT))
    [reply] = await fake.say(EXPERT, "!hilfe")
    assert "Expert*innen" in reply.body


async def test_failing_handler_apologises_and_the_bot_goes_on(bot, caplog):
    [reply] = await bot.say(CITIZEN, "!kaputt")
    assert "Entschuldigung" in reply.body
    assert "boom" in caplog.text
    [after] = await bot.say(CITIZEN, "!hilfe")
    assert "Das kann ich für dich tun" in after.body


async def test_prefix_is_optional_only_in_direct_messages(bot):
    assert await bot.say(CITIZEN, "hilfe") == []
    [reply] = await bot.say(CITIZEN, "hilfe", room="!dm:localhost", direct=True)
    assert "Das kann ich für dich tun" in reply.body


async def test_replies_answer_the_command_event(bot):
    await bot.say(CITIZEN, "!hilfe")
    assert bot.adapter.sent[-1].reply_to is not None


async def test_an_event_is_handled_only_once(bot):
    from bot.context import Actor, IncomingMessage, Place

    message = IncomingMessage(
        "$same", Actor("matrix", CITIZEN, "b"), Place("!r:x", False), "!hilfe"
    )
    await bot.router.handle(message)
    await bot.router.handle(message)
    assert len(bot.adapter.sent) == 1
