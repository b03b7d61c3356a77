"""SimClock: real, accelerated and explicitly set time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simulator.clock import SimClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_speed_scales_elapsed_time() -> None:
    mono = FakeMonotonic()
    clock = SimClock(speed=60, start=T0, monotonic=mono)
    mono.value += 2
    assert clock.now() == T0 + timedelta(minutes=2)
    clock.set_speed(0)
    mono.value += 50
    assert clock.now() == T0 + timedelta(minutes=2)
    assert clock.speed == 0


def test_set_and_advance() -> None:
    mono = FakeMonotonic()
    clock = SimClock(speed=0, start=T0, monotonic=mono)
    clock.advance(timedelta(hours=3))
    assert clock.now() == T0 + timedelta(hours=3)
    later = datetime.fromisoformat("2026-02-01T10:00:00+11:00")
    clock.set(later)
    assert clock.now() == later
    assert clock.now().tzinfo is UTC


def test_defaults_to_real_time() -> None:
    clock = SimClock(wall=lambda: T0, monotonic=lambda: 0.0)
    assert clock.now() == T0


@pytest.mark.parametrize("bad", [-1.0])
def test_rejects_negative_speed_and_naive_times(bad: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        SimClock(speed=bad)
    clock = SimClock()
    with pytest.raises(ValueError, match="speed"):
        clock.set_speed(bad)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))
