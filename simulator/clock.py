"""The simulator's clock: real time, accelerated time, or time set explicitly by a test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time


def _wall_now() -> datetime:
    return datetime.now(UTC)


class SimClock:
    """A clock that runs at `speed` times real time from an anchor instant.

    Speed 1 follows real time, speed 60 makes a minute pass every second, speed 0 freezes the clock (tests
    then move it with `set` and `advance`). Elapsed time is measured on a monotonic clock so that a change
    of the host's wall clock does not make the simulation jump.
    """

    def __init__(
        self,
        *,
        speed: float = 1.0,
        start: datetime | None = None,
        wall: Callable[[], datetime] = _wall_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start at `start` (default: the real time now)."""
        if speed < 0:
            raise ValueError("speed must not be negative")
        self._monotonic = monotonic
        self._speed = speed
        self._anchor_sim = _aware(start) if start is not None else wall()
        self._anchor_real = monotonic()

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._speed

    def now(self) -> datetime:
        """The simulated instant now (UTC)."""
        elapsed = (self._monotonic() - self._anchor_real) * self._speed
        return self._anchor_sim + timedelta(seconds=elapsed)

    def set(self, instant: datetime) -> None:
        """Jump to `instant`; the clock keeps running at its speed from there."""
        self._anchor_sim = _aware(instant)
        self._anchor_real = self._monotonic()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, for a negative delta) by `delta`."""
        self.set(self.now() + delta)

    def set_speed(self, speed: float) -> None:
        """Change the speed without a jump in simulated time."""
        if speed < 0:
            raise ValueError("speed must not be negative")
        self.set(self.now())
        self._speed = speed


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the simulator clock needs a timezone-aware instant")
    return instant.astimezone(UTC)
