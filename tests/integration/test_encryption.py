"""Encrypted direct messages, as Element opens them by default."""

from __future__ import annotations

import asyncio
import base64
import shutil

import aiohttp
from bots import register_bot
from chat import TEST_PASSWORD, ChatUser
from nio.crypto.attachments import decrypt_attachment


async def raw_event(user: ChatUser, room_id: str, event_id: str) -> dict:
    """The event as the server stores it (not as the client decrypted it)."""
    client = user.client
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{client.homeserver}/_matrix/client/v3/rooms/{room_id}/event/{event_id}",
            headers={"Authorization": f"Bearer {client.access_token}"},
        ) as response,
    ):
        return await response.json()


async def send_raw(user: ChatUser, room_id: str, event_type: str, content: dict) -> str:
    """Send an event as is, past the client's own encryption (a broken client)."""
    client = user.client
    url = f"{client.homeserver}/_matrix/client/v3/rooms/{room_id}/send/{event_type}/raw-1"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.put(url, json=content, headers=headers) as response,
    ):
        return (await response.json())["event_id"]


async def test_encrypted_dm_gets_an_encrypted_answer(synapse, tmp_path):
    bot = await register_bot(synapse, tmp_path / "bot")
    await bot.start()
    alice_id = await synapse.register_user(f"alice-e2e-{tmp_path.name[-6:]}", TEST_PASSWORD)
    alice = await ChatUser.login(
        synapse.base_url, alice_id, TEST_PASSWORD, crypto_store=tmp_path / "alice-keys"
    )
    try:
        room = await alice.create_room(invite=[bot.user_id], direct=True, encrypted=True)
        await alice.wait_joined(room, bot.user_id)
        command = await alice.say(room, "hilfe")
        assert (await raw_event(alice, room, command))["type"] == "m.room.encrypted"
        reply = await alice.reply_to(command, timeout=30)
        assert "Das kann ich für dich tun" in reply.body
        assert (await raw_event(alice, room, reply.event_id))["type"] == "m.room.encrypted"
        idea = await alice.say(room, "idee Mehr Trinkbrunnen in der Innenstadt")
        stored = await alice.reply_to(idea, timeout=30)
        assert "#1" in stored.body
        await alice.say(room, "meinedaten")
        export = await alice.wait_for(
            lambda e: e["sender"] == bot.user_id and e["content"].get("msgtype") == "m.file",
            timeout=30,
        )
        attachment = export["content"]
        assert "url" not in attachment, "an encrypted room gets an encrypted file"
        ciphertext = await alice.download(attachment["file"]["url"])
        plain = decrypt_attachment(
            ciphertext,
            attachment["file"]["key"]["k"],
            attachment["file"]["hashes"]["sha256"],
            attachment["file"]["iv"],
        )
        assert "Mehr Trinkbrunnen in der Innenstadt" in plain.decode("utf-8")
    finally:
        await alice.close()
        await bot.stop()


async def test_undecryptable_message_gets_a_notice(synapse, tmp_path):
    bot = await register_bot(synapse, tmp_path / "bot")
    await bot.start()
    alice_id = await synapse.register_user(f"alice-e2e-{tmp_path.name[-6:]}", TEST_PASSWORD)
    alice = await ChatUser.login(
        synapse.base_url, alice_id, TEST_PASSWORD, crypto_store=tmp_path / "alice-keys"
    )
    try:
        room = await alice.create_room(name="Verschlüsselt", invite=[bot.user_id], encrypted=True)
        await alice.wait_joined(room, bot.user_id)
        garbage = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgAEnB4bm90LWEtcmVhbC1jaXBoZXJ0ZXh0",
            "device_id": "NOTREAL",
            "sender_key": "c2VuZGVyLWtleS1ub3QtcmVhbA",
            "session_id": "c2Vzc2lvbi1ub3QtcmVhbA",
        }
        event_id = await send_raw(alice, room, "m.room.encrypted", garbage)
        reply = await alice.reply_to(event_id, timeout=40)
        assert "nicht lesen" in reply.body
    finally:
        await alice.close()
        await bot.stop()


async def test_lost_key_store_means_a_new_device_not_silence(synapse, tmp_path, make_user):
    bot = await register_bot(synapse, tmp_path / "bot")
    await bot.start()
    first_device = bot.app.adapters["matrix"].client.device_id
    await bot.stop()
    shutil.rmtree(tmp_path / "bot" / "crypto")
    await bot.start()
    try:
        assert bot.app.adapters["matrix"].client.device_id != first_device
        assert bot.app.adapters["matrix"].client.olm is not None
        # With its signing keys gone too, the bot publishes a new identity (with its
        # password) and cross-signs the new device under it.
        observer = await make_user("observer")
        await wait_cross_signed(observer, bot.user_id, bot.app.adapters["matrix"].client.device_id)
    finally:
        await bot.stop()


async def test_the_bot_cross_signs_its_own_device(synapse, tmp_path, make_user):
    """Clients excluding insecure devices (MSC4153) see a device signed by its owner."""
    from nacl.signing import VerifyKey

    from bot.adapters.matrix.cross_signing import canonical_json

    bot = await register_bot(synapse, tmp_path / "bot")
    await bot.start()
    try:
        alice = await make_user("alice")
        device_id = bot.app.adapters["matrix"].client.device_id
        keys = await wait_cross_signed(alice, bot.user_id, device_id)
        device = keys["device_keys"][bot.user_id][device_id]
        ssk_object = keys["self_signing_keys"][bot.user_id]
        ssk = next(iter(ssk_object["keys"].values()))
        signature = device["signatures"][bot.user_id][f"ed25519:{ssk}"]
        payload = {k: v for k, v in device.items() if k not in ("signatures", "unsigned")}
        VerifyKey(base64.b64decode(ssk + "==")).verify(
            canonical_json(payload), base64.b64decode(signature + "==")
        )
        master = next(iter(keys["master_keys"][bot.user_id]["keys"].values()))
        assert f"ed25519:{master}" in ssk_object["signatures"][bot.user_id]
        await bot.restart()  # the same identity is reused, not replaced
        again = await query_keys(alice, bot.user_id)
        assert next(iter(again["master_keys"][bot.user_id]["keys"].values())) == master
    finally:
        await bot.stop()


async def wait_cross_signed(user: ChatUser, user_id: str, device_id: str) -> dict:
    """The key query once the device carries its own and the self-signing signature."""
    for _ in range(80):
        keys = await query_keys(user, user_id)
        device = keys["device_keys"].get(user_id, {}).get(device_id, {})
        if len(device.get("signatures", {}).get(user_id, {})) >= 2:
            return keys
        await asyncio.sleep(0.25)
    raise AssertionError(f"device {device_id} was never cross-signed")


async def query_keys(user: ChatUser, user_id: str) -> dict:
    client = user.client
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{client.homeserver}/_matrix/client/v3/keys/query",
            json={"device_keys": {user_id: []}},
            headers={"Authorization": f"Bearer {client.access_token}"},
        ) as response,
    ):
        return await response.json()
