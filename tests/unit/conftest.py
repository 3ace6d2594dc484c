"""Fixtures for unit tests: a frozen clock and a scheduler driven by it."""

import pytest

from bot.clock import FakeClock
from bot.scheduler import Scheduler


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock standing still at a fixed Monday morning in Europe/Berlin."""
    return FakeClock()


@pytest.fixture
def scheduler(fake_clock: FakeClock) -> Scheduler:
    """A scheduler that is never started: ``await scheduler.run_due()`` fires its jobs."""
    return Scheduler(fake_clock)
