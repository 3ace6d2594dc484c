"""`smartregion-bot`: the bot, the demo, settings checks, exports, routing, DSGVO requests."""

from __future__ import annotations

import argparse
import asyncio
import calendar
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.adapters.base import PlatformSetupError
from bot.capabilities import ExportKind
from bot.clock import SystemClock
from bot.config import (
    NO_PLATFORM,
    ConfigError,
    DiscordSettings,
    Settings,
    example_departments_file,
)
from bot.exports import FORMATS, ExportError, write_export

PRIVACY_PLATFORMS = ("matrix", "discord")
"""The platforms whose user ids `privacy export|delete` takes."""

logger = logging.getLogger(__name__)

STATS_FORMATS = ("csv", "json")
STATS_MAX_WEEKS = 52

EXIT_ALREADY_RUNNING = 3
"""`run` found another bot process on the same SQLite file (a supervisor should not retry)."""
EXIT_LOST_LEADERSHIP = 4
"""The active instance lost the PostgreSQL leadership and stopped; a restart makes it a
standby."""


def logger_level(text: str) -> tuple[str, str]:
    """`name=LEVEL` for `--log`: one logger (and its children) at its own level."""
    name, _, level = text.partition("=")
    level = level.strip().upper()
    if not name.strip() or level not in logging.getLevelNamesMapping():
        raise argparse.ArgumentTypeError(f"expected LOGGER=LEVEL (e.g. bot=DEBUG), got {text!r}")
    return name.strip(), level


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartregion-bot", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    parser.add_argument(
        "--log",
        action="append",
        default=[],
        metavar="LOGGER=LEVEL",
        type=logger_level,
        help="set one logger's level, e.g. bot.timing=DEBUG (repeatable)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot with settings from the environment")
    run.add_argument("--env-file", type=Path, help="read settings from this .env file")
    run.add_argument(
        "--no-page",
        action="store_true",
        help="do not start the public page: `smartregion-bot web` serves it under its own unit",
    )
    check = commands.add_parser("check-config", help="name every problem in the settings")
    check.add_argument("--env-file", type=Path, help="read settings from this .env file")
    page = commands.add_parser(
        "web", help="serve the public page (BOT_WEB_ADDRESS) in a process of its own"
    )
    page.add_argument("--env-file", type=Path, help="read settings from this .env file")
    page.add_argument(
        "--until-stdin-closes", action="store_true", help=argparse.SUPPRESS
    )  # how `run` starts it as a child: it ends when the bot does
    demo = commands.add_parser("demo", help="local homeserver, demo users and rooms, and the bot")
    demo.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    demo.add_argument("--port", type=int, default=8008, help="homeserver port on 127.0.0.1")
    demo.add_argument("--web-port", type=int, default=8080, help="public page port on 127.0.0.1")
    export = commands.add_parser("export", help="write an export file (e.g. every idea)")
    export.add_argument("kind", help="what to export, e.g. ideas")
    export.add_argument("--format", choices=FORMATS, default=FORMATS[0], dest="file_format")
    export.add_argument("--number", type=int, help="only this item (e.g. one poll's results)")
    export.add_argument("--output", type=Path, help="file to write (default: a dated name here)")
    export.add_argument("--env-file", type=Path, help="read settings from this .env file")
    classify = commands.add_parser(
        "classify", help="route questions (one per line on stdin) to departments, as JSON lines"
    )
    classify.add_argument(
        "--departments",
        type=Path,
        help=f"departments file (default: BOT_DEPARTMENTS_FILE, else {example_departments_file()})",
    )
    stats = commands.add_parser(
        "stats", help="the staff digest's weekly figures (counts only) as CSV or JSON"
    )
    stats.add_argument("--format", choices=STATS_FORMATS, default="csv", dest="file_format")
    stats.add_argument("--weeks", type=week_count, default=12, help="full weeks (1-52)")
    stats.add_argument("--output", type=Path, help="file to write (default: standard output)")
    stats.add_argument("--env-file", type=Path, help="read settings from this .env file")
    privacy = commands.add_parser("privacy", help="a person's data for written DSGVO requests")
    privacy_actions = privacy.add_subparsers(dest="privacy_action", required=True)
    person_help = "the person: @name:server (Matrix) or discord:<user id> (Discord)"
    platform_help = "the platform of a bare id (e.g. --platform discord 123456789012345678)"
    privacy_export = privacy_actions.add_parser("export", help="write everything stored as JSON")
    privacy_export.add_argument("person", help=person_help)
    privacy_export.add_argument("--platform", choices=PRIVACY_PLATFORMS, help=platform_help)
    privacy_export.add_argument("--output", type=Path, help="file to write (default: here)")
    privacy_export.add_argument("--env-file", type=Path, help="read settings from this file")
    privacy_delete = privacy_actions.add_parser("delete", help="erase everything stored")
    privacy_delete.add_argument("person", help=person_help)
    privacy_delete.add_argument("--platform", choices=PRIVACY_PLATFORMS, help=platform_help)
    privacy_delete.add_argument("--env-file", type=Path, help="read settings from this file")
    privacy_delete.add_argument("--yes", action="store_true", help="do not ask before erasing")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.debug:
        # nio logs every event at INFO and Matrix ids in its warnings; alembic narrates
        # every migration step. Keep the log about the bot, free of people's ids.
        logging.getLogger("nio").setLevel(logging.ERROR)
        logging.getLogger("alembic").setLevel(logging.WARNING)
    for name, level in args.log:
        logging.getLogger(name).setLevel(level)

    if args.command == "export":
        from bot.app import capabilities

        exporters = capabilities().exporters
        if args.kind not in exporters:
            known = ", ".join(repr(kind) for kind in sorted(exporters))
            parser.error(f"argument kind: invalid choice: {args.kind!r} (choose from {known})")
        export = exporters[args.kind]
        return export_file(export, args.file_format, args.number, args.output, args.env_file)
    if args.command == "privacy":
        from bot.privacy_command import run_privacy

        return run_privacy(
            args.privacy_action,
            args.person,
            args.env_file,
            output=getattr(args, "output", None),
            confirmed=getattr(args, "yes", False),
            platform=args.platform,
        )
    if args.command == "stats":
        from bot.stats_command import run_stats

        settings = settings_or_problems(args.env_file)
        if settings is None:
            return 2
        return run_stats(settings, args.file_format, args.weeks, args.output)
    if args.command == "classify":
        from bot.classify_command import run_classify

        return run_classify(args.departments, sys.stdin, sys.stdout, sys.stderr)
    if args.command == "web":
        return run_page(args.env_file, until_stdin_closes=args.until_stdin_closes)
    if args.command == "check-config":
        return check_config(args.env_file)
    if args.command == "run":
        settings = settings_or_problems(args.env_file)
        if settings is None:
            return 2
        if not settings.platforms:
            print_problems(ConfigError([NO_PLATFORM]))
            return 2
        from bot.leadership import AlreadyRunning, UnsupportedServer

        try:
            return run_until_interrupted(run_bot(settings, serve_page=not args.no_page))
        except (PlatformSetupError, UnsupportedServer) as error:
            print(f"The bot cannot run: {error}", file=sys.stderr)
            return 2
        except AlreadyRunning as error:
            print(
                f"The bot is already running on {error.database} (process "
                f"{error.pid or 'unknown'}). A SQLite database serves one bot process; stop "
                "the other one first, or use PostgreSQL to run an active and a standby "
                "instance (docs/deployment.md).",
                file=sys.stderr,
            )
            return EXIT_ALREADY_RUNNING
    from bot.demo import run_demo

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return run_until_interrupted(run_demo(data_dir, args.port, args.web_port))


def week_count(text: str) -> int:
    """`--weeks`: a whole number of weeks from 1 to 52."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= STATS_MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of weeks from 1 to 52")
    return int(text)


def export_file(
    export: ExportKind,
    file_format: str,
    number: int | None,
    output: Path | None,
    env_file: Path | None,
) -> int:
    """Write the export of a kind from the bot's database, as `!export` uploads it in chat."""
    try:
        settings = Settings.from_env(env_file=env_file)
    except ConfigError as error:
        print_problems(error)
        return 2
    now = SystemClock(settings.timezone).now()
    try:
        path = asyncio.run(
            write_export(settings.database_url, export, file_format, now, output, number)
        )
    except ExportError as error:
        print(f"Cannot export: {error.key} {error.params}", file=sys.stderr)
        return 2
    print(f"Wrote {path}")
    return 0


def check_config(env_file: Path | None) -> int:
    try:
        settings = Settings.from_env(env_file=env_file)
    except ConfigError as error:
        print_problems(error)
        return 2
    if not settings.platforms:
        print_problems(ConfigError([NO_PLATFORM]))
        return 2
    print(f"The settings are fine: {len(settings.departments)} departments.")
    print(f"  - {digest_summary(settings)}")
    if settings.matrix is not None:
        print(f"  - Matrix: {settings.matrix.user_id} on {settings.matrix.homeserver}")
    if settings.discord is not None:
        print_discord_summary(settings.discord)
    if settings.web is not None:
        web = settings.web
        links = web.base_url or "no links in the chat (BOT_WEB_BASE_URL is empty)"
        print(f"  - Public page: http://{web.host}:{web.port}/ ; {links}")
    return 0


def run_page(env_file: Path | None, *, until_stdin_closes: bool) -> int:
    """`smartregion-bot web`: the public page alone, on the bot's database."""
    settings = settings_or_problems(env_file)
    if settings is None:
        return 2
    if settings.web is None:
        print("BOT_WEB_ADDRESS is not set: there is no page to serve.", file=sys.stderr)
        return 2
    from bot.web.process import SchemaMissing, serve

    try:
        return run_until_interrupted(serve(settings, until_stdin_closes=until_stdin_closes))
    except (SchemaMissing, OSError) as error:
        print(f"The public page cannot run: {error}", file=sys.stderr)
        return 2


def digest_summary(settings: Settings) -> str:
    """When the weekly staff digest goes out, and to which platforms' staff rooms."""
    if settings.digest_weekday is None:
        return "Weekly staff digest: off (BOT_DIGEST_DAY=off)"
    rooms = [name for name, platform in settings.platforms.items() if platform.staff_room]
    day = calendar.day_name[settings.digest_weekday]
    where = ", ".join(rooms) if rooms else "nowhere: no staff room is configured"
    return (
        f"Weekly staff digest: {day} {settings.digest_time:%H:%M} ({settings.timezone.key}) "
        f"to the staff room on {where}"
    )


def print_discord_summary(discord: DiscordSettings) -> None:
    """What `check-config` can say about Discord without reaching it, and what it cannot."""
    servers = ", ".join(sorted(discord.guild_ids, key=int))
    print(f"  - Discord: servers {servers} on {discord.api_url} (gateway {discord.gateway_url})")
    # Whether the portal switch is on shows only at the gateway (it closes with 4014 when
    # the bot asks for an intent that is off), which check-config does not reach.
    print(
        "    `!` commands in channels and experts' answers in question threads need the "
        "privileged Message Content intent, staff and expert roles the Server Members "
        "intent: enable both in the Discord developer portal (your application, Bot, "
        "Privileged Gateway Intents). Without Message Content `run` says so and runs on "
        "with slash commands only (`!` commands in channels are off; DMs still work); "
        "without Server Members Discord refuses the bot's connection, and `run` stops "
        "saying so."
    )


def settings_or_problems(env_file: Path | None) -> Settings | None:
    """The settings, or None after printing every problem they have."""
    try:
        return Settings.from_env(env_file=env_file)
    except ConfigError as error:
        print_problems(error)
        return None


def print_problems(error: ConfigError) -> None:
    print("The settings have problems:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


async def run_bot(settings: Settings, *, serve_page: bool = True) -> None:
    """Wait until this instance is the active one (bot.leadership), then run the bot."""
    from bot.app import App
    from bot.leadership import election

    leadership = election(settings.database_url, settings.failover_seconds, stop_at_once)
    try:
        await leadership.acquire()
        async with App(settings, serve_page=serve_page) as app:
            await app.run()
    finally:
        await leadership.release()


def stop_at_once() -> None:
    """Fencing: a process that lost the leadership ends now, without the clean-up of a
    normal stop, whose draining handlers could still send while the new active instance
    already answers. What it stored is in the database; what it had not, the new one
    catches up from the last saved sync token."""
    logging.shutdown()
    os._exit(EXIT_LOST_LEADERSHIP)


def run_until_interrupted(main_coroutine: object) -> int:
    """Run until done or Ctrl-C / SIGTERM, then let every `async with` clean up."""

    async def runner() -> None:
        task = asyncio.ensure_future(main_coroutine)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            logger.info("Stopped.")

    asyncio.run(runner())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
