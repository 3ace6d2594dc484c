"""Long messages for readers of Leichte Sprache go out as several short ones."""

from __future__ import annotations

from bot.i18n import Catalog
from bot.messages import Message, join, render
from bot.short_messages import MAX_LINES, ShortMessages, pieces
from tests.unit.fakes import FakeAdapter


def easy(template: str, **params: str) -> Message:
    return Message(render(template, **params).lines, in_parts=True)


def test_other_readers_get_their_message_whole():
    message = render("Erster Absatz.\n\nZweiter Absatz.")
    assert pieces(message) == [message]


def test_paragraphs_become_messages_and_extra_notifications_go_with_the_first():
    message = easy("Erster Satz.\nZweiter Satz.\n\n\nDritter Satz.").notifying(["@a:x"])
    first, second = pieces(message.privately())
    assert first.body == "Erster Satz.\nZweiter Satz." and first.notify == ("@a:x",)
    assert second.body == "Dritter Satz." and second.notify == ()
    assert first.private and second.private and first.in_parts


def test_a_long_list_is_cut_into_even_pieces_at_line_boundaries():
    message = easy("\n".join(f"• Punkt {n}" for n in range(25)))
    sizes = [len(piece.lines) for piece in pieces(message)]
    assert sizes == [7, 7, 7, 4] and max(sizes) <= MAX_LINES
    assert "\n".join(piece.body for piece in pieces(message)) == message.body


def test_a_short_message_stays_one():
    message = easy("Danke!\nIch habe deine Idee gespeichert.")
    assert pieces(message) == [message]


def test_joined_statements_of_several_lines_are_kept_apart_for_easy_readers_only():
    header, item, footer = "Kopf.\nDas ist die Liste:", "• Punkt", "Fuß 1.\nFuß 2."
    parts = [easy(header), easy(item), easy(item), easy(footer)]
    assert join(parts).body == "Kopf.\nDas ist die Liste:\n• Punkt\n• Punkt\nFuß 1.\nFuß 2."
    assert [p.body for p in pieces(join([easy(header), easy(footer)]))] == [
        "Kopf.\nDas ist die Liste:",
        "Fuß 1.\nFuß 2.",
    ]
    german = join([render(header), render(footer)])
    assert not german.in_parts and pieces(german) == [german]


def test_the_catalog_marks_leichte_sprache_only():
    catalog = Catalog.load()
    assert catalog.message("leicht", "errors.internal").in_parts
    assert not catalog.message("de", "errors.internal").in_parts


def test_the_mark_survives_storing_an_answer_until_it_is_sent():
    message = easy("Eins.\n\nZwei.")
    assert Message.from_json(message.to_json()) == message
    old_row = '{"lines": [[{"text": "x"}]], "notify": []}'  # stored before the mark existed
    assert Message.from_json(old_row).in_parts is False


async def test_every_piece_is_sent_with_its_own_key_and_the_first_id_is_returned():
    adapter = FakeAdapter()
    sender = ShortMessages(adapter)
    first = await sender.send("!r:x", easy("Eins.\n\nZwei."), reply_to="$cmd", dedupe_key="k")
    assert first == adapter.sent[0].event_id
    assert [(s.message.body, s.reply_to, s.dedupe_key) for s in adapter.sent] == [
        ("Eins.", "$cmd", "k"),
        ("Zwei.", "$cmd", "k/piece1"),
    ]
    await sender.send_direct("@a:x", easy("Drei.\n\nVier."), dedupe_key="d")
    assert [s.message.body for s in adapter.sent[2:]] == ["Drei.", "Vier."]
    assert {s.room_id for s in adapter.sent[2:]} == {"!dm-@a:x"}
    assert sender.platform == "matrix"  # everything else is the adapter's
