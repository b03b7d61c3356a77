"""The restore budget: bounded attempts, growing back-off, rate limits honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from custom_components.tesla_amber_sync.control.restore import MAX_ATTEMPTS, RestoreBudget

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def test_back_off_doubles_and_stops_at_the_bound() -> None:
    budget = RestoreBudget()
    now = NOW
    waits = []
    while not budget.gave_up:
        assert budget.may_attempt(now)
        budget = budget.failed(now)
        if budget.next_attempt_at is not None:
            waits.append(budget.next_attempt_at - now)
            assert not budget.may_attempt(now)
            now = budget.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert budget.attempts == MAX_ATTEMPTS
    assert not budget.may_attempt(now + timedelta(days=1))


def test_a_rate_limit_outlasts_the_back_off() -> None:
    limit = NOW + timedelta(minutes=10)
    budget = RestoreBudget().failed(NOW, rate_limited_until=limit)
    assert budget.next_attempt_at == limit
    assert not RestoreBudget().may_attempt(NOW, rate_limited_until=limit)
    assert RestoreBudget().postponed(limit).next_attempt_at == limit


@given(st.integers(min_value=0, max_value=20), st.booleans(), st.text(max_size=5))
def test_json_round_trip_and_damage(attempts: int, gave_up: bool, junk: str) -> None:
    budget = RestoreBudget(attempts=attempts, next_attempt_at=NOW, gave_up=gave_up)
    assert RestoreBudget.from_dict(budget.as_dict()) == budget
    assert RestoreBudget.from_dict({"attempts": junk, "next_attempt_at": junk}) == RestoreBudget()
    assert RestoreBudget.from_dict(None) == RestoreBudget()
