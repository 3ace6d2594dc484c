"""Registration: a capability's exporter, personal data and erase hook are found and called.

A dummy capability lives in a module built here, as the composition root would load one;
the chat commands (`!export`, `!meinedaten`, `!datenloeschen`) find it without importing it.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import ModuleType

import pytest

from bot.capabilities import (
    Capabilities,
    Edit,
    Erased,
    Erasing,
    Reading,
    Table,
    exporter,
    on_erase,
    personal_data,
    stored_names,
)
from bot.router import CommandRegistry
from handlers import exports
from handlers.privacy import commands as privacy
from storage.privacy.personal_data import Someone
from tests.unit.fakes import make_fake_bot

STAFF = "@sabine:localhost"
BERND = "@bernd:localhost"
CARD_ROOM = "!things:localhost"
MESSAGES = {"things.erased": "Ding #{number} wurde gelöscht."}


def dummy_capability(calls: list[tuple[str, object]]) -> ModuleType:
    """A capability holding "things": one export kind, two sections, names, one erase hook."""
    module = ModuleType("things")

    @exporter("things", "dinge")
    async def things_table(uow, pseudonymise, now: datetime) -> Table:
        return Table(("number", "owner"), [(1, pseudonymise("matrix", BERND)), (2, None)])

    @stored_names
    async def thing_names(uow, person: Someone) -> set[str]:
        return {"Bernd der Bastler"}

    @personal_data("things_lent", order=2)
    async def things_lent(uow, reading: Reading) -> list[str]:
        return ["Leiter"]

    @personal_data("things_owned", order=1)
    async def things_owned(uow, reading: Reading) -> dict[str, object]:
        return {"owner": reading.person.id, "names": sorted(reading.names)}

    @personal_data("things_repaired", order=1, staff=True)
    async def things_repaired(uow, reading: Reading) -> int:
        return 3

    @on_erase(order=5)
    async def erase_things(uow, erasing: Erasing) -> Erased:
        calls.append(("erase", erasing))

        async def follow_up(services) -> None:
            calls.append(("follow_up", services))

        return Erased(
            counts={"votes": 2},
            edits=[Edit("matrix", CARD_ROOM, "$card", "things.erased", {"number": 7})],
            follow_up=follow_up,
        )

    for function in (
        things_table,
        thing_names,
        things_lent,
        things_owned,
        things_repaired,
        erase_things,
    ):
        setattr(module, function.__name__, function)
    return module


def test_declarations_are_collected_in_their_order():
    module = dummy_capability([])
    found = Capabilities.from_modules([module, module])  # a module listed twice counts once
    assert list(found.exporters) == ["things"]
    assert found.export_names() == {"things": "things", "dinge": "things"}
    assert [(s.key, s.staff) for s in found.sections] == [
        ("things_owned", False),
        ("things_repaired", True),
        ("things_lent", False),
    ]
    assert [reader.__name__ for reader in found.name_readers] == ["thing_names"]
    assert [hook.__name__ for hook in found.erase_hooks] == ["erase_things"]
    assert CommandRegistry.from_modules([module]).capabilities.exporters == found.exporters


def test_an_export_kind_declared_twice_is_refused():
    with pytest.raises(ValueError, match="things"):
        Capabilities.from_modules([dummy_capability([]), dummy_capability([])])


async def test_the_chat_commands_find_the_capability(tmp_path):
    calls: list[tuple[str, object]] = []
    bot = await make_fake_bot(
        tmp_path,
        (exports, privacy, dummy_capability(calls)),
        extra_messages=MESSAGES,
        BOT_STAFF_USERS=STAFF,
    )

    await bot.say(STAFF, "!export dinge json", room="!dm-sabine", direct=True)
    [table] = [sent.upload for sent in bot.adapter.sent if sent.kind == "file"]
    assert table.filename.startswith("things-")
    assert [row["number"] for row in json.loads(table.data)] == [1, 2]
    [unknown] = await bot.say(STAFF, "!export sachen", room="!dm-sabine", direct=True)
    assert "sachen" in unknown.body and "things, dinge" in unknown.body

    await bot.say(BERND, "!meinedaten", room="!dm-bernd", direct=True)
    document = json.loads(bot.adapter.sent[-1].upload.data)
    assert list(document)[-3:] == ["things_owned", "things_lent", "as_staff_or_expert"]
    assert document["things_owned"] == {"owner": BERND, "names": ["Bernd der Bastler"]}
    assert document["as_staff_or_expert"] == {"things_repaired": 3}

    await bot.say(BERND, "!datenloeschen", room="!dm-bernd", direct=True)
    assert calls == []
    answers = await bot.say(BERND, "!datenloeschen bestaetigen", room="!dm-bernd", direct=True)
    [done] = [answer.body for answer in answers if "Stimmen entfernt" in answer.body]
    assert "Stimmen entfernt: 2" in done and "Ideen gelöscht: 0" in done
    assert [what for what, _ in calls] == ["erase", "follow_up"]
    erasing, services = calls[0][1], calls[1][1]
    assert isinstance(erasing, Erasing)
    assert erasing.person == Someone("matrix", BERND)
    assert {BERND, "Bernd der Bastler", "bernd"} <= erasing.needles
    assert services is bot.services
    [edit] = [sent for sent in bot.adapter.sent if sent.kind == "edit"]
    assert (edit.room_id, edit.edits) == (CARD_ROOM, "$card")
    assert edit.message.body == "Ding #7 wurde gelöscht."
