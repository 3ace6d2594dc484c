"""Fixtures for tests against a real Synapse: one homeserver per session, fresh users per test.

Every test under ``tests/integration`` gets the ``synapse`` marker, so
``pytest -m "not synapse"`` runs the quick suite only.
"""

from __future__ import annotations

import importlib.util
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from chat import TEST_PASSWORD, ChatUser, MakeUser

from bot.devserver import LocalSynapse

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``synapse`` and skip them all where Synapse is not installed.

    The Discord tests (``discord/``) talk to an emulator and need no homeserver.
    """
    missing = importlib.util.find_spec("synapse") is None
    for item in items:
        if item.path.is_relative_to(_HERE) and not item.path.is_relative_to(_HERE / "discord"):
            item.add_marker(pytest.mark.synapse)
            if missing:
                item.add_marker(
                    pytest.mark.skip(reason="matrix-synapse is not installed (dev extra)")
                )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synapse(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalSynapse]:
    """One homeserver for the whole session: starting Synapse costs about two seconds."""
    async with LocalSynapse(tmp_path_factory.mktemp("synapse")) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def make_user(synapse: LocalSynapse) -> AsyncIterator[MakeUser]:
    """Factory for logged-in users, closed after the test.

    Localparts get a random suffix so tests sharing the homeserver never meet each
    other's users; the display name is the readable ``name`` ("Alice").
    """
    users: list[ChatUser] = []

    async def make(name: str = "user", *, auto_join: bool = False, admin: bool = False) -> ChatUser:
        localpart = f"{name.lower()}-{secrets.token_hex(4)}"
        user_id = await synapse.register_user(
            localpart, TEST_PASSWORD, admin=admin, displayname=name.capitalize()
        )
        user = await ChatUser.login(synapse.base_url, user_id, TEST_PASSWORD, auto_join=auto_join)
        users.append(user)
        return user

    yield make
    for user in users:
        await user.close()
