"""The site's network demand window and the household's grid import, for demand-charge tests.

A demand tariff bills the highest half hour of grid import inside a daily window (15:00-21:00 on weekdays by
default, site time). Amber marks the intervals inside it with `tariffInformation.demandWindow`. The household
draws some power the Powerwall does not serve (an EV charger it is set not to discharge into, an oven and a
kettle on a circuit it does not back): a little all the time, more inside the window, and one half hour per
window of about 6-7 kW. Every value is a seeded function of the local half hour, so a test can compute the
import it will see. A test can also hold the meter at a fixed import to drive a peak exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
import random
from typing import Any, Final
from zoneinfo import ZoneInfo

_DAY_MINUTES: Final = 24 * 60
_HALF_HOUR_MINUTES: Final = 30
# What the Powerwall does not serve (W), per half hour: drawn uniformly from these ranges.
OUTSIDE_WINDOW_W: Final = (100.0, 800.0)
INSIDE_WINDOW_W: Final = (500.0, 2000.0)
PEAK_W: Final = (6000.0, 7000.0)


class WindowDays(StrEnum):
    """The days a demand window runs on, as networks publish them (the integration's own names)."""

    EVERY_DAY = "every_day"
    WEEKDAYS = "weekdays"
    WEEKENDS = "weekends"

    def includes(self, day: date) -> bool:
        """Whether the window runs on `day`."""
        if self is WindowDays.WEEKDAYS:
            return day.weekday() < 5
        if self is WindowDays.WEEKENDS:
            return day.weekday() >= 5
        return True


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


@dataclass(frozen=True, kw_only=True, slots=True)
class DemandWindow:
    """Local wall-clock half hours from `start` to `end` on `days`. A window may wrap midnight: the part after
    midnight belongs to the day it started on. `start == end` is the whole day."""

    start: time
    end: time
    days: WindowDays = WindowDays.WEEKDAYS

    def __post_init__(self) -> None:
        """Refuse times off the half hour (networks publish windows on half hours)."""
        for clock in (self.start, self.end):
            if clock.minute % _HALF_HOUR_MINUTES or clock.second or clock.microsecond:
                raise ValueError(f"window times must be on the hour or half hour, not {clock.isoformat()}")

    @property
    def half_hours(self) -> int:
        """How many half hours one run of the window has."""
        length = (_minutes(self.end) - _minutes(self.start)) % _DAY_MINUTES or _DAY_MINUTES
        return length // _HALF_HOUR_MINUTES

    def run_of(self, local: datetime) -> tuple[date, int] | None:
        """The day the run of the window holding `local` started on, and `local`'s half hour in that run
        (0 = the first); None when `local` is outside the window."""
        offset = (local.hour * 60 + local.minute - _minutes(self.start)) % _DAY_MINUTES
        if offset >= self.half_hours * _HALF_HOUR_MINUTES:
            return None
        started = local.date()
        if local.hour * 60 + local.minute < _minutes(self.start):
            # The part after midnight of a window that wraps.
            started -= timedelta(days=1)
        if not self.days.includes(started):
            return None
        return started, offset // _HALF_HOUR_MINUTES

    def contains(self, local: datetime) -> bool:
        """Whether `local` (wall clock in the site's zone) is inside the window."""
        return self.run_of(local) is not None

    def as_json(self) -> dict[str, str]:
        """JSON form, as the control API takes it."""
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M"), "days": self.days}

    @classmethod
    def from_json(cls, data: object) -> DemandWindow:
        """Parse {"start": "HH:MM", "end": "HH:MM", "days"?: "every_day" | "weekdays" | "weekends"}."""
        if not isinstance(data, dict):
            raise TypeError("window must be an object with start, end and days, or null")
        try:
            start, end = data["start"], data["end"]
        except KeyError as err:
            raise ValueError(f"window needs {err.args[0]}") from err
        if not isinstance(start, str) or not isinstance(end, str):
            raise TypeError("window start and end must be HH:MM")
        days = data.get("days", WindowDays.WEEKDAYS)
        if days not in set(WindowDays):
            raise ValueError(f"window days must be one of {[day.value for day in WindowDays]}")
        return cls(start=time.fromisoformat(start), end=time.fromisoformat(end), days=WindowDays(days))


DEFAULT_WINDOW: Final = DemandWindow(start=time(15), end=time(21), days=WindowDays.WEEKDAYS)


def _draw(seed: int, *keys: int) -> random.Random:
    # Hashes of whole numbers are stable between runs, so the draw is too.
    return random.Random(hash((seed, *keys)))  # noqa: S311 - a model, not a secret


@dataclass(frozen=True, kw_only=True, slots=True)
class Household:
    """The demand window and the import the Powerwall does not serve (the control API replaces it).

    `window` None: the site has no demand tariff (Amber sends no flag, and no half hour peaks).
    `profile` False: the household draws nothing past the Powerwall. `fixed_import_w` (W, not None): the
    meter reads exactly that import, whatever the profile says.
    """

    window: DemandWindow | None = DEFAULT_WINDOW
    seed: int = 0
    profile: bool = True
    fixed_import_w: float | None = None

    def peak_of(self, started: date) -> int | None:
        """The half hour (0 = the window's first) of the run that started on `started` that peaks."""
        if self.window is None or not self.window.days.includes(started):
            return None
        return _draw(self.seed, started.toordinal(), -1).randrange(self.window.half_hours)

    def unserved_load(self, local: datetime) -> float:
        """What the household draws past the Powerwall (W) in the half hour holding `local`."""
        if not self.profile:
            return 0.0
        half_hour = (local.hour * 60 + local.minute) // _HALF_HOUR_MINUTES
        draw = _draw(self.seed, local.date().toordinal(), half_hour)
        run = self.window.run_of(local) if self.window is not None else None
        if run is None:
            low, high = OUTSIDE_WINDOW_W
        elif run[1] == self.peak_of(run[0]):
            low, high = PEAK_W
        else:
            low, high = INSIDE_WINDOW_W
        return round(draw.uniform(low, high), 1)

    def peak_json(self, started: date, zone: ZoneInfo) -> dict[str, Any] | None:
        """The peak half hour of the run that started on `started`: its start, end and unserved load."""
        index = self.peak_of(started)
        if index is None or self.window is None:
            return None
        begin = datetime.combine(started, self.window.start, tzinfo=zone) + timedelta(
            minutes=_HALF_HOUR_MINUTES * index
        )
        return {
            "start": begin.isoformat(),
            "end": (begin + timedelta(minutes=_HALF_HOUR_MINUTES)).isoformat(),
            "unserved_w": self.unserved_load(begin),
        }
