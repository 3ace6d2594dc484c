"""Discord's side of rendering and naming people: pure functions, no discord.py needed."""

from __future__ import annotations

import pytest

from bot.adapters.discord.identity import parse_user_id
from bot.adapters.discord.render import discord_markdown, escape, split_lines
from bot.messages import Bold, Link, Mention, Message, Text, render

ZWSP = "\u200b"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (
            "**laut** _leise_ ~~weg~~ `code` ||geheim||",
            r"\*\*laut\*\* \_leise\_ \~\~weg\~\~ \`code\` \|\|geheim\|\|",
        ),
        ("# Überschrift", r"\# Überschrift"),
        ("> Zitat", r"\> Zitat"),
        ("-# klein", r"\-# klein"),
        ("1. erstens", r"\1. erstens"),
        ("[klick](https://evil.example)", r"\[klick\](https://evil.example)"),
        ("<script>", r"\<script>"),
        ("a\\b", r"a\\b"),
    ],
)
def test_markdown_in_user_text_shows_as_typed(typed: str, shown: str) -> None:
    assert escape(typed) == shown


def test_mentions_in_user_text_never_ping() -> None:
    text = "@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678>"
    escaped = escape(text)
    assert escaped == (
        f"@{ZWSP}everyone @{ZWSP}here \\<@{ZWSP}123456789012345678> "
        f"\\<@{ZWSP}!123456789012345678> \\<@{ZWSP}&123456789012345678>"
    )


def test_links_in_user_text_stay_clickable() -> None:
    assert escape("siehe https://wuerzburg.de/a_b_c.") == "siehe https://wuerzburg.de/a_b_c."


def test_the_bots_own_markup_is_live() -> None:
    message = Message(
        (
            (Bold("Idee #1"), Text(" von "), Mention("123456789012345678", "Mara")),
            (Link("https://wuerzburg.de", "Stadt"), Text(" "), Link("javascript:x", "böse")),
        )
    )
    assert discord_markdown(message) == (
        "**Idee #1** von <@123456789012345678>\n[Stadt](https://wuerzburg.de) böse (javascript:x)"
    )


def test_template_parameters_are_escaped() -> None:
    message = render("Gespeichert: **{title}**", title="@everyone *x*")
    assert discord_markdown(message) == f"Gespeichert: **@{ZWSP}everyone \\*x\\***"


def test_long_messages_are_split_between_lines() -> None:
    lines = [f"Zeile {n} " + "x" * 90 for n in range(50)]
    parts = split_lines(lines, 2000)
    assert len(parts) == 3
    assert all(len(part) <= 2000 for part in parts)
    assert "\n".join(parts).split("\n") == lines


def test_a_line_longer_than_a_message_is_cut_at_a_space_and_never_inside_an_escape() -> None:
    assert split_lines(["ab cd"], 3) == ["ab", "cd"]
    assert split_lines(["a" * 5 + "\\*"], 6) == ["aaaaa", "\\*"]


@pytest.mark.parametrize(
    ("typed", "user_id"),
    [
        ("<@123456789012345678>", "123456789012345678"),
        (" <@!123456789012345678> ", "123456789012345678"),
        ("123456789012345678", "123456789012345678"),
        ("@Mara", None),
        ("<@&123456789012345678>", None),
        ("12345", None),
    ],
)
def test_people_are_named_by_mention_or_id(typed: str, user_id: str | None) -> None:
    assert parse_user_id(typed) == user_id
