"""The start hooks run with the cyclic garbage collector paused (bench.scale: two full
passes were a quarter of the start-up's CPU); it must be running again afterwards, also
when a hook fails, and stay off if the process had switched it off itself."""

import gc
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from bot.app import _run_start_hooks


@pytest.fixture
def collecting() -> Iterator[None]:
    """Leave the collector as the test found it."""
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def registry(*hooks: object) -> SimpleNamespace:
    return SimpleNamespace(start_hooks=list(hooks))


async def test_hooks_run_paused_and_collection_resumes(collecting: None) -> None:
    seen: list[bool] = []

    async def hook(services: object) -> None:
        seen.append(gc.isenabled())

    gc.enable()
    await _run_start_hooks(registry(hook, hook), None)  # type: ignore[arg-type]
    assert seen == [False, False]
    assert gc.isenabled()


async def test_collection_resumes_after_a_failing_hook(collecting: None) -> None:
    async def failing(services: object) -> None:
        raise RuntimeError("the database is gone")

    gc.enable()
    with pytest.raises(RuntimeError):
        await _run_start_hooks(registry(failing), None)  # type: ignore[arg-type]
    assert gc.isenabled()


async def test_a_collector_switched_off_before_stays_off(collecting: None) -> None:
    async def hook(services: object) -> None:
        pass

    gc.disable()
    await _run_start_hooks(registry(hook), None)  # type: ignore[arg-type]
    assert not gc.isenabled()
