"""An owner's own time-of-use schedule: seasons of the year, periods of the week, and their rates.

This is the model a custom schedule is kept in, whichever way it was entered (a service call, a subentry
flow, the simple time-of-use shortcut). It only guarantees its shape; `schedule_problems` says whether the
values make a schedule Tesla can hold (every day-time covered once, seasons covering the year once, ...).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, time
from typing import Final

# Days of the week as `datetime.weekday()` numbers: Monday = 0, as in Tesla's `fromDayOfWeek`.
EVERY_DAY: Final = frozenset(range(7))
WEEKDAYS: Final = frozenset(range(calendar.MONDAY, calendar.FRIDAY + 1))
WEEKENDS: Final = frozenset({calendar.SATURDAY, calendar.SUNDAY})
DAY_NAMES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_ABBREVIATIONS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

# A year with 29 February, so that a season check covers every date any year has.
LEAP_YEAR: Final = 2024


@dataclass(frozen=True, kw_only=True, slots=True)
class RateSet:
    """What a period costs: `buy` and `sell` in $/kWh, `demand` in $/kW (None: no demand charge)."""

    buy: float
    sell: float
    demand: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulePeriod:
    """One period of a season: on `days`, from `start` to `end` wall clock, at `rates`.

    `end` at or before `start` runs past midnight into the next day (21:00 to 07:00); `end == start` is a
    whole day starting at `start`. Periods sharing a name in a season are one Tesla period with several
    windows, so they must share their rates.
    """

    name: str
    days: frozenset[int]
    start: time
    end: time
    rates: RateSet


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleSeason:
    """A range of dates, both ends included, that may wrap over the new year (1 Nov to 31 Mar)."""

    name: str
    from_month: int
    from_day: int
    to_month: int
    to_day: int
    periods: tuple[SchedulePeriod, ...]

    def covers(self, day: date) -> bool:
        """Return whether `day` falls inside the season (Tesla's reading, as in the decoder)."""
        start, end, today = (
            (self.from_month, self.from_day),
            (self.to_month, self.to_day),
            (day.month, day.day),
        )
        if start <= end:
            return start <= today <= end
        return today >= start or today <= end


@dataclass(frozen=True, kw_only=True, slots=True)
class CustomSchedule:
    """An owner's time-of-use schedule: who sells it, its daily supply charge ($/day) and its seasons."""

    name: str
    retailer: str
    daily_supply_charge: float
    seasons: tuple[ScheduleSeason, ...]


def minute_of_day(moment: time) -> int:
    """Return the minutes since midnight of a wall-clock time."""
    return moment.hour * 60 + moment.minute


def days_label(days: frozenset[int]) -> str:
    """Return a day set in the owner's words: "every day", "weekdays", "weekends" or "Monday, Friday"."""
    named = {EVERY_DAY: "every day", WEEKDAYS: "weekdays", WEEKENDS: "weekends"}
    if days in named:
        return named[days]
    return ", ".join(DAY_NAMES[day].capitalize() for day in sorted(days))


def date_label(month: int, day: int) -> str:
    """Return a day of the year as the owner writes it, for example "1 Nov"."""
    return f"{day} {MONTH_ABBREVIATIONS[month - 1]}"


def time_label(minute: int) -> str:
    """Return minutes since midnight as HH:MM (1440, the next midnight, is 24:00)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"
