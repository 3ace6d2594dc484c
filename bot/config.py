"""Settings read once from the environment (optionally a `.env` file) into a frozen object.

Every problem is collected before anything is raised, so `check-config` can name all of
them at once instead of making an operator fix them one restart at a time.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.adapters.discord.identity import is_snowflake
from bot.adapters.matrix.identity import parse_user_id
from bot.timeparse import WEEKDAYS, TimeParseError, parse_duration, parse_time_of_day

SUPPORTED_LANGUAGES = ("de", "en")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/smartregion.db"

NO_PLATFORM = (
    "No chat platform is configured: set MATRIX_HOMESERVER, MATRIX_USER_ID and "
    "MATRIX_PASSWORD (or MATRIX_ACCESS_TOKEN) to run on Matrix, or DISCORD_TOKEN and "
    "DISCORD_GUILD_IDS to run on Discord."
)
DISCORD_API_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg"
# Room ids of room version 12 have no server part (`!hash`); aliases always have one.
_ROOM_REF = re.compile(r"^(![^:\s]+(:[A-Za-z0-9.\-]+(:\d+)?)?|#[^:\s]+:[A-Za-z0-9.\-]+(:\d+)?)$")
_DEPARTMENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_DEPARTMENT_KEYS = ("id", "name", "room", "discord_channel", "discord_role")


class ConfigError(Exception):
    """Raised with every configuration problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Department:
    """A department of the programme that citizens' questions can be routed to.

    `rooms` holds its expert room per platform: the file's `room` is the Matrix room, and
    `discord_channel` the Discord channel. `roles` holds an expert role per platform, for
    platforms whose members carry roles (the file's `discord_role`): its members are
    experts of the department even where they cannot see its room.
    """

    id: str
    name: str
    rooms: Mapping[str, str]
    scope: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PlatformSettings:
    """What every chat platform configures: its staff and its rooms.

    A platform without settings has none of these, which is what `Settings.for_platform`
    returns for it. The bot's own id is the adapter's (`ChatAdapter.user_id`): on some
    platforms it is known only after logging in.
    """

    staff_users: frozenset[str] = frozenset()
    """People who are staff on this platform whatever their rooms say."""
    staff_room: str | None = None
    ideas_room: str | None = None
    announce_rooms: tuple[str, ...] = ()

    @property
    def staff_group(self) -> str | None:
        """A group of the platform whose members are staff (`ChatAdapter.in_group`); None
        where the platform has no such setting."""
        return None


@dataclass(frozen=True, kw_only=True)
class MatrixSettings(PlatformSettings):
    """The Matrix account and rooms; present only when a MATRIX_* setting is given."""

    homeserver: str
    user_id: str
    """The bot's Matrix id (MATRIX_USER_ID), e.g. @bot:example.org."""
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


@dataclass(frozen=True, kw_only=True)
class DiscordSettings(PlatformSettings):
    """The Discord bot and its servers; present only when a DISCORD_* setting is given.

    Ids are snowflakes kept as their decimal text, as people and Discord's JSON write them.
    The bot's own user id is not a setting: the adapter learns it when it logs in.
    `staff_room`, `ideas_room` and `announce_rooms` are channel ids.
    """

    token: str = field(repr=False)
    """The bot token from the developer portal; kept out of `repr` so logs never show it."""
    guild_ids: frozenset[str]
    """Servers the bot serves; it leaves any other server it is added to."""
    staff_role: str | None = None
    """Members with this role are staff in every listed server."""
    api_url: str = DISCORD_API_URL
    """REST base URL (with the API version); another one points the bot at an emulator."""
    gateway_url: str = DISCORD_GATEWAY_URL
    """Gateway WebSocket URL; plain ws:// only on a loopback host (an emulator)."""

    @property
    def staff_group(self) -> str | None:
        """The staff role: its members are staff (in the guild the role belongs to)."""
        return self.staff_role


@dataclass(frozen=True, kw_only=True)
class WebSettings:
    """The public web page (bot.web); present only when BOT_WEB_ADDRESS is set."""

    host: str
    port: int
    base_url: str = ""
    """Where people reach the page (BOT_WEB_BASE_URL, no trailing slash); chat messages
    link to it only when it is set, since the listening address may be internal."""
    licence: str = "CC0-1.0"
    """The licence the open data is published under (BOT_WEB_LICENCE)."""
    requests_per_minute: int = 300
    """Requests one address may make per minute before it gets 429; 0 means no limit."""
    discord_invite: str = ""
    """An invite link to the Discord server, shown on the start page when set."""


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
    question_example_half_life_days: int = 180
    """Days after which a learned routing example counts half as much (0: it never ages)."""
    retention_questions_days: int = 180
    """Days after a question is closed before it and its answers are deleted."""
    retention_workshops_days: int = 90
    """Days after a workshop ended before its registrations are deleted."""
    web: WebSettings | None = None
    """The public web page; None when it is off."""
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The variables these settings were read from (file and environment), so the public
    page's own process (`smartregion-bot web`, bot.web.process) reads the same ones."""
    digest_weekday: int | None = 0
    """The weekday of the staff digest (0 is Monday); None: no weekly digest."""
    digest_time: time = time(8, 0)
    """The local time of day of the staff digest."""
    failover_seconds: int = 10
    """PostgreSQL: how long a silent active instance keeps the leadership before a standby
    takes over (bot.leadership); a dead process frees it at once."""

    @property
    def matrix(self) -> MatrixSettings | None:
        """The Matrix settings, when Matrix is configured."""
        matrix = self.platforms.get("matrix")
        return matrix if isinstance(matrix, MatrixSettings) else None

    @property
    def discord(self) -> DiscordSettings | None:
        """The Discord settings, when Discord is configured."""
        discord = self.platforms.get("discord")
        return discord if isinstance(discord, DiscordSettings) else None

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
        return replace(_parse(values, problems), environment=values)


def _parse(values: Mapping[str, str], problems: list[str]) -> Settings:
    def get(name: str, default: str = "") -> str:
        return values.get(name, default).strip()

    matrix = _matrix_settings(get, problems)
    discord = _discord_settings(get, problems)

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
    if ideas_review and (matrix or not discord) and not (matrix and matrix.staff_room):
        problems.append("BOT_IDEAS_REVIEW=true needs BOT_STAFF_ROOM: ideas are reviewed there.")
    if ideas_review and discord and not discord.staff_room:
        problems.append(
            "Discord: BOT_IDEAS_REVIEW=true needs DISCORD_STAFF_CHANNEL: ideas from Discord "
            "are reviewed there."
        )
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

    web = _web_settings(get, problems)
    digest_weekday = _weekday("BOT_DIGEST_DAY", get("BOT_DIGEST_DAY"), problems)
    digest_time = _time_of_day("BOT_DIGEST_TIME", get("BOT_DIGEST_TIME"), time(8, 0), problems)

    if problems:
        raise ConfigError(problems)
    return Settings(
        platforms={
            name: platform
            for name, platform in (("matrix", matrix), ("discord", discord))
            if platform is not None
        },
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
        digest_weekday=digest_weekday,
        digest_time=digest_time,
        web=web,
    )


def _web_settings(get: Callable[[str], str], problems: list[str]) -> WebSettings | None:
    """The public page's settings; BOT_WEB_ADDRESS (host:port) turns it on."""
    address = get("BOT_WEB_ADDRESS")
    base_url = get("BOT_WEB_BASE_URL").rstrip("/")
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            problems.append(
                f"BOT_WEB_BASE_URL must be a URL like https://beteiligung.example.org, "
                f"not {base_url!r}."
            )
    if not address:
        if base_url:
            problems.append("BOT_WEB_BASE_URL is set but BOT_WEB_ADDRESS is not: set both.")
        return None
    host, _, port_text = address.rpartition(":")
    host = host.strip("[]")
    if not host or not port_text.isdigit() or int(port_text) > 65535:
        problems.append(f"BOT_WEB_ADDRESS must be host:port, e.g. 127.0.0.1:8080, not {address!r}.")
        return None
    invite = get("BOT_WEB_DISCORD_INVITE")
    if invite and not invite.startswith("https://"):
        problems.append(f"BOT_WEB_DISCORD_INVITE must be an https:// link, not {invite!r}.")
    return WebSettings(
        host=host,
        port=int(port_text),
        base_url=base_url,
        licence=get("BOT_WEB_LICENCE") or "CC0-1.0",
        requests_per_minute=_number(
            "BOT_WEB_RATE_LIMIT", get("BOT_WEB_RATE_LIMIT"), 300, 0, 1_000_000, problems
        ),
        discord_invite=invite,
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


_DISCORD_VARIABLES = (
    "DISCORD_TOKEN",
    "DISCORD_GUILD_IDS",
    "DISCORD_STAFF_USERS",
    "DISCORD_STAFF_ROLE",
    "DISCORD_STAFF_CHANNEL",
    "DISCORD_IDEAS_CHANNEL",
    "DISCORD_ANNOUNCE_CHANNELS",
    "DISCORD_API_URL",
    "DISCORD_GATEWAY_URL",
)
"""Any of these set means the deployment runs on Discord; none set, Discord is not started."""
_SNOWFLAKE_FORM = "a Discord id (a number like 123456789012345678)"


def _discord_settings(get: Callable[[str], str], found: list[str]) -> DiscordSettings | None:
    """The Discord settings, or None when none is given; problems are named "Discord: …"."""
    if not any(get(name) for name in _DISCORD_VARIABLES):
        return None
    problems: list[str] = []
    token = get("DISCORD_TOKEN")
    if not token:
        problems.append(
            "DISCORD_TOKEN is missing: set the bot token from the developer portal "
            "(your application, Bot, Reset Token)."
        )
    elif any(c.isspace() for c in token):
        problems.append(
            "DISCORD_TOKEN must be the token alone, without spaces or a 'Bot ' in front."
        )

    guild_ids = frozenset(_snowflakes("DISCORD_GUILD_IDS", get("DISCORD_GUILD_IDS"), problems))
    if not _split(get("DISCORD_GUILD_IDS")):
        problems.append(
            "DISCORD_GUILD_IDS is missing: list the ids of the servers the bot serves "
            "(comma-separated); it leaves any other server."
        )
    staff_users = frozenset(
        _snowflakes("DISCORD_STAFF_USERS", get("DISCORD_STAFF_USERS"), problems)
    )
    staff_role = _snowflake("DISCORD_STAFF_ROLE", get("DISCORD_STAFF_ROLE"), problems)
    staff_channel = _snowflake("DISCORD_STAFF_CHANNEL", get("DISCORD_STAFF_CHANNEL"), problems)
    ideas_channel = _snowflake("DISCORD_IDEAS_CHANNEL", get("DISCORD_IDEAS_CHANNEL"), problems)
    announce_channels = _snowflakes(
        "DISCORD_ANNOUNCE_CHANNELS", get("DISCORD_ANNOUNCE_CHANNELS"), problems
    )
    api_url = _endpoint("DISCORD_API_URL", get("DISCORD_API_URL"), "http", problems)
    gateway_url = _endpoint("DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), "ws", problems)
    found.extend(f"Discord: {problem}" for problem in problems)
    return DiscordSettings(
        token=token,
        guild_ids=guild_ids,
        staff_users=staff_users,
        staff_role=staff_role,
        staff_room=staff_channel,
        ideas_room=ideas_channel,
        announce_rooms=tuple(announce_channels),
        api_url=(api_url or DISCORD_API_URL).rstrip("/"),
        gateway_url=gateway_url or DISCORD_GATEWAY_URL,
    )


def _snowflake(name: str, value: str, problems: list[str]) -> str | None:
    """One Discord id setting; empty means none."""
    if not value:
        return None
    if not is_snowflake(value):
        problems.append(f"{name} is {value!r}, which is not {_SNOWFLAKE_FORM}.")
        return None
    return value


def _snowflakes(name: str, raw: str, problems: list[str]) -> list[str]:
    """Comma-separated Discord ids, in the order given, each named if it is not one."""
    ids: list[str] = []
    for part in _split(raw):
        if is_snowflake(part):
            ids.append(part)
        else:
            problems.append(f"{name} contains {part!r}, which is not {_SNOWFLAKE_FORM}.")
    return ids


def _endpoint(name: str, value: str, scheme: str, problems: list[str]) -> str | None:
    """An `http(s)` or `ws(s)` URL; the unencrypted scheme only on a loopback host.

    The bot token travels with every request, so it may go unencrypted only to this
    machine (an emulator in tests), never over a network.
    """
    if not value:
        return None
    secure = f"{scheme}s"
    try:
        parts = urlsplit(value)
        host, _port = parts.hostname, parts.port  # a port that is no number raises ValueError
    except ValueError:
        host = None
    if not host or parts.scheme not in (scheme, secure):
        problems.append(f"{name} must be a URL like {secure}://host/…, not {value!r}.")
        return None
    if parts.scheme == scheme and not _is_loopback(host):
        problems.append(
            f"{name} {value!r} uses {scheme}:// to another machine; use {secure}:// "
            f"({scheme}:// only on a loopback host such as 127.0.0.1, e.g. an emulator)."
        )
        return None
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


_NUMBERS = (
    # Settings field, variable, default, minimum, maximum.
    ("idea_rate", "BOT_IDEA_RATE", 5, 0, 10_000),
    ("idea_report_threshold", "BOT_IDEA_REPORT_THRESHOLD", 3, 1, 1_000),
    ("question_example_half_life_days", "BOT_QUESTION_EXAMPLE_HALF_LIFE_DAYS", 180, 0, 36_500),
    ("retention_questions_days", "BOT_RETENTION_QUESTIONS_DAYS", 180, 1, 36_500),
    ("retention_workshops_days", "BOT_RETENTION_WORKSHOPS_DAYS", 90, 1, 36_500),
    ("failover_seconds", "BOT_FAILOVER_SECONDS", 10, 3, 600),
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


def _weekday(name: str, raw: str, problems: list[str]) -> int | None:
    """A weekday (montag, mo, monday, mon, ...; 0 is Monday), empty for Monday, `off`/`aus`
    for none."""
    value = raw.casefold()
    if not value:
        return 0
    if value in ("off", "aus"):
        return None
    if value not in WEEKDAYS:
        problems.append(f"{name} must be a weekday such as monday or montag, or off, not {raw!r}.")
        return 0
    return WEEKDAYS[value]


def _time_of_day(name: str, raw: str, default: time, problems: list[str]) -> time:
    """A local time of day such as 08:00; empty means the default."""
    if not raw:
        return default
    parsed = parse_time_of_day(raw)
    if parsed is None:
        problems.append(f"{name} must be a time of day like 08:00, not {raw!r}.")
        return default
    return parsed


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
    discord_problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        where = f"department {index} in {path}"
        text = {key: str(entry.get(key, "")).strip() for key in _DEPARTMENT_KEYS}
        missing = [key for key in ("id", "name") if not text[key]]
        if not text["room"] and not text["discord_channel"]:
            # A question is routed into a room; an expert role alone gives it nowhere to go.
            missing.append("room or discord_channel")
        if missing:
            problems.append(f"The {where} lacks {', '.join(missing)}.")
            continue
        dep_id = text["id"]
        if not _DEPARTMENT_ID.match(dep_id):
            problems.append(f"The {where} has the id {dep_id!r}; use lower-case letters and _.")
        if dep_id in seen:
            problems.append(f"The id {dep_id!r} appears twice in {path}.")
        seen.add(dep_id)
        rooms: dict[str, str] = {}
        if text["room"]:
            room = _room_setting(f"The room of {where}", text["room"], room_problems)
            if room:
                rooms["matrix"] = room
        channel = _snowflake(
            f"The discord_channel of {where} ({dep_id})",
            text["discord_channel"],
            discord_problems,
        )
        if channel:
            rooms["discord"] = channel
        role = _snowflake(
            f"The discord_role of {where} ({dep_id})",
            text["discord_role"],
            discord_problems,
        )
        departments.append(
            Department(
                id=dep_id,
                name=text["name"],
                rooms=rooms,
                scope=str(entry.get("scope", "")),
                keywords=tuple(str(k) for k in entry.get("keywords", [])),
                examples=tuple(str(e) for e in entry.get("examples", [])),
                roles={"discord": role} if role else {},
            )
        )
    problems.extend(f"Matrix: {problem}" for problem in room_problems)
    problems.extend(f"Discord: {problem}" for problem in discord_problems)
    return tuple(departments)
