"""Custom schedules for the tests: a worked example as plain data, and hypothesis strategies of valid ones."""

from __future__ import annotations

from datetime import date, time, timedelta
import itertools
from typing import Any

from hypothesis import strategies as st

from custom_components.tesla_amber_sync.tariff.schedule import (
    LEAP_YEAR,
    CustomSchedule,
    RateSet,
    SchedulePeriod,
    ScheduleSeason,
)

SLOTS_PER_DAY = 48


def example_data() -> dict[str, Any]:
    """Return a two-season schedule as a service call would send it (the README's example)."""
    return {
        "name": "Ausgrid EA116",
        "retailer": "Origin",
        "daily_supply_charge": 1.1,
        "seasons": [
            {
                "name": "Summer",
                "from_month": 11,
                "from_day": 1,
                "to_month": 3,
                "to_day": 31,
                "periods": [
                    {
                        "name": "Peak",
                        "days": "weekdays",
                        "from": "15:00",
                        "to": "21:00",
                        "buy": 0.55,
                        "sell": 0.05,
                        "demand": 0.3,
                    },
                    {
                        "name": "Off-peak",
                        "days": "weekdays",
                        "from": "21:00",
                        "to": "15:00",
                        "buy": 0.2,
                        "sell": 0.05,
                    },
                    {
                        "name": "Off-peak",
                        "days": "weekends",
                        "from": "21:00",
                        "to": "15:00",
                        "buy": 0.2,
                        "sell": 0.05,
                    },
                    {
                        "name": "Shoulder",
                        "days": "weekends",
                        "from": "15:00",
                        "to": "21:00",
                        "buy": 0.3,
                        "sell": 0.05,
                    },
                ],
            },
            {
                "name": "Winter",
                "from_month": 4,
                "from_day": 1,
                "to_month": 10,
                "to_day": 31,
                "periods": [
                    {
                        "name": "Flat",
                        "days": "weekends",
                        "from": "00:00",
                        "to": "11:00",
                        "buy": 0.25,
                        "sell": 0.04,
                    },
                    {
                        "name": "Free",
                        "days": ["saturday", "sunday"],
                        "from": "11:00",
                        "to": "14:00",
                        "buy": 0,
                        "sell": 0,
                    },
                    {
                        "name": "Flat",
                        "days": ["saturday", "sunday"],
                        "from": "14:00",
                        "to": "00:00",
                        "buy": 0.25,
                        "sell": 0.04,
                    },
                    {
                        "name": "Flat",
                        "days": [0, 1, 2, 3, 4],
                        "from": "00:00",
                        "to": "00:00",
                        "buy": 0.25,
                        "sell": 0.04,
                    },
                ],
            },
        ],
    }


def _clock(slot: int) -> time:
    hour, minute = divmod(slot % SLOTS_PER_DAY * 30, 60)
    return time(hour, minute)


rates = st.builds(
    lambda buy, sell_share, demand: RateSet(
        buy=buy / 10_000,
        sell=buy * sell_share // 100 / 10_000,
        demand=None if demand is None else demand / 10_000,
    ),
    st.integers(0, 10_000),
    st.integers(0, 100),
    st.none() | st.integers(0, 5_000),
)

# How the week's days are grouped into periods of their own.
day_groups = st.sampled_from(
    [
        [frozenset(range(7))],
        [frozenset(range(5)), frozenset({5, 6})],
        [frozenset({0, 2, 4}), frozenset({1, 3}), frozenset({5}), frozenset({6})],
        [frozenset({6, 0, 1}), frozenset({2, 3, 4, 5})],
    ]
)


@st.composite
def seasons_periods(draw: st.DrawFn, name: str) -> tuple[SchedulePeriod, ...]:
    """Periods that cover the week exactly once: each day group's days are cut at the same offset."""
    offset = draw(st.integers(0, SLOTS_PER_DAY - 1))
    pool = draw(st.lists(rates, min_size=1, max_size=4))
    periods: list[SchedulePeriod] = []
    for days in draw(day_groups):
        cuts = sorted(draw(st.sets(st.integers(1, SLOTS_PER_DAY - 1), max_size=5)))
        bounds = [0, *cuts, SLOTS_PER_DAY]
        for first, end in itertools.pairwise(bounds):
            choice = draw(st.integers(0, len(pool) - 1))
            # A stretch that starts after midnight starts on each following day.
            shift = (offset + first) // SLOTS_PER_DAY
            periods.append(
                SchedulePeriod(
                    name=f"{name} {choice}",
                    days=frozenset((day + shift) % 7 for day in days),
                    start=_clock(offset + first),
                    end=_clock(offset + end),
                    rates=pool[choice],
                )
            )
    return tuple(draw(st.permutations(periods)))


@st.composite
def schedules(draw: st.DrawFn) -> CustomSchedule:
    """A valid schedule: 1 to 4 seasons that cover the year once (one may wrap over the new year)."""
    first = date(LEAP_YEAR, 1, 1)
    starts = sorted(draw(st.sets(st.integers(0, 365), min_size=1, max_size=4)))
    seasons: list[ScheduleSeason] = []
    for position, start in enumerate(starts):
        end = starts[(position + 1) % len(starts)] - 1
        begin_day, end_day = first + timedelta(days=start), first + timedelta(days=end % 366)
        if len(starts) == 1:
            begin_day, end_day = first, first + timedelta(days=365)
        name = f"Season {position}"
        seasons.append(
            ScheduleSeason(
                name=name,
                from_month=begin_day.month,
                from_day=begin_day.day,
                to_month=end_day.month,
                to_day=end_day.day,
                periods=draw(seasons_periods(name)),
            )
        )
    return CustomSchedule(
        name="Random",
        retailer="Anyone",
        daily_supply_charge=draw(st.integers(0, 30_000)) / 10_000,
        seasons=tuple(seasons),
    )


def expected_rates(schedule: CustomSchedule, day: date, slot: int) -> RateSet:
    """The oracle: the rates of the period covering `slot` of `day`, worked out straight from the model."""
    (season,) = [season for season in schedule.seasons if season.covers(day)]
    minute_of_week = day.weekday() * 1440 + slot * 30
    matches = []
    for period in season.periods:
        start = period.start.hour * 60 + period.start.minute
        end = period.end.hour * 60 + period.end.minute
        length = (end - start) % 1440 or 1440
        if any((minute_of_week - (weekday * 1440 + start)) % 10_080 < length for weekday in period.days):
            matches.append(period.rates)
    (match,) = matches
    return match
