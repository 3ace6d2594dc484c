"""Slash commands: the bot's commands as Discord's command menu shows them, and back.

Each command of the menu is one chat-input command named by its German name, with its
English alias as `name_localizations` (Discord shows people the name in their client's
language) and its catalog summary as description. A command that takes arguments has one
optional string option, `argumente` ("arguments"), carrying the rest of the line exactly as
after a `!` command: the core's own parser reads it, so usage errors are the same on both
ways in. An interaction becomes the text `<prefix><name> <arguments>`, the English alias
when the person's Discord speaks English (so the answer is in English, as for `!alias`).
"""

from __future__ import annotations

from typing import Any

import discord

from bot.adapters.base import CommandDeclaration, CommandMenu

MAX_DESCRIPTION = 100
"""Discord's limit for command and option descriptions."""
ENGLISH_LOCALES = ("en-US", "en-GB")
ARGUMENTS = "argumente"
ARGUMENTS_EN = "arguments"
CHAT_INPUT = 1
STRING = 3


def _short(text: str) -> str:
    """A description within Discord's limit (catalog summaries are one line)."""
    text = text.replace("**", "").strip()
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _english(text: str) -> dict[str, str]:
    return {locale: text for locale in ENGLISH_LOCALES}


def command_payload(declaration: CommandDeclaration) -> dict[str, Any]:
    """The chat-input command Discord registers for one declaration."""
    payload: dict[str, Any] = {
        "type": CHAT_INPUT,
        "name": declaration.name,
        "description": _short(declaration.summaries["de"]),
        "description_localizations": _english(_short(declaration.summaries["en"])),
        "options": [],
    }
    if declaration.alias != declaration.name:
        payload["name_localizations"] = _english(declaration.alias)
    if declaration.usages["de"].strip():
        payload["options"].append(
            {
                "type": STRING,
                "name": ARGUMENTS,
                "name_localizations": _english(ARGUMENTS_EN),
                "description": _short(declaration.usages["de"]),
                "description_localizations": _english(_short(declaration.usages["en"])),
                "required": False,
            }
        )
    return payload


def command_text(menu: CommandMenu, interaction: discord.Interaction) -> str | None:
    """The command line a slash command stands for, or None if it is not one of the menu's
    (an interaction of another kind, or a command since removed)."""
    data = interaction.data or {}
    if interaction.type is not discord.InteractionType.application_command:
        return None
    name = str(data.get("name", ""))
    declaration = next((d for d in menu.commands if d.name == name), None)
    if declaration is None:
        return None
    english = str(interaction.locale.value).startswith("en")
    used = declaration.alias if english else declaration.name
    arguments = next(
        (str(o.get("value", "")) for o in data.get("options", []) if o.get("name") == ARGUMENTS),
        "",
    )
    return f"{menu.prefix}{used} {arguments}".strip()


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
