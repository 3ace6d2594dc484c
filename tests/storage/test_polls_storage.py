"""Poll storage on SQLite and PostgreSQL: idempotent responses, one close, secret ballots."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from storage.polls.repository import PollRepository
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def new_poll(uow_factory: UnitOfWorkFactory, secret: bool = False) -> int:
    async with uow_factory() as uow:
        poll = await PollRepository(uow.session).create(
            platform="matrix",
            room_id="!forum:localhost",
            question="Welches Thema?",
            answers=[("a1", "Verkehr"), ("a2", "Bildung"), ("a3", "Kultur")],
            max_selections=1,
            hidden=False,
            secret=secret,
            created_by="@sabine:localhost",
            created_at=NOW,
            closes_at=NOW + timedelta(hours=2),
        )
        await uow.commit()
        return poll.id


async def test_a_response_is_stored_once_and_redaction_forgets_its_answers(
    uow_factory: UnitOfWorkFactory,
) -> None:
    poll_id = await new_poll(uow_factory)
    async with uow_factory() as uow:
        polls = PollRepository(uow.session)
        stored = {
            "poll_id": poll_id,
            "platform": "matrix",
            "event_id": "$r1",
            "voter": "@alice:localhost",
            "answer_ids": ["a2"],
            "sent_at": NOW,
        }
        assert await polls.add_response(**stored) is True
        assert await polls.add_response(**stored) is False
        assert await polls.redact_response("matrix", "$r1") == poll_id
        assert await polls.redact_response("matrix", "$unknown") is None
        await uow.commit()
    async with uow_factory() as uow:
        [response] = await PollRepository(uow.session).responses(poll_id)
    assert response.redacted and response.answer_ids == "[]"


async def test_only_the_first_close_counts(uow_factory: UnitOfWorkFactory) -> None:
    poll_id = await new_poll(uow_factory)
    async with uow_factory() as uow:
        polls = PollRepository(uow.session)
        assert await polls.close(poll_id, NOW, "command") is True
        assert await polls.close(poll_id, NOW + timedelta(minutes=1), "deadline") is False
        await uow.commit()
    async with uow_factory() as uow:
        poll = await PollRepository(uow.session).get(poll_id)
    assert poll is not None and poll.closed_at == NOW and poll.closed_by == "command"


async def test_a_secret_vote_counts_once_and_rewrites_every_counter(
    uow_factory: UnitOfWorkFactory,
) -> None:
    poll_id = await new_poll(uow_factory, secret=True)
    for voter, choice in (("@alice:localhost", 2), ("@bob:localhost", 3)):
        async with uow_factory() as uow:
            assert await PollRepository(uow.session).record_secret_vote(
                poll_id, "matrix", voter, [choice]
            )
            await uow.commit()
    async with uow_factory() as uow:
        polls = PollRepository(uow.session)
        assert not await polls.record_secret_vote(poll_id, "matrix", "@alice:localhost", [1])
        assert await polls.has_voted_secretly(poll_id, "matrix", "@bob:localhost")
        assert await polls.secret_tally(poll_id) == ({1: 0, 2: 1, 3: 1}, 2)
        if uow.session.get_bind().dialect.name == "postgresql":
            # Row versions: every counter carries the last vote's transaction, chosen or
            # not, so xmin cannot tell which answer the last voter picked.
            versions = await uow.session.execute(
                text("SELECT DISTINCT xmin::text FROM poll_secret_tallies WHERE poll_id = :p"),
                {"p": poll_id},
            )
            assert len(versions.all()) == 1
