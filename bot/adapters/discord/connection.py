"""What the Discord adapter needs to connect: the token, where Discord is, whom to trust."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import DiscordSettings

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


@dataclass(frozen=True)
class DiscordConnection:
    """The bot account and the Discord it talks to (an emulator in tests: plain `ws://`).

    Built from the settings by the composition root (`from_settings`: DISCORD_TOKEN,
    DISCORD_API_URL, DISCORD_GATEWAY_URL, DISCORD_STAFF_ROLE, DISCORD_GUILD_IDS).
    """

    token: str
    api_url: str = DEFAULT_API_URL
    gateway_url: str = DEFAULT_GATEWAY_URL
    staff_role: str | None = None
    """The id of the role whose members are staff in the staff channel's guild."""
    guild_ids: frozenset[str] | None = None
    """The servers the bot serves; it leaves any other. None: every server it is in (tests
    of the adapter alone)."""

    @classmethod
    def from_settings(cls, settings: DiscordSettings) -> DiscordConnection:
        return cls(
            token=settings.token,
            api_url=settings.api_url,
            gateway_url=settings.gateway_url,
            staff_role=settings.staff_role,
            guild_ids=settings.guild_ids,
        )
