"""The simulator's clock: real time, accelerated time, or time set explicitly by a test; and its readings,
written to a file for another process to follow (`sharedclock`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import time
from typing import Any


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
        on_change: Callable[[datetime, float], None] | None = None,
    ) -> None:
        """Start at `start` (default: the real time now). `on_change(now, speed)` hears the start and every
        jump and change of speed (to share the clock with another process)."""
        if speed < 0:
            raise ValueError("speed must not be negative")
        self._monotonic = monotonic
        self._speed = speed
        self._on_change = on_change
        self._anchor_sim = _aware(start) if start is not None else wall()
        self._anchor_real = monotonic()
        self._changed()

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
        self._changed()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, for a negative delta) by `delta`."""
        self.set(self.now() + delta)

    def set_speed(self, speed: float) -> None:
        """Change the speed without a jump in simulated time."""
        if speed < 0:
            raise ValueError("speed must not be negative")
        self._anchor_sim = self.now()
        self._anchor_real = self._monotonic()
        self._speed = speed
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self._anchor_sim, self._speed)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the simulator clock needs a timezone-aware instant")
    return instant.astimezone(UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClockReading:
    """The simulated instant `now` when the host's monotonic clock read `monotonic`, and the clock's speed."""

    now: datetime
    speed: float
    monotonic: float

    def instant(self, monotonic: float) -> datetime:
        """What the simulated clock shows when the host's monotonic clock reads `monotonic`."""
        return self.now + timedelta(seconds=(monotonic - self.monotonic) * self.speed)

    def as_json(self) -> dict[str, Any]:
        """The file's content."""
        return {"now": self.now.isoformat(), "speed": self.speed, "monotonic": self.monotonic}

    @classmethod
    def from_json(cls, data: object) -> ClockReading:
        """Parse the file's content; ValueError or TypeError when it is not a clock reading."""
        if not isinstance(data, dict):
            raise TypeError("a clock reading is an object")
        now = datetime.fromisoformat(str(data["now"]))
        if now.tzinfo is None:
            raise ValueError("the clock reading needs an offset")
        speed, monotonic = data["speed"], data["monotonic"]
        if isinstance(speed, bool) or not isinstance(speed, int | float):
            raise TypeError("speed must be a number")
        if isinstance(monotonic, bool) or not isinstance(monotonic, int | float):
            raise TypeError("monotonic must be a number")
        return cls(now=now.astimezone(UTC), speed=float(speed), monotonic=float(monotonic))


def write_reading(path: Path, now: datetime, speed: float) -> None:
    """Write the clock's reading now to `path`, whole or not at all (a reader never sees half a file)."""
    reading = ClockReading(now=now.astimezone(UTC), speed=speed, monotonic=time.monotonic())
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(reading.as_json()))
    partial.replace(path)


def parse_reading(text: str) -> ClockReading:
    """A reading as `write_reading` writes it; ValueError or TypeError when `text` is not one."""
    try:
        return ClockReading.from_json(json.loads(text))
    except KeyError as err:
        raise ValueError(f"a clock reading needs {err.args[0]}") from err
