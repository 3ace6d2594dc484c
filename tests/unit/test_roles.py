"""Staff and experts from a platform's groups (Discord's roles), beside rooms and lists."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.context import Role
from bot.roles import RoleResolver
from tests.unit.fakes import FakeAdapter

GUILD, STAFF_ROLE, STAFF_CHANNEL = "100000000000000001", "100000000000000002", "100000000000000003"
MOBILITY_CHANNEL, MOBILITY_ROLE = "100000000000000004", "100000000000000005"
LISTED, TEAM, ADMIN, EXPERT, READER, CITIZEN = (str(200000000000000000 + n) for n in range(6))


def settings(tmp_path: Path) -> Settings:
    departments = tmp_path / "departments.toml"
    departments.write_text(
        "[[department]]\n"
        'id = "mobilitaet"\n'
        'name = "Mobilität"\n'
        'room = "!mob:localhost"\n'
        f'discord_channel = "{MOBILITY_CHANNEL}"\n'
        f'discord_role = "{MOBILITY_ROLE}"\n',
        encoding="utf-8",
    )
    return Settings.from_env(
        env={
            "MATRIX_HOMESERVER": "http://127.0.0.1:1",
            "MATRIX_USER_ID": "@bot:localhost",
            "MATRIX_PASSWORD": "x",
            "DISCORD_TOKEN": "token",
            "DISCORD_GUILD_IDS": GUILD,
            "DISCORD_STAFF_USERS": LISTED,
            "DISCORD_STAFF_ROLE": STAFF_ROLE,
            "DISCORD_STAFF_CHANNEL": STAFF_CHANNEL,
            "BOT_DEPARTMENTS_FILE": str(departments),
        }
    )


async def test_discord_staff_are_listed_in_the_staff_role_or_moderate_the_staff_channel(tmp_path):
    discord = FakeAdapter.limited("discord")
    discord.groups |= {(STAFF_ROLE, TEAM)}
    discord.moderators |= {(STAFF_CHANNEL, ADMIN)}  # Manage Server in the staff's guild
    roles = RoleResolver(settings(tmp_path), {"discord": discord})
    for person in (LISTED, TEAM, ADMIN):
        assert await roles.role_of("discord", person) is Role.STAFF, person
    assert await roles.role_of("discord", CITIZEN) is Role.CITIZEN


async def test_discord_experts_have_the_department_role_or_see_its_channel(tmp_path):
    discord = FakeAdapter.limited("discord")
    discord.groups |= {(MOBILITY_ROLE, EXPERT)}
    discord.members |= {(MOBILITY_CHANNEL, READER)}
    roles = RoleResolver(settings(tmp_path), {"discord": discord})
    assert await roles.role_of("discord", EXPERT) is Role.EXPERT
    assert await roles.role_of("discord", READER) is Role.EXPERT
    assert await roles.role_of("discord", CITIZEN) is Role.CITIZEN


async def test_groups_named_for_discord_make_no_one_staff_or_expert_on_matrix(tmp_path):
    matrix = FakeAdapter()
    matrix.groups |= {(STAFF_ROLE, "@team:localhost"), (MOBILITY_ROLE, "@expert:localhost")}
    roles = RoleResolver(settings(tmp_path), {"matrix": matrix})
    assert await roles.role_of("matrix", "@team:localhost") is Role.CITIZEN
    assert await roles.role_of("matrix", "@expert:localhost") is Role.CITIZEN
