"""The foundation through a real Synapse: invites, replies, languages, restarts, failures."""

from __future__ import annotations

import asyncio
from types import ModuleType

import aiohttp
import pytest
from bots import RunningBot, register_bot
from chat import ChatUser

from bot.app import HANDLER_MODULES
from bot.context import Context
from bot.router import command
from storage.db import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory


@pytest.fixture
async def bot(synapse, tmp_path):
    running = await register_bot(synapse, tmp_path)
    yield running
    await running.stop()


async def room_with_bot(user: ChatUser, bot: RunningBot, name: str = "Bürgerforum") -> str:
    room_id = await user.create_room(name=name, invite=[bot.user_id])
    await user.wait_joined(room_id, bot.user_id)
    return room_id


async def test_help_is_a_notice_replying_to_the_command(bot, make_user):
    await bot.start()
    alice = await make_user("alice")
    room = await room_with_bot(alice, bot)
    command_id = await alice.say(room, "!hilfe")
    reply = await alice.reply_to(command_id)
    assert reply.sender == bot.user_id
    assert reply.msgtype == "m.notice"
    assert "Das kann ich für dich tun" in reply.body
    assert reply.formatted_body and "<strong>" in reply.formatted_body
    assert reply.content["format"] == "org.matrix.custom.html"
    assert reply.content["m.mentions"] == {}

    english = await alice.reply_to(await alice.say(room, "!help"))
    assert "What I can do for you" in english.body


async def test_language_is_remembered_across_restarts(bot, make_user):
    await bot.start()
    alice = await make_user("alice")
    room = await room_with_bot(alice, bot)
    await alice.reply_to(await alice.say(room, "!sprache en"))
    await bot.restart()
    reply = await alice.reply_to(await alice.say(room, "!hilfe"))
    assert "What I can do for you" in reply.body


async def test_unknown_and_malformed_commands(bot, make_user):
    await bot.start()
    alice = await make_user("alice")
    room = await room_with_bot(alice, bot)
    typo = await alice.reply_to(await alice.say(room, "!hilfr"))
    assert "Meintest du !hilfe?" in typo.body
    malformed = await alice.reply_to(await alice.say(room, "!language klingon"))
    assert "klingon" in malformed.body and "!language <de|en|easy>" in malformed.body


async def test_direct_message_without_prefix(bot, make_user):
    await bot.start()
    alice = await make_user("alice")
    room = await alice.dm(bot.user_id)
    await alice.wait_joined(room, bot.user_id)
    reply = await alice.reply_to(await alice.say(room, "hilfe"))
    assert "Das kann ich für dich tun" in reply.body


async def test_invites_only_from_allowed_servers(synapse, tmp_path, make_user):
    strict = await register_bot(synapse, tmp_path, env={"BOT_ALLOWED_SERVERS": "example.org"})
    await strict.start()
    try:
        alice = await make_user("alice")
        room = await alice.create_room(name="Fremd", invite=[strict.user_id])
        left = await alice.wait_for(
            lambda e: (
                e.get("type") == "m.room.member"
                and e["room_id"] == room
                and e.get("state_key") == strict.user_id
                and e["content"].get("membership") == "leave"
            )
        )
        assert left["sender"] == strict.user_id  # the bot declined the invite itself
    finally:
        await strict.stop()


async def test_own_messages_and_notices_are_never_answered(bot, make_user, synapse):
    await bot.start()
    alice = await make_user("alice")
    room = await room_with_bot(alice, bot)
    twin = await ChatUser.login(synapse.base_url, bot.user_id, "bot-test-password")
    try:
        await twin.say(room, "!hilfe")  # the bot's own account, another device
        await alice.say(room, "!hilfe", msgtype="m.notice")  # another bot's notice
        marker = await alice.say(room, "!sprache de")
        first_answer = await alice.wait_for(
            lambda e: e["sender"] == bot.user_id and e["content"].get("msgtype") == "m.notice"
        )
        assert first_answer["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == marker
    finally:
        await twin.close()


async def test_history_is_never_replayed_and_downtime_is_caught_up_once(bot, make_user):
    alice = await make_user("alice")
    await bot.start()
    room = await room_with_bot(alice, bot)
    await bot.stop()
    # A brand-new bot database would ignore this; a known one must catch up on it.
    while_down = await alice.say(room, "!hilfe")
    await bot.start()
    caught_up = await alice.next_reply(room, sender=bot.user_id, timeout=30)
    assert caught_up.in_reply_to == while_down
    await bot.restart()
    marker = await alice.say(room, "!help")
    after = await alice.next_reply(room, sender=bot.user_id)
    assert after.in_reply_to == marker, "the command from the downtime was answered twice"


async def test_first_start_ignores_what_was_said_before(synapse, tmp_path, make_user):
    fresh = await register_bot(synapse, tmp_path)
    alice = await make_user("alice")
    room = await alice.create_room(name="Vorher", invite=[fresh.user_id])
    await alice.say(room, "!hilfe")  # before the bot ever ran
    await fresh.start()
    try:
        await alice.wait_joined(room, fresh.user_id)
        marker = await alice.say(room, "!help")
        reply = await alice.next_reply(room, sender=fresh.user_id)
        assert reply.in_reply_to == marker
    finally:
        await fresh.stop()


def _slow_and_broken_commands(release: asyncio.Event) -> ModuleType:
    module = ModuleType("slow_and_broken")

    @command("langsam", "slow")
    async def slow(ctx: Context) -> None:
        await release.wait()
        await ctx.reply("language.changed")

    @command("kaputt", "broken")
    async def broken(ctx: Context) -> None:
        raise RuntimeError("handler exploded")

    module.slow, module.broken = slow, broken
    return module


async def test_failing_and_slow_handlers_do_not_stop_the_bot(synapse, tmp_path, make_user, caplog):
    release = asyncio.Event()
    modules = (*HANDLER_MODULES, _slow_and_broken_commands(release))
    running = await register_bot(synapse, tmp_path, handler_modules=modules)
    running_app = await running.start()
    running_app.services.catalog = _with_test_help(running_app.services.catalog)
    try:
        alice = await make_user("alice")
        room = await room_with_bot(alice, running)
        slow_id = await alice.say(room, "!langsam")
        broken = await alice.reply_to(await alice.say(room, "!kaputt"))
        assert "Entschuldigung" in broken.body
        assert "handler exploded" in caplog.text
        helped = await alice.reply_to(await alice.say(room, "!hilfe"))
        assert "Das kann ich für dich tun" in helped.body
        release.set()
        slow = await alice.reply_to(slow_id)
        assert slow.sender == running.user_id
    finally:
        await running.stop()


def _with_test_help(catalog):
    from bot.i18n import Catalog

    extra = {
        f"commands.{name}.{part}": name
        for name in ("langsam", "kaputt")
        for part in ("summary", "usage", "help")
    }
    messages = {
        lang: {**{k: catalog.raw(lang, k) for k in catalog.keys(lang)}, **extra}
        for lang in catalog.languages
    }
    return Catalog(messages, catalog.default)


async def test_roles_from_staff_room_and_department_rooms(synapse, tmp_path, make_user):
    staff = await make_user("sabine")
    expert = await make_user("eva")
    citizen = await make_user("bernd")
    bot_account = await register_bot(synapse, tmp_path)
    staff_room = await staff.create_room(name="Staff", invite=[bot_account.user_id])
    department_room = await staff.create_room(
        name="Mobilität", invite=[bot_account.user_id, expert.user_id]
    )
    await expert.join(department_room)
    departments = tmp_path / "departments.toml"
    departments.write_text(
        f'[[department]]\nid = "mobilitaet"\nname = "Mobilität"\nroom = "{department_room}"\n',
        "utf-8",
    )
    bot_account.env = {"BOT_STAFF_ROOM": staff_room, "BOT_DEPARTMENTS_FILE": str(departments)}
    await bot_account.start()
    try:
        forum = await staff.create_room(
            name="Forum", invite=[bot_account.user_id, expert.user_id, citizen.user_id]
        )
        await expert.join(forum)
        await citizen.join(forum)
        await staff.wait_joined(forum, bot_account.user_id)
        # Room version 12: the creator of the staff room is staff without any power level.
        as_staff = await staff.reply_to(await staff.say(forum, "!hilfe"))
        assert "Mitarbeitende des Programms" in as_staff.body
        as_expert = await expert.reply_to(await expert.say(forum, "!hilfe"))
        assert "Expert*innen" in as_expert.body
        as_citizen = await citizen.reply_to(await citizen.say(forum, "!hilfe"))
        assert "Bürger*innen" in as_citizen.body
    finally:
        await bot_account.stop()


async def test_password_login_reuses_its_device(bot, make_user):
    await bot.start()
    first_device = bot.app.adapters["matrix"].client.device_id
    await bot.restart()
    assert bot.app.adapters["matrix"].client.device_id == first_device
    engine = create_engine(bot.settings.database_url)
    try:
        async with UnitOfWorkFactory(create_session_factory(engine))() as uow:
            stored = await uow.credentials.get(bot.user_id)
        assert stored is not None and stored.device_id == first_device
    finally:
        await engine.dispose()


async def test_follows_room_upgrades(bot, make_user):
    await bot.start()
    alice = await make_user("alice")
    room = await room_with_bot(alice, bot)
    new_room = await upgrade_room(alice, room)
    await alice.invite(new_room, bot.user_id)  # as Element offers when upgrading
    await alice.wait_joined(new_room, bot.user_id)
    reply = await alice.reply_to(await alice.say(new_room, "!hilfe"))
    assert reply.room_id == new_room
    assert await bot.app.adapters["matrix"].resolve_room(room) == new_room


async def upgrade_room(user: ChatUser, room_id: str) -> str:
    """Upgrade a room as its creator would in a client (nio has no call for it)."""
    client = user.client
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{client.homeserver}/_matrix/client/v3/rooms/{room_id}/upgrade",
            json={"new_version": "12"},
            headers={"Authorization": f"Bearer {client.access_token}"},
        ) as response,
    ):
        body = await response.json()
    assert response.status == 200, body
    return body["replacement_room"]


async def test_bot_leaves_when_everyone_else_left(bot, make_user):
    await bot.start()
    alice = await make_user("alice")
    room = await room_with_bot(alice, bot)
    await alice.client.room_leave(room)
    client = bot.app.adapters["matrix"].client
    for _ in range(60):
        joined = await client.joined_rooms()
        if room not in joined.rooms:
            break
        await asyncio.sleep(0.25)
    assert room not in joined.rooms
