"""Cross-sign the bot's own device, so clients that exclude insecure devices still talk to it.

Element follows MSC4153 ("exclude insecure devices"): it shares room keys only with
devices their owner has cross-signed. nio cannot cross-sign, so the bot does it itself with
the client-server API: it creates a master, self-signing and user-signing key, uploads them
(the first upload needs no password, MSC3967) and signs its device with the self-signing
key. The private keys live beside nio's key store; losing them means new ones are made,
which needs the account password.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from nacl.signing import SigningKey

logger = logging.getLogger(__name__)

USAGES = ("master", "self_signing", "user_signing")


class CrossSigningError(Exception):
    """The homeserver refused a cross-signing step."""


def unpadded_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def canonical_json(value: dict[str, Any]) -> bytes:
    """Matrix's canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed(value: dict[str, Any], user_id: str, key: SigningKey) -> dict[str, Any]:
    """`value` with a signature by `key` added (over everything but signatures and unsigned)."""
    payload = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
    signature = unpadded_base64(key.sign(canonical_json(payload)).signature)
    key_id = f"ed25519:{public_key(key)}"
    signatures = {user: dict(sigs) for user, sigs in value.get("signatures", {}).items()}
    signatures.setdefault(user_id, {})[key_id] = signature
    return {**payload, "signatures": signatures}


def public_key(key: SigningKey) -> str:
    return unpadded_base64(bytes(key.verify_key))


@dataclass(frozen=True)
class CrossSigningKeys:
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    @classmethod
    def from_json(cls, text: str) -> CrossSigningKeys:
        seeds = json.loads(text)
        return cls(*(SigningKey(base64.b64decode(seeds[usage] + "==")) for usage in USAGES))

    def to_json(self) -> str:
        keys = (self.master, self.self_signing, self.user_signing)
        return json.dumps(
            {usage: unpadded_base64(bytes(k)) for usage, k in zip(USAGES, keys, strict=True)}
        )

    def public_keys(self, user_id: str) -> dict[str, dict[str, Any]]:
        """The three keys as uploaded; the sub-keys carry the master key's signature."""

        def key_object(usage: str, key: SigningKey) -> dict[str, Any]:
            return {
                "user_id": user_id,
                "usage": [usage],
                "keys": {f"ed25519:{public_key(key)}": public_key(key)},
            }

        return {
            "master_key": key_object("master", self.master),
            "self_signing_key": signed(
                key_object("self_signing", self.self_signing), user_id, self.master
            ),
            "user_signing_key": signed(
                key_object("user_signing", self.user_signing), user_id, self.master
            ),
        }


class CrossSigner:
    """Makes sure the bot's identity exists and its current device is signed by it."""

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        device_id: str,
        access_token: str,
        key_file: Path,
        password: str | None,
    ) -> None:
        self.homeserver = homeserver
        self.user_id = user_id
        self.device_id = device_id
        self.access_token = access_token
        self.key_file = key_file
        self.password = password

    async def ensure(self) -> bool:
        """Cross-sign the device if needed; True when it is signed afterwards."""
        query = await self._post("keys/query", {"device_keys": {self.user_id: [self.device_id]}})
        device = query.get("device_keys", {}).get(self.user_id, {}).get(self.device_id)
        if device is None:
            logger.warning("The device keys are not on the homeserver yet; cross-signing later")
            return False
        keys = await self._load_keys()
        server_master = _key_of(query.get("master_keys", {}).get(self.user_id))
        if keys is None or server_master != public_key(keys.master):
            keys = await self._publish_new_identity(replacing=server_master is not None)
            if keys is None:
                return False
        key_id = f"ed25519:{public_key(keys.self_signing)}"
        if key_id in device.get("signatures", {}).get(self.user_id, {}):
            return True
        body = {self.user_id: {self.device_id: signed(device, self.user_id, keys.self_signing)}}
        response = await self._post("keys/signatures/upload", body)
        if response.get("failures"):
            raise CrossSigningError(f"The device signature was refused: {response['failures']}")
        logger.info("Cross-signed device %s", self.device_id)
        return True

    async def _publish_new_identity(self, replacing: bool) -> CrossSigningKeys | None:
        keys = CrossSigningKeys.generate()
        body: dict[str, Any] = keys.public_keys(self.user_id)
        if replacing:
            if not self.password:
                logger.error(
                    "The bot's cross-signing keys are lost and no password is configured to "
                    "replace them: clients that exclude unverified devices will not talk to it"
                )
                return None
            logger.warning("Replacing the bot's cross-signing identity (its keys were lost)")
            session = await self._auth_session("keys/device_signing/upload", body)
            body["auth"] = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": self.password,
                "session": session,
            }
        await self._post("keys/device_signing/upload", body)
        await asyncio.to_thread(self._write_keys, keys)
        logger.info("Published a cross-signing identity for the bot")
        return keys

    async def _load_keys(self) -> CrossSigningKeys | None:
        try:
            text = await asyncio.to_thread(self.key_file.read_text, "utf-8")
        except FileNotFoundError:
            return None
        return CrossSigningKeys.from_json(text)

    def _write_keys(self, keys: CrossSigningKeys) -> None:
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        self.key_file.touch(mode=0o600)
        self.key_file.write_text(keys.to_json(), "utf-8")

    async def _auth_session(self, path: str, body: dict[str, Any]) -> str:
        """The user-interactive-auth session the homeserver opens for `path`."""
        status, answer = await self._request(path, body)
        if status != 401 or "session" not in answer:
            raise CrossSigningError(f"Expected an auth challenge for {path}, got {status}")
        return str(answer["session"])

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = await self._request(path, body)
        if status != 200:
            raise CrossSigningError(f"{path} answered {status}: {answer.get('errcode')}")
        return answer

    async def _request(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = f"{self.homeserver}/_matrix/client/v3/{path}"
        headers = {"Authorization": f"Bearer {self.access_token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=body, headers=headers) as response,
        ):
            return response.status, await response.json()


def _key_of(key_object: dict[str, Any] | None) -> str | None:
    if not key_object:
        return None
    return next(iter(key_object.get("keys", {}).values()), None)
