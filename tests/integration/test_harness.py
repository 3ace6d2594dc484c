"""The integration harness itself works against a real Synapse.

If these fail, every bot integration test would fail for reasons that have nothing to
do with the bot, so they come first and keep the harness honest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chat import TEST_PASSWORD, ChatMessage, ChatUser, Event, MakeUser
from nio import AsyncClient, AsyncClientConfig, LoginResponse, RoomCreateResponse, RoomSendError

from bot.devserver import LocalSynapse


async def test_two_users_talk_in_a_room(make_user: MakeUser) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    room_id = await alice.create_room(name="Bürgerforum", invite=[bob.user_id])
    await bob.join(room_id)

    question_id = await alice.say(room_id, "Wann ist die nächste Sitzung?")
    question = await bob.next_reply(room_id)
    answer_id = await bob.send_event(
        room_id,
        "m.room.message",
        {
            "msgtype": "m.notice",
            "body": "Am Dienstag.",
            "m.relates_to": {"m.in_reply_to": {"event_id": question_id}},
        },
    )
    answer = await alice.reply_to(question_id)

    assert question == ChatMessage(
        event_id=question_id,
        room_id=room_id,
        sender=alice.user_id,
        msgtype="m.text",
        body="Wann ist die nächste Sitzung?",
        formatted_body=None,
        content={"msgtype": "m.text", "body": "Wann ist die nächste Sitzung?"},
        in_reply_to=None,
    )
    assert (answer.event_id, answer.sender, answer.msgtype, answer.in_reply_to) == (
        answer_id,
        bob.user_id,
        "m.notice",
        question_id,
    )


async def test_messages_that_arrived_before_waiting_are_read_in_order(
    make_user: MakeUser,
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob", auto_join=True)
    room_id = await alice.create_room(name="Ortsbeirat")
    await alice.invite(room_id, bob.user_id)
    await alice.wait_joined(room_id, bob.user_id)
    for number in range(3):
        await bob.say(room_id, f"Nachricht {number}")
    await alice.wait_for(lambda e: e.get("content", {}).get("body") == "Nachricht 2")

    with pytest.raises(TimeoutError, match="saw no matching event"):
        await alice.next_reply(room_id, timeout=0.5)

    await bob.say(room_id, "Nachricht 3")
    assert (await alice.next_reply(room_id, sender=bob.user_id)).body == "Nachricht 3"


async def test_reaction_and_its_redaction_reach_the_other_user(make_user: MakeUser) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob", auto_join=True)
    room_id = await alice.create_room(invite=[bob.user_id])
    await alice.wait_joined(room_id, bob.user_id)
    message_id = await bob.say(room_id, "Mehr Bänke am Mainufer")

    reaction_id = await alice.react(room_id, message_id, "👍")
    reaction = await bob.wait_for(lambda e: e.get("event_id") == reaction_id)
    redaction_id = await alice.redact(room_id, reaction_id)
    redaction = await bob.wait_for(lambda e: e.get("type") == "m.room.redaction")

    assert reaction["type"] == "m.reaction"
    assert reaction["content"]["m.relates_to"] == {
        "rel_type": "m.annotation",
        "event_id": message_id,
        "key": "👍",
    }
    assert redaction["event_id"] == redaction_id
    assert redaction["content"]["redacts"] == reaction_id


async def test_direct_message_invites_with_is_direct(make_user: MakeUser) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob", auto_join=True)

    room_id = await alice.dm(bob.user_id)
    invite: Event = await alice.wait_for(
        lambda e: e.get("type") == "m.room.member" and e.get("state_key") == bob.user_id
    )
    await alice.wait_joined(room_id, bob.user_id)
    await alice.say(room_id, "Hallo Bob")

    assert invite["content"]["membership"] == "invite"
    assert invite["content"]["is_direct"] is True
    assert (await bob.next_reply(room_id)).body == "Hallo Bob"


async def test_users_keep_talking_across_a_homeserver_restart(tmp_path: Path) -> None:
    server = LocalSynapse(tmp_path / "synapse")
    async with server:
        alice_id = await server.register_user("alice", TEST_PASSWORD)
        bob_id = await server.register_user("bob", TEST_PASSWORD)
        alice = await ChatUser.login(server.base_url, alice_id, TEST_PASSWORD)
        bob = await ChatUser.login(server.base_url, bob_id, TEST_PASSWORD, auto_join=True)
        try:
            room_id = await alice.create_room(invite=[bob_id])
            await alice.wait_joined(room_id, bob_id)

            await server.stop()
            await server.start()

            await alice.say(room_id, "Wieder da?")
            assert (await bob.next_reply(room_id)).body == "Wieder da?"
            assert await server.register_user("alice", TEST_PASSWORD) == alice_id
            again = await ChatUser.login(server.base_url, alice_id, TEST_PASSWORD)
            await again.close()
        finally:
            await alice.close()
            await bob.close()


async def test_strict_rate_limits_reject_a_burst_of_messages(tmp_path: Path) -> None:
    async with LocalSynapse(tmp_path / "synapse", rate_limits="strict") as server:
        user_id = await server.register_user("flooder", TEST_PASSWORD)
        # Plain nio client that reports the 429 instead of sleeping and retrying.
        client = AsyncClient(
            server.base_url, user_id, config=AsyncClientConfig(max_limit_exceeded=0)
        )
        try:
            assert isinstance(await client.login(TEST_PASSWORD), LoginResponse)
            created = await client.room_create()
            assert isinstance(created, RoomCreateResponse)
            room_id = created.room_id
            # Burst of 10, then Synapse answers each rejected send after a 0.5 s pause.
            for _ in range(20):
                content = {"msgtype": "m.text", "body": "x"}
                response = await client.room_send(room_id, "m.room.message", content)
                if isinstance(response, RoomSendError):
                    break
        finally:
            await client.close()

    assert isinstance(response, RoomSendError)
    assert response.status_code == "M_LIMIT_EXCEEDED"
