"""Raw Matrix events to neutral events, and the JSON the bot sends."""

from bot.adapters.matrix.events import (
    edit_content,
    notice_content,
    parse_event,
    poll_end_content,
    poll_start_content,
)
from bot.context import (
    IncomingMessage,
    IncomingPollEnd,
    IncomingPollResponse,
    IncomingReaction,
    IncomingRedaction,
    Place,
    PollDraft,
)
from bot.messages import Message

PLACE = Place("!room", False)


def event(event_type: str, content: dict, **extra) -> dict:
    return {
        "type": event_type,
        "event_id": "$e",
        "sender": "@a:x",
        "origin_server_ts": 1_700_000_000_000,
        "content": content,
        **extra,
    }


def test_text_message_with_thread_and_reply():
    parsed = parse_event(
        event(
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "> <@b:x> Frage\n\nAntwort",
                "m.relates_to": {
                    "rel_type": "m.thread",
                    "event_id": "$root",
                    "m.in_reply_to": {"event_id": "$q"},
                },
            },
        ),
        PLACE,
        "A",
    )
    assert isinstance(parsed, IncomingMessage)
    assert (parsed.text, parsed.thread_root, parsed.reply_to) == ("Antwort", "$root", "$q")
    assert parsed.sent_at.year == 2023


def test_notices_edits_and_garbage_are_ignored():
    assert (
        parse_event(event("m.room.message", {"msgtype": "m.notice", "body": "!x"}), PLACE, "A")
        is None
    )
    edit = {"msgtype": "m.text", "body": "* !x", "m.relates_to": {"rel_type": "m.replace"}}
    assert parse_event(event("m.room.message", edit), PLACE, "A") is None
    assert parse_event({"type": "m.room.message", "content": "x"}, PLACE, "A") is None


def test_reaction_and_redaction():
    reaction = parse_event(
        event(
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$c", "key": "👍"}},
        ),
        PLACE,
        "A",
    )
    assert isinstance(reaction, IncomingReaction) and reaction.key == "👍"
    redaction = parse_event(event("m.room.redaction", {"redacts": "$r"}), PLACE, "A")
    assert isinstance(redaction, IncomingRedaction) and redaction.redacted_event_id == "$r"


def test_poll_responses_in_unstable_and_stable_form():
    reference = {"rel_type": "m.reference", "event_id": "$poll"}
    unstable = parse_event(
        event(
            "org.matrix.msc3381.poll.response",
            {"org.matrix.msc3381.poll.response": {"answers": ["a1"]}, "m.relates_to": reference},
        ),
        PLACE,
        "A",
    )
    stable = parse_event(
        event("m.poll.response", {"m.selections": ["a2"], "m.relates_to": reference}), PLACE, "A"
    )
    spoiled = parse_event(
        event("m.poll.response", {"m.selections": [1], "m.relates_to": reference}), PLACE, "A"
    )
    assert isinstance(unstable, IncomingPollResponse) and unstable.answer_ids == ("a1",)
    assert isinstance(stable, IncomingPollResponse) and stable.answer_ids == ("a2",)
    assert isinstance(spoiled, IncomingPollResponse) and spoiled.answer_ids == ("\x00invalid",)
    end = parse_event(event("m.poll.end", {"m.relates_to": reference}), PLACE, "A")
    assert isinstance(end, IncomingPollEnd) and end.poll_event_id == "$poll"


def test_outgoing_notice_thread_edit_and_poll_json():
    message = Message.plain("Hallo").notifying(["@b:x"])
    assert notice_content(message, reply_to="$q")["m.relates_to"] == {
        "m.in_reply_to": {"event_id": "$q"}
    }
    thread = notice_content(message, thread_root="$root")
    assert thread["m.relates_to"]["rel_type"] == "m.thread"
    assert thread["m.mentions"] == {"user_ids": ["@b:x"]}
    edit = edit_content("$card", Message.plain("2 Stimmen"))
    assert edit["m.new_content"]["body"] == "2 Stimmen"
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$card"}
    poll = PollDraft("Thema?", (("a1", "Radwege"), ("a2", "Bänke")), 1, True, Message.plain("fb"))
    start = poll_start_content(poll)["org.matrix.msc3381.poll.start"]
    assert start["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert start["answers"][1] == {"id": "a2", "org.matrix.msc1767.text": "Bänke"}
    assert poll_end_content("$p", Message.plain("r"))["m.relates_to"]["event_id"] == "$p"
