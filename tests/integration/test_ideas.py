"""The ideas box through a real Synapse: cards and 👍, statuses, reports, merges, exports."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bots import RunningBot, register_bot
from chat import ChatUser, Event, MakeUser

from storage.ideas.repository import IdeasRepository


@dataclass
class Town:
    """A bot with a staff room, an ideas room and a forum, and the people in them."""

    bot: RunningBot
    staff: ChatUser
    alice: ChatUser
    bernd: ChatUser
    carla: ChatUser
    staff_room: str
    ideas_room: str
    forum: str


async def wait_all_joined(user: ChatUser, memberships: Iterable[tuple[str, str]]) -> None:
    """Wait until every `(room, member)` has joined, whatever order the joins arrive in."""
    missing = set(memberships)

    def seen(event: Event) -> bool:
        if event.get("type") == "m.room.member" and event["content"].get("membership") == "join":
            missing.discard((event["room_id"], event.get("state_key")))
        return not missing

    await user.wait_for(seen)


async def make_town(synapse, tmp_path, make_user: MakeUser, **env: str) -> Town:
    staff = await make_user("sabine")
    alice = await make_user("alice", auto_join=True)
    bernd = await make_user("bernd", auto_join=True)
    carla = await make_user("carla", auto_join=True)
    bot = await register_bot(synapse, tmp_path)
    citizens = [alice.user_id, bernd.user_id, carla.user_id]
    staff_room = await staff.create_room(name="Staff", invite=[bot.user_id])
    ideas_room = await staff.create_room(name="Ideen", invite=[bot.user_id, *citizens])
    forum = await staff.create_room(name="Forum", invite=[bot.user_id, *citizens])
    bot.env = {
        "BOT_STAFF_ROOM": staff_room,
        "BOT_IDEAS_ROOM": ideas_room,
        "BOT_IDEA_RATE": "2",
        **env,
    }
    await bot.start()
    await wait_all_joined(
        staff,
        [(room, bot.user_id) for room in (staff_room, ideas_room, forum)]
        + [(room, user) for room in (ideas_room, forum) for user in citizens],
    )
    return Town(bot, staff, alice, bernd, carla, staff_room, ideas_room, forum)


def from_bot(town: Town, room: str, text: str):
    def matches(event: Event) -> bool:
        content = event.get("content", {})
        return (
            event["room_id"] == room
            and event["sender"] == town.bot.user_id
            and event.get("type") == "m.room.message"
            and text in content.get("body", "")
            and "m.new_content" not in content
        )

    return matches


def card_edit(town: Town, card_id: str, text: str):
    def matches(event: Event) -> bool:
        content: dict[str, Any] = event.get("content", {})
        relates = content.get("m.relates_to", {})
        return (
            event["sender"] == town.bot.user_id
            and relates.get("rel_type") == "m.replace"
            and relates.get("event_id") == card_id
            and text in content.get("m.new_content", {}).get("body", "")
        )

    return matches


def dm_from_bot(town: Town, text: str):
    def matches(event: Event) -> bool:
        return event["sender"] == town.bot.user_id and text in event.get("content", {}).get(
            "body", ""
        )

    return matches


async def submit(town: Town, user: ChatUser, text: str) -> str:
    reply = await user.reply_to(await user.say(town.forum, text))
    return reply.body


async def test_card_counts_thumbs_up_and_their_redaction(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        reply = await submit(town, town.alice, "!idee Mehr Radständer am Bahnhof <b>bitte</b>")
        assert "#1" in reply and "Mobilität" not in reply  # no departments configured
        card = await town.bernd.wait_for(from_bot(town, town.ideas_room, "Idee #1"))
        assert "👍 0" in card["content"]["body"]
        assert "&lt;b&gt;bitte&lt;/b&gt;" in card["content"]["formatted_body"]
        card_id = card["event_id"]
        bernd_thumb = await town.bernd.react(town.ideas_room, card_id, "👍")
        await town.carla.react(town.ideas_room, card_id, "👍")
        edit = await town.alice.wait_for(card_edit(town, card_id, "👍 2"))
        assert edit["content"]["m.new_content"]["msgtype"] == "m.notice"
        await town.bernd.redact(town.ideas_room, bernd_thumb)
        await town.alice.wait_for(card_edit(town, card_id, "👍 1"))
        shown = await town.carla.reply_to(await town.carla.say(town.forum, "!ideen 1"))
        assert "👍 1" in shown.body
    finally:
        await town.bot.stop()


async def test_reactions_while_the_bot_is_down_count_after_restart(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        await submit(town, town.alice, "!idee Mehr Bänke am Mainufer")
        card = await town.bernd.wait_for(from_bot(town, town.ideas_room, "Idee #1"))
        await town.bot.stop()
        await town.bernd.react(town.ideas_room, card["event_id"], "👍")
        while_down = await town.carla.say(town.forum, "!idee Trinkbrunnen im Ringpark")
        await town.bot.start()
        await town.alice.wait_for(card_edit(town, card["event_id"], "👍 1"), timeout=30)
        assert "#2" in (await town.carla.reply_to(while_down, timeout=30)).body
        await town.bot.restart()
        listing = await town.carla.reply_to(await town.carla.say(town.forum, "!ideen"))
        assert "2 insgesamt" in listing.body  # the idea sent during downtime is stored once
    finally:
        await town.bot.stop()


async def recorded_card(app) -> str:
    """Wait until the bot has recorded the card of idea #1 (just after posting it)."""
    async with asyncio.timeout(30):
        while True:
            async with app.unit_of_work() as uow:
                idea = await IdeasRepository(uow.session).get(1)
            if idea is not None and idea.card_event_id is not None:
                return idea.card_event_id
            await asyncio.sleep(0.1)


async def test_a_card_posted_just_before_a_crash_is_not_doubled(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        await submit(town, town.alice, "!idee Mehr Bänke am Mainufer")
        card = await town.bernd.wait_for(from_bot(town, town.ideas_room, "Idee #1"))
        app = town.bot.app
        assert app is not None
        assert await recorded_card(app) == card["event_id"]
        # As if the bot died after the card went out but before it recorded the card.
        async with app.unit_of_work() as uow:
            idea = await IdeasRepository(uow.session).get(1)
            assert idea is not None
            idea.card_event_id = None
            await uow.commit()
        app = await town.bot.restart()
        # The start posts the cards a stop left out. The resend carried the first
        # attempt's transaction id: Synapse answered with the card it already had
        # instead of making a second one.
        assert await recorded_card(app) == card["event_id"]
    finally:
        await town.bot.stop()


async def test_status_change_notifies_author_and_supporter(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        await submit(town, town.alice, "!idee Mehr Bänke am Mainufer")
        await town.bernd.reply_to(await town.bernd.say(town.forum, "!language en"))
        await town.bernd.reply_to(await town.bernd.say(town.forum, "!support 1"))
        reply = await town.staff.reply_to(
            await town.staff.say(town.staff_room, "!status 1 angenommen Kommt im Mai")
        )
        assert "Benachrichtigt: 2" in reply.body
        to_alice = await town.alice.wait_for(dm_from_bot(town, "deiner Idee #1"))
        assert "„angenommen“" in to_alice["content"]["body"]
        assert "Begründung: Kommt im Mai" in to_alice["content"]["body"]
        to_bernd = await town.bernd.wait_for(dm_from_bot(town, "which you support"))
        assert "“accepted”" in to_bernd["content"]["body"]
        assert "Reason: Kommt im Mai" in to_bernd["content"]["body"]
    finally:
        await town.bot.stop()


async def test_reports_over_the_threshold_hide_the_idea(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user, BOT_IDEA_REPORT_THRESHOLD="2")
    try:
        await submit(town, town.alice, "!idee Kauft alle bei meinem Laden ein")
        card = await town.bernd.wait_for(from_bot(town, town.ideas_room, "Idee #1"))
        await submit(town, town.bernd, "!melden 1 Werbung")
        notice = await town.staff.wait_for(from_bot(town, town.staff_room, "wurde gemeldet"))
        assert "Grund: Werbung" in notice["content"]["body"]
        await submit(town, town.carla, "!melden 1")
        await town.staff.wait_for(from_bot(town, town.staff_room, "nach 2 Meldungen ausgeblendet"))
        await town.alice.wait_for(card_edit(town, card["event_id"], "ist ausgeblendet"))
        listing = await submit(town, town.carla, "!ideen")
        assert "noch keine Ideen" in listing
    finally:
        await town.bot.stop()


async def test_merge_carries_supports_over(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        await submit(town, town.alice, "!idee Mehr Radständer am Bahnhof")
        reply = await submit(town, town.bernd, "!idee Fahrradständer am Hauptbahnhof fehlen")
        assert "#1 Mehr Radständer am Bahnhof" in reply  # the similar idea is named
        await submit(town, town.carla, "!unterstuetzen 1")
        await submit(town, town.carla, "!unterstuetzen 2")
        merged = await town.staff.reply_to(
            await town.staff.say(town.staff_room, "!zusammenfuehren 2 1")
        )
        assert "#1 hat 👍 2" in merged.body  # Carla once, Bernd (the duplicate's author) added
        await town.bernd.wait_for(dm_from_bot(town, "Du unterstützt jetzt #1"))
        shown = await submit(town, town.carla, "!ideen 2")
        assert "zusammengeführt mit #1" in shown
    finally:
        await town.bot.stop()


async def test_export_uploads_a_csv_file(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        await submit(town, town.alice, "!idee Mehr Bänke am Mainufer, mit „Lehne“")
        await submit(town, town.bernd, "!unterstuetzen 1")
        command_id = await town.staff.say(town.staff_room, "!export ideen csv")
        upload = await town.staff.reply_to(command_id)
        assert upload.msgtype == "m.file" and upload.body.endswith(".csv")
        data = await town.staff.download(upload.content["url"])
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 1
        row = rows[0]
        assert (row["number"], row["status"], row["supports"]) == ("1", "new", "1")
        assert row["text"] == "Mehr Bänke am Mainufer, mit „Lehne“"
        assert row["author_pseudonym"].startswith("p-")
        assert town.alice.user_id not in data.decode("utf-8-sig")
    finally:
        await town.bot.stop()


async def test_rate_limit_refuses_kindly(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user)
    try:
        await submit(town, town.alice, "!idee Erste Idee für die Stadt")
        await submit(town, town.alice, "!idee Zweite Idee für die Stadt")
        refusal = await submit(town, town.alice, "!idee Dritte Idee für die Stadt")
        assert "schon 2 Ideen" in refusal
        listing = await submit(town, town.bernd, "!ideen")
        assert "2 insgesamt" in listing
    finally:
        await town.bot.stop()


async def test_review_mode_publishes_after_approval(synapse, tmp_path, make_user):
    town = await make_town(synapse, tmp_path, make_user, BOT_IDEAS_REVIEW="true")
    try:
        reply = await submit(town, town.alice, "!idee Mehr Bänke am Mainufer")
        assert "schaut sie sich kurz an" in reply
        review = await town.staff.wait_for(from_bot(town, town.staff_room, "wartet auf Freigabe"))
        assert "!freigeben 1" in review["content"]["body"]
        assert "noch keine Ideen" in await submit(town, town.bernd, "!ideen")
        approved = await town.staff.reply_to(await town.staff.say(town.staff_room, "!freigeben 1"))
        assert "#1 ist veröffentlicht" in approved.body
        await town.bernd.wait_for(from_bot(town, town.ideas_room, "Idee #1"))
        await town.alice.wait_for(dm_from_bot(town, "jetzt veröffentlicht"))
    finally:
        await town.bot.stop()
