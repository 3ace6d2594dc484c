"""Expert questions: citizens ask, the router picks a department, experts answer in a thread.

Citizens: `!frage` (`!ask`), `!nachfrage`, `!meinefragen`. Experts, in the question's thread
or by number: a plain reply in the thread, `!antwort`, `!erledigt`, `!weiterleiten`. Staff:
`!fragen`, `!lernbeispiele`, `!lernbeispiel-entfernen`. The steps themselves are in
handlers.questions.flow, the timers in handlers.questions.timers, the sending in
handlers.questions.delivery; see docs/questions.md for how people use it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from datetime import timedelta

from bot.arguments import Number, Option, Text, Word
from bot.config import Department
from bot.context import Actor, Context, IncomingMessage, Role, Services
from bot.errors import NotPermitted, UsageError
from bot.messages import Message, join
from bot.router import command, listens, on_start, rate_limited, requires
from bot.texts import excerpt
from handlers.questions import flow, timers
from handlers.questions.delivery import deliver
from handlers.questions.routing import OFFERED, build_router, question_router, start_building
from storage.questions.models import Question, QuestionRoute
from storage.questions.repository import ACTIVE, CHOOSING, OPEN, QuestionRepository

logger = logging.getLogger(__name__)

MIN_TEXT, MAX_TEXT = 10, 2000
MAX_LISTED = 30
INTERNAL_NOTE = "//"
"""Thread messages starting with this stay among the experts and are not relayed."""
_PICK_COMMAND = re.compile(r"#?(\d{1,9})\s+#?(\d{1,2})\.?")
_PICK_MESSAGE = re.compile(r"#?([1-9])[.)]?")
OVERDUE = "overdue"
FILTERS = {
    "offen": OPEN,
    "open": OPEN,
    "ueberfaellig": OVERDUE,
    "überfällig": OVERDUE,
    "overdue": OVERDUE,
}


# ------------------------------------------------------------------------ start


@on_start
async def start_questions(services: Services) -> None:
    """Start training the router, rebuild the timers and send what a crash left unsent."""
    start_building(services)
    await timers.rebuild(services)
    async with services.unit_of_work() as uow:
        unsent = await QuestionRepository(uow.session).pending_notices()
    if unsent:
        job = functools.partial(deliver, services)
        services.scheduler.schedule_at("question-notices-on-start", services.clock.now(), job)


# --------------------------------------------------------------------- citizens


@rate_limited(per_hour=10)
@command(
    "frage",
    "ask",
    Text("question", max_length=MAX_TEXT + 100),
    options=(
        Option("oeffentlich", "public", flag=True),
        Option("veroeffentlichen", "publish", flag=True),
    ),
)
async def ask_question(
    ctx: Context, question: str, oeffentlich: bool, veroeffentlichen: bool
) -> None:
    """Route a question to a department, or offer the likeliest ones to choose from."""
    if picked := _PICK_COMMAND.fullmatch(question.strip()):
        await _pick_by_command(ctx, int(picked[1]), int(picked[2]))
        return
    text = question.strip()
    router = await question_router(ctx.services)
    if not router.departments:
        raise UsageError("questions.errors.no_departments")
    department = None
    if text.startswith("#"):
        department = router.department(router.hint(text))
        if department is None:
            raise UsageError(
                "questions.errors.unknown_department",
                value=text.split(maxsplit=1)[0][:40],
                departments=_listing(router.departments),
            )
        text = text.split(maxsplit=1)[1].strip() if " " in text else ""
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise UsageError("errors.text_length", min=MIN_TEXT, max=MAX_TEXT, length=len(text))
    if department is not None:
        await flow.ask(
            ctx.services,
            ctx.message,
            text,
            public=oeffentlich,
            publish=veroeffentlichen,
            department=department,
            how="hint",
        )
        return
    classification = router.classify(text)
    if router.is_confident(classification):
        chosen = router.department(classification.department)
        await flow.ask(
            ctx.services,
            ctx.message,
            text,
            public=oeffentlich,
            publish=veroeffentlichen,
            department=chosen,
            how="router",
        )
        return
    offered = [d for d in map(router.department, classification.candidates[:OFFERED]) if d]
    asked = await flow.ask(
        ctx.services,
        ctx.message,
        text,
        public=oeffentlich,
        publish=veroeffentlichen,
        department=None,
        how="router",
        candidates=[d.id for d in offered],
    )
    await ctx.reply_message(_offer(ctx, asked.id, offered))


def _offer(ctx: Context, number: int, offered: Sequence[Department]) -> Message:
    prefix = ctx.services.settings.command_prefix
    parts = [ctx.render("questions.offer", number=number)]
    parts += [
        ctx.render("questions.offer_line", position=position, department=department.name)
        for position, department in enumerate(offered, start=1)
    ]
    name = ctx.services.commands.find("frage")
    command_name = prefix + (name.name_in(ctx.language) if name else "frage")
    parts.append(ctx.render("questions.offer_footer", command=command_name, number=number))
    return join(parts)


async def _pick_by_command(ctx: Context, number: int, position: int) -> None:
    async with ctx.services.unit_of_work() as uow:
        question = await QuestionRepository(uow.session).get(number)
    if question is None or question.asker != ctx.actor.id:
        raise UsageError("questions.errors.not_found", number=number)
    if question.status != CHOOSING:
        raise UsageError("questions.errors.not_choosing", number=number)
    department = await _offered(ctx.services, question, position)
    if department is None:
        raise UsageError(
            "questions.errors.bad_choice", number=number, max=len(json.loads(question.candidates))
        )
    await flow.pick(ctx.services, number, department, flow.Event.of(ctx.message))


async def _offered(services: Services, question: Question, position: int) -> Department | None:
    candidates = json.loads(question.candidates)
    if not 1 <= position <= len(candidates):
        return None
    router = await question_router(services)
    return router.department(candidates[position - 1])


@listens(IncomingMessage)
async def pick_department(services: Services, message: IncomingMessage) -> bool:
    """A bare number from someone with an open offer in this room picks a department."""
    picked = _PICK_MESSAGE.fullmatch(message.text.strip())
    if picked is None:
        return False
    async with services.unit_of_work() as uow:
        question = await QuestionRepository(uow.session).pending_offer(
            message.actor.platform, message.actor.id, message.place.room_id
        )
    if question is None:
        return False
    department = await _offered(services, question, int(picked[1]))
    if department is None:
        maximum = len(json.loads(question.candidates))
        await _answer(
            services, message, "questions.errors.bad_choice", number=question.id, max=maximum
        )
        return True
    await flow.pick(services, question.id, department, flow.Event.of(message))
    return True


@rate_limited(per_hour=20)
@command(
    "nachfrage",
    "followup",
    Number("number", refers_to="question"),
    Text("text", min_length=2, max_length=MAX_TEXT),
)
async def follow_up(ctx: Context, number: int, text: str) -> None:
    """The asker adds something to their question's thread."""
    question = await _own_question(ctx, number)
    if question.status not in ACTIVE:
        raise UsageError(f"questions.errors.followup_{question.status}", number=number)
    await flow.follow_up(ctx.services, question, ctx.actor, text, flow.Event.of(ctx.message))
    await ctx.reply("questions.followup_added", number=number)


@command("meinefragen", "myquestions")
async def my_questions(ctx: Context) -> None:
    """The asker's questions, newest first, with department, status and age."""
    async with ctx.services.unit_of_work() as uow:
        questions = await QuestionRepository(uow.session).of_asker(ctx.actor.platform, ctx.actor.id)
    if not questions:
        await ctx.reply("questions.mine_empty")
        return
    lines = [_line(ctx, question) for question in questions[:MAX_LISTED]]
    await ctx.reply_message(join([ctx.render("questions.mine_header"), *lines]))


async def _own_question(ctx: Context, number: int) -> Question:
    async with ctx.services.unit_of_work() as uow:
        question = await QuestionRepository(uow.session).get(number)
    if (
        question is None
        or question.asker != ctx.actor.id
        or question.platform != ctx.actor.platform
    ):
        raise UsageError("questions.errors.not_found", number=number)
    return question


# ---------------------------------------------------------------------- experts


@listens(IncomingMessage)
async def relay_thread_answer(services: Services, message: IncomingMessage) -> bool:
    """An expert's message in a question's thread goes to the citizen as the answer."""
    thread = thread_of(services, message)
    if thread is None or message.text.lstrip().startswith(INTERNAL_NOTE):
        return False
    found = await _by_thread(services, message.actor.platform, thread)
    if found is None:
        return False
    question, route, current = found
    if not await _answers_for(services, route, message.actor):
        return False
    if current is None or current.id != route.id:
        moved_to = flow.department_name(services, question.department_id)
        await _answer(
            services, message, "questions.errors.moved", number=question.id, department=moved_to
        )
        return True
    await flow.answer(
        services,
        question,
        route,
        message.actor,
        message.text.strip(),
        flow.Event.of(message),
        echo_in_thread=False,
    )
    return True


@rate_limited(per_hour=60)
@command(
    "antwort", "answer", Number("number", refers_to="question"), Text("text", max_length=MAX_TEXT)
)
@requires(Role.EXPERT)
async def answer_question(ctx: Context, number: int, text: str) -> None:
    """Answer by number (from anywhere); the answer also appears in the question's thread."""
    question, route = await _routed(ctx, number)
    await _check_expert(ctx, route)
    thread = thread_of(ctx.services, ctx.message)
    in_thread = thread is not None and thread == route.thread_root
    await flow.answer(
        ctx.services,
        question,
        route,
        ctx.actor,
        text,
        flow.Event.of(ctx.message),
        echo_in_thread=not in_thread,
    )
    await ctx.reply("questions.answer_relayed", number=number)


@rate_limited(per_hour=30)
@command("erledigt", "done", Number("number", optional=True, refers_to="question"))
async def close_question(ctx: Context, number: int | None) -> None:
    """Close a question: its experts, staff or the asker may."""
    question, route = await _addressed(ctx, number)
    is_asker = question.asker == ctx.actor.id and question.platform == ctx.actor.platform
    if not is_asker:
        await _check_expert(ctx, route)
    if question.status not in ACTIVE:
        raise UsageError("questions.errors.already_closed", number=question.id)
    event = flow.Event.of(ctx.message)
    if not await flow.close(ctx.services, question, ctx.actor, event, tell_citizen=not is_asker):
        raise UsageError("questions.errors.already_closed", number=question.id)
    if thread_of(ctx.services, ctx.message) != route.thread_root:
        await ctx.reply("questions.closed", number=question.id)


@rate_limited(per_hour=60)
@command("weiterleiten", "forward", Word("target"), Word("department", optional=True))
@requires(Role.EXPERT)
async def forward_question(ctx: Context, target: str, department: str | None) -> None:
    """Move a question to another department (in its thread: `!weiterleiten <abteilung>`)."""
    number = None
    if department is not None:
        number = _number(target)
    else:
        department = target
    question, route = await _addressed(ctx, number)
    await _check_expert(ctx, route)
    router = await question_router(ctx.services)
    chosen = router.find(department)
    if chosen is None:
        raise UsageError(
            "questions.errors.unknown_department",
            value=department[:40],
            departments=_listing(router.departments),
        )
    if question.status not in ACTIVE:
        raise UsageError("questions.errors.already_closed", number=question.id)
    if chosen.id == question.department_id:
        raise UsageError(
            "questions.errors.same_department", number=question.id, department=chosen.name
        )
    await flow.forward(ctx.services, question, chosen, ctx.actor, flow.Event.of(ctx.message))
    if thread_of(ctx.services, ctx.message) != route.thread_root:
        await ctx.reply("questions.forwarded", number=question.id, department=chosen.name)


def _number(word: str) -> int:
    text = word.lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise UsageError("errors.not_a_number", value=word[:40])
    return int(text)


def thread_of(services: Services, message: IncomingMessage) -> str | None:
    """The root of the thread a message was written in.

    Without threads on the platform, a question's thread is the replies to its root
    message, so a reply to that message counts as written in it.
    """
    if services.adapter_for(message.actor.platform).features.threads:
        return message.thread_root
    return message.reply_to


async def _by_thread(
    services: Services, platform: str, thread_root: str
) -> tuple[Question, QuestionRoute, QuestionRoute | None] | None:
    """The question whose thread (current or earlier) on `platform` starts at `thread_root`."""
    async with services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        route = await repo.by_thread(platform, thread_root)
        if route is None:
            return None
        question = await repo.get(route.question_id)
        current = await repo.current_route(route.question_id)
    if question is None:
        return None
    return question, route, current


async def _routed(ctx: Context, number: int) -> tuple[Question, QuestionRoute]:
    async with ctx.services.unit_of_work() as uow:
        repo = QuestionRepository(uow.session)
        question = await repo.get(number)
        route = await repo.current_route(number) if question else None
    if question is None or route is None:
        raise UsageError("questions.errors.not_found", number=number)
    return question, route


async def _addressed(ctx: Context, number: int | None) -> tuple[Question, QuestionRoute]:
    """The question named by number, else the one whose thread the command was sent in."""
    if number is not None:
        return await _routed(ctx, number)
    thread_root = thread_of(ctx.services, ctx.message)
    found = await _by_thread(ctx.services, ctx.actor.platform, thread_root) if thread_root else None
    if found is None:
        raise UsageError("questions.errors.no_thread")
    question, _, current = found
    if current is None:
        raise UsageError("questions.errors.no_thread")
    return question, current


async def _check_expert(ctx: Context, route: QuestionRoute) -> None:
    """Only the department the question is with (or staff) may act on it."""
    if ctx.role >= Role.STAFF:
        return
    if not await _answers_for(ctx.services, route, ctx.actor):
        raise NotPermitted(Role.EXPERT, "questions.errors.other_department")


async def _answers_for(services: Services, route: QuestionRoute, actor: Actor) -> bool:
    """Whether `actor` is an expert of the department the route leads to: a member of its
    room there, or of its expert group on that platform (e.g. a Discord role)."""
    if actor.platform != route.platform:
        return False
    adapter = services.adapter_for(route.platform)
    if await adapter.is_member(route.room_id, actor.id):
        return True
    department = services.settings.department(route.department_id)
    group = department.roles.get(route.platform) if department is not None else None
    return group is not None and await adapter.in_group(group, actor.id)


# ------------------------------------------------------------------------ staff


@command("fragen", "questions", Word("first", optional=True), Word("second", optional=True))
@requires(Role.STAFF)
async def list_questions(ctx: Context, first: str | None, second: str | None) -> None:
    """Open (default) or overdue questions, optionally of one department, with their age."""
    router = await question_router(ctx.services)
    which = OPEN
    department: Department | None = None
    for word in filter(None, (first, second)):
        if word.casefold() in FILTERS:
            which = FILTERS[word.casefold()]
            continue
        department = router.find(word)
        if department is None:
            raise UsageError(
                "questions.errors.unknown_department",
                value=word[:40],
                departments=_listing(router.departments),
            )
    async with ctx.services.unit_of_work() as uow:
        found = await QuestionRepository(uow.session).with_status(
            (OPEN,) if which == OVERDUE else ACTIVE, department.id if department else None
        )
    if which == OVERDUE:
        deadline = ctx.services.clock.now() - ctx.services.settings.question_sla
        found = [q for q in found if q.routed_at is not None and q.routed_at <= deadline]
    header = ctx.render(
        f"questions.overview_{'overdue' if which == 'overdue' else 'open'}", count=len(found)
    )
    if not found:
        await ctx.reply_message(header)
        return
    lines = [_line(ctx, question) for question in found[:MAX_LISTED]]
    if len(found) > MAX_LISTED:
        lines.append(ctx.render("questions.more", count=len(found) - MAX_LISTED))
    await ctx.reply_message(join([header, *lines]))


@command("lernbeispiele", "examples")
@requires(Role.STAFF)
async def list_examples(ctx: Context) -> None:
    """What the router learned from forwarded questions, for review."""
    async with ctx.services.unit_of_work() as uow:
        examples = await QuestionRepository(uow.session).examples()
    if not examples:
        await ctx.reply("questions.examples_empty")
        return
    lines = [
        ctx.render(
            "questions.example_line",
            id=example.id,
            department=flow.department_name(ctx.services, example.department_id),
            text=excerpt(example.text),
            question=example.question_id or "-",
        )
        for example in examples[-MAX_LISTED:]
    ]
    await ctx.reply_message(
        join([ctx.render("questions.examples_header", count=len(examples)), *lines])
    )


@command("lernbeispiel-entfernen", "example-remove", Number("number"))
@requires(Role.STAFF)
async def remove_example(ctx: Context, number: int) -> None:
    """Take back a wrong training example; the router is rebuilt without it."""
    async with ctx.services.unit_of_work() as uow:
        if not await QuestionRepository(uow.session).remove_example(number):
            raise UsageError("questions.errors.no_example", number=number)
        await ctx.claim(uow)
        ctx.queue_reply(uow, "questions.example_removed", number=number)
        await uow.commit()
    await build_router(ctx.services)
    await ctx.send_queued()


# ---------------------------------------------------------------------- helpers


def _line(ctx: Context, question: Question) -> Message:
    department = (
        flow.department_name(ctx.services, question.department_id)
        if question.department_id
        else "–"
    )
    return ctx.render(
        "questions.line",
        number=question.id,
        department=department,
        status=ctx.t(f"questions.status.{question.status}"),
        age=_age(ctx, ctx.services.clock.now() - question.created_at),
        text=excerpt(question.text),
    )


def _age(ctx: Context, age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return ctx.t("questions.age_minutes", minutes=int(age.total_seconds() // 60))
    if hours < 48:
        return ctx.t("questions.age_hours", hours=hours)
    return ctx.t("questions.age_days", days=hours // 24, hours=hours % 24)


def _listing(departments: Sequence[Department]) -> str:
    return ", ".join(f"#{department.id}" for department in departments)


async def _answer(
    services: Services, message: IncomingMessage, key: str, **params: str | int
) -> None:
    """Reply to a plain message a listener took (listeners have no command context)."""
    language = await services.language_of(message.actor)
    await services.adapter_for(message.actor.platform).send(
        message.place.room_id,
        services.render(language, key, **params),
        reply_to=message.event_id,
        thread_root=message.thread_root,
        dedupe_key=f"{message.event_id}/0",
    )
