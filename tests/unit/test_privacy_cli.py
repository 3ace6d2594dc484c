"""`smartregion-bot privacy export|delete`: written requests, handled from the database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.cli import main
from bot.privacy_command import parse_person, run_privacy
from storage.privacy.personal_data import Someone
from tests.unit.privacy_world import ALICE, BERND, NAMES, everything_happened, town, traces_of


def env_file_for(tmp_path: Path) -> Path:
    env_file = tmp_path / "bot.env"
    env_file.write_text(
        "MATRIX_HOMESERVER=http://127.0.0.1:1\nMATRIX_USER_ID=@bot:localhost\n"
        f"MATRIX_PASSWORD=x\nDATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n"
        "BOT_PRIVACY_CONTROLLER=Stadt Würzburg\n",
        "utf-8",
    )
    return env_file


async def test_staff_export_and_erase_a_person_from_the_command_line(tmp_path, capsys):
    bot = await town(tmp_path)
    await everything_happened(bot)
    env_file = env_file_for(tmp_path)

    output = tmp_path / "bernd.json"
    export = ["privacy", "export", BERND, "--output", str(output), "--env-file", str(env_file)]
    assert await asyncio.to_thread(main, export) == 0
    assert str(output) in capsys.readouterr().out
    data = json.loads(output.read_text("utf-8"))
    assert data["person"]["id"] == BERND
    assert data["controller"]["name"] == "Stadt Würzburg"
    assert [idea["number"] for idea in data["ideas"]] == [1, 2]
    assert "geheim" in data["notes"]["secret_ballots"]  # notes in the deployment's language

    delete = ["privacy", "delete", BERND, "--yes", "--env-file", str(env_file)]
    assert await asyncio.to_thread(main, delete) == 0
    said = capsys.readouterr().out
    assert "1 ideas deleted, 1 kept anonymised" in said and "not edited" in said
    assert await traces_of(bot, {BERND, NAMES[BERND]}) == []
    assert await traces_of(bot, {ALICE})


async def test_erasing_from_the_command_line_asks_first(tmp_path, capsys):
    bot = await town(tmp_path)
    await everything_happened(bot)
    env_file = env_file_for(tmp_path)
    asked = []

    def answer(question: str) -> str:
        asked.append(question)
        return "n"

    code = await asyncio.to_thread(run_privacy, "delete", BERND, env_file, ask=answer)
    assert code == 1 and BERND in asked[0]
    assert "Nothing was erased" in capsys.readouterr().out
    assert await traces_of(bot, {BERND})


def test_the_command_line_checks_the_person(tmp_path, capsys):
    env_file = env_file_for(tmp_path)
    assert main(["privacy", "export", "bernd", "--env-file", str(env_file)]) == 2
    assert "not a Matrix id like @name:server or a Discord user id" in capsys.readouterr().err
    assert main(["privacy", "export", "discord:12", "--env-file", str(env_file)]) == 2
    assert main(["privacy", "delete", "discord:@bernd:example.org", "--yes"]) == 2


def test_people_are_named_per_platform():
    snowflake = "123456789012345678"
    assert parse_person("@bernd:example.org") == Someone("matrix", "@bernd:example.org")
    assert parse_person(f"discord:{snowflake}") == Someone("discord", snowflake)
    assert parse_person(f"discord:<@{snowflake}>") == Someone("discord", snowflake)
    assert parse_person(snowflake, "discord") == Someone("discord", snowflake)
    assert parse_person(snowflake) is None, "a bare id says no platform"
    assert parse_person("@bernd:example.org", "discord") is None
