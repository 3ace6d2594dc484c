"""The Discord side of the bot: discord.py's client, its gateway events, and sending.

The only module that talks to Discord through discord.py. Messages become the neutral
`IncomingMessage` of `bot.context`, so handlers never see a Discord object.

Where Discord is: discord.py reads its REST base from the class attribute
`discord.http.Route.BASE` and its gateway from `discord.gateway.DiscordWebSocket.
DEFAULT_GATEWAY` (it does not ask `/gateway/bot`). The adapter sets both from its
`DiscordConnection` when it logs in, so the same bot can be pointed at an emulator; they are
process-wide, so every Discord adapter in one process talks to the same Discord.

Mentions: the client's default `AllowedMentions` pings nobody, and every send names exactly
whom it may ping (the people the neutral message mentions), never `@everyone` or roles.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import yarl

from bot.adapters.base import CommandMenu, PlatformFeatures, PlatformSetupError
from bot.adapters.discord.calendar import (
    INTEREST_EVENTS,
    entry_id,
    event_fields,
    incoming_interest,
    parse_entry_id,
)
from bot.adapters.discord.catch_up import ChannelCursors
from bot.adapters.discord.connection import DiscordConnection
from bot.adapters.discord.events import actor_of, incoming_message
from bot.adapters.discord.features import DISCORD_FEATURES, MAX_MESSAGE_LENGTH
from bot.adapters.discord.identity import PLATFORM, USER_REFERENCE_EXAMPLE, parse_user_id
from bot.adapters.discord.polls import (
    ADD,
    PollSelections,
    catch_up_responses,
    discord_poll,
    incoming_vote,
)
from bot.adapters.discord.reactions import Delivery, incoming_reaction
from bot.adapters.discord.render import discord_lines, split_lines
from bot.adapters.discord.slash import (
    MAX_CHOICES,
    SlashAnswers,
    command_payload,
    command_text,
    focused_number,
)
from bot.context import (
    CalendarEntry,
    FileUpload,
    IncomingEvent,
    IncomingMessage,
    IncomingPollResponse,
    Place,
    PollDraft,
    Suggestion,
    SuggestionRequest,
)
from bot.messages import Message
from storage.uow import UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)

NONCE_LENGTH = 25
"""Discord accepts nonces of at most 25 characters."""
MAX_THREAD_NAME = 100
THREAD_ALREADY_CREATED = 160004
"""Discord's error code when a message already has a thread (a retried `open_thread`)."""

EventSink = Callable[[IncomingEvent], Awaitable[None]]
RAW_REACTION_EVENTS = frozenset({"raw_reaction_add", "raw_reaction_remove"})
DELIVERED_REACTION = "delivered_reaction"
"""Our own event: a raw reaction event with its gateway position (see `_Client.dispatch`)."""
DELIVERED_INTEREST = "delivered_interest"
"""Our own event: "Interested" marked or taken back, with its gateway position."""
RAW_POLL_VOTE_EVENTS = frozenset({"raw_poll_vote_add", "raw_poll_vote_remove"})
DELIVERED_POLL_VOTE = "delivered_poll_vote"
"""Our own event: a raw poll vote event with its gateway position and kind."""
POLL_EXPIRED = 520001
"""Discord's error code when a poll has ended already (a retried `end_poll`, or its
duration ran out first)."""
VOTERS_PAGE = 100
SENT_REMEMBERED = 4096
"""How many of its newest sends the adapter keeps in memory besides the sent-log."""


def intents(message_content: bool = True) -> discord.Intents:
    """What the bot listens to: guilds and their members (roles decide staff and experts),
    messages in channels and DMs with their content (the `!` commands; without it only
    slash commands and DMs reach the bot), reactions, poll votes."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = message_content
    wanted.guild_reactions = True
    wanted.dm_reactions = True
    wanted.guild_scheduled_events = True
    wanted.guild_polls = True
    wanted.dm_polls = True
    return wanted


_LIVE_MESSAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "discord_live_message", default=None
)
"""The id of the message the gateway delivered live that this task is handling."""


def _answers_live_message(dedupe_key: str) -> bool:
    """Whether the key is one of the core's answers (`<event id>/<n>`, see
    `bot.context.Context`) to the live message this task handles. No earlier process can
    have sent under such a key: the gateway delivers a message live once, when it is
    posted, to the sessions connected then; a message an earlier process saw comes back
    only from the history (catch-up), and a repeat within this process is in memory. So
    the sent-log need not be read for it."""
    live = _LIVE_MESSAGE.get()
    return live is not None and dedupe_key.startswith(f"{live}/")


def nonce_for(dedupe_key: str | None, part: int) -> str | None:
    """The nonce of one part of a send: the same key always gives the same nonce, so with
    `enforce_nonce` Discord returns the first message instead of posting a second."""
    if dedupe_key is None:
        return None
    return hashlib.sha256(f"{dedupe_key}#{part}".encode()).hexdigest()[:NONCE_LENGTH]


class DiscordError(Exception):
    """Discord refused or lacks something the bot needs (an unknown channel, a guild)."""


class DiscordIntentsRequired(PlatformSetupError):
    """The gateway closed with 4014: a privileged intent the bot asks for is switched off."""

    def __init__(self) -> None:
        super().__init__(
            "Discord refused the bot's gateway connection (close code 4014, disallowed "
            "intents): privileged intents the bot needs are switched off for its application. "
            "In the Discord developer portal (https://discord.com/developers/applications) "
            "open the bot's application, then Bot → Privileged Gateway Intents, switch on "
            '"Message Content Intent" and "Server Members Intent", save the changes, and '
            "start the bot again."
        )


MESSAGE_CONTENT_OFF = (
    "Discord refused the Message Content intent (close code 4014): the bot runs on with "
    "slash commands only, and `!` commands in channels are off (DMs and slash commands still "
    "work). To enable them, open the bot's application in the Discord developer portal "
    "(https://discord.com/developers/applications), then Bot → Privileged Gateway Intents, "
    'switch on "Message Content Intent", save the changes, and start the bot again.'
)


class _Client(discord.Client):
    """discord.py's client, handing what the gateway delivers to the adapter."""

    def __init__(self, adapter: DiscordAdapter, message_content: bool = True) -> None:
        super().__init__(
            intents=intents(message_content), allowed_mentions=discord.AllowedMentions.none()
        )
        self.adapter = adapter

    async def on_ready(self) -> None:
        """At each READY (a start, a full re-identify; a RESUME replays instead): register
        the slash commands, catch up on what was said meanwhile, then the bot is ready. The
        first READY without Message Content tells the operator that `!` commands are off."""
        if not self.intents.message_content and not self.adapter.ready.is_set():
            logger.warning(MESSAGE_CONTENT_OFF)
        await self.adapter.leave_unlisted_guilds()
        await self.adapter.register_commands()
        await self.adapter.catch_up()
        self.adapter.ready.set()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter.leave_if_unlisted(guild)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.received(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.adapter.interacted(interaction)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """discord.py's dispatch, plus each reaction, interest and poll vote event with its
        gateway position (these events carry no id of their own).

        The session id and sequence number of the dispatch being parsed are only current
        while discord.py parses it (listeners run later, as tasks), so they are taken here.
        """
        super().dispatch(event, *args, **kwargs)
        if self.ws is None:
            return
        if event in RAW_REACTION_EVENTS:
            super().dispatch(DELIVERED_REACTION, args[0], self._delivery())
        elif event in INTEREST_EVENTS:
            added = INTEREST_EVENTS[event]
            super().dispatch(DELIVERED_INTEREST, args[0], args[1], added, self._delivery())
        elif event in RAW_POLL_VOTE_EVENTS:
            super().dispatch(DELIVERED_POLL_VOTE, args[0], event, self._delivery())

    def _delivery(self) -> Delivery:
        """Where the dispatch being parsed stands in the gateway stream."""
        assert self.ws is not None
        return Delivery(str(self.ws.session_id), int(self.ws.sequence or 0))

    async def on_delivered_reaction(
        self, payload: discord.RawReactionActionEvent, delivery: Delivery
    ) -> None:
        await self.adapter.reacted(payload, delivery)

    async def on_delivered_interest(
        self, event: discord.ScheduledEvent, user: discord.User, added: bool, delivery: Delivery
    ) -> None:
        await self.adapter.interest_changed(event, user, added, delivery)

    async def on_delivered_poll_vote(
        self, payload: discord.RawPollVoteActionEvent, event: str, delivery: Delivery
    ) -> None:
        await self.adapter.poll_voted(payload, event, delivery)


class DiscordAdapter:
    """A Discord bot account; implements `bot.adapters.base.ChatAdapter`."""

    platform = PLATFORM
    features: PlatformFeatures = DISCORD_FEATURES
    user_reference_example = USER_REFERENCE_EXAMPLE

    def __init__(
        self,
        connection: DiscordConnection,
        unit_of_work: UnitOfWorkFactory | None = None,
    ) -> None:
        """Without `unit_of_work` (the adapter alone, in tests) nothing is persisted: no
        catch-up after a downtime, no sent-log across restarts."""
        self.connection = connection
        self.unit_of_work = unit_of_work
        self._cursors = ChannelCursors(unit_of_work) if unit_of_work is not None else None
        self._sent: dict[str, str] = {}
        """The newest sends of this process by dedupe key (the sent-log's rows may still
        be waiting for their transaction)."""
        self.on_event: EventSink | None = None
        self.client = _Client(self)
        self.ready = asyncio.Event()
        """Set once the gateway's READY and the guilds are in and what was said while the
        bot was away is handled: from then on the bot hears every new message."""
        self._stopping: asyncio.Task[None] | None = None
        self._reactions_in_order = asyncio.Lock()
        """Reaction events are handled one after another, in the order they came: an add
        and its quick removal must not overtake each other."""
        self._poll_selections = PollSelections()
        self._votes_in_order = asyncio.Lock()
        """Poll vote events likewise: each one's selection builds on the one before."""
        self._other_polls: set[int] = set()
        """Poll messages not posted by the bot: their votes are ignored without asking."""
        self.command_menu: CommandMenu | None = None
        """The commands to register as slash commands (set by the composition root)."""
        self._interactions: dict[str, SlashAnswers] = {}
        """Slash commands being handled, by interaction id (the event id the core answers)."""
        self.suggest: Callable[[SuggestionRequest], Awaitable[list[Suggestion]]] | None = None
        """The numbers to offer while someone types one (set by the composition root)."""

    @property
    def user_id(self) -> str:
        """The bot's user id, as `/users/@me` named it at login; empty before."""
        user = self.client.user
        return str(user.id) if user is not None else ""

    # ----------------------------------------------------------------- session

    async def __aenter__(self) -> DiscordAdapter:
        await self.login()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def login(self) -> None:
        """Point discord.py at the configured Discord and check the token (`/users/@me`)."""
        discord.http.Route.BASE = self.connection.api_url.rstrip("/")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.connection.gateway_url)
        await self.client.login(self.connection.token)

    async def run(self) -> None:
        """Stay connected to the gateway until `stop()`; discord.py resumes or re-identifies
        after disconnects by itself. Raises `DiscordIntentsRequired` when Discord refuses
        the intents. With a command menu, a refusal is first retried without Message
        Content: slash commands and DMs work without it, so the bot runs on with them and
        says that `!` commands in channels are off; the members intent it cannot do without
        (roles decide staff and experts)."""
        if self.client.user is None:
            await self.login()
        try:
            await self.client.connect(reconnect=True)
            return
        except discord.PrivilegedIntentsRequired:
            if self.command_menu is None or self._stopping is not None:
                raise DiscordIntentsRequired() from None
        await self.client.close()
        self.client = _Client(self, message_content=False)
        await self.login()
        try:
            await self.client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            raise DiscordIntentsRequired() from None

    def stop(self) -> None:
        """Close the connection; `run` then returns."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self.client.close())

    async def received(self, message: discord.Message, *, live: bool = True) -> None:
        """Hand a message to the core: `live` from the gateway, else from the history."""
        if message.guild is not None and not self.serves(message.guild):
            return  # a server the bot is leaving
        incoming = incoming_message(message)
        if incoming is None or self.on_event is None:
            return
        if self._cursors is None:
            await self.on_event(incoming)
            return
        channel = str(message.channel.id)
        if not self._cursors.begin(channel, message.id):
            return  # it is being handled already (live and from the history at once)
        answering = _LIVE_MESSAGE.set(incoming.event_id if live else None)
        try:
            await self.on_event(incoming)
        finally:
            _LIVE_MESSAGE.reset(answering)
        self._cursors.finish(channel, message.id)

    # ---------------------------------------------------------- slash commands

    async def register_commands(self) -> None:
        """Register the command menu as slash commands in every server the bot serves (a
        bulk overwrite, so commands since removed disappear). Never raises: `!` commands
        work all the same."""
        application = self.client.application_id
        if self.command_menu is None or application is None:
            return
        payload = [command_payload(d) for d in self.command_menu.commands]
        for guild in self.served_guilds():
            try:
                await self.client.http.bulk_upsert_guild_commands(application, guild.id, payload)
            except discord.HTTPException as error:
                logger.warning(
                    "Could not register slash commands in the Discord server %s: %s",
                    guild.id,
                    error.status,
                )

    async def interacted(self, interaction: discord.Interaction) -> None:
        """A slash command: acknowledged at once (Discord allows 3 seconds, the core may
        take longer), then handled as the command line it stands for; the core's answers
        to it (`send` replying to the interaction's id) become its answers."""
        if interaction.guild is not None and not self.serves(interaction.guild):
            return
        if interaction.type is discord.InteractionType.autocomplete:
            await self.autocomplete(interaction)
            return
        text = command_text(self.command_menu, interaction) if self.command_menu else None
        if text is None or self.on_event is None or interaction.channel_id is None:
            return
        try:
            await interaction.response.defer(thinking=True)
        except discord.HTTPException as error:
            logger.warning("Could not acknowledge interaction %s: %s", interaction.id, error.status)
            return
        event_id = str(interaction.id)
        answers = self._interactions[event_id] = SlashAnswers(interaction)
        channel = interaction.channel
        incoming = IncomingMessage(
            event_id=event_id,
            actor=actor_of(interaction.user),
            place=Place(str(interaction.channel_id), is_direct=interaction.guild is None),
            text=text,
            sent_at=interaction.created_at,
            thread_root=str(channel.id) if isinstance(channel, discord.Thread) else None,
        )
        try:
            await self.on_event(incoming)
            await answers.finish()
        except discord.HTTPException as error:
            logger.warning("Could not finish interaction %s: %s", interaction.id, error.status)
        finally:
            del self._interactions[event_id]

    async def autocomplete(self, interaction: discord.Interaction) -> None:
        """Someone types a number of an idea, poll, workshop or question: offer those they
        may see that match what they typed (callback type 8, at most 25 choices; no
        choices for anything else). Discord gives 3 seconds; a late answer is logged."""
        focused = focused_number(self.command_menu, interaction) if self.command_menu else None
        found: list[Suggestion] = []
        if focused is not None and self.suggest is not None and interaction.channel_id:
            refers_to, typed = focused
            found = await self.suggest(
                SuggestionRequest(
                    actor=actor_of(interaction.user),
                    place=Place(str(interaction.channel_id), is_direct=interaction.guild is None),
                    refers_to=refers_to,
                    typed=typed,
                )
            )
        choices = [
            discord.app_commands.Choice(name=s.label, value=s.number) for s in found[:MAX_CHOICES]
        ]
        try:
            await interaction.response.autocomplete(choices)
        except discord.HTTPException as error:
            logger.warning("Could not suggest for interaction %s: %s", interaction.id, error.status)

    # -------------------------------------------------------------- catching up

    async def catch_up(self) -> None:
        """Handle what was said while the bot was not connected: in every channel it can
        read, the messages after the last one it handled there, oldest first. A channel
        it sees for the first time starts at its newest message (nothing said before the
        bot was there is answered), except a DM channel: everything said in it is meant
        for the bot, so it is read from when the bot last listened (see `_new_dms`).
        Never raises: the bot must get ready all the same."""
        if self._cursors is None:
            return
        try:
            cursors = await self._cursors.load()
            last_heard = max(cursors.values(), default=None)
            channels = await self._readable_channels(cursors)
            if last_heard is not None:
                channels += await self._new_dms(channels, last_heard)
            for channel in channels:
                await self._catch_up_in(channel, cursors.get(str(channel.id)), last_heard)
        except Exception:
            logger.exception("Catching up on Discord after a downtime failed")

    async def _catch_up_in(self, channel: Any, cursor: int | None, last_heard: int | None) -> None:
        """`last_heard`: the newest message the bot handled anywhere (snowflakes grow with
        time), so roughly when it last listened; a DM without a cursor is read after it."""
        assert self._cursors is not None
        if cursor is None:
            if not isinstance(channel, discord.DMChannel) or last_heard is None:
                self._cursors.start(str(channel.id), await self._newest(channel))
                return
            cursor = last_heard
        try:
            async for message in channel.history(
                limit=None, after=discord.Object(id=cursor), oldest_first=True
            ):
                await self.received(message, live=False)
        except discord.HTTPException as error:
            logger.warning("Could not catch up in channel %s: %s", channel.id, error.status)

    @staticmethod
    async def _newest(channel: Any) -> int | None:
        """The id of the channel's newest message (discord.py keeps none for DMs: read)."""
        if not isinstance(channel, discord.DMChannel):
            return channel.last_message_id
        async for message in channel.history(limit=1):
            return message.id
        return None

    async def _readable_channels(self, cursors: dict[str, int]) -> list[Any]:
        """The text channels and active threads the bot may read in the servers it serves,
        and the DM channels it knows (discord.py's or those with a cursor)."""
        channels: dict[int, Any] = {}
        for guild in self.served_guilds():
            for channel in [*guild.text_channels, *guild.threads]:
                allowed = channel.permissions_for(guild.me)
                if allowed.view_channel and allowed.read_message_history:
                    channels[channel.id] = channel
        for private in self.client.private_channels:
            channels[private.id] = private
        for channel_id in cursors:
            if int(channel_id) not in channels:
                try:
                    channel = await self._channel(channel_id)
                except (DiscordError, discord.HTTPException):
                    continue  # gone, or no longer the bot's to read
                if isinstance(channel, discord.DMChannel | discord.Thread):
                    channels[channel.id] = channel
        return list(channels.values())

    async def _new_dms(self, known: list[Any], last_heard: int) -> list[discord.DMChannel]:
        """The DM channels the bot does not know yet in which someone wrote after
        `last_heard`.

        Discord lists no DM channels to bots, and only people who share a server with the
        bot can write to it, so the bot asks for the DM with each member of the servers it
        serves that it has none with (`POST /users/@me/channels` returns an existing DM
        with its `last_message_id`): one request per such member at each READY,
        rate-limited by discord.py."""
        me = self.client.user
        known_people = {
            channel.recipient.id
            for channel in known
            if isinstance(channel, discord.DMChannel) and channel.recipient is not None
        }
        people = {
            member.id: member
            for guild in self.served_guilds()
            for member in guild.members
            if not member.bot and member.id not in known_people and member != me
        }
        written = []
        for member in people.values():
            try:
                data = await self.client.http.start_private_message(member.id)
                if int(data.get("last_message_id") or 0) > last_heard:
                    written.append(await self.client.create_dm(member))
            except discord.HTTPException as error:
                logger.warning("Could not open the DM with %s: %s", member.id, error.status)
        return written

    # ----------------------------------------------------------------- guilds

    def serves(self, guild: discord.Guild) -> bool:
        """Whether the server is on the allowlist (DISCORD_GUILD_IDS)."""
        allowed = self.connection.guild_ids
        return allowed is None or str(guild.id) in allowed

    def served_guilds(self) -> list[discord.Guild]:
        """The servers the bot is in and serves (not those it is leaving)."""
        return [guild for guild in self.client.guilds if self.serves(guild)]

    async def leave_unlisted_guilds(self) -> None:
        """Leave every server the bot is in that is not on the allowlist (checked at each
        READY: the bot may have been added while it was down)."""
        for guild in list(self.client.guilds):
            await self.leave_if_unlisted(guild)

    async def leave_if_unlisted(self, guild: discord.Guild) -> None:
        """Leave a server that is not on the allowlist; its id is logged, nothing about its
        people (not even its name, which people chose)."""
        if self.serves(guild):
            return
        logger.info("Leaving the Discord server %s: it is not in DISCORD_GUILD_IDS", guild.id)
        try:
            await guild.leave()
        except discord.HTTPException as error:
            logger.warning("Could not leave the Discord server %s: %s", guild.id, error.status)

    async def reacted(self, payload: discord.RawReactionActionEvent, delivery: Delivery) -> None:
        """A reaction added or removed, by anyone but a bot, as a neutral event."""
        async with self._reactions_in_order:
            if self.on_event is None:
                return
            me = self.client.user
            user = payload.member or self.client.get_user(payload.user_id)
            if (me is not None and payload.user_id == me.id) or (user is not None and user.bot):
                return
            name = user.display_name if user is not None else str(payload.user_id)
            await self.on_event(incoming_reaction(payload, delivery, name))

    async def interest_changed(
        self, event: discord.ScheduledEvent, user: discord.User, added: bool, delivery: Delivery
    ) -> None:
        """Someone (not a bot) marked or unmarked a server's event "Interested"."""
        guild = self.client.get_guild(event.guild_id)
        if self.on_event is None or user.bot or guild is None or not self.serves(guild):
            return
        async with self._reactions_in_order:
            await self.on_event(incoming_interest(event, user, added, delivery))

    # --------------------------------------------------------------- calendar

    async def create_calendar_entries(self, entry: CalendarEntry) -> list[str]:
        """An external scheduled event in every server the bot serves (its members see the
        workshop in the server's event list); returns `guild/event` ids.

        A retry finds the event an earlier attempt made (its answer lost, or the bot gone
        before it stored the id; the description names the workshop's number) and takes it
        instead of making a second one."""
        fields = event_fields(entry)
        created = []
        for guild in self.served_guilds():
            event_id = await self._own_event(guild.id, fields["description"])
            if event_id is None:
                data = await self.client.http.create_guild_scheduled_event(guild.id, **fields)
                event_id = int(data["id"])
            created.append(entry_id(guild.id, event_id))
        return created

    async def _own_event(self, guild_id: int, description: str) -> int | None:
        """The scheduled, not yet cancelled event with this description the bot made."""
        me = self.client.user
        for event in await self.client.http.get_scheduled_events(guild_id, False):
            if (
                me is not None
                and int(event.get("creator_id") or 0) == me.id
                and event.get("description") == description
                and event.get("status") == discord.EventStatus.scheduled.value
            ):
                return int(event["id"])
        return None

    async def update_calendar_entry(self, entry_id: str, entry: CalendarEntry) -> None:
        """New times and texts; an event deleted on Discord (by a person) stays deleted."""
        guild_id, event_id = parse_entry_id(entry_id)
        fields = event_fields(entry)
        del fields["entity_type"], fields["privacy_level"]
        try:
            await self.client.http.edit_scheduled_event(guild_id, event_id, **fields)
        except discord.NotFound:
            logger.info("The scheduled event %s was deleted on Discord; not recreated", entry_id)

    async def cancel_calendar_entry(self, entry_id: str) -> None:
        """Cancelled, not deleted: members who marked interest see it called off. Done
        already if the event is cancelled or over (a retry after a lost answer) or gone."""
        guild_id, event_id = parse_entry_id(entry_id)
        try:
            await self.client.http.edit_scheduled_event(
                guild_id, event_id, status=discord.EventStatus.cancelled.value
            )
        except discord.NotFound:
            return
        except discord.HTTPException:
            event = await self.client.http.get_scheduled_event(guild_id, event_id, False)
            ended = (discord.EventStatus.cancelled.value, discord.EventStatus.completed.value)
            if event.get("status") not in ended:
                raise

    # ------------------------------------------------------------------ rooms

    async def resolve_room(self, reference: str) -> str:
        """Channels are named by their ids, which never change."""
        return reference

    def parse_user(self, text: str) -> str | None:
        return parse_user_id(text)

    async def is_member(self, room_id: str, user_id: str) -> bool:
        """Whether the person can see the channel (DM: is its other recipient)."""
        channel = await self._channel(room_id)
        if isinstance(channel, discord.DMChannel):
            return channel.recipient is not None and str(channel.recipient.id) == user_id
        if not isinstance(channel, discord.abc.GuildChannel):
            return False
        member = await self._member(channel.guild, user_id)
        return member is not None and channel.permissions_for(member).view_channel

    async def is_moderator(self, room_id: str, user_id: str) -> bool:
        """In the channel's guild: Manage Server (administrators have it) or the staff role."""
        channel = await self._channel(room_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            return False
        member = await self._member(channel.guild, user_id)
        if member is None:
            return False
        staff_role = self.connection.staff_role
        if staff_role and any(str(role.id) == staff_role for role in member.roles):
            return True
        return member.guild_permissions.manage_guild

    async def in_group(self, group_id: str, user_id: str) -> bool:
        """Whether the person has the role `group_id` in the guild it belongs to (a role id
        names one role in one guild); a role in no guild of the bot has no members."""
        guild = next((g for g in self.client.guilds if g.get_role(int(group_id))), None)
        if guild is None:
            return False
        member = await self._member(guild, user_id)
        return member is not None and member.get_role(int(group_id)) is not None

    async def direct_room(self, user_id: str) -> str:
        """The DM channel with the person, opened on first use."""
        channel = await self.client.create_dm(discord.Object(id=int(user_id)))
        return str(channel.id)

    async def _channel(self, room_id: str) -> Any:
        channel = self.client.get_channel(int(room_id))
        if channel is not None:
            return channel
        try:
            return await self.client.fetch_channel(int(room_id))
        except discord.NotFound:
            raise DiscordError(f"Discord has no channel {room_id}") from None

    @staticmethod
    async def _member(guild: discord.Guild, user_id: str) -> discord.Member | None:
        member = guild.get_member(int(user_id))
        if member is not None:
            return member
        try:
            return await guild.fetch_member(int(user_id))
        except discord.NotFound:
            return None

    # ---------------------------------------------------------------- sending

    async def send(
        self,
        room_id: str,
        message: Message,
        *,
        reply_to: str | None = None,
        thread_root: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        """Post the message, split at line boundaries if longer than Discord allows; the
        first part replies to `reply_to`. Returns the id of the first part.

        With `thread_root` the message goes into that thread: a Discord thread has the id of
        the message it was started from (`open_thread`), so no mapping is kept.
        """
        target = thread_root or room_id
        channel = self.client.get_partial_messageable(int(target))
        answers = self._interactions.get(reply_to or "")
        if answers is not None:
            mentions = await self._allowed_mentions(channel, message, None)
            parts = split_lines(discord_lines(message), MAX_MESSAGE_LENGTH)
            return await answers.answer(parts, message.private, mentions)

        async def post() -> str:
            mentions = await self._allowed_mentions(channel, message, reply_to)
            parts = split_lines(discord_lines(message), MAX_MESSAGE_LENGTH)
            first: discord.Message | None = None
            for index, part in enumerate(parts):
                sent = await channel.send(
                    part,
                    reference=self._reference(target, reply_to) if index == 0 else None,
                    allowed_mentions=mentions,
                    nonce=nonce_for(dedupe_key, index),
                )
                first = first or sent
            assert first is not None  # split_lines always gives at least one part
            return str(first.id)

        return await self._once(dedupe_key, post)

    async def _once(self, dedupe_key: str | None, post: Callable[[], Awaitable[str]]) -> str:
        """Post once per dedupe key, also across restarts: Discord's nonce finds an earlier
        message only for minutes, so the adapter's sent-log remembers the message sent
        under a key and a retry returns its id.

        The sent-log row is written with the next transaction that commits (the router's
        "handled" mark right after the answer, see `UnitOfWorkFactory.defer`), not in one
        of its own: it only matters for a retry of work that is not committed as done yet,
        and a crash before that commit leaves Discord's nonce to catch the repeat, as a
        crash between the send and a write of its own would."""
        if dedupe_key is None or self.unit_of_work is None:
            return await post()
        sent = self._sent.get(dedupe_key)
        if sent is None and not _answers_live_message(dedupe_key):
            async with self.unit_of_work() as uow:
                sent = await uow.sent.get(PLATFORM, dedupe_key)
        if sent is not None:
            return sent
        message_id = await post()
        self._sent[dedupe_key] = message_id
        if len(self._sent) > SENT_REMEMBERED:
            del self._sent[next(iter(self._sent))]

        async def remember(uow: UnitOfWork) -> None:
            await uow.sent.remember(PLATFORM, dedupe_key, message_id)

        self.unit_of_work.defer((PLATFORM, "sent", dedupe_key), remember)
        return message_id

    async def open_thread(
        self, room_id: str, message: Message, *, title: str, dedupe_key: str | None = None
    ) -> str:
        """Post the message as the root of a new public thread named `title`; returns the
        root's id, which on Discord is also the thread's id.

        In a text channel: the message, then a thread from it (a retry finds the thread
        already there and keeps it). In a forum channel: a post, thread and starter message
        in one request. Discord takes no nonce there, so a retry finds the post in the
        sent-log, or (a crash between posting and recording) among the forum's threads.
        """
        channel = await self._channel(room_id)
        name = title[:MAX_THREAD_NAME]
        if isinstance(channel, discord.ForumChannel):
            return await self._once(
                dedupe_key, lambda: self._forum_post(channel, message, name, dedupe_key)
            )
        root = await self.send(room_id, message, dedupe_key=dedupe_key)
        try:
            await channel.get_partial_message(int(root)).create_thread(name=name)
        except discord.HTTPException as error:
            if error.code != THREAD_ALREADY_CREATED:
                raise
        return root

    async def close_thread(self, room_id: str, thread_root: str, *, lock: bool = False) -> None:
        """Archive the thread (a thread has the id of its root), and lock it if asked: out
        of the channel's active threads; an expert's later message wakes an unlocked one,
        as Discord does. Refused (no Manage Threads, thread gone): logged, as the thread
        then simply archives itself after its auto-archive duration."""
        try:
            thread = await self._channel(thread_root)
            if isinstance(thread, discord.Thread):
                await thread.edit(archived=True, locked=lock)
        except (DiscordError, discord.HTTPException) as error:
            logger.warning("Could not archive the thread %s: %s", thread_root, error)

    async def _forum_post(
        self, forum: discord.ForumChannel, message: Message, name: str, dedupe_key: str | None
    ) -> str:
        """A forum post with the message as its starter (further parts follow in it). With
        a dedupe key, a post of the bot's with the same name and starter among the forum's
        active threads is taken as this one, posted before a crash."""
        channel = self.client.get_partial_messageable(forum.id)
        mentions = await self._allowed_mentions(channel, message, None)
        first, *rest = split_lines(discord_lines(message), MAX_MESSAGE_LENGTH)
        if dedupe_key is not None:
            posted = await self._posted_before(forum, name, first)
            if posted is not None:
                return posted
        post = await forum.create_thread(name=name, content=first, allowed_mentions=mentions)
        for part in rest:
            await post.thread.send(part, allowed_mentions=mentions)
        return str(post.message.id)

    async def _posted_before(
        self, forum: discord.ForumChannel, name: str, first: str
    ) -> str | None:
        """The id of an active post of the bot in the forum named `name` whose starter
        message says `first`, if there is one (Discord keeps active threads in discord.py's
        cache from GUILD_CREATE and THREAD_CREATE)."""
        me = self.client.user
        for thread in forum.threads:
            if me is None or thread.owner_id != me.id or thread.name != name:
                continue
            try:
                starter = thread.starter_message or await thread.fetch_message(thread.id)
            except discord.HTTPException:
                continue
            if starter.content == first:
                return str(thread.id)
        return None

    async def send_direct(
        self, user_id: str, message: Message, *, dedupe_key: str | None = None
    ) -> str:
        return await self.send(await self.direct_room(user_id), message, dedupe_key=dedupe_key)

    async def edit(self, room_id: str, event_id: str, message: Message) -> str:
        """Replace the text of a message the bot sent; a text grown beyond one message keeps
        its first part (cards and counts stay far below the limit).

        A forum post's starter message lives in its thread, whose id is the message's id.
        """
        forum = isinstance(self.client.get_channel(int(room_id)), discord.ForumChannel)
        channel = self.client.get_partial_messageable(int(event_id if forum else room_id))
        parts = split_lines(discord_lines(message), MAX_MESSAGE_LENGTH)
        if len(parts) > 1:
            logger.warning("An edit of %s is longer than one message; keeping its start", event_id)
        mentions = await self._allowed_mentions(channel, message, None)
        await channel.get_partial_message(int(event_id)).edit(
            content=parts[0], allowed_mentions=mentions
        )
        return event_id

    async def upload(
        self,
        room_id: str,
        upload: FileUpload,
        *,
        reply_to: str | None = None,
        dedupe_key: str | None = None,
    ) -> str:
        """Post the file as an attachment of a message of its own."""
        channel = self.client.get_partial_messageable(int(room_id))

        async def post() -> str:
            sent = await channel.send(
                file=discord.File(
                    io.BytesIO(upload.data),
                    filename=upload.filename,
                    description=upload.description,
                ),
                reference=self._reference(room_id, reply_to),
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=nonce_for(dedupe_key, 0),
            )
            return str(sent.id)

        return await self._once(dedupe_key, post)

    @staticmethod
    def _reference(room_id: str, reply_to: str | None) -> discord.MessageReference | None:
        """A reply that is still sent when its message is gone (deleted meanwhile)."""
        if reply_to is None:
            return None
        return discord.MessageReference(
            message_id=int(reply_to), channel_id=int(room_id), fail_if_not_exists=False
        )

    async def _allowed_mentions(
        self, channel: discord.PartialMessageable, message: Message, reply_to: str | None
    ) -> discord.AllowedMentions:
        """Ping exactly the people the message names: mentioned in its text, or to notify
        as the author of the message it replies to. Never everyone, never roles."""
        people = message.mentions
        if not people:
            return discord.AllowedMentions.none()
        replied_user = reply_to is not None and await self._author_of(channel, reply_to) in people
        return discord.AllowedMentions(
            everyone=False,
            roles=False,
            users=[discord.Object(id=int(person)) for person in people],
            replied_user=replied_user,
        )

    async def _author_of(self, channel: discord.PartialMessageable, message_id: str) -> str | None:
        cached = discord.utils.get(self.client.cached_messages, id=int(message_id))
        if cached is not None:
            return str(cached.author.id)
        try:
            message = await channel.fetch_message(int(message_id))
        except discord.NotFound:
            return None
        return str(message.author.id)

    # ------------------------------------------------------------------- polls

    async def send_poll(self, room_id: str, poll: PollDraft, *, dedupe_key: str) -> str:
        """Post the native poll (answers in the draft's order, which Discord numbers 1..n);
        Discord shows polls in every client, so the draft's text fallback is not sent."""
        channel = self.client.get_partial_messageable(int(room_id))
        sent = await channel.send(
            poll=discord_poll(poll),
            allowed_mentions=discord.AllowedMentions.none(),
            nonce=nonce_for(dedupe_key, 0),
        )
        return str(sent.id)

    async def end_poll(
        self, room_id: str, poll_event_id: str, results: Message, *, dedupe_key: str
    ) -> str:
        """End the poll now (Discord finalizes its counts); a poll that has ended already
        is left as it is. Discord's end carries no text: the core posts `results` as a
        reply of its own. Returns the poll's message id, the message Discord updated."""
        try:
            await self.client.http.end_poll(int(room_id), int(poll_event_id))
        except discord.HTTPException as error:
            if error.code != POLL_EXPIRED:
                raise
        return poll_event_id

    async def poll_responses(self, room_id: str, poll_event_id: str) -> list[IncomingPollResponse]:
        """Each voter's current selection from Discord's voter lists (see
        `bot.adapters.discord.polls.catch_up_responses`)."""
        channel = self.client.get_partial_messageable(int(room_id))
        message = await channel.fetch_message(int(poll_event_id))
        voters, names = await self._voters(message)
        return catch_up_responses(message, voters, names)

    async def poll_voted(
        self, payload: discord.RawPollVoteActionEvent, event: str, delivery: Delivery
    ) -> None:
        """A vote added or taken back on a poll of the bot's, as the person's whole
        selection; votes on other polls, and by bots, are not the core's business."""
        async with self._votes_in_order:
            if self.on_event is None or not await self._knows_poll(payload):
                return
            user = self.client.get_user(payload.user_id)
            if user is not None and user.bot:
                return
            added = event == ADD
            selection = self._poll_selections.apply(payload, added)
            name = user.display_name if user is not None else str(payload.user_id)
            kind = "add" if added else "remove"
            await self.on_event(incoming_vote(payload, kind, delivery, selection, name))

    async def _knows_poll(self, payload: discord.RawPollVoteActionEvent) -> bool:
        """Whether the poll is the bot's; the first vote on it since the bot started reads
        its voter lists, so selections made before a restart are not lost."""
        if self._poll_selections.knows(payload.message_id):
            return True
        if payload.message_id in self._other_polls:
            return False
        channel = self.client.get_partial_messageable(payload.channel_id)
        try:
            message = await channel.fetch_message(payload.message_id)
        except discord.NotFound:
            return False
        if message.poll is None or message.author.id != int(self.user_id or 0):
            self._other_polls.add(payload.message_id)
            return False
        voters, _ = await self._voters(message)
        self._poll_selections.learn(payload.message_id, voters)
        return True

    async def _voters(self, message: discord.Message) -> tuple[dict[int, set[int]], dict[int, str]]:
        """Who chose which answers (person -> answer ids), and their names, page by page."""
        voters: dict[int, set[int]] = {}
        names: dict[int, str] = {}
        assert message.poll is not None
        for answer in message.poll.answers:
            after: int | None = None
            while True:
                page = await self.client.http.get_poll_answer_voters(
                    message.channel.id, message.id, answer.id, after=after, limit=VOTERS_PAGE
                )
                users = page["users"]
                for user in users:
                    person = int(user["id"])
                    voters.setdefault(person, set()).add(answer.id)
                    names[person] = user.get("global_name") or user["username"]
                if len(users) < VOTERS_PAGE:
                    break
                after = int(users[-1]["id"])
        return voters, names
