"""The staff digest on real SQLite: its figures, its text, once a week, and `!statistik`."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.clock import FakeClock
from bot.config import ConfigError, Settings
from handlers.insight import commands as insight
from handlers.insight import digest as insight_digest
from handlers.insight.export import statistics_file
from handlers.insight.figures import Report, collect, weekly
from handlers.insight.report import compose
from handlers.insight.texts import report_message
from storage.ideas.models import Idea
from storage.insight.models import Digest, DigestDelivery
from tests.integration.question_support import write_departments
from tests.unit.fakes import FakeAdapter, FakeBot, make_fake_bot
from tests.unit.insight_world import DUE, PEOPLE, STAFF, TZ, at, seed

STAFF_ROOM = "!staff:localhost"
SLA = timedelta(hours=72)
WEEK = date(2026, 11, 23)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def town(tmp_path, adapter: FakeAdapter | None = None, **env: str) -> FakeBot:
    tmp_path.mkdir(parents=True, exist_ok=True)
    departments = write_departments(tmp_path, {}, "!experts:localhost")
    bot = await make_fake_bot(
        tmp_path,
        (insight, insight_digest),
        adapter=adapter,
        **{
            "BOT_DEPARTMENTS_FILE": str(departments),
            "BOT_STAFF_ROOM": STAFF_ROOM,
            "BOT_STAFF_USERS": STAFF,
            **env,
        },
    )
    async with bot.services.unit_of_work() as uow:
        await seed(uow.session)
    return bot


async def report(bot: FakeBot, weeks: int = 1) -> Report:
    async with bot.services.unit_of_work() as uow:
        return await collect(uow, WEEK, weeks, TZ, SLA)


async def start(bot: FakeBot, when: datetime) -> None:
    """The bot (re)starts at `when`: jobs are rebuilt from the database."""
    clock = bot.services.clock
    assert isinstance(clock, FakeClock)
    clock.set(when)
    for job_id in bot.services.scheduler.job_ids():
        bot.services.scheduler.cancel(job_id)
    for hook in bot.services.commands.start_hooks:
        await hook(bot.services)


async def run_at(bot: FakeBot, when: datetime) -> int:
    clock = bot.services.clock
    assert isinstance(clock, FakeClock)
    clock.set(when)
    return await bot.services.scheduler.run_due()


def in_staff_room(bot: FakeBot) -> list:
    return [sent for sent in bot.adapter.sent if sent.room_id == STAFF_ROOM]


# ------------------------------------------------------------------------ figures


async def test_the_week_and_the_week_before_in_numbers(tmp_path):
    figures = await report(await town(tmp_path))
    now, before = figures.current, figures.previous
    assert (now.start, now.end, before.start) == (WEEK, date(2026, 11, 30), date(2026, 11, 16))
    assert (now.ideas, before.ideas) == (3, 2)  # Sunday 23:30 counts, Monday 00:10 does not
    assert (now.supports, before.supports) == (4, 1)
    assert now.status_changes == {"accepted": 1, "review": 1}
    assert before.status_changes == {"review": 1}
    digital, mobility = now.department("digitales"), now.department("mobilitaet")
    assert (digital.asked, digital.answered, digital.median_hours, digital.overdue) == (
        3,
        3,
        6.0,
        0,
    )
    assert (mobility.asked, mobility.answered, mobility.median_hours, mobility.overdue) == (
        2,
        1,
        338.0,
        1,
    )
    assert before.department("digitales").median_hours == 4.0
    assert before.department("mobilitaet").overdue == 1
    assert [(w.capacity, w.registered, w.waiting) for w in now.workshops] == [(10, 8, 2)]
    assert (now.fill_percent, now.waiting, before.fill_percent) == (80, 2, 25)
    assert (now.polls, now.poll_voters, before.polls, before.poll_voters) == (2, 6, 1, 1)
    assert [(i.number, i.supports, i.gained) for i in figures.top_ideas] == [
        (1, 3, 2),
        (3, 2, 2),
        (2, 0, 0),
        (4, 0, 0),
        (5, 0, 0),
    ]
    assert len(figures.history) == 12 and figures.history[-1].ideas == 3
    assert Report.from_json(figures.to_json()) == figures


async def test_several_weeks_are_compared_with_as_many_weeks_before(tmp_path):
    figures = await report(await town(tmp_path), weeks=2)
    assert (figures.current.start, figures.current.weeks) == (date(2026, 11, 16), 2)
    assert (figures.current.ideas, figures.previous.ideas) == (5, 0)
    assert figures.current.department("digitales").median_hours == 5.0  # of 2, 4, 6, 10


async def test_weeks_end_at_midnight_in_berlin_also_across_the_clock_change(tmp_path):
    bot = await make_fake_bot(tmp_path, ())
    async with bot.services.unit_of_work() as uow:
        for number, created in (
            (1, datetime(2026, 10, 19, 0, 0, tzinfo=TZ)),  # Monday 00:00: first moment
            (2, datetime(2026, 10, 25, 23, 59, tzinfo=TZ)),  # Sunday after the change
            (3, datetime(2026, 10, 26, 0, 0, tzinfo=TZ)),  # the next week
        ):
            uow.session.add(
                Idea(number=number, platform="matrix", author_id="@a:x", author_name="a",
                     room_id="!r:x", source_event_id=f"$i{number}", text="x", status="new",
                     published=True, hidden=False, created_at=created)
            )  # fmt: skip
        await uow.commit()
    async with bot.services.unit_of_work() as uow:
        weeks = await weekly(uow, date(2026, 10, 26), 2, TZ, SLA)
    assert [(w.start, w.ideas) for w in weeks] == [(date(2026, 10, 19), 2), (date(2026, 10, 26), 1)]


# ------------------------------------------------------------------------ the text


async def test_the_digest_names_counts_and_departments_and_no_person(tmp_path):
    bot = await town(tmp_path)
    figures = await report(bot)
    german = report_message(bot.services, "de", figures, chart=True).body
    assert "**" not in german
    for line in (
        "Wochenbericht 23.11. – 29.11.2026",
        "Jede Zahl im Vergleich zur Woche davor (16.11. – 22.11.2026).",
        "Neue Ideen: 3 (davor 2, +1)",
        "Neue Unterstützungen: 4 (davor 1, +3)",
        "Statusänderungen: 2 (davor 1, +1) – angenommen: 1, in Prüfung: 1",
        "#1 Idee 1: mehr Sitzbänke am Mainufer – 👍 3 (im Zeitraum +2)",
        "Gestellt: 5 (davor 1, +4) · überfällig: 1 (davor 1, ±0)",
        "Digitale Verwaltung & Infrastruktur: gestellt 3 (davor 1, +2) · erste Antworten 3 "
        "(davor 1, +2), Median bis zur ersten Antwort 6,0 h (davor 4,0 h) · überfällig 0 "
        "(davor 0, ±0)",
        "Mobilität & Verkehr: gestellt 2 (davor 0, +2) · erste Antworten 1 (davor 0, +1), "
        "Median bis zur ersten Antwort 338,0 h (davor –) · überfällig 1 (davor 1, ±0)",
        "Im Zeitraum: 1 (davor 2, −1) · Auslastung: 80 % (davor 25 %) · auf Wartelisten: 2 "
        "(davor 0, +2)",
        "Beendete Umfragen: 2 (davor 1, +1) · Teilnahmen: 6 (davor 1, +5)",
    ):
        assert line in german.split("\n"), line
    assert german.split("\n")[-1].startswith("Bild im Anhang (Diagramm)")
    english = report_message(bot.services, "en", figures, chart=False).body
    assert "New ideas: 3 (before 2, +1)" in english and "median time to first answer" in english
    assert "Attached image" not in english
    for text in (german, english):
        assert not any(person.casefold() in text.casefold() for person in PEOPLE)


async def test_the_chart_is_a_png_with_a_description(tmp_path):
    bot = await town(tmp_path)
    message, chart = await compose(bot.services, "de", await report(bot))
    assert chart is not None and chart.data.startswith(PNG_MAGIC)
    assert chart.content_type == "image/png" and chart.filename == "wochenbericht-2026-11-23.png"
    assert chart.description == message.body.split("\n")[-1]


async def test_without_matplotlib_the_report_is_text_and_the_log_says_so(
    tmp_path, monkeypatch, caplog
):
    bot = await town(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    caplog.set_level(logging.INFO, logger="handlers.insight.report")
    message, chart = await compose(bot.services, "de", await report(bot))
    assert chart is None and "Bild im Anhang" not in message.body
    assert any("matplotlib is not installed" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------- once a week


async def test_the_digest_goes_to_the_staff_room_once_per_week_across_restarts(tmp_path):
    bot = await town(tmp_path)
    await start(bot, DUE - timedelta(hours=1))
    assert bot.services.scheduler.job_ids() == ["insight-digest"]
    assert await run_at(bot, DUE - timedelta(minutes=1)) == 0
    assert await run_at(bot, DUE) == 1
    text, image = in_staff_room(bot)
    assert text.message.body.startswith("Wochenbericht 23.11. – 29.11.2026")
    assert text.dedupe_key == "insight-digest:2026-11-23:matrix"
    assert image.kind == "file" and image.upload is not None
    assert image.upload.data.startswith(PNG_MAGIC) and image.upload.description

    await start(bot, DUE + timedelta(hours=3))  # a restart later that day
    await run_at(bot, DUE + timedelta(hours=3))
    await run_at(bot, DUE + timedelta(days=6))
    assert len(in_staff_room(bot)) == 2
    async with bot.services.unit_of_work() as uow:
        deliveries = list(await uow.session.scalars(select(DigestDelivery)))
    assert [(d.week_start, d.platform, d.sent_at is not None) for d in deliveries] == [
        (WEEK, "matrix", True)
    ]
    assert await run_at(bot, DUE + timedelta(weeks=1)) == 1  # the next week's
    assert in_staff_room(bot)[-2].message.body.startswith("Wochenbericht 30.11. – 06.12.2026")


async def test_a_digest_due_while_the_bot_was_down_goes_out_at_start_once(tmp_path):
    bot = await town(tmp_path)
    await start(bot, at(1, 14, month=12))  # Tuesday afternoon
    assert await run_at(bot, at(1, 14, month=12)) == 1
    assert len(in_staff_room(bot)) == 2
    await start(bot, at(1, 15, month=12))
    assert await run_at(bot, at(1, 15, month=12)) == 0
    assert bot.services.scheduler.job_ids() == ["insight-digest"]


async def test_every_platform_with_a_staff_room_gets_its_copy(tmp_path):
    bot = await town(tmp_path, adapter=FakeAdapter.limited("chat"))
    matrix = FakeAdapter()
    bot.services.adapters["matrix"] = matrix  # type: ignore[index]
    await start(bot, DUE)
    assert await run_at(bot, DUE) == 1
    for adapter in (bot.adapter, matrix):
        text, image = (sent for sent in adapter.sent if sent.room_id == STAFF_ROOM)
        assert text.dedupe_key == f"insight-digest:2026-11-23:{adapter.platform}"
        assert image.upload is not None and image.upload.content_type == "image/png"


async def test_a_new_installation_sends_no_digest_until_something_happened(tmp_path):
    departments = write_departments(tmp_path, {}, "!experts:localhost")
    bot = await make_fake_bot(
        tmp_path,
        (insight, insight_digest),
        BOT_DEPARTMENTS_FILE=str(departments),
        BOT_STAFF_ROOM=STAFF_ROOM,
        BOT_STAFF_USERS=STAFF,
    )
    await start(bot, DUE)  # installed on the day a digest is due
    await run_at(bot, DUE)
    assert in_staff_room(bot) == []
    async with bot.services.unit_of_work() as uow:
        assert list(await uow.session.scalars(select(Digest))) == []
        uow.session.add(
            Idea(number=1, platform="matrix", author_id="@a:x", author_name="a",
                 room_id="!r:x", source_event_id="$first", text="Mehr Bänke", status="new",
                 published=True, hidden=False, created_at=DUE + timedelta(days=1))
        )  # fmt: skip
        await uow.commit()
    assert await run_at(bot, DUE + timedelta(weeks=1)) == 1
    assert in_staff_room(bot)[0].message.body.startswith("Wochenbericht 30.11. – 06.12.2026")


class FailingOnce(FakeAdapter):
    """A platform that is unreachable for the first send (the bot crashes after deciding)."""

    failed = False

    async def send(self, room_id, message, **kwargs) -> str:
        if not self.failed:
            self.failed = True
            raise ConnectionError("homeserver unreachable")
        return await super().send(room_id, message, **kwargs)


async def test_a_digest_whose_send_failed_is_tried_again_soon(tmp_path):
    bot = await town(tmp_path, adapter=FailingOnce())
    await start(bot, DUE)
    await run_at(bot, DUE)  # decided, then the send failed
    assert in_staff_room(bot) == []
    assert await run_at(bot, DUE + timedelta(minutes=14)) == 0
    assert await run_at(bot, DUE + timedelta(minutes=15)) == 1
    assert len(in_staff_room(bot)) == 2


async def test_a_decided_digest_that_was_not_sent_goes_out_after_a_restart(tmp_path):
    bot = await town(tmp_path, adapter=FailingOnce())
    await start(bot, DUE)
    await run_at(bot, DUE)  # decided, then the send failed
    assert in_staff_room(bot) == []
    await start(bot, DUE + timedelta(minutes=5))
    await run_at(bot, DUE + timedelta(minutes=5))
    text, _ = in_staff_room(bot)
    assert text.dedupe_key == "insight-digest:2026-11-23:matrix"
    async with bot.services.unit_of_work() as uow:
        assert len(list(await uow.session.scalars(select(Digest)))) == 1


async def test_the_day_and_time_are_settings_and_off_or_no_staff_room_means_no_digest(tmp_path):
    friday = await town(tmp_path / "a", BOT_DIGEST_DAY="freitag", BOT_DIGEST_TIME="16:30")
    await start(friday, DUE)
    assert await run_at(friday, at(4, 16, 29, month=12)) == 0
    assert await run_at(friday, at(4, 16, 30, month=12)) == 1
    assert in_staff_room(friday)[0].message.body.startswith("Wochenbericht 23.11.")
    off = await town(tmp_path / "b", BOT_DIGEST_DAY="off")
    await start(off, DUE)
    assert off.services.scheduler.job_ids() == []
    nowhere = await town(tmp_path / "c", BOT_STAFF_ROOM="")
    await start(nowhere, DUE)
    assert nowhere.services.scheduler.job_ids() == []


# ------------------------------------------------------------------------- !stats


async def test_statistics_are_for_staff_only(tmp_path):
    bot = await town(tmp_path)
    bot.services.clock.set(DUE)
    answers = await bot.say("@carol:localhost", "!statistik")
    assert len(answers) == 1 and "Das dürfen leider nur Mitarbeitende" in answers[0].body
    assert not any(sent.kind == "file" for sent in bot.adapter.sent)


@pytest.mark.parametrize("weeks", ["0", "53", "vier", "-1", "2.5"])
async def test_a_bad_number_of_weeks_is_explained(tmp_path, weeks):
    bot = await town(tmp_path)
    answers = await bot.say(STAFF, f"!statistik {weeks}")
    assert len(answers) == 1
    assert f"„{weeks}“ ist keine passende Zahl von Wochen" in answers[0].body
    assert "von 1 bis 52" in answers[0].body


async def test_staff_get_the_report_with_its_chart_on_demand(tmp_path):
    bot = await town(tmp_path)
    bot.services.clock.set(DUE + timedelta(days=2))
    answers = await bot.say(STAFF, "!stats 2")
    text, chart = answers
    assert text.body.startswith("Report over 2 weeks: 16 Nov – 29 Nov 2026")
    assert "Every number compared with the 2 weeks before (02 Nov – 15 Nov 2026)." in text.body
    upload = bot.adapter.sent[-1]
    assert upload.kind == "file" and upload.reply_to == "$event0"
    assert upload.upload is not None and upload.upload.data.startswith(PNG_MAGIC)
    assert chart.body == "weekly-digest-2026-11-16.png"


# ----------------------------------------------------------------- command line


async def test_the_weekly_figures_as_json_and_csv_hold_counts_only(tmp_path):
    bot = await town(tmp_path)
    settings = bot.services.settings
    async with bot.services.unit_of_work() as uow:
        document = json.loads(await statistics_file(uow, settings, DUE, 2, "json"))
        table = await statistics_file(uow, settings, DUE, 2, "csv")
    assert document["timezone"] == "Europe/Berlin"
    earlier, week = document["weeks"]
    assert (earlier["start"], week["start"], week["end"]) == (
        "2026-11-16",
        "2026-11-23",
        "2026-11-29",
    )
    assert (week["ideas_new"], week["supports_new"], earlier["ideas_new"]) == (3, 4, 2)
    assert week["questions"][0] == {
        "department": "Digitale Verwaltung & Infrastruktur",
        "asked": 3,
        "first_answers": 3,
        "median_hours_to_first_answer": 6.0,
        "overdue": 0,
    }
    assert week["workshops"] == {
        "held": 1,
        "seats": 10,
        "seats_taken": 8,
        "fill_percent": 80,
        "waiting": 2,
    }
    assert week["polls"] == {"ended": 2, "participants": 6}
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0] == ["week_start", "week_end", "figure", "department", "value"]
    assert [
        "2026-11-23",
        "2026-11-29",
        "questions_median_hours_to_first_answer",
        "Mobilität & Verkehr",
        "338.0",
    ] in rows
    assert ["2026-11-16", "2026-11-22", "status_changes_review", "", "1"] in rows
    for text in (json.dumps(document, ensure_ascii=False), table):
        assert not any(person.casefold() in text.casefold() for person in PEOPLE)


def test_the_stats_command_writes_csv_or_json_of_as_many_weeks(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert main(["stats", "--format", "json", "--weeks", "3"]) == 0
    weeks = json.loads(capsys.readouterr().out)["weeks"]
    assert len(weeks) == 3 and all(week["ideas_new"] == 0 for week in weeks)
    output = tmp_path / "stats.csv"
    assert main(["stats", "--weeks", "2", "--output", str(output)]) == 0
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert len({row["week_start"] for row in rows}) == 2
    for bad in ("0", "53", "zwei"):
        with pytest.raises(SystemExit) as exit_info:
            main(["stats", "--weeks", bad])
        assert exit_info.value.code == 2
    assert "is not a number of weeks from 1 to 52" in capsys.readouterr().err


def test_digest_settings_are_checked_and_shown(tmp_path, capsys):
    base = {"MATRIX_HOMESERVER": "http://127.0.0.1:1", "MATRIX_USER_ID": "@bot:localhost",
            "MATRIX_PASSWORD": "x"}  # fmt: skip
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**base, "BOT_DIGEST_DAY": "funday", "BOT_DIGEST_TIME": "25:00"})
    assert error.value.problems == [
        "BOT_DIGEST_DAY must be a weekday such as monday or montag, or off, not 'funday'.",
        "BOT_DIGEST_TIME must be a time of day like 08:00, not '25:00'.",
    ]
    settings = Settings.from_env(env={**base, "BOT_DIGEST_DAY": "Do", "BOT_DIGEST_TIME": "7.30"})
    assert (settings.digest_weekday, settings.digest_time) == (3, time(7, 30))
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n".join(f"{k}={v}" for k, v in {**base, "BOT_STAFF_ROOM": STAFF_ROOM}.items()),
        encoding="utf-8",
    )
    assert main(["check-config", "--env-file", str(env_file)]) == 0
    assert (
        "Weekly staff digest: Monday 08:00 (Europe/Berlin) to the staff room on matrix"
        in capsys.readouterr().out
    )
