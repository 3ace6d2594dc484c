"""Slash commands: the bot's commands as Discord's command menu shows them, and back.

Each command of the menu is one chat-input command named by its German name, with its
English alias as `name_localizations` (Discord shows people the name in their client's
language) and its catalog summary as description. Each argument of the declaration is one
option of its type: numbers are integers (with autocomplete when they count ideas, polls,
workshops or questions), fixed words are choices, `--flags` are booleans, the rest strings;
German names with English `name_localizations`, descriptions from the catalogs. An
interaction becomes the command line `<prefix><name> <arguments> --<option> <value>`, the
English alias when the person's Discord speaks English (so the answer is in English, as for
`!alias`): the core's own parser reads it, so usage errors are the same on both ways in.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.adapters.base import ArgumentDeclaration, CommandDeclaration, CommandMenu

MAX_DESCRIPTION = 100
"""Discord's limit for command and option descriptions."""
MAX_CHOICES = 25
"""Discord's limit for an option's choices and for autocomplete results."""
MAX_NUMBER = 999_999_999
"""The largest reference number the core's parser takes (nine digits)."""
ENGLISH_LOCALES = ("en-US", "en-GB")
CHAT_INPUT = 1
STRING = 3
INTEGER = 4
BOOLEAN = 5
OPTION_TYPES = {"number": INTEGER, "flag": BOOLEAN}
"""Discord's option type per argument kind; every other kind is a string."""


def _short(text: str) -> str:
    """A description within Discord's limit (catalog summaries are one line)."""
    text = text.replace("**", "").strip()
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _english(text: str) -> dict[str, str]:
    return {locale: text for locale in ENGLISH_LOCALES}


def _named(names: dict[str, str]) -> dict[str, Any]:
    """The German name, and the English one where it differs."""
    named: dict[str, Any] = {"name": names["de"]}
    if names["en"] != names["de"]:
        named["name_localizations"] = _english(names["en"])
    return named


def option_payload(argument: ArgumentDeclaration) -> dict[str, Any]:
    """The command option Discord registers for one argument."""
    option: dict[str, Any] = {
        "type": OPTION_TYPES.get(argument.kind, STRING),
        **_named(argument.names),
        "description": _short(argument.descriptions["de"]),
        "description_localizations": _english(_short(argument.descriptions["en"])),
        "required": argument.required,
    }
    if argument.kind == "number":
        option.update(min_value=1, max_value=MAX_NUMBER)
        if argument.refers_to is not None:
            option["autocomplete"] = True
    if argument.choices:
        option["choices"] = [
            {**_named(choice.names), "value": choice.value}
            for choice in argument.choices[:MAX_CHOICES]
        ]
    return option


def command_payload(declaration: CommandDeclaration) -> dict[str, Any]:
    """The chat-input command Discord registers for one declaration. Discord wants the
    required options first; the command line keeps the declaration's order."""
    arguments = sorted(declaration.arguments, key=lambda a: not a.required)
    return {
        "type": CHAT_INPUT,
        "name": declaration.name,
        "description": _short(declaration.summaries["de"]),
        "description_localizations": _english(_short(declaration.summaries["en"])),
        "options": [option_payload(argument) for argument in arguments],
        **(
            {"name_localizations": _english(declaration.alias)}
            if declaration.alias != declaration.name
            else {}
        ),
    }


def _declaration(menu: CommandMenu, interaction: discord.Interaction) -> CommandDeclaration | None:
    name = str((interaction.data or {}).get("name", ""))
    return next((d for d in menu.commands if d.name == name), None)


def _values(interaction: discord.Interaction) -> dict[str, Any]:
    """The options the person filled in, by their (German) name."""
    options = (interaction.data or {}).get("options", [])
    return {str(o.get("name")): o.get("value") for o in options}


def _word(value: str) -> str:
    """A single word as typed; words with spaces in quotes, as the parser reads them."""
    return f'"{value}"' if any(char.isspace() for char in value) else value


def _line_part(argument: ArgumentDeclaration, value: Any) -> str:
    if argument.kind == "flag":
        return f"--{argument.names['de']}" if value else ""
    text = str(value)
    if argument.kind == "word":
        text = _word(text)
    return f"--{argument.names['de']} {text}" if argument.option else text


def command_text(menu: CommandMenu, interaction: discord.Interaction) -> str | None:
    """The command line a slash command stands for, or None if it is not one of the menu's
    (an interaction of another kind, or a command since removed). Options follow the
    positional arguments, which keep the declaration's order."""
    if interaction.type is not discord.InteractionType.application_command:
        return None
    declaration = _declaration(menu, interaction)
    if declaration is None:
        return None
    english = str(interaction.locale.value).startswith("en")
    used = declaration.alias if english else declaration.name
    values = _values(interaction)
    ordered = sorted(declaration.arguments, key=lambda a: a.option)
    parts = [
        _line_part(argument, values[argument.names["de"]])
        for argument in ordered
        if values.get(argument.names["de"]) not in (None, "")
    ]
    return " ".join([f"{menu.prefix}{used}", *(part for part in parts if part)])


def focused_number(menu: CommandMenu, interaction: discord.Interaction) -> tuple[str, str] | None:
    """For an autocomplete interaction on a number that counts something: what it counts
    and what the person typed so far (Discord sends the partial value as typed, a string
    even for integer options); None for anything else."""
    if interaction.type is not discord.InteractionType.autocomplete:
        return None
    declaration = _declaration(menu, interaction)
    options = (interaction.data or {}).get("options", [])
    focused = next((o for o in options if o.get("focused")), None)
    if declaration is None or focused is None:
        return None
    argument = next(
        (a for a in declaration.arguments if a.names["de"] == focused.get("name")), None
    )
    if argument is None or argument.refers_to is None:
        return None
    return argument.refers_to, str(focused.get("value") or "")


class SlashAnswers:
    """The answers to one slash command: Discord shows "thinking…" from the deferral until
    the first answer replaces it (an edit of the original response); later answers are
    follow-ups. A private answer (`Message.private`) is an ephemeral follow-up, seen by the
    asker alone; when it is the first, the "thinking…" message is deleted, as an ephemeral
    answer cannot replace a public one."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.answered = False

    async def answer(
        self, parts: list[str], private: bool, mentions: discord.AllowedMentions
    ) -> str:
        """Post the parts of one answer; returns the id of the first."""
        first: str | None = None
        for part in parts:
            if not self.answered and not private:
                sent: discord.Message = await self.interaction.edit_original_response(
                    content=part, allowed_mentions=mentions
                )
            else:
                sent = await self.interaction.followup.send(
                    part, ephemeral=private, allowed_mentions=mentions, wait=True
                )
                if not self.answered:
                    await self.interaction.delete_original_response()
            self.answered = True
            first = first or str(sent.id)
        assert first is not None
        return first

    async def finish(self) -> None:
        """A command that got no answer in its channel (e.g. it answered by DM) leaves no
        "thinking…" behind."""
        if not self.answered:
            await self.interaction.delete_original_response()
