"""Exceptions handlers raise instead of answering errors themselves; the router replies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import Role


class UsageError(Exception):
    """The command was typed wrongly; the router answers with `key` and the usage."""

    def __init__(self, key: str = "errors.usage", **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotPermitted(Exception):
    """The person may not do this; the router names who may."""

    def __init__(self, required: Role, key: str = "errors.not_permitted") -> None:
        super().__init__(key)
        self.required = required
        self.key = key


class AlreadyProcessed(Exception):
    """The event was handled before (a replay after a restart); nothing more is said."""


class UnknownPlatform(LookupError):
    """A person or room is on a chat platform that is not running in this process."""

    def __init__(self, platform: str) -> None:
        super().__init__(f"No adapter for the chat platform {platform!r} is running")
        self.platform = platform
