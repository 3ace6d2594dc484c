"""Settings: defaults, and every problem named in plain words at once."""

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, example_departments_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MINIMAL = {
    "MATRIX_HOMESERVER": "http://127.0.0.1:8008",
    "MATRIX_USER_ID": "@bot:localhost",
    "MATRIX_PASSWORD": "secret",
}


def test_defaults():
    settings = Settings.from_env(env=MINIMAL)
    assert settings.database_url == "sqlite+aiosqlite:///data/smartregion.db"
    assert settings.command_prefix == "!"
    assert settings.language == "de"
    assert str(settings.timezone) == "Europe/Berlin"
    assert settings.matrix is not None
    assert settings.matrix.allowed_servers == {"localhost"}
    assert settings.departments == ()


def test_every_problem_is_named():
    env = {
        "MATRIX_USER_ID": "bot",
        "BOT_STAFF_ROOM": "staff",
        "BOT_LANGUAGE": "fr",
        "BOT_TIMEZONE": "Mars/Olympus",
        "BOT_DEPARTMENTS_FILE": "/nonexistent/departments.toml",
    }
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env=env)
    text = str(error.value)
    for fragment in (
        "MATRIX_HOMESERVER is missing",
        "MATRIX_USER_ID 'bot' is not a Matrix user id",
        "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN",
        "BOT_STAFF_ROOM contains 'staff'",
        "BOT_LANGUAGE must be one of de, en",
        "BOT_TIMEZONE 'Mars/Olympus'",
        "departments file /nonexistent/departments.toml cannot be read",
    ):
        assert fragment in text


def test_shipped_departments_file_has_the_reference_ids():
    settings = Settings.from_env(
        env={**MINIMAL, "BOT_DEPARTMENTS_FILE": str(example_departments_file())}
    )
    ids = [d.id for d in settings.departments]
    assert ids == [
        "mobilitaet",
        "umwelt",
        "digitales",
        "soziales",
        "bildung",
        "wirtschaft",
        "bauen",
        "kultur",
        "gesundheit",
    ]
    reference = PROJECT_ROOT.parent / "shared" / "data" / "departments.toml"
    if reference.exists():  # the reference data sits beside the clone in CI and here
        assert ids == [d["id"] for d in tomllib.loads(reference.read_text("utf-8"))["department"]]


def test_malformed_departments_file(tmp_path):
    path = tmp_path / "departments.toml"
    path.write_text('[[department]]\nid = "Mobilität"\nname = "M"\nroom = "nowhere"\n', "utf-8")
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**MINIMAL, "BOT_DEPARTMENTS_FILE": str(path)})
    assert "use lower-case letters" in str(error.value)
    assert "neither a room id" in str(error.value)


def test_env_file_values_are_overridden_by_the_environment(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_LANGUAGE=en\nBOT_COMMAND_PREFIX=?\n", "utf-8")
    settings = Settings.from_env(env={**MINIMAL, "BOT_LANGUAGE": "de"}, env_file=env_file)
    assert settings.language == "de"
    assert settings.command_prefix == "?"


def test_matrix_settings_are_grouped_and_keep_their_names():
    settings = Settings.from_env(
        env={
            **MINIMAL,
            "MATRIX_DEVICE_ID": "DEV",
            "BOT_STAFF_USERS": "@sabine:localhost",
            "BOT_STAFF_ROOM": "#staff:localhost",
            "BOT_IDEAS_ROOM": "#ideen:localhost",
            "BOT_ANNOUNCE_ROOMS": "#workshops:localhost,#forum:localhost",
            "BOT_CRYPTO_STORE": "/keys",
        }
    )
    assert list(settings.platforms) == ["matrix"]
    matrix = settings.matrix
    assert matrix is not None and settings.platforms["matrix"] is matrix
    assert (matrix.homeserver, matrix.user_id, matrix.device_id) == (
        "http://127.0.0.1:8008",
        "@bot:localhost",
        "DEV",
    )
    assert matrix.staff_users == {"@sabine:localhost"}
    assert matrix.staff_room == "#staff:localhost"
    assert matrix.ideas_room == "#ideen:localhost"
    assert matrix.announce_rooms == ("#workshops:localhost", "#forum:localhost")
    assert matrix.crypto_store == Path("/keys")
    assert settings.for_platform("matrix") is matrix


def test_a_platform_without_settings_is_not_configured():
    settings = Settings.from_env(env={"DATABASE_URL": "sqlite+aiosqlite:///x.db"})
    assert settings.matrix is None
    assert settings.platforms == {}
    unknown = settings.for_platform("discord")
    assert (unknown.staff_users, unknown.staff_room, unknown.announce_rooms) == (
        frozenset(),
        None,
        (),
    )


def test_problems_are_named_per_platform(tmp_path):
    departments = tmp_path / "departments.toml"
    departments.write_text('[[department]]\nid = "m"\nname = "M"\nroom = "nowhere"\n', "utf-8")
    env = {
        "MATRIX_USER_ID": "bot",
        "BOT_STAFF_ROOM": "staff",
        "BOT_LANGUAGE": "fr",
        "BOT_DEPARTMENTS_FILE": str(departments),
    }
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env=env)
    problems = error.value.problems
    assert "Matrix: MATRIX_HOMESERVER is missing: set the URL of the homeserver." in problems
    assert any(p.startswith("Matrix: MATRIX_USER_ID 'bot'") for p in problems)
    assert any(p.startswith("Matrix: BOT_STAFF_ROOM contains 'staff'") for p in problems)
    assert any(p.startswith("Matrix: The room of department 1") for p in problems)
    assert any(p.startswith("BOT_LANGUAGE must be one of") for p in problems), "not per platform"


def test_the_departments_room_is_the_matrix_room(tmp_path):
    settings = Settings.from_env(
        env={**MINIMAL, "BOT_DEPARTMENTS_FILE": str(example_departments_file())}
    )
    mobility = settings.department("mobilitaet")
    assert mobility is not None
    assert list(mobility.rooms) == ["matrix"]
    assert mobility.rooms["matrix"].startswith(("#", "!"))


def test_durations_in_settings_are_read_as_people_type_them_in_commands():
    settings = Settings.from_env(
        env={**MINIMAL, "BOT_WORKSHOP_ANNOUNCE": "2w, 1 Tag, 3h", "BOT_QUESTION_SLA": "4 Tage"}
    )
    assert settings.workshop_announce_offsets == (
        timedelta(weeks=2),
        timedelta(days=1),
        timedelta(hours=3),
    )
    assert settings.question_sla == timedelta(days=4)
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env={**MINIMAL, "BOT_WORKSHOP_ANNOUNCE": "7x", "BOT_QUESTION_SLA": "0h"})
    assert refused.value.problems == [
        "BOT_QUESTION_SLA must be a duration like 24h, 3d or 90m, not '0h'.",
        "BOT_WORKSHOP_ANNOUNCE contains '7x'; write offsets like 7d, 24h or 30m.",
    ]


DISCORD = {"DISCORD_TOKEN": "MTIz.abc.def", "DISCORD_GUILD_IDS": "111111111111111111"}


def test_discord_settings_are_grouped_with_discord_defaults():
    settings = Settings.from_env(
        env={
            **DISCORD,
            "DISCORD_GUILD_IDS": "111111111111111111, 222222222222222222",
            "DISCORD_STAFF_USERS": "333333333333333333",
            "DISCORD_STAFF_ROLE": "444444444444444444",
            "DISCORD_STAFF_CHANNEL": "555555555555555555",
            "DISCORD_IDEAS_CHANNEL": "666666666666666666",
            "DISCORD_ANNOUNCE_CHANNELS": "777777777777777777,888888888888888888",
        }
    )
    assert list(settings.platforms) == ["discord"]
    assert settings.matrix is None
    discord = settings.discord
    assert discord is not None and settings.for_platform("discord") is discord
    assert discord.token == "MTIz.abc.def"
    assert "MTIz" not in repr(discord), "the token stays out of logs"
    assert not hasattr(discord, "user_id"), "the adapter learns the bot's id at login"
    assert discord.guild_ids == {"111111111111111111", "222222222222222222"}
    assert discord.staff_users == {"333333333333333333"}
    assert discord.staff_role == "444444444444444444"
    assert discord.staff_room == "555555555555555555"
    assert discord.ideas_room == "666666666666666666"
    assert discord.announce_rooms == ("777777777777777777", "888888888888888888")
    assert discord.api_url == "https://discord.com/api/v10"
    assert discord.gateway_url == "wss://gateway.discord.gg"


def test_minimal_discord_settings_leave_rooms_and_role_empty():
    discord = Settings.from_env(env=DISCORD).discord
    assert discord is not None
    assert (discord.staff_users, discord.staff_role, discord.staff_room) == (
        frozenset(),
        None,
        None,
    )
    assert (discord.ideas_room, discord.announce_rooms) == (None, ())


def test_matrix_and_discord_run_side_by_side():
    settings = Settings.from_env(env={**MINIMAL, **DISCORD})
    assert list(settings.platforms) == ["matrix", "discord"]
    assert settings.matrix is not None and settings.discord is not None


def test_every_discord_problem_is_named_with_its_variable_and_form():
    env = {
        "DISCORD_GUILD_IDS": "abc, 123456789012345678",
        "DISCORD_STAFF_USERS": "@sabine",
        "DISCORD_STAFF_ROLE": "staff",
        "DISCORD_STAFF_CHANNEL": "#orga",
        "DISCORD_IDEAS_CHANNEL": "-5",
        "DISCORD_ANNOUNCE_CHANNELS": "777777777777777777,99999999999999999999",
        "DISCORD_API_URL": "discord.com/api",
        "DISCORD_GATEWAY_URL": "https://gateway.discord.gg",
    }
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env=env)
    form = "which is not a Discord id (a number like 123456789012345678)."
    assert error.value.problems == [
        "Discord: DISCORD_TOKEN is missing: set the bot token from the developer portal "
        "(your application, Bot, Reset Token).",
        f"Discord: DISCORD_GUILD_IDS contains 'abc', {form}",
        f"Discord: DISCORD_STAFF_USERS contains '@sabine', {form}",
        f"Discord: DISCORD_STAFF_ROLE is 'staff', {form}",
        f"Discord: DISCORD_STAFF_CHANNEL is '#orga', {form}",
        f"Discord: DISCORD_IDEAS_CHANNEL is '-5', {form}",
        f"Discord: DISCORD_ANNOUNCE_CHANNELS contains '99999999999999999999', {form}",
        "Discord: DISCORD_API_URL must be a URL like https://host/…, not 'discord.com/api'.",
        "Discord: DISCORD_GATEWAY_URL must be a URL like wss://host/…, "
        "not 'https://gateway.discord.gg'.",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISCORD_STAFF_CHANNEL", "555555555555555555"),
        ("DISCORD_API_URL", "http://127.0.0.1:8765/api/v10"),
        ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:8765"),
    ],
)
def test_any_discord_setting_alone_asks_for_the_token_and_servers(name, value):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**MINIMAL, name: value})
    assert [problem.split(":")[:2] for problem in error.value.problems] == [
        ["Discord", " DISCORD_TOKEN is missing"],
        ["Discord", " DISCORD_GUILD_IDS is missing"],
    ]


def test_discord_token_is_the_token_alone():
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**DISCORD, "DISCORD_TOKEN": "Bot MTIz.abc.def"})
    assert error.value.problems == [
        "Discord: DISCORD_TOKEN must be the token alone, without spaces or a 'Bot ' in front."
    ]


@pytest.mark.parametrize(
    ("api_url", "gateway_url"),
    [
        ("http://127.0.0.1:8765/api/v10", "ws://127.0.0.1:8765/"),
        ("http://localhost:8765/api/v10/", "ws://localhost:8765"),
        ("http://[::1]:8765/api/v10", "ws://[::1]:8765"),
        ("https://discord.example.org/api/v10", "wss://gateway.example.org"),
    ],
)
def test_discord_endpoints_can_point_at_an_emulator(api_url, gateway_url):
    discord = Settings.from_env(
        env={**DISCORD, "DISCORD_API_URL": api_url, "DISCORD_GATEWAY_URL": gateway_url}
    ).discord
    assert discord is not None
    assert discord.api_url == api_url.rstrip("/")
    assert discord.gateway_url == gateway_url


def test_unencrypted_discord_endpoints_only_on_loopback():
    with pytest.raises(ConfigError) as error:
        Settings.from_env(
            env={
                **DISCORD,
                "DISCORD_API_URL": "http://10.0.0.5:8765/api/v10",
                "DISCORD_GATEWAY_URL": "ws://emulator.example.org",
            }
        )
    assert error.value.problems == [
        "Discord: DISCORD_API_URL 'http://10.0.0.5:8765/api/v10' uses http:// to another "
        "machine; use https:// (http:// only on a loopback host such as 127.0.0.1, e.g. an "
        "emulator).",
        "Discord: DISCORD_GATEWAY_URL 'ws://emulator.example.org' uses ws:// to another "
        "machine; use wss:// (ws:// only on a loopback host such as 127.0.0.1, e.g. an "
        "emulator).",
    ]


def test_a_guild_list_of_only_commas_is_missing():
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**DISCORD, "DISCORD_GUILD_IDS": " , "})
    assert [p.split(":")[1] for p in error.value.problems] == [" DISCORD_GUILD_IDS is missing"]


def test_a_discord_port_must_be_a_number():
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**DISCORD, "DISCORD_GATEWAY_URL": "ws://127.0.0.1:port"})
    assert error.value.problems == [
        "Discord: DISCORD_GATEWAY_URL must be a URL like wss://host/…, not 'ws://127.0.0.1:port'."
    ]


def test_ideas_review_needs_the_staff_room_of_each_platform():
    assert Settings.from_env(
        env={**DISCORD, "BOT_IDEAS_REVIEW": "true", "DISCORD_STAFF_CHANNEL": "555555555555555555"}
    ).ideas_review
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**MINIMAL, **DISCORD, "BOT_IDEAS_REVIEW": "true"})
    assert error.value.problems == [
        "BOT_IDEAS_REVIEW=true needs BOT_STAFF_ROOM: ideas are reviewed there.",
        "Discord: BOT_IDEAS_REVIEW=true needs DISCORD_STAFF_CHANNEL: ideas from Discord are "
        "reviewed there.",
    ]


def _departments(tmp_path: Path, body: str) -> dict[str, str]:
    path = tmp_path / "departments.toml"
    path.write_text(body, "utf-8")
    return {**DISCORD, "BOT_DEPARTMENTS_FILE": str(path)}


def test_departments_take_a_discord_channel_and_an_expert_role(tmp_path):
    env = _departments(
        tmp_path,
        '[[department]]\nid = "mobilitaet"\nname = "Mobilität"\nroom = "#mob:localhost"\n'
        'discord_channel = "123456789012345678"\ndiscord_role = "223456789012345678"\n'
        '[[department]]\nid = "umwelt"\nname = "Umwelt"\ndiscord_channel = 323456789012345678\n'
        '[[department]]\nid = "kultur"\nname = "Kultur"\nroom = "#kultur:localhost"\n',
    )
    settings = Settings.from_env(env=env)
    mobility, environment, culture = settings.departments
    assert mobility.rooms == {"matrix": "#mob:localhost", "discord": "123456789012345678"}
    assert mobility.roles == {"discord": "223456789012345678"}
    assert environment.rooms == {"discord": "323456789012345678"}, "a TOML integer works too"
    assert environment.roles == {}
    assert culture.rooms == {"matrix": "#kultur:localhost"}
    assert culture.roles == {}


def test_department_discord_keys_are_checked_and_named(tmp_path):
    env = _departments(
        tmp_path,
        '[[department]]\nid = "mobilitaet"\nname = "M"\ndiscord_channel = "#verkehr"\n'
        'discord_role = "@experts"\n'
        '[[department]]\nid = "umwelt"\nname = "U"\ndiscord_role = "223456789012345678"\n',
    )
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env=env)
    where = f"department 1 in {tmp_path / 'departments.toml'} (mobilitaet)"
    form = "which is not a Discord id (a number like 123456789012345678)."
    assert error.value.problems == [
        f"The department 2 in {tmp_path / 'departments.toml'} lacks room or discord_channel.",
        f"Discord: The discord_channel of {where} is '#verkehr', {form}",
        f"Discord: The discord_role of {where} is '@experts', {form}",
    ]


def test_the_example_settings_file_documents_every_discord_setting():
    example = (PROJECT_ROOT / "config.example.env").read_text("utf-8")
    for name in (
        "DISCORD_TOKEN",
        "DISCORD_GUILD_IDS",
        "DISCORD_STAFF_USERS",
        "DISCORD_STAFF_ROLE",
        "DISCORD_STAFF_CHANNEL",
        "DISCORD_IDEAS_CHANNEL",
        "DISCORD_ANNOUNCE_CHANNELS",
        "DISCORD_API_URL",
        "DISCORD_GATEWAY_URL",
    ):
        assert f"\n{name}=\n" in example, f"{name} is shown, empty (its default)"
