"""Everything that keeps a custom schedule off the Powerwall, named in the owner's words.

Each problem carries a machine `key` (a translation key for the Home Assistant glue) and the placeholders
its message needs; `message` renders it in English with the same templates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
import math
from typing import Final

from .model import SLOT_MINUTES, SLOTS_PER_DAY
from .rules import RATE_DECIMALS
from .schedule import (
    LEAP_YEAR,
    CustomSchedule,
    SchedulePeriod,
    ScheduleSeason,
    date_label,
    days_label,
    minute_of_day,
    time_label,
)

# English text of every problem; the glue's translations use the same keys and placeholders.
PROBLEM_MESSAGES: Final[Mapping[str, str]] = {
    "not_an_object": "{where} must be an object.",
    "not_a_list": "{where} must be a list.",
    "field_missing": "{where} needs {field}.",
    "not_text": "{where} {field} must be text.",
    "not_a_whole_number": "{where} {field} must be a whole number, not {value}.",
    "rate_not_a_number": "{where} {field} must be a number, not {value}.",
    "time_invalid": "{where} {field} must be a time like 07:00 or 21:30, not {value}.",
    "days_invalid": "{where} days must be every_day, weekdays, weekends or a list of days, not {value}.",
    "schedule_name_missing": "The schedule needs a name.",
    "no_seasons": "The schedule needs at least one season.",
    "season_name_missing": "{season} needs a name.",
    "season_name_repeated": "Two seasons are called {season}.",
    "season_without_periods": "Season {season} has no period.",
    "date_invalid": "Season {season} {field} {value}, a day that does not exist.",
    "season_gap": "No season covers {dates}.",
    "seasons_overlap": "Seasons {seasons} both cover {dates}.",
    "period_name_missing": "{period} of season {season} needs a name.",
    "days_empty": "Period {period} of season {season} applies on no day.",
    "time_not_on_half_hour": "Period {period} of season {season} {field} at {value}: "
    "times must be on the hour or the half hour.",
    "time_not_covered": "In season {season}, {days} {time} is not covered by any period.",
    "time_covered_twice": "In season {season}, {days} {time} is covered by more than one period: {periods}.",
    "period_rates_differ": "The periods called {period} in season {season} have different rates: "
    "give them the same rates or different names.",
    "rate_negative": "{where} {field} is negative: {value}.",
    "rate_too_precise": "{where} {field} has more than 4 decimals: {value}.",
    "sell_above_buy": "Period {period} of season {season} sells at {sell} $/kWh, "
    "above its buy rate of {buy} $/kWh.",
}

_SLOTS_PER_WEEK: Final = 7 * SLOTS_PER_DAY


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleProblem:
    """One reason a schedule cannot be used: `key` names it, `placeholders` fill its message."""

    key: str
    placeholders: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """Return the problem in English."""
        return PROBLEM_MESSAGES[self.key].format_map(self.placeholders)

    def __str__(self) -> str:
        """Return the English message."""
        return self.message


class ScheduleError(ValueError):
    """A schedule has problems; `problems` lists them all."""

    def __init__(self, problems: tuple[ScheduleProblem, ...]) -> None:
        """Keep every problem and say the first few in the message."""
        super().__init__(
            " ".join(problem.message for problem in problems[:5]) + (" ..." * (len(problems) > 5))
        )
        self.problems = problems


def problem(key: str, **placeholders: object) -> ScheduleProblem:
    """Return a problem, its placeholders as text."""
    return ScheduleProblem(key=key, placeholders={name: str(value) for name, value in placeholders.items()})


def season_label(season: ScheduleSeason, position: int) -> str:
    """Return a season's name, or "season N" when it has none."""
    return season.name or f"season {position + 1}"


def period_label(period: SchedulePeriod, position: int) -> str:
    """Return a period's name, or "period N" when it has none."""
    return period.name or f"period {position + 1}"


def rate_problems(value: float, *, where: str, what: str) -> Iterator[ScheduleProblem]:
    """Yield what is wrong with one rate of the model: negative, not finite, or more than 4 decimals."""
    if not math.isfinite(value):
        yield problem("rate_not_a_number", where=where, field=what, value=value)
    elif value < 0:
        yield problem("rate_negative", where=where, field=what, value=value)
    elif round(value, RATE_DECIMALS) != value:
        yield problem("rate_too_precise", where=where, field=what, value=value)


def schedule_problems(schedule: CustomSchedule) -> tuple[ScheduleProblem, ...]:
    """Return every problem of `schedule`, in a stable order; empty when Tesla can hold it."""
    problems: list[ScheduleProblem] = []
    if not schedule.name.strip():
        problems.append(problem("schedule_name_missing"))
    problems += rate_problems(
        schedule.daily_supply_charge, where="The schedule's", what="daily supply charge"
    )
    if not schedule.seasons:
        problems.append(problem("no_seasons"))
    names = [season.name for season in schedule.seasons]
    for name in sorted({name for name in names if name and names.count(name) > 1}):
        problems.append(problem("season_name_repeated", season=name))
    for position, season in enumerate(schedule.seasons):
        problems += _season_problems(season, season_label(season, position))
    if schedule.seasons and not any(p.key == "date_invalid" for p in problems):
        problems += _year_coverage_problems(schedule.seasons)
    return tuple(problems)


def _season_problems(season: ScheduleSeason, label: str) -> Iterator[ScheduleProblem]:
    if not season.name.strip():
        yield problem("season_name_missing", season=label)
    for edge, month, day in (
        ("starts on", season.from_month, season.from_day),
        ("ends on", season.to_month, season.to_day),
    ):
        if not _is_date(month, day):
            yield problem("date_invalid", season=label, field=edge, value=f"{day}/{month}")
    if not season.periods:
        yield problem("season_without_periods", season=label)
        return
    well_timed: list[tuple[str, SchedulePeriod]] = []
    for position, period in enumerate(season.periods):
        own = list(_period_problems(period, period_label(period, position), label))
        yield from own
        if not any(p.key in {"time_not_on_half_hour", "days_empty"} for p in own):
            well_timed.append((period_label(period, position), period))
    yield from _repeated_name_problems(season, label)
    if len(well_timed) == len(season.periods):
        yield from _week_coverage_problems(well_timed, label)


def _period_problems(period: SchedulePeriod, label: str, season: str) -> Iterator[ScheduleProblem]:
    if not period.name.strip():
        yield problem("period_name_missing", period=label, season=season)
    if not period.days:
        yield problem("days_empty", period=label, season=season)
    for edge, moment in (("starts", period.start), ("ends", period.end)):
        if moment.minute % SLOT_MINUTES or moment.second or moment.microsecond:
            yield problem("time_not_on_half_hour", period=label, season=season, field=edge, value=moment)
    where = f"Period {label} of season {season}:"
    rates = period.rates
    yield from rate_problems(rates.buy, where=where, what="buy rate")
    yield from rate_problems(rates.sell, where=where, what="sell rate")
    if rates.demand is not None:
        yield from rate_problems(rates.demand, where=where, what="demand rate")
    if rates.sell > rates.buy:
        yield problem("sell_above_buy", period=label, season=season, sell=rates.sell, buy=rates.buy)


def _repeated_name_problems(season: ScheduleSeason, label: str) -> Iterator[ScheduleProblem]:
    rates_by_name: dict[str, set[object]] = defaultdict(set)
    for period in season.periods:
        rates_by_name[period.name].add(period.rates)
    for name, rates in rates_by_name.items():
        if name and len(rates) > 1:
            yield problem("period_rates_differ", period=name, season=label)


def _is_date(month: int, day: int) -> bool:
    try:
        date(LEAP_YEAR, month, day)
    except ValueError:
        return False
    return True


def week_slots(period: SchedulePeriod) -> Iterator[int]:
    """Yield the half-hour slots of the week (0 = Monday 00:00) a well-timed period covers."""
    start = minute_of_day(period.start) // SLOT_MINUTES
    length = (minute_of_day(period.end) // SLOT_MINUTES - start) % SLOTS_PER_DAY or SLOTS_PER_DAY
    for day in period.days:
        for offset in range(length):
            yield (day * SLOTS_PER_DAY + start + offset) % _SLOTS_PER_WEEK


def _week_coverage_problems(
    periods: list[tuple[str, SchedulePeriod]], season: str
) -> Iterator[ScheduleProblem]:
    covering: list[list[str]] = [[] for _ in range(_SLOTS_PER_WEEK)]
    for label, period in periods:
        for slot in week_slots(period):
            covering[slot].append(label)
    # Stretches of a day that are wrong the same way, then the days on which each stretch is wrong.
    days_by_stretch: dict[tuple[int, int, tuple[str, ...]], set[int]] = defaultdict(set)
    for day in range(7):
        stretch_start = 0
        for index in range(1, SLOTS_PER_DAY + 1):
            here = covering[day * SLOTS_PER_DAY + stretch_start]
            if index < SLOTS_PER_DAY and covering[day * SLOTS_PER_DAY + index] == here:
                continue
            if len(here) != 1:
                days_by_stretch[stretch_start, index, tuple(here)].add(day)
            stretch_start = index
    for (first, end, labels), days in sorted(
        days_by_stretch.items(), key=lambda item: (min(item[1]), item[0])
    ):
        where = {
            "season": season,
            "days": days_label(frozenset(days)),
            "time": f"{time_label(first * SLOT_MINUTES)} to {time_label(end * SLOT_MINUTES)}",
        }
        if labels:
            yield problem("time_covered_twice", **where, periods=", ".join(labels))
        else:
            yield problem("time_not_covered", **where)


def _year_coverage_problems(seasons: tuple[ScheduleSeason, ...]) -> Iterator[ScheduleProblem]:
    first = date(LEAP_YEAR, 1, 1)
    days = [first + timedelta(days=offset) for offset in range(366)]
    covering = [
        tuple(season_label(season, position) for position, season in enumerate(seasons) if season.covers(day))
        for day in days
    ]
    stretch_start = 0
    for index in range(1, len(days) + 1):
        if index < len(days) and covering[index] == covering[stretch_start]:
            continue
        labels = covering[stretch_start]
        if len(labels) != 1:
            start, end = days[stretch_start], days[index - 1]
            dates = date_label(start.month, start.day)
            if end != start:
                dates += f" to {date_label(end.month, end.day)}"
            if labels:
                yield problem("seasons_overlap", seasons=" and ".join(labels), dates=dates)
            else:
                yield problem("season_gap", dates=dates)
        stretch_start = index
