"""The per-person hourly window."""

from datetime import UTC, datetime, timedelta

from bot.rate_limits import RateLimiter

T0 = datetime(2026, 11, 26, 12, tzinfo=UTC)
A, B = ("matrix", "@a:x"), ("matrix", "@b:x")


def test_limit_per_person_and_command_slides_with_time():
    limiter = RateLimiter({})
    assert all(limiter.allow(A, "frage", 3, T0 + timedelta(minutes=i)) for i in range(3))
    assert not limiter.allow(A, "frage", 3, T0 + timedelta(minutes=10))
    assert limiter.allow(B, "frage", 3, T0 + timedelta(minutes=10)), "others are not limited"
    assert limiter.allow(A, "abstimmen", 3, T0 + timedelta(minutes=10)), "per command"
    assert limiter.allow(A, "frage", 3, T0 + timedelta(hours=1))


def test_settings_override_the_declared_default_and_zero_is_unlimited():
    limiter = RateLimiter({"frage": 1, "abstimmen": 0})
    assert limiter.allow(A, "frage", 10, T0)
    assert not limiter.allow(A, "frage", 10, T0)
    assert all(limiter.allow(A, "abstimmen", 1, T0) for _ in range(50))


def test_the_same_id_on_another_platform_counts_apart():
    limiter = RateLimiter({})
    assert limiter.allow(("matrix", "42"), "frage", 1, T0)
    assert not limiter.allow(("matrix", "42"), "frage", 1, T0)
    assert limiter.allow(("chat", "42"), "frage", 1, T0)
