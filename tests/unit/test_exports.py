"""`!export`: every kind, one item by number, and the workshop calendar."""

import pytest

from bot.app import HANDLER_MODULES
from tests.unit.fakes import make_fake_bot

STAFF = "@sabine:localhost"
DM = "!dm-sabine:localhost"


@pytest.fixture
async def bot(tmp_path):
    return await make_fake_bot(tmp_path, HANDLER_MODULES, BOT_STAFF_USERS=STAFF)


def uploads(bot):
    return [sent.upload for sent in bot.adapter.sent if sent.kind == "file"]


async def test_one_poll_by_number(bot):
    await bot.say(STAFF, '!umfrage "Welches Thema?" "Radwege" "Bänke"')
    await bot.say(STAFF, '!umfrage "Wann?" "Abends" "Morgens"')
    await bot.say(STAFF, "!export umfrage 2 csv", room=DM, direct=True)
    [upload] = uploads(bot)
    text = upload.data.decode("utf-8-sig")
    assert "Wann?" in text and "Welches Thema?" not in text
    assert upload.filename.startswith("polls-2-")


async def test_workshop_calendar_export(bot):
    await bot.say(STAFF, '!workshop neu "Digitale Sprechstunde" morgen 18:00 "Rathaus"')
    await bot.say(STAFF, "!export workshops ics", room=DM, direct=True)
    [upload] = uploads(bot)
    assert upload.content_type.startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in upload.data and b"Digitale Sprechstunde" in upload.data


async def test_errors_name_the_problem_and_upload_nothing(bot):
    *_intro, missing = await bot.say(STAFF, "!export ideen 99", room=DM, direct=True)
    assert "#99" in missing.body
    [calendar] = await bot.say(STAFF, "!export ideen ics", room=DM, direct=True)
    assert "!kalender" in calendar.body
    [word] = await bot.say(STAFF, "!export ideen bunt", room=DM, direct=True)
    assert "bunt" in word.body and "csv, json, ics" in word.body
    assert uploads(bot) == []


async def test_cli_writes_the_workshop_calendar(bot, tmp_path):
    import asyncio
    from datetime import UTC, datetime

    from bot.cli import main

    bot.services.clock.set(datetime.now(UTC))  # the CLI exports what is upcoming really
    await bot.say(STAFF, '!workshop neu "Open Data Café" morgen 18:00 "Stadtbücherei"')
    env_file = tmp_path / "bot.env"
    env_file.write_text(
        "MATRIX_HOMESERVER=http://127.0.0.1:1\nMATRIX_USER_ID=@bot:localhost\n"
        f"MATRIX_PASSWORD=x\nDATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n",
        "utf-8",
    )
    output = tmp_path / "workshops.ics"
    argv = ["export", "workshops", "--format", "ics", "--output", str(output)]
    code = await asyncio.to_thread(main, [*argv, "--env-file", str(env_file)])
    assert code == 0
    assert b"Open Data Caf" in output.read_bytes()
