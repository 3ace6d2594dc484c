"""Settings read once from the environment (optionally a `.env` file) into a frozen object.

Every problem is collected before anything is raised, so `check-config` can name all of
them at once instead of making an operator fix them one restart at a time.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

SUPPORTED_LANGUAGES = ("de", "en")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/smartregion.db"

_USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")
# Room ids of room version 12 have no server part (`!hash`); aliases always have one.
_ROOM_REF = re.compile(r"^(![^:\s]+(:[A-Za-z0-9.\-]+(:\d+)?)?|#[^:\s]+:[A-Za-z0-9.\-]+(:\d+)?)$")
_DEPARTMENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(Exception):
    """Raised with every configuration problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Department:
    """A department of the programme that citizens' questions can be routed to."""

    id: str
    name: str
    room: str
    scope: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to know about its deployment."""

    homeserver: str
    user_id: str
    password: str | None
    access_token: str | None
    device_id: str | None
    database_url: str
    command_prefix: str
    language: str
    timezone: ZoneInfo
    staff_users: frozenset[str]
    staff_room: str | None
    ideas_room: str | None
    announce_rooms: tuple[str, ...]
    departments_file: Path | None
    departments: tuple[Department, ...]
    allowed_servers: frozenset[str]

    @property
    def server_name(self) -> str:
        """The bot's own homeserver name, taken from its user id."""
        return self.user_id.split(":", 1)[1]

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, env_file: str | Path | None = None
    ) -> Settings:
        """Build settings from `env` (default: the process environment) over an optional file.

        Values in the real environment win over the file, as operators expect from dotenv.
        """
        values: dict[str, str] = {}
        problems: list[str] = []
        if env_file is not None:
            path = Path(env_file)
            if not path.is_file():
                raise ConfigError([f"The settings file {path} does not exist."])
            values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
        values.update(os.environ if env is None else env)
        return _parse(values, problems)


def _parse(values: Mapping[str, str], problems: list[str]) -> Settings:
    def get(name: str, default: str = "") -> str:
        return values.get(name, default).strip()

    homeserver = get("MATRIX_HOMESERVER")
    if not homeserver:
        problems.append("MATRIX_HOMESERVER is missing: set the URL of the homeserver.")
    elif not re.match(r"^https?://[^\s/]+", homeserver):
        problems.append(f"MATRIX_HOMESERVER must be an http(s) URL, not {homeserver!r}.")

    user_id = get("MATRIX_USER_ID")
    if not user_id:
        problems.append(
            "MATRIX_USER_ID is missing: set the bot's Matrix id, e.g. @bot:example.org."
        )
    elif not _USER_ID.match(user_id):
        problems.append(
            f"MATRIX_USER_ID {user_id!r} is not a Matrix user id like @bot:example.org."
        )

    password = get("MATRIX_PASSWORD") or None
    access_token = get("MATRIX_ACCESS_TOKEN") or None
    if not password and not access_token:
        problems.append("Set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN so the bot can log in.")

    prefix = get("BOT_COMMAND_PREFIX", "!") or "!"
    if any(c.isspace() for c in prefix) or len(prefix) > 3:
        problems.append(
            f"BOT_COMMAND_PREFIX must be 1-3 characters without spaces, not {prefix!r}."
        )

    language = get("BOT_LANGUAGE", "de") or "de"
    if language not in SUPPORTED_LANGUAGES:
        problems.append(
            f"BOT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}, not {language!r}."
        )
        language = "de"

    tz_name = get("BOT_TIMEZONE", "Europe/Berlin") or "Europe/Berlin"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"BOT_TIMEZONE {tz_name!r} is not a known time zone such as Europe/Berlin.")
        timezone = ZoneInfo("Europe/Berlin")

    staff_users = frozenset(_split(get("BOT_STAFF_USERS")))
    for staff in sorted(staff_users):
        if not _USER_ID.match(staff):
            problems.append(f"BOT_STAFF_USERS contains {staff!r}, which is not a Matrix user id.")

    staff_room = _room_setting("BOT_STAFF_ROOM", get("BOT_STAFF_ROOM"), problems)
    ideas_room = _room_setting("BOT_IDEAS_ROOM", get("BOT_IDEAS_ROOM"), problems)
    announce_rooms = tuple(
        room
        for ref in _split(get("BOT_ANNOUNCE_ROOMS"))
        if (room := _room_setting("BOT_ANNOUNCE_ROOMS", ref, problems))
    )

    departments_file = Path(get("BOT_DEPARTMENTS_FILE")) if get("BOT_DEPARTMENTS_FILE") else None
    departments = load_departments(departments_file, problems) if departments_file else ()

    server_name = user_id.split(":", 1)[1] if ":" in user_id else ""
    allowed = frozenset(_split(get("BOT_ALLOWED_SERVERS"))) or frozenset({server_name} - {""})

    if problems:
        raise ConfigError(problems)
    return Settings(
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        password=password,
        access_token=access_token,
        device_id=get("MATRIX_DEVICE_ID") or None,
        database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL,
        command_prefix=prefix,
        language=language,
        timezone=timezone,
        staff_users=staff_users,
        staff_room=staff_room,
        ideas_room=ideas_room,
        announce_rooms=announce_rooms,
        departments_file=departments_file,
        departments=departments,
        allowed_servers=allowed,
    )


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _room_setting(name: str, value: str, problems: list[str]) -> str | None:
    if not value:
        return None
    if not _ROOM_REF.match(value):
        problems.append(
            f"{name} contains {value!r}, which is neither a room id (!abc:server) "
            "nor a room alias (#name:server)."
        )
        return None
    return value


def load_departments(path: Path, problems: list[str]) -> tuple[Department, ...]:
    """Read the departments TOML file, appending every problem found to `problems`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(f"The departments file {path} cannot be read: {exc.strerror or exc}.")
        return ()
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"The departments file {path} is not valid TOML: {exc}.")
        return ()
    entries = data.get("department")
    if not isinstance(entries, list) or not entries:
        problems.append(f"The departments file {path} has no [[department]] tables.")
        return ()
    departments: list[Department] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        where = f"department {index} in {path}"
        missing = [key for key in ("id", "name", "room") if not str(entry.get(key, "")).strip()]
        if missing:
            problems.append(f"The {where} lacks {', '.join(missing)}.")
            continue
        dep_id = str(entry["id"]).strip()
        if not _DEPARTMENT_ID.match(dep_id):
            problems.append(f"The {where} has the id {dep_id!r}; use lower-case letters and _.")
        if dep_id in seen:
            problems.append(f"The id {dep_id!r} appears twice in {path}.")
        seen.add(dep_id)
        room = _room_setting(f"The room of {where}", str(entry["room"]).strip(), problems)
        departments.append(
            Department(
                id=dep_id,
                name=str(entry["name"]).strip(),
                room=room or "",
                scope=str(entry.get("scope", "")),
                keywords=tuple(str(k) for k in entry.get("keywords", [])),
                examples=tuple(str(e) for e in entry.get("examples", [])),
            )
        )
    return tuple(departments)
