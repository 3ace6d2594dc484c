"""Slash commands in the emulated Discord: registration, interactions and their answers.

A bot registers its commands per guild (`PUT /applications/{app}/guilds/{guild}/commands`,
a bulk overwrite: the list replaces what was there, each command gets an id; names,
descriptions and options are checked as Discord checks them). People use one through the
test API (`DiscordEmulator.slash`): an INTERACTION_CREATE of type 2 (APPLICATION_COMMAND)
goes to the bot's sessions, with the options typed as registered (what Discord's client
ensures: integers in range, a listed choice, required options present). Typing in an
option with `autocomplete` is `DiscordEmulator.autocomplete`: an INTERACTION_CREATE of type
4 (APPLICATION_COMMAND_AUTOCOMPLETE) with the options so far, the one being typed marked
`focused` and its value the text as typed; the bot answers with callback type 8
(APPLICATION_COMMAND_AUTOCOMPLETE_RESULT) and at most 25 `choices`. A command is answered
with an interaction callback within Discord's 3-second window (later: 404 Unknown
interaction, 10062), then the bot edits its original response or sends follow-ups through
the interaction's webhook (the token authenticates these; no bot token is sent). Every
answer is kept as an `Answer`; those without the ephemeral flag (64) are also channel
messages that everyone sees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord_emulator.rest import API_PREFIX, BODY, BOT, DiscordError, Rest, json_answer
from tests.discord_emulator.world import DM, User, World

if TYPE_CHECKING:
    from tests.discord_emulator.gateway import Gateway

APPLICATION_COMMAND = 2
APPLICATION_COMMAND_AUTOCOMPLETE = 4
CHAT_INPUT = 1
STRING = 3
INTEGER = 4
BOOLEAN = 5
OPTION_VALUES: dict[int, type] = {STRING: str, INTEGER: int, BOOLEAN: bool}
"""The option types the emulator knows, and the JSON value each one carries."""
MAX_CHOICES = 25
AUTOCOMPLETE_RESULT = 8
EPHEMERAL = 1 << 6
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
CHAT_INPUT_COMMAND_MESSAGE = 20
"""Message type of an answer to a slash command."""
RESPONSE_WINDOW = 3.0
"""Seconds Discord gives a bot for the first callback of an interaction."""
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
UNKNOWN_WEBHOOK = 10015
ORIGINAL = "@original"


@dataclass
class Interaction:
    """A dispatched interaction and how the bot acknowledged it."""

    id: str
    token: str
    application_id: str
    channel_id: str
    user_id: str
    dispatched_at: float
    type: int = APPLICATION_COMMAND
    callback_type: int | None = None
    """4 (message), 5 (deferred) or 8 (autocomplete result) once acknowledged."""
    flags: int = 0
    """The flags of the first callback: ephemeral (64) makes the original ephemeral."""
    original_id: str | None = None
    original_deleted: bool = False
    """The original response (or the deferred "thinking…" in its place) was deleted."""
    choices: list[dict[str, Any]] | None = None
    """An autocomplete interaction's answer: the choices offered."""


@dataclass
class Answer:
    """One message the bot answered an interaction with."""

    interaction_id: str
    message_id: str
    content: str
    flags: int
    kind: str
    """"original" (the callback's message or the edited deferred one) or "followup"."""
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)


@dataclass
class Interactions:
    """The registered commands, dispatched interactions and the answers to them."""

    world: World
    gateway: Gateway
    rest: Rest
    window: float = RESPONSE_WINDOW
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    """Per (application id, guild id): the commands as Discord stores them."""
    interactions: dict[str, Interaction] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    def routes(self) -> list[web.RouteDef]:
        p = API_PREFIX
        commands = f"{p}/applications/{{app}}/guilds/{{guild}}/commands"
        webhook = f"{p}/webhooks/{{app}}/{{token}}"
        return [
            web.put(commands, self.overwrite_commands),
            web.get(commands, self.list_commands),
            web.post(f"{p}/interactions/{{id}}/{{token}}/callback", self.callback),
            web.post(webhook, self.followup),
            web.patch(f"{webhook}/messages/{{message}}", self.edit_answer),
            web.delete(f"{webhook}/messages/{{message}}", self.delete_answer),
        ]

    # --------------------------------------------------------------- commands

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        bot: User = request[BOT]
        app, guild = request.match_info["app"], request.match_info["guild"]
        if app != bot.id:
            raise DiscordError(403, 50001, "Missing Access")
        if guild not in self.world.guilds or bot.id not in self.world.guilds[guild].members:
            raise DiscordError(403, 50001, "Missing Access")
        stored = [
            {
                "type": CHAT_INPUT,
                **command,
                "id": self.world.ids.next(),
                "application_id": app,
                "guild_id": guild,
                "version": self.world.ids.next(),
                "default_member_permissions": command.get("default_member_permissions"),
            }
            for command in request[BODY] or []
        ]
        for command in stored:
            _validate(command)
        self.commands[(app, guild)] = stored
        return json_answer(stored)

    async def list_commands(self, request: web.Request) -> web.Response:
        app, guild = request.match_info["app"], request.match_info["guild"]
        return json_answer(self.commands.get((app, guild), []))

    def command(self, bot: User, guild_id: str, name: str) -> dict[str, Any]:
        """The command `name` the bot registered in the guild (KeyError if none)."""
        for command in self.commands.get((bot.id, guild_id), []):
            if command["name"] == name:
                return command
        raise KeyError(name)

    # ------------------------------------------------------------ interactions

    async def use(
        self,
        user: User,
        bot: User,
        channel_id: str,
        name: str,
        options: dict[str, Any],
        locale: str,
        focused: str | None = None,
    ) -> str:
        """`user` runs the slash command `name` in the channel (or, with `focused`, is typing
        that option: an autocomplete interaction); returns the interaction id."""
        channel = self.world.channels[channel_id]
        guild_id = channel.guild_id
        command = (
            self.command(bot, guild_id, name) if guild_id is not None else {"id": "0", "name": name}
        )
        kind = APPLICATION_COMMAND if focused is None else APPLICATION_COMMAND_AUTOCOMPLETE
        interaction = Interaction(
            id=self.world.ids.next(),
            token=f"interaction-token-{self.world.ids.next()}",
            application_id=bot.id,
            channel_id=channel_id,
            user_id=user.id,
            dispatched_at=time.monotonic(),
            type=kind,
        )
        self.interactions[interaction.id] = interaction
        data: dict[str, Any] = {
            "id": interaction.id,
            "type": kind,
            "application_id": bot.id,
            "token": interaction.token,
            "version": 1,
            "locale": locale,
            "attachment_size_limit": 8 * 1024 * 1024,
            "channel_id": channel_id,
            "channel": channel.payload(self.world),
            "app_permissions": "0",
            "data": {
                "id": command["id"],
                "name": name,
                "type": CHAT_INPUT,
                "options": _used_options(command, options, focused),
            },
        }
        if guild_id is not None:
            data["guild_id"] = guild_id
            data["guild_locale"] = "de"
            member = self.world.guilds[guild_id].members[user.id]
            data["member"] = {**member.payload(self.world), "permissions": "0"}
        else:
            data["user"] = self.world.users[user.id].payload()
        for session in list(self.gateway.sessions.values()):
            if session.bot.id == bot.id:
                await session.dispatch("INTERACTION_CREATE", data)
        return interaction.id

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["id"])
        if interaction is None or interaction.token != request.match_info["token"]:
            raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if time.monotonic() - interaction.dispatched_at > self.window:
            raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if interaction.callback_type is not None:
            raise DiscordError(
                400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        body = request[BODY] or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        if (kind == AUTOCOMPLETE_RESULT) != (interaction.type == APPLICATION_COMMAND_AUTOCOMPLETE):
            raise DiscordError(400, 50035, f"Invalid Form Body: callback type {kind}")
        if kind == AUTOCOMPLETE_RESULT:
            interaction.choices = _checked_choices(data.get("choices"))
        interaction.callback_type = kind
        interaction.flags = int(data.get("flags") or 0)
        resource: dict[str, Any] = {"type": kind}
        if kind == CHANNEL_MESSAGE:
            answer = self._answer(interaction, data, interaction.flags, "original")
            interaction.original_id = answer["id"]
            resource["message"] = answer
        return json_answer(
            {
                "interaction": {
                    "id": interaction.id,
                    "type": interaction.type,
                    "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                    "response_message_ephemeral": bool(interaction.flags & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._acknowledged(request)
        body = request[BODY] or {}
        return json_answer(self._answer(interaction, body, int(body.get("flags") or 0), "followup"))

    async def edit_answer(self, request: web.Request) -> web.Response:
        """Edit the original (the deferred answer's first edit is the answer itself)."""
        interaction = self._acknowledged(request)
        if request.match_info["message"] != ORIGINAL:
            raise DiscordError(404, 10008, "Unknown Message")
        body = request[BODY] or {}
        if interaction.original_id is None:
            answer = self._answer(interaction, body, interaction.flags, "original")
            interaction.original_id = answer["id"]
            return json_answer(answer)
        original = self._original(interaction)
        original.content = body.get("content") or ""
        stored = self.world.messages.get(original.message_id)
        if stored is not None:
            stored.content = original.content
        return json_answer(self._payload(interaction, original))

    async def delete_answer(self, request: web.Request) -> web.Response:
        interaction = self._acknowledged(request)
        if request.match_info["message"] != ORIGINAL:
            raise DiscordError(404, 10008, "Unknown Message")
        if interaction.original_id is not None:
            self._original(interaction).deleted = True
            if self.world.messages.pop(interaction.original_id, None) is not None:
                self.world.history[interaction.channel_id].remove(interaction.original_id)
        interaction.original_deleted = True
        return web.Response(status=204)

    # ---------------------------------------------------------------- reading

    def answers_to(self, interaction_id: str) -> list[Answer]:
        """The answers to the interaction that are still there, in the order they came."""
        return [a for a in self.answers if a.interaction_id == interaction_id and not a.deleted]

    # ---------------------------------------------------------------- helpers

    def _acknowledged(self, request: web.Request) -> Interaction:
        token = request.match_info["token"]
        interaction = next((i for i in self.interactions.values() if i.token == token), None)
        if interaction is None or interaction.application_id != request.match_info["app"]:
            raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        if interaction.callback_type is None:
            raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return interaction

    def _original(self, interaction: Interaction) -> Answer:
        return next(a for a in self.answers if a.message_id == interaction.original_id)

    def _answer(
        self, interaction: Interaction, body: dict[str, Any], flags: int, kind: str
    ) -> dict[str, Any]:
        """Keep an answer; one that is not ephemeral is also posted in the channel."""
        message = self.rest.compose(interaction.application_id, interaction.channel_id, body)
        message.type = CHAT_INPUT_COMMAND_MESSAGE
        answer = Answer(interaction.id, message.id, message.content, flags, kind)
        self.answers.append(answer)
        if not answer.ephemeral:
            self.world.store(message)
        return {**message.payload(self.world), "flags": flags}

    def _payload(self, interaction: Interaction, answer: Answer) -> dict[str, Any]:
        channel = self.world.channels[interaction.channel_id]
        return {
            "id": answer.message_id,
            "channel_id": channel.id,
            "type": CHAT_INPUT_COMMAND_MESSAGE,
            "author": self.world.users[interaction.application_id].payload(),
            "content": answer.content,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "flags": answer.flags,
            "components": [],
            **({"guild_id": channel.guild_id} if channel.type != DM else {}),
        }


def _validate(command: dict[str, Any]) -> None:
    """What Discord checks of a chat-input command: name and description lengths."""
    name = command.get("name") or ""
    description = command.get("description") or ""
    if not 1 <= len(name) <= 32 or name != name.lower():
        raise DiscordError(400, 50035, f"Invalid Form Body: name {name!r}")
    if not 1 <= len(description) <= 100:
        raise DiscordError(400, 50035, f"Invalid Form Body: description of {name!r}")
    for localized in (command.get("name_localizations") or {}).values():
        if not 1 <= len(localized) <= 32 or localized != localized.lower():
            raise DiscordError(400, 50035, f"Invalid Form Body: name_localizations of {name!r}")
    options = command.get("options") or []
    names = [option.get("name") for option in options]
    if len(set(names)) != len(names) or len(options) > MAX_CHOICES:
        raise DiscordError(400, 50035, f"Invalid Form Body: options of {name!r}")
    required = [bool(option.get("required")) for option in options]
    if required != sorted(required, reverse=True):
        raise DiscordError(400, 50035, f"Invalid Form Body: required options first in {name!r}")
    for option in options:
        _validate_option(name, option)


def _validate_option(command: str, option: dict[str, Any]) -> None:
    """Name, description, type, and choices or autocomplete (never both), as Discord checks."""
    name = option.get("name") or ""
    wrong = f"Invalid Form Body: option {name!r} of {command!r}"
    localized = [name, *(option.get("name_localizations") or {}).values()]
    if any(not 1 <= len(n) <= 32 or n != n.lower() or " " in n for n in localized):
        raise DiscordError(400, 50035, wrong)
    if not 1 <= len(option.get("description") or "") <= 100:
        raise DiscordError(400, 50035, wrong)
    kind = option.get("type")
    if kind not in OPTION_VALUES:
        raise DiscordError(400, 50035, wrong)
    choices = option.get("choices") or []
    if len(choices) > MAX_CHOICES or (choices and option.get("autocomplete")):
        raise DiscordError(400, 50035, wrong)
    if option.get("autocomplete") and kind not in (STRING, INTEGER):
        raise DiscordError(400, 50035, wrong)
    if ("min_value" in option or "max_value" in option) and kind != INTEGER:
        raise DiscordError(400, 50035, wrong)
    for choice in choices:
        if not 1 <= len(choice.get("name") or "") <= 100 or not _typed(choice.get("value"), kind):
            raise DiscordError(400, 50035, wrong)


def _typed(value: Any, kind: int) -> bool:
    """Whether a JSON value is of the option type (a bool is no integer)."""
    expected = OPTION_VALUES[kind]
    return isinstance(value, expected) and (expected is bool or not isinstance(value, bool))


def _used_options(
    command: dict[str, Any], values: dict[str, Any], focused: str | None
) -> list[dict[str, Any]]:
    """The options as Discord's client sends them: of the registered types, required ones
    present, integers within their bounds, choices from the list (the client allows nothing
    else, so a test asking for it is wrong: ValueError). The focused option of an
    autocomplete interaction carries the text typed so far, unchecked."""
    declared = {option["name"]: option for option in command.get("options") or []}
    if not declared:  # a DM: no registered command to check against
        return [
            {"name": key, "type": STRING if isinstance(value, str) else INTEGER, "value": value}
            for key, value in values.items()
        ]
    used = []
    for key, value in values.items():
        option = declared.get(key)
        if option is None:
            raise ValueError(f"{command['name']} has no option {key!r}")
        entry = {"name": key, "type": option["type"], "value": value}
        if key == focused:
            used.append({**entry, "value": str(value), "focused": True})
            continue
        if not _typed(value, option["type"]):
            raise ValueError(f"option {key!r} takes type {option['type']}, not {value!r}")
        if option["type"] == INTEGER and not (
            option.get("min_value", -(2**53)) <= value <= option.get("max_value", 2**53)
        ):
            raise ValueError(f"option {key!r}: {value} is out of bounds")
        if option.get("choices") and value not in [c["value"] for c in option["choices"]]:
            raise ValueError(f"option {key!r}: {value!r} is not one of its choices")
        used.append(entry)
    if focused is not None and focused not in values:
        raise ValueError(f"the focused option {focused!r} needs a value (maybe empty)")
    if focused is None:
        missing = [n for n, o in declared.items() if o.get("required") and n not in values]
        if missing:
            raise ValueError(f"{command['name']} needs {missing}")
    return used


def _checked_choices(choices: Any) -> list[dict[str, Any]]:
    """An autocomplete result: at most 25 choices, each with a name of 1–100 characters."""
    if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
        raise DiscordError(400, 50035, "Invalid Form Body: choices")
    for choice in choices:
        if not 1 <= len(choice.get("name") or "") <= 100 or "value" not in choice:
            raise DiscordError(400, 50035, "Invalid Form Body: choices")
    return choices
