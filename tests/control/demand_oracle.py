"""An independent, deliberately plain demand tracker, to check the real one against.

It shares no code with `control/demand.py`: every sample is turned into an interval of UTC time (its value
holds until the next sample, at most `MAX_HOLD`), half hours are the UTC grid of 1800 seconds (Australian
zones are whole or half hours off UTC, so local half hours fall on it), and window membership is found by
listing the window's occurrences around each half hour in naive wall-clock time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_HOLD = 120
COVERAGE_SECONDS = 0.8 * 1800


@dataclass(frozen=True)
class PlainWindow:
    """start/end in minutes of the day (equal: the whole day), days (Monday = 0), months (1-12)."""

    start: int
    end: int
    days: frozenset[int]
    months: frozenset[int]

    def holds(self, local_start: datetime) -> bool:
        """Whether the half hour beginning at this local wall-clock time is inside some occurrence."""
        if local_start.month not in self.months:
            return False
        naive = local_start.replace(tzinfo=None)
        for day in (naive.date() - timedelta(days=1), naive.date()):
            if day.weekday() not in self.days:
                continue
            midnight = datetime.combine(day, time())
            if self.start == self.end:
                opens, closes = midnight, midnight + timedelta(days=1)
            else:
                opens = midnight + timedelta(minutes=self.start)
                closes = midnight + timedelta(minutes=self.end)
                if self.end < self.start:
                    closes += timedelta(days=1)
            if opens <= naive < closes:
                return True
        return False


def cycle_of(local_day: date, *, daily: bool, cycle_day: int) -> date:
    """The first day of the billing cycle holding `local_day`, by counting days back."""
    if daily:
        return local_day
    day = local_day
    while day.day != cycle_day:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class HalfHour:
    """One UTC grid half hour: its import (kWh) and how many seconds of it were known."""

    index: int
    energy_kwh: float
    known_seconds: float

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.index * 1800, UTC)

    @property
    def mean_kw(self) -> float:
        return self.energy_kwh / 0.5


def half_hours(samples: list[tuple[datetime, float | None]]) -> dict[int, HalfHour]:
    """Every half hour a known sample's hold touches, before the last sample's half hour (only those are
    over), with their energy and known seconds."""
    energy: dict[int, float] = defaultdict(float)
    known: dict[int, float] = defaultdict(float)
    stamps = [int(at.timestamp()) for at, _ in samples]
    for (at, watts), nxt in zip(samples, stamps[1:], strict=False):
        if watts is None:
            continue
        second = int(at.timestamp())
        end = min(nxt, second + MAX_HOLD)
        while second < end:
            index = second // 1800
            piece = min(end, (index + 1) * 1800) - second
            energy[index] += max(watts, 0.0) / 1000 * piece / 3600
            known[index] += piece
            second += piece
    last = stamps[-1] // 1800
    return {index: HalfHour(index, energy[index], known[index]) for index in sorted(known) if index < last}


def peak(
    samples: list[tuple[datetime, float | None]],
    *,
    zone: ZoneInfo,
    window: PlainWindow,
    daily: bool,
    cycle_day: int,
) -> tuple[float | None, set[datetime]]:
    """The highest mean of the over, known-enough, in-window half hours of the last sample's cycle, and the
    starts of the half hours that reach it."""
    final_half = (int(samples[-1][0].timestamp()) // 1800) * 1800
    final_cycle = cycle_of(
        datetime.fromtimestamp(final_half, UTC).astimezone(zone).date(), daily=daily, cycle_day=cycle_day
    )
    means: dict[datetime, float] = {}
    for half in half_hours(samples).values():
        local = half.start.astimezone(zone)
        if cycle_of(local.date(), daily=daily, cycle_day=cycle_day) != final_cycle:
            continue
        if not window.holds(local) or half.known_seconds < COVERAGE_SECONDS:
            continue
        means[half.start] = half.mean_kw
    if not means:
        return None, set()
    highest = max(means.values())
    return highest, {start for start, mean in means.items() if mean >= highest - 1e-6}
