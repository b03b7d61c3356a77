"""The simple time-of-use shortcut: peak and shoulder on weekdays, off-peak the rest, one weekend rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Final

from .model import SLOT_MINUTES, SLOTS_PER_DAY
from .schedule import (
    WEEKDAYS,
    WEEKENDS,
    CustomSchedule,
    RateSet,
    SchedulePeriod,
    ScheduleSeason,
    minute_of_day,
)

PEAK: Final = "Peak"
SHOULDER: Final = "Shoulder"
OFF_PEAK: Final = "Off-peak"
WEEKEND: Final = "Weekend"
ALL_YEAR: Final = "All year"


@dataclass(frozen=True, kw_only=True, slots=True)
class TimeWindow:
    """A stretch of a day from `start` to `end` wall clock; an `end` at or before `start` passes midnight."""

    start: time
    end: time


def _slots(window: TimeWindow) -> set[int]:
    start = minute_of_day(window.start) // SLOT_MINUTES
    length = (minute_of_day(window.end) // SLOT_MINUTES - start) % SLOTS_PER_DAY or SLOTS_PER_DAY
    return {(start + offset) % SLOTS_PER_DAY for offset in range(length)}


def _on_half_hour(window: TimeWindow) -> bool:
    return all(
        minute_of_day(moment) % SLOT_MINUTES == 0 and not moment.second
        for moment in (window.start, window.end)
    )


def _runs(slots: set[int]) -> list[tuple[int, int]]:
    """Return the slots as (first, end) runs inside one day, in order; `end` is exclusive."""
    runs: list[tuple[int, int]] = []
    for slot in sorted(slots):
        if runs and runs[-1][1] == slot:
            runs[-1] = (runs[-1][0], slot + 1)
        else:
            runs.append((slot, slot + 1))
    return runs


def _clock(slot: int) -> time:
    hour, minute = divmod(slot % SLOTS_PER_DAY * SLOT_MINUTES, 60)
    return time(hour, minute)


def simple_time_of_use(
    *,
    name: str,
    retailer: str,
    daily_supply_charge: float,
    peak: RateSet,
    peak_windows: Sequence[TimeWindow],
    off_peak: RateSet,
    weekend: RateSet,
    shoulder: RateSet | None = None,
    shoulder_windows: Sequence[TimeWindow] = (),
) -> CustomSchedule:
    """Return the full schedule of a simple time-of-use plan, all year round.

    On weekdays, `peak` in its windows, `shoulder` in its windows, and `off_peak` the rest of the day;
    `weekend` all Saturday and Sunday (named "Off-peak" when it costs the same as off-peak). Windows are
    read per weekday: one across midnight ends at midnight and starts again at 00:00 the same weekday.
    Check the result with `schedule_problems` (a window off the half hour, or peak and shoulder
    overlapping, are reported there).
    """
    periods: list[SchedulePeriod] = []
    taken: set[int] = set()
    for period_name, rates, windows in ((PEAK, peak, peak_windows), (SHOULDER, shoulder, shoulder_windows)):
        if rates is None:
            continue
        for window in windows:
            if not _on_half_hour(window):
                # Kept as given, so that `schedule_problems` names the time the owner wrote.
                periods.append(
                    SchedulePeriod(
                        name=period_name, days=WEEKDAYS, start=window.start, end=window.end, rates=rates
                    )
                )
                continue
            slots = _slots(window)
            taken |= slots
            periods += [
                SchedulePeriod(
                    name=period_name, days=WEEKDAYS, start=_clock(first), end=_clock(end), rates=rates
                )
                for first, end in _runs(slots)
            ]
    periods += [
        SchedulePeriod(name=OFF_PEAK, days=WEEKDAYS, start=_clock(first), end=_clock(end), rates=off_peak)
        for first, end in _runs(set(range(SLOTS_PER_DAY)) - taken)
    ]
    periods.append(
        SchedulePeriod(
            name=OFF_PEAK if weekend == off_peak else WEEKEND,
            days=WEEKENDS,
            start=time(0),
            end=time(0),
            rates=weekend,
        )
    )
    season = ScheduleSeason(
        name=ALL_YEAR, from_month=1, from_day=1, to_month=12, to_day=31, periods=tuple(periods)
    )
    return CustomSchedule(
        name=name, retailer=retailer, daily_supply_charge=daily_supply_charge, seasons=(season,)
    )
