"""`smartregion-bot export ideas`: the same file as in chat, from the bot's database."""

import asyncio
import csv
import io
import json

from bot.cli import main
from handlers import exports
from handlers.ideas import commands as ideas
from handlers.ideas import staff_commands as ideas_staff
from tests.unit.fakes import make_fake_bot


async def test_cli_writes_the_ideas_export(tmp_path, capsys):
    bot = await make_fake_bot(tmp_path, (ideas, ideas_staff, exports))
    await bot.say("@alice:localhost", "!idee Mehr Bänke am Mainufer")
    await bot.say("@bernd:localhost", "!unterstuetzen 1")
    env_file = tmp_path / "bot.env"
    env_file.write_text(
        "MATRIX_HOMESERVER=http://127.0.0.1:1\nMATRIX_USER_ID=@bot:localhost\n"
        f"MATRIX_PASSWORD=x\nDATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n",
        "utf-8",
    )
    as_json = tmp_path / "ideas.json"
    json_args = ["export", "ideas", "--format", "json", "--output", str(as_json)]
    assert await asyncio.to_thread(main, [*json_args, "--env-file", str(env_file)]) == 0
    assert str(as_json) in capsys.readouterr().out
    [record] = json.loads(as_json.read_text("utf-8"))
    assert record["text"] == "Mehr Bänke am Mainufer" and record["supports"] == 1
    assert record["author_pseudonym"].startswith("p-")
    as_csv = tmp_path / "ideas.csv"
    assert (
        await asyncio.to_thread(
            main, ["export", "ideas", "--output", str(as_csv), "--env-file", str(env_file)]
        )
        == 0
    )
    [row] = csv.DictReader(io.StringIO(as_csv.read_text("utf-8-sig")))
    assert row["author_pseudonym"] == record["author_pseudonym"]


def test_cli_export_names_settings_problems(tmp_path, capsys):
    env_file = tmp_path / "bad.env"
    env_file.write_text("MATRIX_USER_ID=bot\n", "utf-8")
    assert main(["export", "ideas", "--env-file", str(env_file)]) == 2
    assert "MATRIX_HOMESERVER is missing" in capsys.readouterr().err
