"""Command registry and dispatch: one place turns a chat message into a handler call.

Commands are declared once on their handler (`@command`, `@requires`); the router parses
arguments, checks permissions, picks the reply language and turns every error into a
friendly answer, so handlers contain only civic logic.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from bot.activity import Activity
from bot.arguments import Option, Param, parse_arguments
from bot.capabilities import Capabilities
from bot.context import (
    Actor,
    Context,
    IncomingEvent,
    IncomingMessage,
    IncomingReaction,
    Role,
    Services,
)
from bot.errors import AlreadyProcessed, NotPermitted, UsageError
from bot.messages import Message, join
from bot.rate_limits import RateLimiter
from bot.reply_outbox import send_pending_replies
from storage.incoming import IncomingFacts, PeopleFacts, incoming_facts, people_facts
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)
timing = logging.getLogger("bot.timing")
"""At DEBUG, when each batch of events was committed (read by `bench.load --viral`)."""

Handler = Callable[..., Awaitable[None]]
REACTIONS = "reaktion"
"""Name of the reaction limit in BOT_RATE_LIMITS: reactions a feature acts on (👍 on an idea
card, ✅ on a workshop announcement), per person and hour; a react/redact loop would
otherwise make the bot edit a card or send a direct message for every turn."""
REACTIONS_PER_HOUR = 60
ECHO_MAX = 40
"""How much of an unknown command name the answer repeats (a message may be 64 KB long)."""
Listener = Callable[[Services, Any], Awaitable[bool | None]]
StartHook = Callable[[Services], Awaitable[None]]
BatchListener = Callable[[Services, UnitOfWork, Sequence[Any]], Awaitable[None]]
CommandBatch = Callable[[UnitOfWork, Sequence["BatchedCommand"]], Awaitable[Sequence[Context]]]


@dataclass(frozen=True)
class BatchedCommand:
    """A command the router hands to its batch handler (`in_batches`), arguments parsed."""

    ctx: Context
    arguments: dict[str, Any]


@dataclass(frozen=True)
class CommandSpec:
    """A command's names, arguments, permission and help, declared together."""

    name: str
    alias: str
    handler: Handler
    params: tuple[Param, ...]
    options: tuple[Option, ...]
    role: Role
    rate_per_hour: int = 0
    open_to_blocked: bool = False
    batch: CommandBatch | None = None

    @property
    def names(self) -> tuple[str, str]:
        return self.name, self.alias

    def name_in(self, language: str) -> str:
        """The command's name as a speaker of `language` would type it: the English alias
        in English, the German name in German and in Leichte Sprache."""
        return self.alias if language == "en" else self.name

    def language_of_name(self, used: str, default: str) -> str:
        """German for the German name, English for the English alias."""
        if self.name == self.alias:
            return default
        return "de" if used == self.name else "en"


def command(
    name: str, alias: str, *params: Param, options: Sequence[Option] = ()
) -> Callable[[Handler], Handler]:
    """Declare a handler as the command `name` (German) with the English `alias`.

    Its help lives in the catalogs under `commands.<name>.summary|usage|help`.
    """

    def mark(handler: Handler) -> Handler:
        handler.__command__ = (name, alias, tuple(params), tuple(options))  # type: ignore[attr-defined]
        return handler

    return mark


class EveryMessage:
    """Listen to this type (`@listens(EveryMessage)`) to see every message, commands included,
    before it is handled (e.g. to greet someone new); the listener's result is ignored."""


def listens(event_type: type) -> Callable[[Listener], Listener]:
    """Call this function with `(services, event)` for every incoming `event_type`.

    Message listeners see messages that are not commands (e.g. an expert's answer in a
    thread) and return True when they handled one, so nothing else answers it.
    """

    def mark(listener: Listener) -> Listener:
        listener.__listens_to__ = event_type  # type: ignore[attr-defined]
        return listener

    return mark


def listens_in_batches(event_type: type) -> Callable[[BatchListener], BatchListener]:
    """Call this function with `(services, uow, events)` for the `event_type` events that
    arrived together (e.g. one Matrix sync's poll responses), instead of one by one.

    It stores what the events cause in `uow` and must not commit: the router marks the
    events processed in the same transaction and commits once, so a burst costs a few
    statements instead of several transactions per event, and a crash stores all of the
    batch or none of it (a replay is then recognised by the event ids). Events already
    processed and events of blocked people are left out before the call.
    """

    def mark(listener: BatchListener) -> BatchListener:
        listener.__listens_in_batches_to__ = event_type  # type: ignore[attr-defined]
        return listener

    return mark


def in_batches(batch: CommandBatch) -> Callable[[Handler], Handler]:
    """Let `batch(uow, commands)` take this command when several arrive together (one
    sync), in the transaction that stores the sync's batch events (`listens_in_batches`).

    The batch handler stores the effect of each command it can take in `uow`, queues its
    answers there (`ctx.queue_reply`), must neither commit nor send, and returns the
    contexts it took; they must get exactly what the command's handler would have done.
    The router has marked them processed in that transaction and sends their answers after
    the commit. The others (an error to explain, a check that needs the platform) are
    handled one by one after the commit, as if they had arrived alone, so their answers
    are the usual ones. A viral poll's `!abstimmen` are thus votes as final as the native
    responses of the same sync, without a transaction of their own.
    """

    def mark(handler: Handler) -> Handler:
        handler.__command_batch__ = batch  # type: ignore[attr-defined]
        return handler

    return mark


def on_start(hook: StartHook) -> StartHook:
    """Run `hook(services)` once when the bot starts, before the scheduler fires anything.

    Features rebuild their scheduler jobs from the database here (the database is the
    source of truth; jobs live in memory only).
    """
    hook.__on_start__ = True  # type: ignore[attr-defined]
    return hook


def rate_limited(per_hour: int) -> Callable[[Handler], Handler]:
    """Allow one person at most `per_hour` uses an hour (BOT_RATE_LIMITS can change it)."""

    def mark(handler: Handler) -> Handler:
        handler.__rate_per_hour__ = per_hour  # type: ignore[attr-defined]
        return handler

    return mark


def open_to_blocked(handler: Handler) -> Handler:
    """Blocked people may still use this command (their privacy rights stay intact)."""
    handler.__open_to_blocked__ = True  # type: ignore[attr-defined]
    return handler


def requires(role: Role) -> Callable[[Handler], Handler]:
    """Restrict a command to `role` and above; the router refuses everyone else."""

    def mark(handler: Handler) -> Handler:
        handler.__required_role__ = role  # type: ignore[attr-defined]
        return handler

    return mark


class CommandRegistry:
    """All commands of the handler modules the app was built with, and what else they
    registered: listeners, start hooks and `capabilities` (exports, personal data, erasure;
    see bot.capabilities)."""

    def __init__(
        self,
        specs: Iterable[CommandSpec],
        listeners: Iterable[tuple[type, Listener]] = (),
        start_hooks: Iterable[StartHook] = (),
        capabilities: Capabilities | None = None,
        batch_listeners: Iterable[tuple[type, BatchListener]] = (),
    ) -> None:
        self.specs = tuple(specs)
        self.start_hooks = tuple(start_hooks)
        self.capabilities = capabilities or Capabilities()
        self.listeners: dict[type, list[Listener]] = {}
        for event_type, listener in listeners:
            self.listeners.setdefault(event_type, []).append(listener)
        self.batch_listeners: dict[type, list[BatchListener]] = {}
        for event_type, batch_listener in batch_listeners:
            self.batch_listeners.setdefault(event_type, []).append(batch_listener)
        self._by_name: dict[str, CommandSpec] = {}
        for spec in self.specs:
            for name in spec.names:
                existing = self._by_name.get(name)
                if existing is not None and existing is not spec:
                    raise ValueError(f"Command name {name!r} is declared twice")
                self._by_name[name] = spec

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType]) -> CommandRegistry:
        modules = tuple(modules)
        specs = []
        listeners = []
        batch_listeners = []
        start_hooks = []
        for module in modules:
            for value in vars(module).values():
                if getattr(value, "__on_start__", False):
                    start_hooks.append(value)
                if (event_type := getattr(value, "__listens_to__", None)) is not None:
                    listeners.append((event_type, value))
                if (batched := getattr(value, "__listens_in_batches_to__", None)) is not None:
                    batch_listeners.append((batched, value))
                declared = getattr(value, "__command__", None)
                if declared is None:
                    continue
                name, alias, params, options = declared
                specs.append(
                    CommandSpec(
                        name,
                        alias,
                        value,
                        params,
                        options,
                        role=getattr(value, "__required_role__", Role.CITIZEN),
                        rate_per_hour=getattr(value, "__rate_per_hour__", 0),
                        open_to_blocked=getattr(value, "__open_to_blocked__", False),
                        batch=getattr(value, "__command_batch__", None),
                    )
                )
        capabilities = Capabilities.from_modules(modules)
        return cls(specs, listeners, start_hooks, capabilities, batch_listeners)

    def find(self, name: str) -> CommandSpec | None:
        return self._by_name.get(name.casefold())

    def closest(self, name: str) -> str | None:
        matches = difflib.get_close_matches(name.casefold(), self._by_name, n=1, cutoff=0.6)
        return matches[0] if matches else None


@dataclass(frozen=True)
class _BatchCandidate:
    """A message naming a command with a batch handler, checked as far as possible before
    the batch's transaction."""

    message: IncomingMessage
    spec: CommandSpec
    name: str
    arguments: dict[str, Any]
    role: Role

    @property
    def platform(self) -> str:
        return self.message.actor.platform


class Router:
    """Turns incoming messages into command calls and errors into friendly replies."""

    def __init__(
        self, services: Services, registry: CommandRegistry, activity: Activity | None = None
    ):
        self.services = services
        self.registry = registry
        self.rate_limiter = RateLimiter(services.settings.rate_limits)
        self.activity = activity or Activity()
        """Busy while an event is dispatched: the start's follow-ups wait for it (bot.app)."""

    async def dispatch(self, event: IncomingEvent) -> None:
        """Handle any incoming event; never raises, so nothing can stop the sync loop."""
        with self.activity.handling():
            await self._dispatch(event)

    async def _dispatch(self, event: IncomingEvent) -> None:
        if isinstance(event, IncomingMessage):
            await self.handle(event)
            return
        if type(event) in self.registry.batch_listeners:
            await self._dispatch_batch({type(event): [event]}, [])
            return
        listeners = self.registry.listeners.get(type(event), [])
        if not listeners:
            return
        facts = await self._facts(event.actor, event.event_id)
        if facts.processed:
            return
        if facts.blocked or self._too_many_reactions(event):
            await self._mark_processed(event.actor.platform, event.event_id)
            return
        handled = [await self._notify(listener, event) for listener in listeners]
        if isinstance(event, IncomingReaction) and any(handled):
            self.rate_limiter.allow(
                (event.actor.platform, event.actor.id),
                REACTIONS,
                REACTIONS_PER_HOUR,
                self.services.clock.now(),
            )
        await self._mark_processed(event.actor.platform, event.event_id)

    async def dispatch_all(self, events: Sequence[IncomingEvent]) -> None:
        """Handle events that arrived together (one sync).

        Events with a batch listener and commands with a batch handler (`in_batches`) are
        stored first, in one transaction; then the answers to those commands go out while
        the other events are handled concurrently, as `dispatch` does. So a sync's votes
        are final before anything that came with them runs (an `!ergebnis` or a redaction
        in the same sync sees them).
        """
        with self.activity.handling():
            await self._dispatch_all(events)

    async def _dispatch_all(self, events: Sequence[IncomingEvent]) -> None:
        batches: dict[type, list[IncomingEvent]] = {}
        commands: list[_BatchCandidate] = []
        single: list[IncomingEvent] = []
        for event in events:
            if type(event) in self.registry.batch_listeners:
                batches.setdefault(type(event), []).append(event)
            elif isinstance(event, IncomingMessage) and (
                candidate := await self._batch_candidate(event)
            ):
                commands.append(candidate)
            else:
                single.append(event)
        taken: list[Context] = []
        if batches or commands:
            taken, alone = await self._dispatch_batch(batches, commands)
            single = [*alone, *single]
        await asyncio.gather(self._answer_batch(taken), *(self.dispatch(event) for event in single))

    async def _batch_candidate(self, message: IncomingMessage) -> _BatchCandidate | None:
        """The command `message` names, if it has a batch handler and may run (role and
        arguments); None sends it the usual way, which also explains any error."""
        prefix = self.services.settings.command_prefix
        text = message.text.strip()
        if not text.startswith(prefix):
            return None
        name, _, raw_args = text[len(prefix) :].partition(" ")
        spec = self.registry.find(name)
        if spec is None or spec.batch is None:
            return None
        role = await self.services.roles.role_of(message.actor.platform, message.actor.id)
        if role < spec.role:
            return None
        try:
            arguments = parse_arguments(raw_args, spec.params, spec.options)
        except Exception:  # `handle` answers it with the usual explanation
            return None
        return _BatchCandidate(message, spec, name.casefold(), arguments, role)

    async def _dispatch_batch(
        self, batches: dict[type, list[IncomingEvent]], commands: Sequence[_BatchCandidate]
    ) -> tuple[list[Context], list[IncomingMessage]]:
        """Store the batch in one transaction (`_store_batch`); the commands it took, and
        those to handle one by one.

        If the batch fails, each event is tried alone, so one bad event costs only itself
        (it is then logged and marked processed, like a failing listener's event).
        """
        try:
            return await self._store_batch(batches, commands)
        except Exception:
            events = [(kind, event) for kind, batch in batches.items() for event in batch]
            if len(events) == 1 and not commands:
                logger.exception("Batch listener failed for event %s", events[0][1].event_id)
                await self._mark_processed(events[0][1].actor.platform, events[0][1].event_id)
                return [], []
            logger.exception(
                "A batch of %d events failed; handling them one by one",
                len(events) + len(commands),
            )
            for kind, event in events:
                await self._dispatch_batch({kind: [event]}, [])
            return [], [candidate.message for candidate in commands]

    async def _store_batch(
        self, batches: dict[type, list[IncomingEvent]], commands: Sequence[_BatchCandidate]
    ) -> tuple[list[Context], list[IncomingMessage]]:
        """Mark the events processed, run the batch listeners and command batch handlers,
        and commit once: a crash stores all of it or none of it.

        Commands left to be handled alone (blocked senders, over their limit, not taken by
        the batch handler) lose their mark again in this transaction, so that handling
        marks them.
        """
        now = self.services.clock.now()
        messages = [candidate.message for candidate in commands]
        everything = [*(event for batch in batches.values() for event in batch), *messages]
        taken: list[Context] = []
        alone: list[IncomingMessage] = []
        counted: dict[int, Context] = {}
        try:
            async with self.services.unit_of_work() as uow:
                fresh, blocked, senders = await self._claim_fresh(uow, everything, now)
                for kind, listeners in self.registry.batch_listeners.items():
                    events = [event for event in fresh if type(event) is kind]
                    for listener in listeners if events else ():
                        await listener(self.services, uow, events)
                fresh_ids = {id(event) for event in fresh}
                waiting = [c for c in commands if id(c.message) in fresh_ids]
                if waiting:
                    taken, alone = await self._run_command_batches(
                        uow, waiting, now, counted, senders
                    )
                alone += [message for message in messages if id(message) in blocked]
                for platform in dict.fromkeys(message.actor.platform for message in alone):
                    await uow.events.unmark_many(
                        platform, [m.event_id for m in alone if m.actor.platform == platform]
                    )
                await uow.commit()
        except BaseException:
            for ctx in counted.values():  # none of it happened; handled alone, they count
                self._give_back_use(ctx, now)
            raise
        timing.debug("stored a batch of %d events at %.3f", len(everything), time.time())
        return taken, alone

    @staticmethod
    async def _claim_fresh(
        uow: UnitOfWork, events: Sequence[IncomingEvent], now: datetime
    ) -> tuple[list[IncomingEvent], set[int], dict[str, PeopleFacts]]:
        """Mark the events processed in `uow`; those not processed before from people not
        blocked (a repeat in the batch only once), the `id()`s of those new but blocked, and
        what was read about the senders, by platform."""
        fresh: list[IncomingEvent] = []
        blocked_ones: set[int] = set()
        senders: dict[str, PeopleFacts] = {}
        for platform in dict.fromkeys(event.actor.platform for event in events):
            mine = [event for event in events if event.actor.platform == platform]
            new_ids = await uow.events.mark_processed_many(
                platform, [event.event_id for event in mine]
            )
            facts = senders[platform] = await people_facts(
                uow.session, platform, (event.actor.id for event in mine), now
            )
            for event in mine:
                if event.event_id not in new_ids:
                    continue
                new_ids.discard(event.event_id)  # a repeat in the batch is skipped
                if event.actor.id in facts.blocked:
                    blocked_ones.add(id(event))
                else:
                    fresh.append(event)
        return fresh, blocked_ones, senders

    async def _run_command_batches(
        self,
        uow: UnitOfWork,
        candidates: Sequence[_BatchCandidate],
        now: datetime,
        counted: dict[int, Context],
        senders: dict[str, PeopleFacts],
    ) -> tuple[list[Context], list[IncomingMessage]]:
        """Hand each command's batch handler its commands (rate limit and language as
        `handle` applies them); the contexts taken, and the messages to handle alone.

        `counted` holds the contexts whose use the rate limiter recorded (by `id`), so a
        failed batch can give them back; `senders` is what `_claim_fresh` read about the
        senders (their languages)."""
        default_language = self.services.settings.language
        alone: list[IncomingMessage] = []
        waiting: dict[str, list[BatchedCommand]] = {}
        specs: dict[str, CommandSpec] = {}
        for candidate in candidates:
            spec, actor = candidate.spec, candidate.message.actor
            if not spec.open_to_blocked and not self.rate_limiter.allow(
                (actor.platform, actor.id), spec.name, spec.rate_per_hour, now
            ):
                alone.append(candidate.message)  # `handle` says the limit is reached
                continue
            language = senders[actor.platform].languages.get(actor.id) or spec.language_of_name(
                candidate.name, default_language
            )
            ctx = Context(self.services, candidate.message, language, candidate.role, spec.name)
            counted[id(ctx)] = ctx
            waiting.setdefault(spec.name, []).append(BatchedCommand(ctx, candidate.arguments))
            specs[spec.name] = spec
        taken: list[Context] = []
        for name, batch in waiting.items():
            handler = specs[name].batch
            assert handler is not None  # only such commands are candidates
            took = {id(ctx) for ctx in await handler(uow, batch)}
            for command in batch:
                if id(command.ctx) in took:
                    command.ctx.claimed = True
                    taken.append(command.ctx)
                else:
                    self._give_back_use(counted.pop(id(command.ctx)), now)
                    alone.append(command.ctx.message)
        return taken, alone

    def _give_back_use(self, ctx: Context, now: datetime) -> None:
        """Forget the rate-limited use a batch recorded for a command it did not take."""
        self.rate_limiter.give_back((ctx.actor.platform, ctx.actor.id), ctx.command_name, now)

    async def _answer_batch(self, taken: Sequence[Context]) -> None:
        """Send the answers a batch stored with its commands, then forget them at once.

        A stop in between leaves them stored; they are sent at the next start under the
        same dedupe keys, so an answer that went out is not repeated (bot.reply_outbox).
        """
        if not taken:
            return
        await asyncio.gather(*(self._answer_batched(ctx) for ctx in taken))
        async with self.services.unit_of_work() as uow:
            await uow.replies.remove([key for ctx in taken for key in ctx.sent_from_queue])
            await uow.commit()

    async def _answer_batched(self, ctx: Context) -> None:
        for observer in self.registry.listeners.get(EveryMessage, []):
            await self._notify(observer, ctx.message)
        await self._safely(ctx.send_queued())
        if ctx.has_unsent_answers:
            await self._safely(send_pending_replies(self.services, ctx.event_id))

    def _too_many_reactions(self, event: IncomingEvent) -> bool:
        """Whether this reaction is over the person's limit (then it is ignored silently).

        Only reactions a feature took count; redactions are never limited, as they can only
        take back what a counted reaction did.
        """
        if not isinstance(event, IncomingReaction):
            return False
        now = self.services.clock.now()
        person = (event.actor.platform, event.actor.id)
        if self.rate_limiter.exhausted(person, REACTIONS, REACTIONS_PER_HOUR, now):
            logger.debug("Ignoring a reaction over the hourly limit (event %s)", event.event_id)
            return True
        return False

    async def handle(self, message: IncomingMessage) -> None:
        """Handle one message: a command, or something a listener (a thread answer) takes."""
        prefix = self.services.settings.command_prefix
        text = message.text.strip()
        platform = message.actor.platform
        facts = await self._facts(message.actor, message.event_id)
        if facts.processed:
            return
        for observer in self.registry.listeners.get(EveryMessage, []):
            await self._notify(observer, message)
        if text.startswith(prefix):
            text = text[len(prefix) :]
        else:
            if not facts.blocked:
                for listener in self.registry.listeners.get(IncomingMessage, []):
                    if await self._notify(listener, message):
                        await self._mark_processed(platform, message.event_id)
                        return
            if not message.place.is_direct:
                return
        name, _, raw_args = text.partition(" ")
        if not name:
            return
        name = name.casefold()
        chosen_language = facts.language
        default_language = self.services.settings.language
        spec = self.registry.find(name)
        if not (spec and spec.open_to_blocked) and facts.blocked:
            logger.debug("Ignoring a command of a blocked person (event %s)", message.event_id)
            await self._mark_processed(platform, message.event_id)
            return
        language = chosen_language or (
            spec.language_of_name(name, default_language) if spec else default_language
        )
        role = await self.services.roles.role_of(platform, message.actor.id)
        ctx = Context(self.services, message, language, role, spec.name if spec else name)
        try:
            await self._run(ctx, spec, name, raw_args)
        except AlreadyProcessed:
            return
        except Exception:
            command_name = spec.name if spec else "?"  # an unknown "name" may be DM text
            logger.exception("Command %r failed for event %s", command_name, message.event_id)
            await self._safely(ctx.reply("errors.internal"))
        if ctx.has_unsent_answers:
            # The handler stopped between queueing and sending; what it committed is stored.
            await self._safely(send_pending_replies(self.services, message.event_id))
        # Queued answers go out only after the claiming transaction committed.
        committed_claim = ctx.claimed and bool(ctx.sent_from_queue)
        await self._mark_processed(
            platform, message.event_id, ctx.sent_from_queue, claimed=committed_claim
        )

    async def _facts(self, actor: Actor, event_id: str) -> IncomingFacts:
        """What the router must know before acting on an event, read in one statement."""
        async with self.services.unit_of_work() as uow:
            facts = await incoming_facts(
                uow.session, actor.platform, event_id, actor.id, self.services.clock.now()
            )
        if facts.processed:
            logger.debug("Skipping already processed event %s", event_id)
        return facts

    async def _mark_processed(
        self, platform: str, event_id: str, sent_answers: Sequence[str] = (), claimed: bool = False
    ) -> None:
        """Mark the event handled (unless the handler `claimed` it with its effect already)
        and forget the stored answers to it that went out."""
        async with self.services.unit_of_work() as uow:
            if not claimed:
                await uow.events.mark_processed(platform, event_id)
            await uow.replies.remove(sent_answers)
            await uow.commit()

    async def _notify(self, listener: Listener, event: IncomingEvent) -> bool:
        """Run one listener; its failure is logged and never reaches the sync loop."""
        try:
            return bool(await listener(self.services, event))
        except AlreadyProcessed:
            return True
        except Exception:
            logger.exception("Listener %s failed for event %s", listener.__name__, event.event_id)
            return False

    async def _run(self, ctx: Context, spec: CommandSpec | None, name: str, raw: str) -> None:
        if spec is None:
            suggestion = self.registry.closest(name)
            prefix = self.services.settings.command_prefix
            if suggestion:
                await ctx.reply(
                    "errors.unknown_command_suggest",
                    command=name[:ECHO_MAX],
                    suggestion=prefix + suggestion,
                )
            else:
                help_name = prefix + ctx.t("help.command_name")
                await ctx.reply("errors.unknown_command", command=name[:ECHO_MAX], help=help_name)
            return
        try:
            if ctx.role < spec.role:
                raise NotPermitted(spec.role)
            arguments = parse_arguments(raw, spec.params, spec.options)
            if not spec.open_to_blocked and not self.rate_limiter.allow(
                (ctx.actor.platform, ctx.actor.id),
                spec.name,
                spec.rate_per_hour,
                self.services.clock.now(),
            ):
                limit = self.rate_limiter.limit_for(spec.name, spec.rate_per_hour)
                await ctx.reply("errors.rate_limited", limit=limit)
                return
            await spec.handler(ctx, **arguments)
        except NotPermitted as refusal:
            role = ctx.t(f"roles.{refusal.required.name.lower()}")
            await ctx.reply_message(ctx.render(refusal.key, role=role).privately())
        except UsageError as error:
            await ctx.reply_message(self.usage_message(ctx, spec, error).privately())

    def usage_message(self, ctx: Context, spec: CommandSpec, error: UsageError) -> Message:
        """The error followed by the command's usage line, in the asker's language."""
        prefix = self.services.settings.command_prefix
        problem = ctx.render(error.key, **error.params)
        # Usage lines naming a person show how this platform writes one.
        example = self.services.adapter_for(ctx.actor.platform).user_reference_example
        usage_line = ctx.t(f"commands.{spec.name}.usage", example=example)
        usage = ctx.render(
            "errors.usage_line",
            usage=f"{prefix}{spec.name_in(ctx.language)} {usage_line}",
            help=f"{prefix}{ctx.t('help.command_name')} {spec.name_in(ctx.language)}",
        )
        return join((problem, usage))

    @staticmethod
    async def _safely(reply: Awaitable[Any]) -> None:
        try:
            await reply
        except Exception:
            logger.exception("Could not answer a command after it failed")
