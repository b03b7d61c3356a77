"""A custom schedule to Tesla's `tariff_content_v2`, with the owner's own seasons and period names.

Each season becomes a Tesla season of the same name and each period name a Tesla period, so the Tesla app
shows "Peak", "Shoulder", "Off-peak". A period that runs past midnight is written as two windows, the part
after midnight on the following days, so that nothing depends on how Tesla places a wrapping window.
"""

from __future__ import annotations

from typing import Any, Final

from .content import ALL, CONTENT_VERSION, CURRENCY, UNUSED_SEASON
from .model import MINUTES_PER_DAY
from .schedule import CustomSchedule, SchedulePeriod, ScheduleSeason, minute_of_day
from .schedule_problems import ScheduleError, schedule_problems

DAILY_SUPPLY_CHARGE_NAME: Final = "Supply charge"
_DAYS_PER_WEEK: Final = 7

type _Window = tuple[frozenset[int], int, int]


def day_ranges(days: frozenset[int]) -> list[tuple[int, int]]:
    """Return a day set as the fewest (first, last) runs of the week (Monday = 0); a run may wrap."""
    if len(days) == _DAYS_PER_WEEK:
        return [(0, _DAYS_PER_WEEK - 1)]
    # Start after a day that is not in the set, so that no run is cut at the week's end.
    gap = next(day for day in range(_DAYS_PER_WEEK) if day not in days)
    runs: list[tuple[int, int]] = []
    for step in range(1, _DAYS_PER_WEEK + 1):
        day = (gap + step) % _DAYS_PER_WEEK
        if day not in days:
            continue
        if runs and runs[-1][1] == (day - 1) % _DAYS_PER_WEEK:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return sorted(runs)


def _windows(period: SchedulePeriod) -> list[_Window]:
    """Return (days, start, end) windows in minutes of the day that stay within a day (end may be 1440)."""
    start = minute_of_day(period.start)
    length = (minute_of_day(period.end) - start) % MINUTES_PER_DAY or MINUTES_PER_DAY
    if start + length <= MINUTES_PER_DAY:
        return [(period.days, start, start + length)]
    following = frozenset((day + 1) % _DAYS_PER_WEEK for day in period.days)
    return [(period.days, start, MINUTES_PER_DAY), (following, 0, start + length - MINUTES_PER_DAY)]


def _tou_periods(season: ScheduleSeason) -> dict[str, Any]:
    tou_periods: dict[str, Any] = {}
    for period in season.periods:
        entries = tou_periods.setdefault(period.name, {"periods": []})["periods"]
        for days, start, end in _windows(period):
            entries.extend(
                {
                    "fromDayOfWeek": first,
                    "toDayOfWeek": last,
                    "fromHour": start // 60,
                    "fromMinute": start % 60,
                    "toHour": end // 60,
                    "toMinute": end % 60,
                }
                for first, last in day_ranges(days)
            )
    return tou_periods


def _seasons(schedule: CustomSchedule) -> dict[str, Any]:
    seasons: dict[str, Any] = {
        season.name: {
            "fromDay": season.from_day,
            "toDay": season.to_day,
            "fromMonth": season.from_month,
            "toMonth": season.to_month,
            "tou_periods": _tou_periods(season),
        }
        for season in schedule.seasons
    }
    if len(seasons) == 1:
        # Tesla's tariffs carry at least two named seasons; an empty one prices nothing.
        seasons[_spare_season_name(schedule)] = {}
    return seasons


def _spare_season_name(schedule: CustomSchedule) -> str:
    taken = {season.name for season in schedule.seasons}
    return next(name for name in (UNUSED_SEASON, "Summer", "Spare") if name not in taken)


def _charges(
    schedule: CustomSchedule, seasons: dict[str, Any], rate_of: dict[tuple[str, str], float | None]
) -> dict[str, Any]:
    """Return a charges block: for each season, the rate `rate_of` gives each period name (None: no rate)."""
    charges: dict[str, Any] = {ALL: {"rates": {ALL: 0}}} | {name: {} for name in seasons}
    for season in schedule.seasons:
        rates = {
            period.name: rate
            for period in season.periods
            if (rate := rate_of[season.name, period.name]) is not None
        }
        if rates:
            charges[season.name] = {"rates": rates}
    return charges


def encode_schedule(schedule: CustomSchedule, *, code: str) -> dict[str, Any]:
    """Return `schedule` as a JSON-serialisable `tariff_content_v2`.

    Buy rates go to `energy_charges`, sell rates to `sell_tariff.energy_charges`, demand rates to
    `demand_charges` and the daily supply charge to `daily_charges`. Raises `ScheduleError` with every
    problem when `schedule_problems` finds any.
    """
    if problems := schedule_problems(schedule):
        raise ScheduleError(problems)
    periods = [(season.name, period) for season in schedule.seasons for period in season.periods]
    buy: dict[tuple[str, str], float | None] = {(season, p.name): p.rates.buy for season, p in periods}
    sell: dict[tuple[str, str], float | None] = {(season, p.name): p.rates.sell for season, p in periods}
    demand = {(season, p.name): p.rates.demand for season, p in periods}
    seasons = _seasons(schedule)
    return {
        "code": code,
        "name": schedule.name,
        "utility": schedule.retailer,
        "currency": CURRENCY,
        "version": CONTENT_VERSION,
        "daily_charges": [{"name": DAILY_SUPPLY_CHARGE_NAME, "amount": schedule.daily_supply_charge}],
        "demand_charges": _charges(schedule, seasons, demand),
        "energy_charges": _charges(schedule, seasons, buy),
        "seasons": seasons,
        "sell_tariff": {
            "name": schedule.name,
            "utility": schedule.retailer,
            "daily_charges": [],
            # Demand is charged on import only.
            "demand_charges": {ALL: {"rates": {ALL: 0}}},
            "energy_charges": _charges(schedule, seasons, sell),
            "seasons": _seasons(schedule),
        },
    }
