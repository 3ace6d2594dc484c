"""Chat messages link to the public page when BOT_WEB_BASE_URL is set, and only then; the
settings of the page are checked like every other setting."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings
from tests.unit.privacy_world import BERND, SABINE, STAFF_ROOM, say, town
from tests.web.world import BASE_URL


async def test_cards_details_results_and_announcements_carry_the_page_link(tmp_path):
    bot = await town(tmp_path, BOT_WEB_ADDRESS="127.0.0.1:0", BOT_WEB_BASE_URL=BASE_URL)
    await say(bot, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")
    card = bot.adapter.sent[-1].message
    assert card.body.endswith(f"Im Web: {BASE_URL}/ideas/1")
    shown = await say(bot, BERND, "!ideen 1")
    assert shown.endswith(f"Im Web: {BASE_URL}/ideas/1")
    await say(bot, SABINE, '!workshop neu "Sprechstunde" 03.12.2026 18:00 "Rathaus"')
    announcements = [s.message.body for s in bot.adapter.sent if "📣" in s.message.body]
    assert announcements and announcements[0].endswith(f"Im Web: {BASE_URL}/workshops/1")
    assert (await say(bot, BERND, "!workshop 1")).endswith(f"{BASE_URL}/workshops/1")
    await say(bot, SABINE, '!umfrage "Welcher Ort?" "Rathaus" "Bibliothek"')
    await say(bot, SABINE, '!umfrage "Intern?" "Ja" "Nein"', room=STAFF_ROOM)
    assert (await say(bot, BERND, "!ergebnis 1")).endswith(f"Im Web: {BASE_URL}/polls/1")
    staff_poll = await say(bot, SABINE, "!ergebnis 2", room=STAFF_ROOM)
    assert BASE_URL not in staff_poll  # staff-room polls are not on the page


async def test_a_reader_of_leichte_sprache_gets_the_page_in_leichte_sprache(tmp_path):
    bot = await town(tmp_path, BOT_WEB_ADDRESS="127.0.0.1:0", BOT_WEB_BASE_URL=BASE_URL)
    await say(bot, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")
    await say(bot, SABINE, '!workshop neu "Sprechstunde" 03.12.2026 18:00 "Rathaus"')
    await say(bot, SABINE, '!umfrage "Welcher Ort?" "Rathaus" "Bibliothek"')
    await say(bot, BERND, "!sprache leicht")
    idea = await say(bot, BERND, "!ideen 1")
    assert idea.endswith(f"Die Idee im Internet: {BASE_URL}/ideas/1?lang=leicht")
    workshop = await say(bot, BERND, "!workshop 1")
    assert workshop.endswith(f"Der Workshop im Internet: {BASE_URL}/workshops/1?lang=leicht")
    poll = await say(bot, BERND, "!ergebnis 1")
    assert poll.endswith(f"Die Umfrage im Internet: {BASE_URL}/polls/1?lang=leicht")
    assert (await say(bot, SABINE, "!ideen 1")).endswith(f"Im Web: {BASE_URL}/ideas/1")


async def test_without_a_base_url_the_chat_carries_no_links(tmp_path):
    bot = await town(tmp_path, BOT_WEB_ADDRESS="127.0.0.1:8080")
    await say(bot, BERND, "!idee Mehr Bänke am Mainufer mit Blick aufs Wasser")
    assert "Im Web" not in await say(bot, BERND, "!ideen 1")
    assert all("http" not in sent.message.body for sent in bot.adapter.sent)


BASE_ENV = {
    "MATRIX_HOMESERVER": "http://127.0.0.1:1",
    "MATRIX_USER_ID": "@bot:localhost",
    "MATRIX_PASSWORD": "x",
}


def test_web_settings_are_read_with_their_defaults():
    settings = Settings.from_env(
        env={**BASE_ENV, "BOT_WEB_ADDRESS": "[::1]:8080", "BOT_WEB_BASE_URL": BASE_URL + "/"}
    )
    assert settings.web is not None
    assert (settings.web.host, settings.web.port) == ("::1", 8080)
    assert settings.web.base_url == BASE_URL
    assert settings.web.licence == "CC0-1.0"
    assert settings.web.requests_per_minute == 300
    assert Settings.from_env(env=BASE_ENV).web is None


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"BOT_WEB_ADDRESS": "8080"}, "BOT_WEB_ADDRESS must be host:port"),
        ({"BOT_WEB_ADDRESS": "localhost:99999"}, "BOT_WEB_ADDRESS must be host:port"),
        ({"BOT_WEB_BASE_URL": BASE_URL}, "BOT_WEB_BASE_URL is set but BOT_WEB_ADDRESS is not"),
        (
            {"BOT_WEB_ADDRESS": "127.0.0.1:8080", "BOT_WEB_BASE_URL": "beteiligung.example"},
            "BOT_WEB_BASE_URL must be a URL",
        ),
        (
            {"BOT_WEB_ADDRESS": "127.0.0.1:8080", "BOT_WEB_RATE_LIMIT": "viele"},
            "BOT_WEB_RATE_LIMIT must be a whole number",
        ),
        (
            {"BOT_WEB_ADDRESS": "127.0.0.1:8080", "BOT_WEB_DISCORD_INVITE": "http://x"},
            "BOT_WEB_DISCORD_INVITE must be an https:// link",
        ),
    ],
)
def test_bad_web_settings_are_named(env, problem):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env={**BASE_ENV, **env})
    assert any(problem in line for line in error.value.problems)


def test_check_config_names_the_public_page(tmp_path, capsys, monkeypatch):
    for name in BASE_ENV:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "web.env"
    lines = {**BASE_ENV, "BOT_WEB_ADDRESS": "127.0.0.1:8080", "BOT_WEB_BASE_URL": BASE_URL}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in lines.items()), "utf-8")
    assert main(["check-config", "--env-file", str(env_file)]) == 0
    assert f"Public page: http://127.0.0.1:8080/ ; {BASE_URL}" in capsys.readouterr().out


async def test_a_workshop_category_must_be_a_department(tmp_path):
    bot = await town(tmp_path)
    refused = await say(
        bot, SABINE, '!workshop neu "Sprechstunde" 03.12.2026 18:00 "Rathaus" --kategorie mond'
    )
    assert "Die Kategorie „mond“ kenne ich nicht. Möglich sind: mobilitaet, umwelt" in refused
    assert "Workshop #1" not in await say(bot, BERND, "!workshops")
    await say(
        bot, SABINE, '!workshop neu "Sprechstunde" 03.12.2026 18:00 "Rathaus" --kategorie digitales'
    )
    assert "Sprechstunde" in await say(bot, BERND, "!workshops")
