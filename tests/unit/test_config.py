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
