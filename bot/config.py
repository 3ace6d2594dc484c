"""Settings read once from the environment (optionally a `.env` file) into a frozen object.

Every problem is collected before anything is raised, so `check-config` can name all of
them at once instead of making an operator fix them one restart at a time.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.adapters.matrix.identity import parse_user_id
from bot.timeparse import TimeParseError, parse_duration

SUPPORTED_LANGUAGES = ("de", "en")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/smartregion.db"

NO_PLATFORM = (
    "No chat platform is configured: set MATRIX_HOMESERVER, MATRIX_USER_ID and "
    "MATRIX_PASSWORD (or MATRIX_ACCESS_TOKEN) to run on Matrix."
)
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
    """A department of the programme that citizens' questions can be routed to.

    `rooms` holds its expert room per platform: the file's `room` is the Matrix room, and
    another platform's key (e.g. `discord_channel`) adds an entry beside it.
    """

    id: str
    name: str
    rooms: Mapping[str, str]
    scope: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlatformSettings:
    """What every chat platform configures: the bot's own id, its staff and its rooms.

    A platform without settings has none of these, which is what `Settings.for_platform`
    returns for it.
    """

    user_id: str = ""
    """The bot's own id on the platform, as people there address it."""
    staff_users: frozenset[str] = frozenset()
    """People who are staff on this platform whatever their rooms say."""
    staff_room: str | None = None
    ideas_room: str | None = None
    announce_rooms: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MatrixSettings(PlatformSettings):
    """The Matrix account and rooms; present only when a MATRIX_* setting is given."""

    homeserver: str
    password: str | None
    access_token: str | None
    device_id: str | None
    allowed_servers: frozenset[str]
    """Homeservers whose users may invite the bot into rooms."""
    crypto_store: Path = Path("data/crypto")
    """Directory of the end-to-end encryption keys; losing it makes encrypted rooms unreadable
    for the bot's device, so it belongs in backups together with the database."""

    @property
    def server_name(self) -> str:
        """The bot's own homeserver name, taken from its user id."""
        return self.user_id.split(":", 1)[1]


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to know about its deployment, platform settings grouped."""

    platforms: Mapping[str, PlatformSettings]
    """The configured platforms by name; only these get an adapter."""
    database_url: str
    command_prefix: str
    language: str
    timezone: ZoneInfo
    departments_file: Path | None
    departments: tuple[Department, ...]
    idea_rate: int = 5
    """Ideas one person may submit per hour; 0 means no limit."""
    idea_report_threshold: int = 3
    """Distinct reports after which an idea is hidden until staff decide."""
    ideas_review: bool = False
    """New ideas wait in the staff room for `!freigeben` before they are published."""
    workshop_announce_offsets: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1))
    """How long before a workshop it is announced again (besides on creation)."""
    workshop_remind_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    """How long before a workshop registered people get a reminder by direct message."""
    rate_limits: Mapping[str, int] = field(default_factory=dict)
    """Hourly per-person limits by command name, overriding what commands declare."""
    question_remind: timedelta = timedelta(hours=24)
    """How long a routed question may wait for an expert's answer before its thread is nudged."""
    question_sla: timedelta = timedelta(hours=72)
    """How long before an unanswered question is escalated to the staff room."""
    privacy_controller: str = ""
    """Who is responsible for the data under the DSGVO; empty: `!datenschutz` says it is unset."""
    privacy_contact: str = ""
    """How people reach the controller or its data protection officer (address, e-mail)."""
    retention_questions_days: int = 180
    """Days after a question is closed before it and its answers are deleted."""
    retention_workshops_days: int = 90
    """Days after a workshop ended before its registrations are deleted."""

    @property
    def matrix(self) -> MatrixSettings | None:
        """The Matrix settings, when Matrix is configured."""
        matrix = self.platforms.get("matrix")
        return matrix if isinstance(matrix, MatrixSettings) else None

    def for_platform(self, platform: str) -> PlatformSettings:
        """The settings of `platform`; empty (no staff, no rooms) when it is not configured."""
        return self.platforms.get(platform) or PlatformSettings()

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

    matrix = _matrix_settings(get, problems)

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

    departments_file = Path(get("BOT_DEPARTMENTS_FILE")) if get("BOT_DEPARTMENTS_FILE") else None
    departments = load_departments(departments_file, problems) if departments_file else ()

    ideas_review = _flag("BOT_IDEAS_REVIEW", get("BOT_IDEAS_REVIEW"), False, problems)
    if ideas_review and not (matrix and matrix.staff_room):
        problems.append("BOT_IDEAS_REVIEW=true needs BOT_STAFF_ROOM: ideas are reviewed there.")
    question_remind = _duration("BOT_QUESTION_REMIND", get("BOT_QUESTION_REMIND"), "24h", problems)
    question_sla = _duration("BOT_QUESTION_SLA", get("BOT_QUESTION_SLA"), "72h", problems)
    if question_remind >= question_sla:
        problems.append(
            "BOT_QUESTION_REMIND must be shorter than BOT_QUESTION_SLA: the thread is "
            "reminded before the question is escalated to the staff room."
        )
    rate_limits: dict[str, int] = {}
    for part in _split(get("BOT_RATE_LIMITS")):
        command, _, number = part.partition("=")
        if not command.strip() or not number.strip().isdigit():
            problems.append(
                f"BOT_RATE_LIMITS contains {part!r}; write command=number, e.g. frage=10."
            )
            continue
        rate_limits[command.strip().casefold()] = int(number)
    numbers = {
        field_name: _number(name, get(name), default, minimum, maximum, problems)
        for field_name, name, default, minimum, maximum in _NUMBERS
    }
    announce_offsets = _offsets(
        "BOT_WORKSHOP_ANNOUNCE", values.get("BOT_WORKSHOP_ANNOUNCE", "7d,1d"), problems
    )
    remind_offsets = _offsets(
        "BOT_WORKSHOP_REMIND", values.get("BOT_WORKSHOP_REMIND", "24h,1h"), problems
    )

    if problems:
        raise ConfigError(problems)
    return Settings(
        platforms={"matrix": matrix} if matrix is not None else {},
        database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL,
        command_prefix=prefix,
        language=language,
        timezone=timezone,
        departments_file=departments_file,
        departments=departments,
        rate_limits=rate_limits,
        question_remind=question_remind,
        question_sla=question_sla,
        privacy_controller=get("BOT_PRIVACY_CONTROLLER"),
        privacy_contact=get("BOT_PRIVACY_CONTACT"),
        **numbers,
        ideas_review=ideas_review,
        workshop_announce_offsets=announce_offsets,
        workshop_remind_offsets=remind_offsets,
    )


_MATRIX_VARIABLES = (
    "MATRIX_HOMESERVER",
    "MATRIX_USER_ID",
    "MATRIX_PASSWORD",
    "MATRIX_ACCESS_TOKEN",
    "MATRIX_DEVICE_ID",
    "BOT_STAFF_USERS",
    "BOT_STAFF_ROOM",
    "BOT_IDEAS_ROOM",
    "BOT_ANNOUNCE_ROOMS",
    "BOT_ALLOWED_SERVERS",
)
"""Any of these set means the deployment runs on Matrix; none set, Matrix is not started."""


def _matrix_settings(get: Callable[[str], str], found: list[str]) -> MatrixSettings | None:
    """The Matrix settings, or None when none is given; problems are named "Matrix: …"."""
    if not any(get(name) for name in _MATRIX_VARIABLES):
        return None
    problems: list[str] = []
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
    elif parse_user_id(user_id) is None:
        problems.append(
            f"MATRIX_USER_ID {user_id!r} is not a Matrix user id like @bot:example.org."
        )

    password = get("MATRIX_PASSWORD") or None
    access_token = get("MATRIX_ACCESS_TOKEN") or None
    if not password and not access_token:
        problems.append("Set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN so the bot can log in.")

    staff_users = frozenset(_split(get("BOT_STAFF_USERS")))
    for staff in sorted(staff_users):
        if parse_user_id(staff) is None:
            problems.append(f"BOT_STAFF_USERS contains {staff!r}, which is not a Matrix user id.")

    staff_room = _room_setting("BOT_STAFF_ROOM", get("BOT_STAFF_ROOM"), problems)
    ideas_room = _room_setting("BOT_IDEAS_ROOM", get("BOT_IDEAS_ROOM"), problems)
    announce_rooms = tuple(
        room
        for ref in _split(get("BOT_ANNOUNCE_ROOMS"))
        if (room := _room_setting("BOT_ANNOUNCE_ROOMS", ref, problems))
    )
    server_name = user_id.split(":", 1)[1] if ":" in user_id else ""
    allowed = frozenset(_split(get("BOT_ALLOWED_SERVERS"))) or frozenset({server_name} - {""})
    found.extend(f"Matrix: {problem}" for problem in problems)
    return MatrixSettings(
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        password=password,
        access_token=access_token,
        device_id=get("MATRIX_DEVICE_ID") or None,
        staff_users=staff_users,
        staff_room=staff_room,
        ideas_room=ideas_room,
        announce_rooms=announce_rooms,
        allowed_servers=allowed,
        crypto_store=Path(get("BOT_CRYPTO_STORE") or "data/crypto"),
    )


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


_NUMBERS = (
    # Settings field, variable, default, minimum, maximum.
    ("idea_rate", "BOT_IDEA_RATE", 5, 0, 10_000),
    ("idea_report_threshold", "BOT_IDEA_REPORT_THRESHOLD", 3, 1, 1_000),
    ("retention_questions_days", "BOT_RETENTION_QUESTIONS_DAYS", 180, 1, 36_500),
    ("retention_workshops_days", "BOT_RETENTION_WORKSHOPS_DAYS", 90, 1, 36_500),
)
_TRUE, _FALSE = ("true", "1", "yes", "ja"), ("false", "0", "no", "nein")


def _number(
    name: str, raw: str, default: int, minimum: int, maximum: int, problems: list[str]
) -> int:
    """A whole number within bounds; empty means the default."""
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and minimum <= int(raw) <= maximum:
        return int(raw)
    problems.append(f"{name} must be a whole number from {minimum} to {maximum}, not {raw!r}.")
    return default


def _flag(name: str, raw: str, default: bool, problems: list[str]) -> bool:
    value = raw.casefold()
    if not value:
        return default
    if value not in _TRUE + _FALSE:
        problems.append(f"{name} must be true or false, not {raw!r}.")
    return value in _TRUE


def _duration(name: str, raw: str, default: str, problems: list[str]) -> timedelta:
    """A positive duration such as 24h, 3d, 2w or 90m; empty means the default."""
    try:
        return parse_duration(raw or default)
    except TimeParseError:
        problems.append(f"{name} must be a duration like 24h, 3d or 90m, not {raw!r}.")
        return parse_duration(default)


def _offsets(name: str, raw: str, problems: list[str]) -> tuple[timedelta, ...]:
    """Comma-separated durations, longest first; an empty setting means none."""
    offsets: set[timedelta] = set()
    for part in _split(raw):
        try:
            offsets.add(parse_duration(part))
        except TimeParseError:
            problems.append(f"{name} contains {part!r}; write offsets like 7d, 24h or 30m.")
    return tuple(sorted(offsets, reverse=True))


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


def example_departments_file() -> Traversable:
    """The departments file shipped with the bot (Würzburg's), for the demo and `classify`.

    It is package data read through `importlib.resources`, so an installed bot finds it as
    well as a checkout does: nothing is read from the project root at run time.
    """
    return resources.files("bot") / "data" / "departments.example.toml"


def load_departments(path: Path | Traversable, problems: list[str]) -> tuple[Department, ...]:
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
    room_problems: list[str] = []  # `room` is the Matrix room of a department
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
        room = _room_setting(f"The room of {where}", str(entry["room"]).strip(), room_problems)
        departments.append(
            Department(
                id=dep_id,
                name=str(entry["name"]).strip(),
                rooms={"matrix": room} if room else {},
                scope=str(entry.get("scope", "")),
                keywords=tuple(str(k) for k in entry.get("keywords", [])),
                examples=tuple(str(e) for e in entry.get("examples", [])),
            )
        )
    problems.extend(f"Matrix: {problem}" for problem in room_problems)
    return tuple(departments)
