"""A custom schedule from plain data (JSON objects and lists), as a service call or a subentry stores it.

`parse_schedule` is the one way in: it refuses values of the wrong type (a boolean is not a number, NaN is
not a rate) and then checks the schedule itself, so that a caller gets every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import time
import math
import re
from typing import Final

from .schedule import (
    DAY_NAMES,
    EVERY_DAY,
    WEEKDAYS,
    WEEKENDS,
    CustomSchedule,
    RateSet,
    SchedulePeriod,
    ScheduleSeason,
)
from .schedule_problems import ScheduleProblem, problem, schedule_problems

NAMED_DAY_SETS: Final = {"every_day": EVERY_DAY, "weekdays": WEEKDAYS, "weekends": WEEKENDS}
# HH:MM, optionally with :00 seconds as Home Assistant's time selector gives it; 24:00 is the next midnight.
_TIME: Final = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")


@dataclass(frozen=True, kw_only=True, slots=True)
class ParsedSchedule:
    """The schedule read from plain data, or None with every problem found (problems are empty on success)."""

    schedule: CustomSchedule | None
    problems: tuple[ScheduleProblem, ...]


class _Reader:
    """Reads fields out of plain data, noting a problem for each one it cannot read."""

    def __init__(self) -> None:
        self.problems: list[ScheduleProblem] = []

    def note(self, key: str, **placeholders: object) -> None:
        self.problems.append(problem(key, **placeholders))

    def mapping(self, value: object, where: str) -> Mapping[str, object] | None:
        if isinstance(value, Mapping):
            return value
        self.note("not_an_object", where=where)
        return None

    def items(self, value: object, where: str) -> list[object]:
        if isinstance(value, list | tuple):
            return list(value)
        self.note("not_a_list", where=where)
        return []

    def text(self, data: Mapping[str, object], key: str, where: str) -> str:
        value = data.get(key)
        if value is None:
            self.note("field_missing", where=where, field=key)
        elif not isinstance(value, str):
            self.note("not_text", where=where, field=key)
        else:
            return value
        return ""

    def rate(
        self, data: Mapping[str, object], key: str, where: str, *, required: bool = True
    ) -> float | None:
        if key not in data or data[key] is None:
            if required:
                self.note("field_missing", where=where, field=key)
            return None
        value = data[key]
        # bool is an int to Python, never a rate to an owner; NaN and infinity price nothing.
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.note("rate_not_a_number", where=where, field=key, value=repr(value))
            return None
        return float(value)

    def whole_number(self, data: Mapping[str, object], key: str, where: str, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.note("not_a_whole_number", where=where, field=key, value=repr(value))
            return default
        return value

    def time_of_day(self, data: Mapping[str, object], key: str, where: str) -> time | None:
        value = data.get(key)
        if value is None:
            self.note("field_missing", where=where, field=key)
            return None
        match = _TIME.fullmatch(value) if isinstance(value, str) else None
        hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
        if (hour, minute) == (24, 0):
            return time(0, 0)
        if not (0 <= hour < 24 and 0 <= minute < 60):
            self.note("time_invalid", where=where, field=key, value=repr(value))
            return None
        return time(hour, minute)

    def days(self, value: object, where: str) -> frozenset[int] | None:
        if isinstance(value, str) and value in NAMED_DAY_SETS:
            return NAMED_DAY_SETS[value]
        if isinstance(value, list | tuple) and (days := set(_days(value))) and len(days) == len(value):
            return frozenset(days)
        self.note("days_invalid", where=where, value=repr(value))
        return None


def _days(values: list[object] | tuple[object, ...]) -> Iterator[int]:
    """Yield the weekday numbers (Monday = 0) of day names or numbers, up to the first it cannot read."""
    for value in values:
        if isinstance(value, str) and value.lower() in DAY_NAMES:
            yield DAY_NAMES.index(value.lower())
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(DAY_NAMES):
            yield value
        else:
            return


def _period(reader: _Reader, raw: object, where: str) -> SchedulePeriod | None:
    data = reader.mapping(raw, where)
    if data is None:
        return None
    name = reader.text(data, "name", where)
    where = f"Period {name}" if name else where
    days = reader.days(data.get("days", "every_day"), where)
    start = reader.time_of_day(data, "from", where)
    end = reader.time_of_day(data, "to", where)
    buy = reader.rate(data, "buy", where)
    sell = reader.rate(data, "sell", where)
    demand = reader.rate(data, "demand", where, required=False)
    if days is None or start is None or end is None or buy is None or sell is None:
        return None
    return SchedulePeriod(
        name=name, days=days, start=start, end=end, rates=RateSet(buy=buy, sell=sell, demand=demand)
    )


def _season(reader: _Reader, raw: object, where: str) -> ScheduleSeason | None:
    data = reader.mapping(raw, where)
    if data is None:
        return None
    name = reader.text(data, "name", where)
    where = f"Season {name}" if name else where
    periods = [
        _period(reader, raw_period, f"{where}, period {position + 1}")
        for position, raw_period in enumerate(reader.items(data.get("periods"), f"{where} periods"))
    ]
    return ScheduleSeason(
        name=name,
        # Omitted bounds are the ends of the year, as in Tesla's own format.
        from_month=reader.whole_number(data, "from_month", where, 1),
        from_day=reader.whole_number(data, "from_day", where, 1),
        to_month=reader.whole_number(data, "to_month", where, 12),
        to_day=reader.whole_number(data, "to_day", where, 31),
        periods=tuple(period for period in periods if period is not None),
    )


def parse_schedule(data: object) -> ParsedSchedule:
    """Read a custom schedule from plain data and check it; see the README for the shape.

    `{"name", "retailer", "daily_supply_charge", "seasons": [{"name", "from_month", "from_day", "to_month",
    "to_day", "periods": [{"name", "days", "from", "to", "buy", "sell", "demand"?}]}]}`. `days` is
    `every_day`, `weekdays`, `weekends` or a list of day names or numbers (Monday = 0); times are "HH:MM".
    """
    reader = _Reader()
    root = reader.mapping(data, "The schedule")
    if root is None:
        return ParsedSchedule(schedule=None, problems=tuple(reader.problems))
    name = reader.text(root, "name", "The schedule")
    retailer = reader.text(root, "retailer", "The schedule")
    supply = reader.rate(root, "daily_supply_charge", "The schedule")
    seasons = [
        _season(reader, raw_season, f"Season {position + 1}")
        for position, raw_season in enumerate(reader.items(root.get("seasons"), "The schedule's seasons"))
    ]
    if reader.problems:
        return ParsedSchedule(schedule=None, problems=tuple(reader.problems))
    schedule = CustomSchedule(
        name=name,
        retailer=retailer,
        daily_supply_charge=supply if supply is not None else 0.0,
        seasons=tuple(season for season in seasons if season is not None),
    )
    problems = schedule_problems(schedule)
    return ParsedSchedule(schedule=None if problems else schedule, problems=problems)
