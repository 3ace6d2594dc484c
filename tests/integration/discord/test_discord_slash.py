"""Slash commands on Discord: registered per server from the command declarations (typed
options, choices), answered through the interaction (deferred at once, then the answer),
refusals for the asker alone, and numbers suggested while typing (autocomplete) among
what the person may see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import HANDLER_MODULES
from bot.router import CommandRegistry
from tests.discord_emulator import VIEW_CHANNEL, DiscordEmulator
from tests.discord_emulator.gateway import GUILD_MEMBERS, PRIVILEGED_INTENTS
from tests.discord_emulator.interactions import (
    AUTOCOMPLETE_RESULT,
    BOOLEAN,
    DEFERRED_CHANNEL_MESSAGE,
    INTEGER,
    STRING,
)
from tests.integration.question_support import write_departments

pytest.importorskip("discord", reason="discord.py is not installed (extra `discord`)")

from discord_bot import DiscordBot  # needs discord.py: after the check above

HELP_FOOTER = "Details zu einem Befehl"


class Square:
    """A server with a channel for everyone, a second one, the departments' channel (only
    its experts see it), two citizens and staff."""

    def __init__(self, emulator: DiscordEmulator, token: str) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token=token)
        self.guild = emulator.add_guild("Marktplatz", owner=emulator.add_user("Orga"))
        self.citizen = emulator.add_user("Mara")
        self.neighbour = emulator.add_user("Ole")
        self.staff = emulator.add_user("Sabine")
        for user in (self.bot, self.citizen, self.neighbour, self.staff):
            emulator.add_member(self.guild, user)
        self.forum = emulator.add_channel(self.guild, "buergerforum").id
        self.cafe = emulator.add_channel(self.guild, "cafe").id
        departments = emulator.add_channel(self.guild, "verwaltung")
        departments.overwrites = [
            {"id": self.guild.id, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
            {"id": self.bot.id, "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
        ]
        self.departments = departments.id

    def env(self, directory: Path) -> dict[str, str]:
        return {
            "DISCORD_STAFF_USERS": self.staff.id,
            "BOT_DEPARTMENTS_FILE": str(
                write_departments(directory, {}, self.departments, key="discord_channel")
            ),
        }

    async def says(self, user: object, text: str, contains: str) -> None:
        """`user` says `text` in #buergerforum and the bot's reply contains `contains`."""
        said = await self.emulator.say(user, self.forum, text)  # type: ignore[arg-type]
        reply = await self.emulator.reply_to(self.forum, said)
        assert contains in reply.content, reply.content


@pytest_asyncio.fixture(loop_scope="session")
async def square(discord_at_emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[Square]:
    square = Square(discord_at_emulator, "slash-token")
    env = square.env(tmp_path)
    async with DiscordBot(discord_at_emulator, square.bot, tmp_path / "bot.db", env=env):
        yield square


async def test_commands_are_registered_per_server_in_german_with_english_names(
    square: Square,
) -> None:
    emulator = square.emulator
    idea = emulator.interactions.command(square.bot, square.guild.id, "idee")
    assert idea["name_localizations"] == {"en-US": "idea", "en-GB": "idea"}
    assert idea["description"] == "reicht eine Idee für Stadt und Landkreis ein"
    assert idea["description_localizations"]["en-US"].startswith("submit")
    [text] = idea["options"]
    assert (text["name"], text["type"], text["required"]) == ("text", STRING, True)
    assert text["description"] == "dein Text"
    assert text["description_localizations"]["en-GB"] == "your text"
    registered = emulator.interactions.commands[(square.bot.id, square.guild.id)]
    assert len(registered) == len(CommandRegistry.from_modules(HANDLER_MODULES).specs)
    assert emulator.interactions.command(square.bot, square.guild.id, "hilfe")


async def test_numbers_are_integers_and_fixed_words_are_choices(square: Square) -> None:
    emulator = square.emulator
    number, status, reason = emulator.interactions.command(square.bot, square.guild.id, "status")[
        "options"
    ]
    assert (number["name"], number["type"], number["min_value"]) == ("nummer", INTEGER, 1)
    assert number["name_localizations"]["en-US"] == "number"
    assert number["autocomplete"] is True
    assert number["description"] == "Nummer der Idee (tippen zum Suchen)"
    assert status["type"] == STRING and "autocomplete" not in status
    assert {c["value"] for c in status["choices"]} == {
        "new",
        "review",
        "accepted",
        "done",
        "rejected",
    }
    accepted = next(c for c in status["choices"] if c["value"] == "accepted")
    assert accepted["name"] == "angenommen"
    assert accepted["name_localizations"]["en-US"] == "accepted"
    assert (reason["name"], reason["required"]) == ("grund", False)
    [language] = emulator.interactions.command(square.bot, square.guild.id, "sprache")["options"]
    assert [c["name"] for c in language["choices"]] == ["deutsch", "englisch", "leicht"]
    ask = emulator.interactions.command(square.bot, square.guild.id, "frage")["options"]
    public = next(o for o in ask if o["name"] == "oeffentlich")
    assert public["type"] == BOOLEAN and public["name_localizations"]["en-US"] == "public"
    poll = emulator.interactions.command(square.bot, square.guild.id, "umfrage")["options"]
    assert [o["name"] for o in poll][:3] == ["umfrage", "dauer", "bis"], "required first"


async def test_help_is_deferred_at_once_then_answered(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(square.citizen, square.forum, "hilfe")
    [answer] = await emulator.answers(used)
    interaction = emulator.interactions.interactions[used]
    assert interaction.callback_type == DEFERRED_CHANNEL_MESSAGE
    assert answer.kind == "original" and not answer.ephemeral
    await emulator.wait_until(
        lambda: any(HELP_FOOTER in a.content for a in emulator.interactions.answers_to(used))
    )
    parts = emulator.interactions.answers_to(used)
    assert "!idee" in "\n".join(a.content for a in parts)
    assert [a.kind for a in parts][1:] == ["followup"] * (len(parts) - 1)
    assert emulator.messages(square.forum)[-1].id == parts[-1].message_id, "everyone sees it"


async def test_an_idea_by_slash_command_is_stored(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(
        square.citizen, square.forum, "idee", {"text": "Mehr Bänke am Mainufer"}
    )
    await emulator.wait_until(
        lambda: any(
            "gespeichert als **#" in a.content for a in emulator.interactions.answers_to(used)
        )
    )
    [answer, *_] = emulator.interactions.answers_to(used)
    assert "gespeichert als **#1**" in answer.content


async def test_english_clients_get_english_answers(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(square.citizen, square.forum, "hilfe", locale="en-GB")
    [answer, *_] = await emulator.answers(used)
    assert "!idea" in answer.content


async def test_a_refusal_is_for_the_asker_alone(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(
        square.citizen, square.forum, "status", {"nummer": 1, "status": "new"}
    )
    [answer] = await emulator.answers(used)
    assert "Das dürfen leider nur" in answer.content
    assert answer.ephemeral and answer.kind == "followup"
    assert all(m.id != answer.message_id for m in emulator.messages(square.forum))
    interaction = emulator.interactions.interactions[used]
    await emulator.wait_until(lambda: interaction.original_deleted)  # no "thinking…" left
    assert interaction.original_id is None


async def test_a_usage_error_is_for_the_asker_alone(square: Square) -> None:
    emulator = square.emulator
    used = await emulator.slash(
        square.citizen, square.forum, "nachfrage", {"nummer": 1, "text": "x"}
    )
    [answer] = await emulator.answers(used)
    assert "So geht’s" in answer.content and answer.ephemeral


async def test_a_late_acknowledgement_is_refused_as_discord_refuses_it(
    square: Square,
) -> None:
    emulator = square.emulator
    emulator.interactions.window = 0.0
    try:
        used = await emulator.slash(square.citizen, square.forum, "hilfe")
        await emulator.wait_until(lambda: bool(emulator.requests("POST", f"/interactions/{used}/")))
    finally:
        emulator.interactions.window = 3.0
    assert emulator.interactions.interactions[used].callback_type is None
    assert emulator.interactions.answers_to(used) == []


async def test_without_message_content_slash_commands_still_work(
    discord_at_emulator: DiscordEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = discord_at_emulator
    square = Square(emulator, "no-content-token")
    emulator.gateway.privileged_intents = GUILD_MEMBERS  # Message Content switched off
    try:
        async with DiscordBot(emulator, square.bot, tmp_path / "bot.db"):
            said = await emulator.say(square.citizen, square.forum, "!hilfe")
            used = await emulator.slash(square.citizen, square.forum, "hilfe")
            [answer, *_] = await emulator.answers(used)
            assert "!idee" in answer.content
    finally:
        emulator.gateway.privileged_intents = PRIVILEGED_INTENTS
    assert not any(
        m.reference is not None and m.reference["message_id"] == said
        for m in emulator.messages(square.forum)
    ), "`!hilfe` is not answered: its content never reached the bot"
    assert "Message Content Intent" in caplog.text
    assert "slash commands only" in caplog.text


async def test_typed_options_become_the_command_line(square: Square) -> None:
    emulator = square.emulator
    await square.says(square.citizen, "!idee Mehr Bänke am Mainufer", "#1")
    used = await emulator.slash(
        square.staff,
        square.forum,
        "status",
        {"nummer": 1, "status": "accepted", "grund": "Wird 2027 gebaut"},
    )
    [answer, *_] = await emulator.answers(used)
    assert "#1" in answer.content and "angenommen" in answer.content
    assert not answer.ephemeral
    chosen = await emulator.slash(square.citizen, square.forum, "sprache", {"sprache": "en"})
    [english] = await emulator.answers(chosen)
    assert "English" in english.content


async def test_idea_numbers_are_suggested_without_hidden_ideas(square: Square) -> None:
    emulator = square.emulator
    await square.says(square.citizen, "!idee Mehr Bänke am Mainufer", "#1")
    await square.says(square.neighbour, "!idee Radweg nach Veitshöchheim", "#2")
    await square.says(square.neighbour, "!idee Trinkbrunnen am Markt", "#3")
    await square.says(square.staff, "!verbergen 3 Werbung", "#3")

    offered = await emulator.autocomplete(
        square.citizen, square.forum, "unterstuetzen", "nummer", ""
    )
    assert [c["value"] for c in offered] == [2, 1], "newest first, #3 is hidden"
    assert offered[0]["name"] == "#2 · Radweg nach Veitshöchheim"
    interaction = next(reversed(emulator.interactions.interactions.values()))
    assert interaction.callback_type == AUTOCOMPLETE_RESULT
    assert emulator.interactions.answers_to(interaction.id) == [], "nothing posted"

    by_word = await emulator.autocomplete(
        square.citizen, square.forum, "unterstuetzen", "nummer", "bänke"
    )
    assert [c["value"] for c in by_word] == [1]
    by_digit = await emulator.autocomplete(
        square.citizen, square.forum, "melden", "nummer", "#2", {"grund": "doppelt"}
    )
    assert [c["value"] for c in by_digit] == [2]
    staff_sees = await emulator.autocomplete(square.staff, square.forum, "zeigen", "nummer", "")
    assert [c["value"] for c in staff_sees] == [3, 2, 1], "staff also see hidden ideas"


async def test_questions_are_suggested_to_their_asker_alone(square: Square) -> None:
    emulator = square.emulator
    await square.says(square.citizen, "!frage Wann wird der Radweg am Main fertig?", "#1")
    await square.says(square.neighbour, "!frage Wo gibt es Parkausweise?", "#2")
    mine = await emulator.autocomplete(square.citizen, square.forum, "nachfrage", "nummer", "")
    assert [c["value"] for c in mine] == [1]
    theirs = await emulator.autocomplete(square.neighbour, square.forum, "erledigt", "nummer", "")
    assert [c["value"] for c in theirs] == [2]
    assert await emulator.autocomplete(square.staff, square.forum, "nachfrage", "nummer", "") == []


async def test_polls_of_the_channel_and_coming_workshops_are_suggested(square: Square) -> None:
    emulator = square.emulator
    await square.says(square.staff, '!umfrage "Welches Thema zuerst?" "Radwege" "Bänke"', "#1")
    await square.says(
        square.staff, '!workshop neu "Löten für Einsteiger" 03.12.2027 18:00 "Makerspace"', "#1"
    )
    here = await emulator.autocomplete(square.citizen, square.forum, "abstimmen", "nummer", "")
    assert [(c["value"], c["name"]) for c in here] == [(1, "#1 · Welches Thema zuerst?")]
    assert await emulator.autocomplete(square.citizen, square.cafe, "ergebnis", "nummer", "") == []
    workshops = await emulator.autocomplete(
        square.citizen, square.cafe, "anmelden", "nummer", "löt"
    )
    assert [c["value"] for c in workshops] == [1]
    assert (
        await emulator.autocomplete(square.citizen, square.cafe, "anmelden", "nummer", "xyz") == []
    )


async def test_leichte_sprache_comes_in_short_answers_to_a_slash_command(square: Square) -> None:
    emulator = square.emulator
    chosen = await emulator.slash(square.citizen, square.forum, "sprache", {"sprache": "leicht"})
    [changed] = await emulator.answers(chosen)
    assert changed.content.startswith("Gut.\nIch schreibe dir ab jetzt in Leichter Sprache.")

    used = await emulator.slash(square.citizen, square.forum, "datenschutz")
    await emulator.wait_until(
        lambda: any(
            "Das sind deine Rechte:" in a.content for a in emulator.interactions.answers_to(used)
        )
    )
    parts = emulator.interactions.answers_to(used)
    assert len(parts) >= 6, "one short answer per paragraph"
    assert parts[0].kind == "original" and parts[0].content.startswith("**Daten·schutz")
    assert [a.kind for a in parts][1:] == ["followup"] * (len(parts) - 1)
    assert not any(a.ephemeral for a in parts)
