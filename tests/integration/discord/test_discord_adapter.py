"""The Discord adapter's own promises, checked on the wire through the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.context import FileUpload
from bot.messages import Mention, Message, Text
from tests.discord_emulator import MANAGE_GUILD, VIEW_CHANNEL, DiscordEmulator

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from bot.adapters.discord.adapter import DiscordAdapter  # needs discord.py: after the check
from bot.adapters.discord.connection import DiscordConnection


class Server:
    """A guild with a public channel, a staff-only channel, a staff role and people."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.bot = emulator.add_bot("smartregion-bot", token="adapter-token")
        self.mara = emulator.add_user("Mara")
        self.admin = emulator.add_user("Admin")
        self.helper = emulator.add_user("Helfer")
        self.stranger = emulator.add_user("Fremd")
        guild = emulator.add_guild("Würzburg", owner=emulator.add_user("Orga"))
        self.staff_role = emulator.add_role(guild, "Team")
        admins = emulator.add_role(guild, "Admins", MANAGE_GUILD)
        emulator.add_member(guild, self.bot)
        emulator.add_member(guild, self.mara)
        emulator.add_member(guild, self.admin, admins)
        emulator.add_member(guild, self.helper, self.staff_role)
        self.forum = emulator.add_channel(guild, "buergerforum").id
        staff = emulator.add_channel(guild, "team")
        staff.overwrites = [
            {"id": guild.id, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
            {"id": self.staff_role.id, "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"},
        ]
        self.staff = staff.id


@pytest_asyncio.fixture(loop_scope="session")
async def connected(
    discord_at_emulator: DiscordEmulator,
) -> AsyncIterator[tuple[DiscordAdapter, Server]]:
    server = Server(discord_at_emulator)
    connection = DiscordConnection(
        token="adapter-token",
        api_url=discord_at_emulator.api_url,
        gateway_url=discord_at_emulator.gateway_url,
        staff_role=server.staff_role.id,
    )
    async with DiscordAdapter(connection) as adapter:
        running = asyncio.create_task(adapter.run())
        await asyncio.wait_for(adapter.ready.wait(), 15)
        yield adapter, server
        adapter.stop()
        await asyncio.gather(running, return_exceptions=True)


async def test_membership_follows_who_can_see_the_channel(connected) -> None:
    adapter, server = connected
    assert await adapter.is_member(server.forum, server.mara.id)
    assert not await adapter.is_member(server.staff, server.mara.id)
    assert await adapter.is_member(server.staff, server.helper.id)
    assert not await adapter.is_member(server.forum, server.stranger.id)


async def test_moderators_manage_the_server_or_have_the_staff_role(connected) -> None:
    adapter, server = connected
    assert await adapter.is_moderator(server.staff, server.admin.id)
    assert await adapter.is_moderator(server.staff, server.helper.id)
    assert not await adapter.is_moderator(server.staff, server.mara.id)
    assert not await adapter.is_moderator(server.staff, server.stranger.id)


async def test_a_mention_pings_only_the_person_named(connected, emulator) -> None:
    adapter, server = connected
    message = Message(((Text("Antwort für "), Mention(server.mara.id, "Mara"), Text(" @here")),))
    sent = await adapter.send(server.forum, message)
    stored = emulator.world.messages[sent]
    assert stored.mentions == [server.mara.id] and not stored.mention_everyone
    allowed = emulator.request_of(stored).json["allowed_mentions"]
    assert allowed["users"] == [int(server.mara.id)] and allowed["parse"] == []


async def test_a_repeated_send_with_the_same_key_posts_once(connected, emulator) -> None:
    adapter, server = connected
    before = len(emulator.messages(server.forum))
    first = await adapter.send(server.forum, Message.plain("einmal"), dedupe_key="k/0")
    again = await adapter.send(server.forum, Message.plain("einmal"), dedupe_key="k/0")
    assert first == again
    assert len(emulator.messages(server.forum)) == before + 1


async def test_long_messages_arrive_in_parts_of_at_most_2000(connected, emulator) -> None:
    adapter, server = connected
    text = "\n".join(f"Zeile {n}: " + "x" * 100 for n in range(40))
    first = await adapter.send(server.forum, Message.plain(text), dedupe_key="long")
    parts = [m for m in emulator.messages(server.forum) if int(m.id) >= int(first)]
    assert len(parts) == 3 and all(len(part.content) <= 2000 for part in parts)
    assert "\n".join(part.content for part in parts) == text


async def test_direct_messages_edits_and_files(connected, emulator) -> None:
    adapter, server = connected
    sent = await adapter.send_direct(server.mara.id, Message.plain("Hallo"))
    dm = emulator.dm(server.mara, server.bot)
    assert emulator.world.messages[sent].channel_id == dm
    await adapter.edit(dm, sent, Message.plain("Hallo Mara"))
    assert emulator.world.messages[sent].content == "Hallo Mara"
    assert emulator.world.messages[sent].edited_timestamp is not None
    upload = FileUpload("daten.json", "application/json", b'{"ideen": []}')
    file_id = await adapter.upload(dm, upload, reply_to=sent)
    stored = emulator.world.messages[file_id]
    assert [a["filename"] for a in stored.attachments] == ["daten.json"]
    assert emulator.rest.files[stored.attachments[0]["id"]] == b'{"ideen": []}'
    assert "description" not in stored.attachments[0]
    chart = FileUpload("chart.png", "image/png", b"\x89PNG", description="Ein Diagramm")
    stored = emulator.world.messages[await adapter.upload(dm, chart)]
    assert stored.attachments[0]["description"] == "Ein Diagramm"  # the alt text
