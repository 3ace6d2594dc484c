"""Message catalogs: every user-facing string lives in `bot/locales/<language>/*.toml`.

Catalogs are TOML so translators can edit them without tooling; each feature keeps its own
file, and nested tables become dotted keys (`[help] title = …` is `help.title`).
Placeholders use `str.format` names (`{number}`), checked to match across languages by a test.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from string import Formatter
from typing import Any

from bot.messages import Message, render

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "de"
EASY_LANGUAGE = "leicht"
"""Leichte Sprache (easy-to-read German): German command names, short messages, plain dates."""
IN_PARTS_LANGUAGES = frozenset({EASY_LANGUAGE})
"""Languages whose readers get a long message as several short ones (`Message.in_parts`)."""


class Catalog:
    """All messages of all languages, loaded once at start-up."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]], default: str) -> None:
        self._messages = messages
        self.default = default

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR, default: str = DEFAULT_LANGUAGE) -> Catalog:
        messages: dict[str, dict[str, str]] = {}
        for language_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
            merged: dict[str, str] = {}
            for path in sorted(language_dir.glob("*.toml")):
                for key, text in _flatten(tomllib.loads(path.read_text("utf-8"))).items():
                    if key in merged:
                        raise ValueError(f"Message key {key!r} is defined twice in {language_dir}")
                    merged[key] = text
            messages[language_dir.name] = merged
        if default not in messages:
            raise ValueError(f"No catalog for the default language {default!r} in {directory}")
        return cls(messages, default)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._messages)

    def keys(self, language: str) -> set[str]:
        return set(self._messages[language])

    def raw(self, language: str, key: str) -> str:
        """The untranslated template, falling back to the default language."""
        catalog = self._messages.get(language) or self._messages[self.default]
        if key in catalog:
            return catalog[key]
        return self._messages[self.default][key]

    def has(self, key: str) -> bool:
        return key in self._messages[self.default]

    def text(self, language: str, key: str, **params: Any) -> str:
        """The message `key` in `language` with its placeholders filled in."""
        return self.raw(language, key).format(**params)

    def message(self, language: str, key: str, **params: Any) -> Message:
        """The message `key` in `language`, rendered for sending (see `bot.messages.render`)."""
        message = render(self.raw(language, key), **params)
        if language in IN_PARTS_LANGUAGES:
            return replace(message, in_parts=True)
        return message


def placeholders(template: str) -> set[str]:
    """Names of the `{placeholders}` a template uses."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, full + "."))
        elif isinstance(value, str):
            flat[full] = value
        else:
            raise ValueError(f"Message {full!r} must be text, not {type(value).__name__}")
    return flat
