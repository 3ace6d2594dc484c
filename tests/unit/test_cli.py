"""The console script: check-config names problems and exits non-zero."""

import os
from pathlib import Path

from bot.cli import main
from bot.config import example_departments_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_check_config_names_every_problem(tmp_path, capsys, monkeypatch):
    for name in ("MATRIX_HOMESERVER", "MATRIX_USER_ID", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "bad.env"
    env_file.write_text("MATRIX_USER_ID=bot\nBOT_STAFF_ROOM=staff\n", "utf-8")
    assert main(["check-config", "--env-file", str(env_file)]) == 2
    errors = capsys.readouterr().err
    assert "MATRIX_HOMESERVER is missing" in errors
    assert "BOT_STAFF_ROOM contains 'staff'" in errors


def test_check_config_accepts_the_example_with_credentials(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MATRIX_ACCESS_TOKEN", raising=False)
    env_file = tmp_path / "good.env"
    example = (PROJECT_ROOT / "config.example.env").read_text("utf-8")
    env_file.write_text(
        example.replace("MATRIX_PASSWORD=\n", "MATRIX_PASSWORD=secret\n")
        + f"BOT_DEPARTMENTS_FILE={example_departments_file()}\n",
        "utf-8",
    )
    assert main(["check-config", "--env-file", str(env_file)]) == 0
    assert "9 departments" in capsys.readouterr().out


def test_missing_env_file_is_named(tmp_path, capsys):
    assert main(["check-config", "--env-file", str(tmp_path / "nope.env")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_check_config_prefixes_problems_with_their_platform(tmp_path, capsys, monkeypatch):
    for name in ("MATRIX_HOMESERVER", "MATRIX_USER_ID", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "bad.env"
    env_file.write_text("MATRIX_USER_ID=@bot:localhost\n", "utf-8")
    assert main(["check-config", "--env-file", str(env_file)]) == 2
    errors = capsys.readouterr().err
    assert "  - Matrix: MATRIX_HOMESERVER is missing" in errors
    assert "  - Matrix: Set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN" in errors


def test_without_any_platform_run_and_check_config_say_so(tmp_path, capsys, monkeypatch):
    for name in ("MATRIX_HOMESERVER", "MATRIX_USER_ID", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "empty.env"
    env_file.write_text("BOT_LANGUAGE=de\n", "utf-8")
    for command in ("check-config", "run"):
        assert main([command, "--env-file", str(env_file)]) == 2
        assert "No chat platform is configured" in capsys.readouterr().err


def _without_platform_settings(monkeypatch):
    for name in [name for name in os.environ if name.startswith(("MATRIX_", "DISCORD_"))]:
        monkeypatch.delenv(name)


def test_check_config_lists_discord_and_reminds_of_message_content(tmp_path, capsys, monkeypatch):
    _without_platform_settings(monkeypatch)
    env_file = tmp_path / "discord.env"
    example = (PROJECT_ROOT / "config.example.env").read_text("utf-8")
    env_file.write_text(
        example.replace("MATRIX_PASSWORD=\n", "MATRIX_PASSWORD=secret\n")
        .replace("DISCORD_TOKEN=\n", "DISCORD_TOKEN=MTIz.abc.def\n")
        .replace(
            "DISCORD_GUILD_IDS=\n", "DISCORD_GUILD_IDS=222222222222222222,111111111111111111\n"
        ),
        "utf-8",
    )
    assert main(["check-config", "--env-file", str(env_file)]) == 0
    out = capsys.readouterr().out
    assert "  - Matrix: @smartregion-bot:example.org on https://matrix.example.org\n" in out
    assert (
        "  - Discord: servers 111111111111111111, 222222222222222222 on "
        "https://discord.com/api/v10 (gateway wss://gateway.discord.gg)\n"
    ) in out
    assert "privileged Message Content intent" in out
    assert "MTIz" not in out, "the token is never printed"


def test_check_config_names_discord_problems(tmp_path, capsys, monkeypatch):
    _without_platform_settings(monkeypatch)
    env_file = tmp_path / "bad.env"
    env_file.write_text(
        "DISCORD_GUILD_IDS=abc\nDISCORD_GATEWAY_URL=ws://gateway.example.org\n", "utf-8"
    )
    assert main(["check-config", "--env-file", str(env_file)]) == 2
    errors = capsys.readouterr().err
    assert "  - Discord: DISCORD_TOKEN is missing" in errors
    assert "  - Discord: DISCORD_GUILD_IDS contains 'abc', which is not a Discord id" in errors
    assert "  - Discord: DISCORD_GATEWAY_URL 'ws://gateway.example.org' uses ws://" in errors


def test_without_any_platform_both_platforms_are_named(tmp_path, capsys, monkeypatch):
    _without_platform_settings(monkeypatch)
    env_file = tmp_path / "empty.env"
    env_file.write_text("BOT_LANGUAGE=de\n", "utf-8")
    assert main(["check-config", "--env-file", str(env_file)]) == 2
    errors = capsys.readouterr().err
    assert "MATRIX_HOMESERVER" in errors and "DISCORD_TOKEN" in errors
