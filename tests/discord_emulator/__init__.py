"""A wire-level Discord (gateway WebSocket and REST) for discord.py to talk to in tests."""

from tests.discord_emulator.gateway import MESSAGE_CONTENT, PRIVILEGED_INTENTS
from tests.discord_emulator.rest import RecordedRequest
from tests.discord_emulator.server import DiscordEmulator
from tests.discord_emulator.threads import PUBLIC_THREAD, Thread
from tests.discord_emulator.world import (
    ADMINISTRATOR,
    DM,
    FORUM,
    MANAGE_GUILD,
    TEXT,
    VIEW_CHANNEL,
    Channel,
    Guild,
    Role,
    StoredMessage,
    User,
)

__all__ = [
    "ADMINISTRATOR",
    "DM",
    "FORUM",
    "MANAGE_GUILD",
    "MESSAGE_CONTENT",
    "PRIVILEGED_INTENTS",
    "PUBLIC_THREAD",
    "TEXT",
    "VIEW_CHANNEL",
    "Channel",
    "DiscordEmulator",
    "Guild",
    "RecordedRequest",
    "Role",
    "StoredMessage",
    "Thread",
    "User",
]
