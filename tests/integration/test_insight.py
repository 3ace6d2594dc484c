"""The weekly staff digest through a real Synapse: due by the injectable clock, it arrives
in the staff room as a notice and its chart as an m.image, once across a restart.

The bot runs the insight capability alone, so the seeded open questions start no timers
of their own (their escalations would go to the same staff room).
"""

from __future__ import annotations

from datetime import timedelta

from bots import register_bot

from bot.clock import FakeClock
from handlers.insight import commands as insight
from handlers.insight import digest as insight_digest
from storage.db import create_engine, create_session_factory, upgrade_schema
from tests.unit.insight_world import DUE, seed

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def seeded_database(url: str) -> None:
    """Two weeks of participation in the bot's database before it first starts."""
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        async with create_session_factory(engine)() as session:
            await seed(session)
    finally:
        await engine.dispose()


async def test_the_digest_arrives_on_schedule_with_its_chart(synapse, tmp_path, make_user):
    clock = FakeClock(DUE - timedelta(hours=1))
    bot = await register_bot(
        synapse, tmp_path, handler_modules=(insight, insight_digest), clock=clock
    )
    sabine = await make_user("sabine")
    staff_room = await sabine.create_room(name="Team", invite=[bot.user_id])
    bot.env.update({"BOT_STAFF_USERS": sabine.user_id, "BOT_STAFF_ROOM": staff_room})
    await seeded_database(bot.settings.database_url)
    try:
        app = await bot.start()
        await sabine.wait_joined(staff_room, bot.user_id)
        assert await app.scheduler.run_due() == 0  # an hour early

        clock.set(DUE)
        assert await app.scheduler.run_due() == 1
        digest = await sabine.next_reply(staff_room, sender=bot.user_id)
        assert digest.msgtype == "m.notice"
        assert digest.body.startswith("Wochenbericht 23.11. – 29.11.2026")
        assert "Neue Ideen: 3 (davor 2, +1)" in digest.body
        chart = await sabine.next_reply(staff_room, sender=bot.user_id)
        assert chart.msgtype == "m.image"
        assert chart.content["info"]["mimetype"] == "image/png"
        assert chart.content["filename"] == "wochenbericht-2026-11-23.png"
        assert chart.body.startswith("Bild im Anhang (Diagramm)")  # the alt text
        assert digest.body.endswith(chart.body)
        assert (await sabine.download(chart.content["url"])).startswith(PNG_MAGIC)

        clock.advance(timedelta(minutes=10))
        app = await bot.restart()
        assert await app.scheduler.run_due() == 0
        assert app.scheduler.job_ids() == ["insight-digest"]
    finally:
        await bot.stop()
