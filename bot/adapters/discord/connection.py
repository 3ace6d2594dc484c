"""What the Discord adapter needs to connect: the token, where Discord is, whom to trust."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


@dataclass(frozen=True)
class DiscordConnection:
    """The bot account and the Discord it talks to (an emulator in tests: plain `ws://`).

    Built from the settings by the composition root (DISCORD_TOKEN, DISCORD_API_URL,
    DISCORD_GATEWAY_URL, DISCORD_STAFF_ROLE).
    """

    token: str
    api_url: str = DEFAULT_API_URL
    gateway_url: str = DEFAULT_GATEWAY_URL
    staff_role: str | None = None
    """The id of the role whose members are staff in the staff channel's guild."""
