"""A custom schedule as plain data (JSON objects and lists): the inverse of `parse_schedule`.

The subentry flow keeps what it builds in this shape, and the simple time-of-use shortcut's schedule is
stored through it, so that every schedule is read back by the one parser.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from .schedule import DAY_NAMES, CustomSchedule, SchedulePeriod, ScheduleSeason
from .schedule_parse import NAMED_DAY_SETS


def time_text(moment: time) -> str:
    """Return a wall-clock time as "HH:MM", as the parser reads it."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def days_data(days: frozenset[int]) -> str | list[str]:
    """Return a day set as `every_day`, `weekdays`, `weekends` or a list of day names in week order."""
    for name, named in NAMED_DAY_SETS.items():
        if days == named:
            return name
    return [DAY_NAMES[day] for day in sorted(days)]


def period_data(period: SchedulePeriod) -> dict[str, Any]:
    """Return one period as plain data; `demand` only when it has a demand rate."""
    data: dict[str, Any] = {
        "name": period.name,
        "days": days_data(period.days),
        "from": time_text(period.start),
        "to": time_text(period.end),
        "buy": period.rates.buy,
        "sell": period.rates.sell,
    }
    if period.rates.demand is not None:
        data["demand"] = period.rates.demand
    return data


def season_data(season: ScheduleSeason) -> dict[str, Any]:
    """Return one season as plain data, its bounds always written out."""
    return {
        "name": season.name,
        "from_month": season.from_month,
        "from_day": season.from_day,
        "to_month": season.to_month,
        "to_day": season.to_day,
        "periods": [period_data(period) for period in season.periods],
    }


def schedule_data(schedule: CustomSchedule) -> dict[str, Any]:
    """Return a schedule as the plain data `parse_schedule` reads back to an equal schedule."""
    return {
        "name": schedule.name,
        "retailer": schedule.retailer,
        "daily_supply_charge": schedule.daily_supply_charge,
        "seasons": [season_data(season) for season in schedule.seasons],
    }
