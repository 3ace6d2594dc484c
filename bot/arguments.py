"""Declarative command arguments: a command lists its parameters, the router parses them.

Chat users type German quotes („…“), straight quotes and curly quotes interchangeably, so
the tokenizer accepts all of them, and free text keeps its original spacing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import UsageError

QUOTE_PAIRS = {'"': '"', "„": "“", "“": "”", "”": "”", "«": "»", "»": "«"}
OPTION_PREFIXES = ("--", "—", "–")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab and line breaks: invisible in chat, NUL is refused by
PostgreSQL, and escape sequences would reach exports and terminals."""


@dataclass(frozen=True)
class Token:
    """One word or quoted phrase, with where it starts and ends in the raw text."""

    value: str
    start: int
    quoted: bool
    end: int


def tokenize(raw: str) -> list[Token]:
    """Split on whitespace, keeping quoted phrases together; an unclosed quote is an error."""
    tokens: list[Token] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char.isspace():
            i += 1
            continue
        if char in QUOTE_PAIRS:
            closing = QUOTE_PAIRS[char]
            end = next((j for j in range(i + 1, len(raw)) if raw[j] in (closing, '"')), -1)
            if end < 0:
                raise UsageError("errors.unbalanced_quote")
            tokens.append(Token(raw[i + 1 : end], i, True, end + 1))
            i = end + 1
            continue
        end = i
        while end < len(raw) and not raw[end].isspace():
            end += 1
        tokens.append(Token(raw[i:end], i, False, end))
        i = end
    return tokens


@dataclass(frozen=True)
class Param:
    """A positional parameter; subclasses say how many tokens they take and what they mean."""

    name: str
    optional: bool = False

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        """Return the parsed value and how many tokens were used."""
        return tokens[0].value, 1


@dataclass(frozen=True)
class Word(Param):
    """A single word or quoted phrase, at most `max_length` characters."""

    max_length: int = 200

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        value = tokens[0].value.strip()
        if not value or len(value) > self.max_length:
            raise UsageError("errors.word_length", max=self.max_length)
        return value, 1


@dataclass(frozen=True)
class Number(Param):
    """A reference number such as `12` or `#12` (ideas, polls, workshops, questions).

    `refers_to` names what it counts ("idea", "poll", "workshop", "question"), so that a
    platform's command menu can suggest numbers the person may see.
    """

    refers_to: str | None = None

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        text = tokens[0].value.lstrip("#")
        if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
            raise UsageError("errors.not_a_number", value=tokens[0].value[:40])
        return int(text), 1


@dataclass(frozen=True)
class Text(Param):
    """Everything after the previous parameters, with its spacing, within length bounds."""

    min_length: int = 1
    max_length: int = 2000

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        text = raw[tokens[0].start :].strip()
        if len(tokens) == 1 and tokens[0].quoted:
            text = tokens[0].value.strip()
        if not self.min_length <= len(text) <= self.max_length:
            raise UsageError(
                "errors.text_length", min=self.min_length, max=self.max_length, length=len(text)
            )
        return text, len(tokens)


@dataclass(frozen=True)
class Choice(Param):
    """One of fixed words in either language, mapped to its canonical value."""

    choices: Mapping[str, str] = field(default_factory=dict)

    def take(self, tokens: Sequence[Token], raw: str) -> tuple[Any, int]:
        value = self.choices.get(tokens[0].value.casefold())
        if value is None:
            raise UsageError("errors.choice", value=tokens[0].value[:40], choices=self.listing())
        return value, 1

    def listing(self) -> str:
        return ", ".join(self.choices)


@dataclass(frozen=True)
class Option:
    """A `--name value` or `--flag` option; German name first, English alias second."""

    name: str
    alias: str
    flag: bool = False

    @property
    def names(self) -> tuple[str, str]:
        return self.name, self.alias


def parse_arguments(
    raw: str, params: Sequence[Param], options: Sequence[Option] = ()
) -> dict[str, Any]:
    """Parse `raw` into keyword arguments named after the declared parameters and options."""
    if CONTROL_CHARACTERS.search(raw):
        raise UsageError("errors.control_characters")
    tokens = tokenize(raw)
    values: dict[str, Any] = {opt.name: (False if opt.flag else None) for opt in options}
    positional: list[Token] = []
    taken: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        option = _match_option(token, options)
        if option is None:
            positional.append(token)
            index += 1
            continue
        if option.flag:
            values[option.name] = True
            taken.append(token)
            index += 1
            continue
        if index + 1 >= len(tokens):
            raise UsageError("errors.option_value", option=option.name)
        values[option.name] = tokens[index + 1].value
        taken += tokens[index : index + 2]
        index += 2
    for token in taken:  # free text (Text) must not contain the options around it
        raw = raw[: token.start] + " " * (token.end - token.start) + raw[token.end :]
    rest = positional
    for param in params:
        if not rest:
            if not param.optional:
                raise UsageError("errors.missing_argument", name=param.name)
            values[param.name] = None
            continue
        value, used = param.take(rest, raw)
        values[param.name] = value
        rest = rest[used:]
    if rest:
        raise UsageError("errors.too_many_arguments", extra=rest[0].value[:40])
    return values


def _match_option(token: Token, options: Sequence[Option]) -> Option | None:
    if token.quoted or not token.value.startswith(OPTION_PREFIXES):
        return None
    name = token.value.lstrip("-—–").casefold()
    if not name:  # a dash on its own is punctuation in free text ("Glasfaser – wann?")
        return None
    for option in options:
        if name in option.names:
            return option
    raise UsageError("errors.unknown_option", option=token.value[:40])
