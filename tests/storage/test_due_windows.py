"""What the scheduler loads window by window: workshop effects and question timers due in a
window, on SQLite and PostgreSQL alike (their datetime comparisons differ underneath)."""

from datetime import UTC, datetime, timedelta

from storage.questions.models import Question
from storage.questions.repository import CHOOSING, EXPIRED, OPEN, QuestionRepository, QuestionSteps
from storage.uow import UnitOfWorkFactory
from storage.workshops.models import Workshop, WorkshopEffect
from storage.workshops.repository import PENDING, WorkshopRepository

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
STEPS = QuestionSteps(offer=24 * HOUR, remind=24 * HOUR, escalate=72 * HOUR)


def workshop() -> Workshop:
    return Workshop(
        id=1,
        uid="w1@test",
        sequence=0,
        title="Repair-Café",
        place="Stadtbücherei",
        starts_at=NOW + 30 * 24 * HOUR,
        ends_at=NOW + 30 * 24 * HOUR + 2 * HOUR,
        status="scheduled",
        slot_at=NOW + 30 * 24 * HOUR,
        created_by_platform="matrix",
        created_by="@sabine:localhost",
        created_at=NOW - 24 * HOUR,
    )


def effect(effect_id: int, due_at: datetime, state: str = PENDING) -> WorkshopEffect:
    return WorkshopEffect(
        id=effect_id, workshop_id=1, kind="remind", due_at=due_at, state=state, late=False
    )


async def test_pending_effects_are_read_window_by_window(uow_factory: UnitOfWorkFactory):
    async with uow_factory() as uow:
        uow.session.add(workshop())
        await uow.session.flush()
        uow.session.add_all(
            [
                effect(1, NOW - 5 * HOUR),  # fell due during a downtime
                effect(2, NOW + HOUR),
                effect(3, NOW + 2 * HOUR),  # exactly at the window's end: in it
                effect(4, NOW + 3 * HOUR),
                effect(5, NOW + HOUR, state="sent"),
                effect(6, NOW + 200 * 24 * HOUR),
            ]
        )
        await uow.commit()
    async with uow_factory() as uow:
        repository = WorkshopRepository(uow.session)
        first = await repository.pending_effects(None, NOW + 2 * HOUR)
        second = await repository.pending_effects(NOW + 2 * HOUR, NOW + 3 * HOUR)
        far = await repository.pending_effects(NOW + 3 * HOUR, NOW + 365 * 24 * HOUR)
    assert [row.id for row in first] == [1, 2, 3]
    assert first[1].due_at == NOW + HOUR
    assert [row.id for row in second] == [4]
    assert [row.id for row in far] == [6]


def question(number: int, status: str, created_at: datetime, **times: datetime) -> Question:
    return Question(
        id=number,
        platform="matrix",
        asker="@bernd:localhost",
        asker_name="Bernd",
        public=False,
        text="Wann kommt der Bus?",
        origin_room_id="!forum:localhost",
        origin_event_id=f"$q{number}",
        origin_direct=False,
        status=status,
        created_at=created_at,
        **times,
    )


async def test_question_timers_are_read_when_a_step_to_come_falls_in_the_window(
    uow_factory: UnitOfWorkFactory,
):
    async with uow_factory() as uow:
        uow.session.add_all(
            [
                # offers: expire 24 h after the question
                question(1, CHOOSING, NOW - 30 * HOUR),  # overdue
                question(2, CHOOSING, NOW - 23 * HOUR),  # expires in 1 h
                question(3, CHOOSING, NOW - 10 * HOUR),  # expires in 14 h
                question(4, EXPIRED, NOW - 30 * HOUR, expired_at=NOW - 6 * HOUR),
                # routed: reminder 24 h, escalation 72 h after routing
                question(5, OPEN, NOW - 23 * HOUR, routed_at=NOW - 23 * HOUR),  # reminder soon
                question(  # reminded; escalation in 1 h
                    6, OPEN, NOW - 71 * HOUR, routed_at=NOW - 71 * HOUR, reminded_at=NOW - HOUR
                ),
                question(  # reminded; escalation in 48 h
                    7, OPEN, NOW - 24 * HOUR, routed_at=NOW - 24 * HOUR, reminded_at=NOW
                ),
                question(  # both done
                    8,
                    OPEN,
                    NOW - 80 * HOUR,
                    routed_at=NOW - 80 * HOUR,
                    reminded_at=NOW - 56 * HOUR,
                    escalated_at=NOW - 8 * HOUR,
                ),
                question(9, "answered", NOW - 23 * HOUR, routed_at=NOW - 23 * HOUR),
            ]
        )
        await uow.commit()
    async with uow_factory() as uow:
        repository = QuestionRepository(uow.session)
        first = await repository.timers_due(None, NOW + 2 * HOUR, STEPS)
        later = await repository.timers_due(NOW + 2 * HOUR, NOW + 20 * HOUR, STEPS)
        days = await repository.timers_due(NOW + 20 * HOUR, NOW + 60 * HOUR, STEPS)
    assert [row.id for row in first] == [1, 2, 5, 6]
    assert first[3].reminded_at == NOW - HOUR
    assert [row.id for row in later] == [3]
    assert [row.id for row in days] == [5, 7]  # their escalations, 48 and 49 h ahead
