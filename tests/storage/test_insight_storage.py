"""The staff digest's queries and bookkeeping on SQLite and PostgreSQL alike."""

from datetime import date, timedelta

from handlers.insight.figures import collect
from storage.insight.repository import InsightRepository
from storage.uow import UnitOfWorkFactory
from tests.unit.insight_world import DUE, TZ, seed

WEEK = date(2026, 11, 23)


async def test_the_seeded_week_counts_the_same_on_every_backend(uow_factory: UnitOfWorkFactory):
    async with uow_factory() as uow:
        await seed(uow.session)
    async with uow_factory() as uow:
        report = await collect(uow, WEEK, 1, TZ, timedelta(hours=72))
    now = report.current
    assert (now.ideas, now.supports, now.status_changes) == (3, 4, {"accepted": 1, "review": 1})
    assert [(d.department_id, d.asked, d.median_hours, d.overdue) for d in now.departments] == [
        ("digitales", 3, 6.0, 0),
        ("mobilitaet", 2, 338.0, 1),
    ]
    assert (now.fill_percent, now.waiting, now.polls, now.poll_voters) == (80, 2, 2, 6)
    assert [idea.number for idea in report.top_ideas] == [1, 3, 2, 4, 5]


async def test_a_week_is_claimed_once_and_delivered_per_platform(uow_factory: UnitOfWorkFactory):
    async with uow_factory() as uow:
        repository = InsightRepository(uow.session)
        assert await repository.claim_week(WEEK, "{}", ["discord", "matrix"], DUE)
        await uow.commit()
    async with uow_factory() as uow:
        repository = InsightRepository(uow.session)
        assert not await repository.claim_week(WEEK, "{}", ["matrix"], DUE)
        await repository.mark_sent(WEEK, "matrix", DUE)
        await uow.commit()
    async with uow_factory() as uow:
        unsent = await InsightRepository(uow.session).unsent()
    assert [(delivery.platform, figures) for delivery, figures in unsent] == [("discord", "{}")]
