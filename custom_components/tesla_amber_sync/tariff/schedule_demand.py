"""The entry's demand charge laid over a custom schedule that has no demand rates of its own.

A schedule's own demand rates (per period) always win: a schedule with any demand rate is written as it
is. A schedule without any gets the entry's demand-charge setting, so that every tariff Tesla Sync writes
tells the Powerwall about the window. Tesla prices demand per named period, so the periods the window
cuts are split: the half hours of a period inside the window become a period of the same rates named
"<name> (demand)" that carries the demand rate; the rest keep their name and carry none. Seasons are split
the same way by the charge's months ("<season> (demand)" for the dates in them). The owner's period names
stay for everything outside the window, so the Tesla app still shows "Peak", "Off-peak".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from custom_components.tesla_amber_sync.control.demand import DemandSettings, DemandWindow

from .model import SLOTS_PER_DAY, slot_start
from .schedule import LEAP_YEAR, CustomSchedule, RateSet, SchedulePeriod, ScheduleSeason
from .schedule_problems import schedule_problems, week_slots

DEMAND_SUFFIX: Final = " (demand)"
_DAYS_PER_WEEK: Final = 7
_SLOTS_PER_WEEK: Final = _DAYS_PER_WEEK * SLOTS_PER_DAY
# 1 January 2024 is a Monday: the week of reference the window's days are read on.
_MONDAY: Final = date(LEAP_YEAR, 1, 1)
_YEAR: Final = tuple(_MONDAY + timedelta(days=offset) for offset in range(366))


def has_demand_rates(schedule: CustomSchedule) -> bool:
    """Whether any period of the schedule has its own demand rate."""
    return any(period.rates.demand is not None for season in schedule.seasons for period in season.periods)


@lru_cache(maxsize=16)
def schedule_with_demand(schedule: CustomSchedule, demand: DemandSettings | None) -> CustomSchedule:
    """The schedule as written to the Powerwall: as it is when it has demand rates of its own or there is
    no setting; else with the setting's rate on the half hours of its window, in its months.

    Falls back to the schedule as it is when the split one would not be a valid schedule (it always is for
    a valid schedule; this only guards against a name the split makes too long or repeated).
    """
    if demand is None or has_demand_rates(schedule):
        return schedule
    seasons: list[ScheduleSeason] = []
    taken = {season.name for season in schedule.seasons}
    for season, in_months, runs in _season_runs(schedule, demand.window.months):
        periods = _split_periods(season, demand) if in_months else season.periods
        for position, (first, last) in enumerate(runs):
            name = season.name + (DEMAND_SUFFIX if in_months and not _all_in_months(season, demand) else "")
            if position or (name != season.name and name in taken):
                name = _free_name(f"{name} {position + 1}", taken)
            taken.add(name)
            seasons.append(
                ScheduleSeason(
                    name=name,
                    from_month=first.month,
                    from_day=first.day,
                    to_month=last.month,
                    to_day=last.day,
                    periods=periods,
                )
            )
    split = replace(schedule, seasons=tuple(seasons))
    return schedule if schedule_problems(split) else split


def _free_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} {number}", number + 1
    return candidate


def _all_in_months(season: ScheduleSeason, demand: DemandSettings) -> bool:
    return all(day.month in demand.window.months for day in _YEAR if season.covers(day))


def _season_runs(
    schedule: CustomSchedule, months: frozenset[int]
) -> list[tuple[ScheduleSeason, bool, list[tuple[date, date]]]]:
    """Each season, split by whether its dates are in the charge's months: (season, in months, the date
    ranges (first, last) of that part, a range may wrap over the new year)."""
    keys: list[tuple[int, bool] | None] = []
    for day in _YEAR:
        index = next((i for i, season in enumerate(schedule.seasons) if season.covers(day)), None)
        keys.append(None if index is None else (index, day.month in months))
    runs: list[tuple[tuple[int, bool] | None, int, int]] = []
    for position, key in enumerate(keys):
        if runs and runs[-1][0] == key:
            runs[-1] = (key, runs[-1][1], position)
        else:
            runs.append((key, position, position))
    if len(runs) > 1 and runs[0][0] == runs[-1][0]:
        # The last run goes on over the new year into the first.
        key, start, _ = runs.pop()
        runs[0] = (key, start, runs[0][2])
    by_key: dict[tuple[int, bool], list[tuple[date, date]]] = defaultdict(list)
    for key, start, end in runs:
        if key is not None:
            by_key[key].append((_YEAR[start], _YEAR[end]))
    return [
        (schedule.seasons[index], in_months, by_key[index, in_months]) for index, in_months in sorted(by_key)
    ]


def _inside(window: DemandWindow, slot: int) -> bool:
    """Whether half hour `slot` of the week (0 = Monday 00:00) is inside the window (months aside)."""
    day, index = divmod(slot, SLOTS_PER_DAY)
    local = datetime.combine(_MONDAY + timedelta(days=day), slot_start(index))
    return replace(window, months=frozenset(range(1, 13))).contains(local)


def _split_periods(season: ScheduleSeason, demand: DemandSettings) -> tuple[SchedulePeriod, ...]:
    """The season's periods with their half hours inside the window split off into "<name> (demand)"."""
    names = {period.name for period in season.periods}
    labels: dict[int, tuple[str, RateSet]] = {}
    for period in season.periods:
        for slot in week_slots(period):
            if _inside(demand.window, slot):
                name = _free_name(period.name + DEMAND_SUFFIX, names - {period.name + DEMAND_SUFFIX})
                # Tesla keeps 4 decimals, as a schedule's own rates have.
                labels[slot] = (name, replace(period.rates, demand=round(demand.rate, 4)))
            else:
                labels[slot] = (period.name, period.rates)
    # Runs of each label within each day, then the days that share a run.
    days_of: dict[tuple[str, RateSet, int, int], set[int]] = defaultdict(set)
    for day in range(_DAYS_PER_WEEK):
        index = 0
        while index < SLOTS_PER_DAY:
            label = labels[day * SLOTS_PER_DAY + index]
            end = index
            while end < SLOTS_PER_DAY and labels[day * SLOTS_PER_DAY + end] == label:
                end += 1
            days_of[label[0], label[1], index, end].add(day)
            index = end
    return tuple(
        SchedulePeriod(
            name=name,
            days=frozenset(days),
            start=slot_start(start),
            end=slot_start(end % SLOTS_PER_DAY),
            rates=rates,
        )
        for (name, rates, start, end), days in sorted(
            days_of.items(), key=lambda item: (item[0][2], item[0][0])
        )
    )
