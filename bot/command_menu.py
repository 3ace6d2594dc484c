"""The commands as a platform's own command menu lists them (Discord's slash commands).

Built from the same declarations the router parses (`bot.router.command`), with the texts
from the catalogs, so the menu and the `!` commands never disagree: each positional
parameter and `--option` becomes one argument of its kind, numbers say what they count
(for suggestions), fixed words become choices.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.adapters.base import (
    ArgumentDeclaration,
    ChoiceDeclaration,
    CommandDeclaration,
    CommandMenu,
)
from bot.arguments import Choice, Number, Option, Param, Text, Word
from bot.i18n import Catalog
from bot.router import CommandRegistry, CommandSpec

LANGUAGES = ("de", "en")


def command_menu(
    registry: CommandRegistry, catalog: Catalog, prefix: str, user_reference_example: str
) -> CommandMenu:
    """Every command with its summary, usage line and arguments in German and English;
    usage lines naming a person show how that platform writes one."""
    return CommandMenu(
        prefix,
        tuple(_declaration(spec, catalog, user_reference_example) for spec in registry.specs),
    )


def _declaration(spec: CommandSpec, catalog: Catalog, example: str) -> CommandDeclaration:
    return CommandDeclaration(
        spec.name,
        spec.alias,
        {lang: catalog.text(lang, f"commands.{spec.name}.summary") for lang in LANGUAGES},
        {
            lang: catalog.text(lang, f"commands.{spec.name}.usage", example=example)
            for lang in LANGUAGES
        },
        (
            *(_positional(param, catalog) for param in spec.params),
            *(_option(option, catalog) for option in spec.options),
        ),
    )


def _positional(param: Param, catalog: Catalog) -> ArgumentDeclaration:
    """A positional parameter; its names and description come from the catalogs
    (`arguments.<name>`; a number that counts something: `arguments.numbers.<what>`)."""
    refers_to = param.refers_to if isinstance(param, Number) else None
    described = f"arguments.numbers.{refers_to}" if refers_to else f"arguments.{param.name}"
    return ArgumentDeclaration(
        key=param.name,
        kind=_kind(param),
        required=not param.optional,
        option=False,
        names={lang: catalog.text(lang, f"arguments.{param.name}.name") for lang in LANGUAGES},
        descriptions={lang: catalog.text(lang, f"{described}.description") for lang in LANGUAGES},
        choices=_choices(param.choices) if isinstance(param, Choice) else (),
        refers_to=refers_to,
    )


def _option(option: Option, catalog: Catalog) -> ArgumentDeclaration:
    """A `--name` option: named as typed (German name, English alias), never required."""
    return ArgumentDeclaration(
        key=option.name,
        kind="flag" if option.flag else "word",
        required=False,
        option=True,
        names={"de": option.name, "en": option.alias},
        descriptions={
            lang: catalog.text(lang, f"arguments.{option.name}.description") for lang in LANGUAGES
        },
    )


def _kind(param: Param) -> str:
    if isinstance(param, Number):
        return "number"
    if isinstance(param, Choice):
        return "choice"
    if isinstance(param, Text):
        return "text"
    if isinstance(param, Word):
        return "word"
    return "words"  # a command's own parameter reading the rest of the line as typed


def _choices(words: Mapping[str, str]) -> tuple[ChoiceDeclaration, ...]:
    """One choice per meaning: shown as the first word for it (German) and, in English, as
    the last one (declarations list German words first); the line gets the meaning, which
    the parser maps to itself."""
    meanings = dict.fromkeys(words.values())
    choices = []
    for meaning in meanings:
        spelled = [word for word, value in words.items() if value == meaning]
        value = meaning if meaning in words else spelled[0]
        choices.append(ChoiceDeclaration(value, {"de": spelled[0], "en": spelled[-1]}))
    return tuple(choices)
