"""The emulated Discord's data: users, guilds, roles, channels, members and messages.

Payload builders shape every object as Discord documents it (snowflakes as strings, ISO
timestamps), so discord.py parses them as it parses Discord's own answers.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.discord_emulator.poll_state import EmulatedPoll

DISCORD_EPOCH_MS = 1_420_070_400_000

TEXT, DM, FORUM = 0, 1, 15
"""Channel types (Discord's `type` numbers) the emulator knows."""
DEFAULT, REPLY = 0, 19
"""Message types."""

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
ADD_REACTIONS = 1 << 6
ATTACH_FILES = 1 << 15
EMBED_LINKS = 1 << 14
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ADD_REACTIONS | ATTACH_FILES | EMBED_LINKS
)
"""What @everyone may do in a new guild of the emulator (a friendly community server)."""


class Snowflakes:
    """Discord ids: milliseconds since 2015 shifted left 22 bits, strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return str(self._last)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def snowflake_time(snowflake: str) -> datetime:
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


@dataclass
class User:
    id: str
    name: str
    bot: bool = False
    token: str | None = None
    """A bot's token (`Authorization: Bot <token>`); None for people."""

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.name,
            "global_name": None if self.bot else self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: str
    guild_id: str
    name: str
    permissions: int
    position: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Channel:
    id: str
    type: int
    name: str | None = None
    guild_id: str | None = None
    recipients: tuple[str, ...] = ()
    """Both users of a DM channel."""
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    last_message_id: str | None = None

    def payload(self, world: World, viewer: str | None = None) -> dict[str, Any]:
        """The channel as `viewer` sees it: a DM lists the other recipients only."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "last_message_id": self.last_message_id,
            "flags": 0,
        }
        if self.type == DM:
            others = [user for user in self.recipients if user != viewer]
            data["recipients"] = [world.users[user].payload() for user in others]
            return data
        data.update(
            guild_id=self.guild_id,
            name=self.name,
            position=0,
            permission_overwrites=self.overwrites,
            parent_id=None,
            nsfw=False,
            topic=None,
            rate_limit_per_user=0,
        )
        if self.type == FORUM:
            data.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None)
        return data


@dataclass
class Member:
    user_id: str
    roles: list[str] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    def payload(self, world: World, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": list(self.roles),
            "nick": None,
            "avatar": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = world.users[self.user_id].payload()
        return data


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str
    roles: dict[str, Role] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    threads: list[str] = field(default_factory=list)
    """Active threads (channels of their own, not listed in `channels`)."""

    def payload(self, world: World) -> dict[str, Any]:
        """The GUILD_CREATE form: the guild with its roles, channels and members."""
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": self.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [role.payload() for role in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "de",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [member.payload(world) for member in self.members.values()],
            "channels": [world.channels[channel].payload(world) for channel in self.channels],
            "threads": [
                world.channels[thread].payload(world)
                for thread in self.threads
                if not getattr(world.channels[thread], "archived", False)
            ],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class StoredMessage:
    """A message as the emulator keeps it; `payload` shapes it for REST or the gateway."""

    id: str
    channel_id: str
    author_id: str
    content: str
    type: int = DEFAULT
    reference: dict[str, Any] | None = None
    nonce: str | int | None = None
    mentions: list[str] = field(default_factory=list)
    mention_roles: list[str] = field(default_factory=list)
    mention_everyone: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)
    edited_timestamp: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    """Who reacted with which emoji, in the order they did (see `reactions.py`)."""
    poll: EmulatedPoll | None = None
    """The message's poll, if it was sent with one (see `polls.py`)."""

    @property
    def timestamp(self) -> str:
        return snowflake_time(self.id).isoformat()

    def payload(
        self,
        world: World,
        *,
        gateway: bool = False,
        nested: bool = False,
        viewer: str | None = None,
    ) -> dict:
        """REST form; `gateway` adds `guild_id` and `member` as MESSAGE_CREATE carries them.

        `viewer` is the bot asking: its own reactions are `me` in `reactions`.
        """
        data: dict[str, Any] = {
            "id": self.id,
            "channel_id": self.channel_id,
            "type": self.type,
            "author": world.users[self.author_id].payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [world.users[user].payload() for user in self.mentions],
            "mention_roles": list(self.mention_roles),
            "attachments": list(self.attachments),
            "embeds": [],
            "pinned": False,
            "flags": 0,
            "components": [],
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.reactions:
            data["reactions"] = reactions_payload(self, viewer)
        if self.poll is not None:
            data["poll"] = self.poll.payload(viewer)
        if self.reference is not None:
            data["message_reference"] = {"type": 0, **self.reference}
            if not nested:
                target = world.messages.get(self.reference.get("message_id", ""))
                data["referenced_message"] = (
                    target.payload(world, nested=True) if target is not None else None
                )
        channel = world.channels[self.channel_id]
        if gateway and channel.guild_id is not None:
            data["guild_id"] = channel.guild_id
            member = world.guilds[channel.guild_id].members.get(self.author_id)
            if member is not None:
                data["member"] = member.payload(world, with_user=False)
        return data


def reactions_payload(message: StoredMessage, viewer: str | None) -> list[dict[str, Any]]:
    """A message's `reactions` as Discord lists them: per emoji, its count and `me`."""
    return [
        {
            "count": len(users),
            "count_details": {"burst": 0, "normal": len(users)},
            "me": viewer is not None and viewer in users,
            "me_burst": False,
            "burst_colors": [],
            "emoji": emoji_payload(emoji),
        }
        for emoji, users in message.reactions.items()
    ]


def emoji_payload(emoji: str) -> dict[str, Any]:
    """A Unicode emoji as Discord names it in reactions (custom emoji are not emulated)."""
    return {"id": None, "name": emoji}


class World:
    """Everything the emulated Discord holds, with ids from one snowflake source."""

    def __init__(self) -> None:
        self.ids = Snowflakes()
        self.users: dict[str, User] = {}
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.history: dict[str, list[str]] = {}
        """Message ids per channel, oldest first."""
        self._names = itertools.count(1)

    def add_user(self, name: str, *, bot: bool = False, token: str | None = None) -> User:
        user = User(self.ids.next(), name, bot=bot, token=token)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner: User) -> Guild:
        guild = Guild(self.ids.next(), name, owner.id)
        # @everyone has the guild's id, as on Discord.
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", EVERYONE_PERMISSIONS)
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        return guild

    def add_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        role = Role(self.ids.next(), guild.id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, roles: tuple[Role, ...] = ()) -> Member:
        member = Member(user.id, [role.id for role in roles])
        guild.members[user.id] = member
        return member

    def remove_member(self, guild: Guild, user_id: str) -> bool:
        """Whether the user was a member (and is no longer)."""
        return guild.members.pop(user_id, None) is not None

    def add_channel(self, guild: Guild, name: str, type: int = TEXT) -> Channel:
        channel = Channel(self.ids.next(), type, name=name, guild_id=guild.id)
        self.channels[channel.id] = channel
        self.history[channel.id] = []
        guild.channels.append(channel.id)
        return channel

    def dm_channel(self, user_a: str, user_b: str) -> Channel:
        """The one DM channel between two users, created on first use."""
        pair = {user_a, user_b}
        for channel in self.channels.values():
            if channel.type == DM and set(channel.recipients) == pair:
                return channel
        channel = Channel(self.ids.next(), DM, recipients=(user_a, user_b))
        self.channels[channel.id] = channel
        self.history[channel.id] = []
        return channel

    def store(self, message: StoredMessage) -> StoredMessage:
        self.messages[message.id] = message
        self.history[message.channel_id].append(message.id)
        self.channels[message.channel_id].last_message_id = message.id
        return message
