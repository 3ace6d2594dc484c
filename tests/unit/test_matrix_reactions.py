"""A Matrix redaction of a reaction reaches the core as the reaction's removal."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.matrix.reactions import through_reaction_log
from bot.context import Actor, IncomingReaction, IncomingReactionRemoved, IncomingRedaction, Place
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
ROOM = Place("!ideas:localhost", False)
BERND = Actor("matrix", "@bernd:localhost", "Bernd")
MOD = Actor("matrix", "@mod:localhost", "Moderatorin")


def names(user_id: str) -> str:
    return {"@bernd:localhost": "Bernd B."}.get(user_id, user_id)


async def test_reactions_are_logged_and_their_redactions_become_removals(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade_schema(engine)
    uow = UnitOfWorkFactory(create_session_factory(engine))
    reaction = IncomingReaction("$r1", BERND, ROOM, "$card", "👍", NOW)
    assert await through_reaction_log(uow, reaction, names) is reaction
    assert await through_reaction_log(uow, reaction, names) is reaction  # a replay

    own = await through_reaction_log(uow, IncomingRedaction("$x1", BERND, ROOM, "$r1", NOW), names)
    assert own == IncomingReactionRemoved("$x1", BERND, ROOM, "$card", "👍", NOW)

    # A moderator's redaction takes back Bernd's reaction, as platforms naming the person do.
    by_mod = await through_reaction_log(uow, IncomingRedaction("$x2", MOD, ROOM, "$r1", NOW), names)
    assert isinstance(by_mod, IncomingReactionRemoved)
    assert by_mod.actor == Actor("matrix", "@bernd:localhost", "Bernd B.")

    vote_taken_back = IncomingRedaction("$x3", BERND, ROOM, "$poll-response", NOW)
    assert await through_reaction_log(uow, vote_taken_back, names) is vote_taken_back
    await engine.dispose()
