"""Staff and experts on Discord, from roles and Manage Server, as `!hilfe` shows them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.discord_emulator import MANAGE_GUILD, VIEW_CHANNEL, DiscordEmulator, User

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above

STAFF_ONLY, EXPERT_ONLY = "!sperren", "!antwort"
"""A command `!hilfe` lists to staff alone, and one it lists to experts (and staff)."""
HELP_FOOTER = "Details zu einem Befehl"
"""How the last part of `!hilfe` begins."""


class Club:
    """A guild with a staff role, an admin, a department whose channel only its role sees,
    and a citizen."""

    def __init__(self, emulator: DiscordEmulator, tmp_path: Path) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token="roles-token")
        guild = emulator.add_guild("Jugendzentrum", owner=emulator.add_user("Orga"))
        self.staff_role = emulator.add_role(guild, "Programmteam")
        self.expert_role = emulator.add_role(guild, "Mobilität")
        admins = emulator.add_role(guild, "Admins", MANAGE_GUILD)
        self.citizen = emulator.add_user("Mara")
        self.expert = emulator.add_user("Eva")
        self.team = emulator.add_user("Tom")
        self.admin = emulator.add_user("Ada")
        emulator.add_member(guild, self.bot)
        emulator.add_member(guild, self.citizen)
        emulator.add_member(guild, self.expert, self.expert_role)
        emulator.add_member(guild, self.team, self.staff_role)
        emulator.add_member(guild, self.admin, admins)
        self.forum = emulator.add_channel(guild, "buergerforum").id
        staff_channel = emulator.add_channel(guild, "team")
        hidden = [{"id": guild.id, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
        staff_channel.overwrites = hidden
        department = emulator.add_channel(guild, "mobilitaet")
        department.overwrites = hidden  # not even the expert role may see it: the role counts
        self.departments = tmp_path / "departments.toml"
        self.departments.write_text(
            "[[department]]\n"
            'id = "mobilitaet"\n'
            'name = "Mobilität & Verkehr"\n'
            f'discord_channel = "{department.id}"\n'
            f'discord_role = "{self.expert_role.id}"\n',
            encoding="utf-8",
        )
        self.env = {
            "DISCORD_STAFF_ROLE": self.staff_role.id,
            "DISCORD_STAFF_CHANNEL": staff_channel.id,
            "BOT_DEPARTMENTS_FILE": str(self.departments),
        }

    async def help_for(self, person: User) -> str:
        """Every part of the bot's answer to `!hilfe` (staff's is longer than one message)."""
        said = await self.emulator.say(person, self.forum, "!hilfe")
        await self.emulator.reply_to(self.forum, said)
        last = await self.emulator.wait_for(
            self.forum, lambda m: m.author_id == self.bot.id and HELP_FOOTER in m.content
        )
        parts = [
            m.content
            for m in self.emulator.messages(self.forum)
            if m.author_id == self.bot.id and int(said) < int(m.id) <= int(last.id)
        ]
        return "\n".join(parts)


@pytest_asyncio.fixture(loop_scope="session")
async def club(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Club]:
    club = Club(discord_at_emulator, tmp_path)
    async with DiscordBot(discord_at_emulator, club.bot, tmp_path / "bot.db", env=club.env):
        yield club


async def test_a_member_with_the_department_role_is_an_expert(club: Club) -> None:
    shown = await club.help_for(club.expert)
    assert EXPERT_ONLY in shown and STAFF_ONLY not in shown


async def test_a_member_with_the_staff_role_is_staff(club: Club) -> None:
    shown = await club.help_for(club.team)
    assert EXPERT_ONLY in shown and STAFF_ONLY in shown


async def test_a_member_who_may_manage_the_server_is_staff(club: Club) -> None:
    shown = await club.help_for(club.admin)
    assert STAFF_ONLY in shown


async def test_a_member_without_roles_is_a_citizen(club: Club) -> None:
    shown = await club.help_for(club.citizen)
    assert EXPERT_ONLY not in shown and STAFF_ONLY not in shown


async def test_a_role_has_the_members_that_carry_it_in_its_guild(
    discord_at_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    club = Club(discord_at_emulator, tmp_path)
    async with DiscordBot(discord_at_emulator, club.bot, tmp_path / "bot.db") as bot:
        assert await bot.adapter.in_group(club.expert_role.id, club.expert.id)
        assert not await bot.adapter.in_group(club.expert_role.id, club.citizen.id)
        assert not await bot.adapter.in_group(club.staff_role.id, club.expert.id)
        assert not await bot.adapter.in_group("123456789012345678", club.expert.id), "no guild"
