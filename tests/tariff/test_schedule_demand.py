"""The entry's demand charge laid over a custom schedule without demand rates of its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from hypothesis import given, settings, strategies as st

from custom_components.tesla_amber_sync.control.demand import DemandSettings, DemandWindow
from custom_components.tesla_amber_sync.tariff.decode import decode_tariff
from custom_components.tesla_amber_sync.tariff.model import slot_start
from custom_components.tesla_amber_sync.tariff.schedule import (
    EVERY_DAY,
    WEEKDAYS,
    CustomSchedule,
    RateSet,
    SchedulePeriod,
    ScheduleSeason,
)
from custom_components.tesla_amber_sync.tariff.schedule_demand import schedule_with_demand
from custom_components.tesla_amber_sync.tariff.schedule_encode import encode_schedule
from custom_components.tesla_amber_sync.tariff.schedule_problems import schedule_problems

from .schedules import expected_rates, schedules

half_hours = st.integers(min_value=0, max_value=47).map(lambda index: time(index // 2, 30 * (index % 2)))
windows = st.builds(
    DemandWindow,
    start=half_hours,
    end=half_hours,
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    months=st.frozensets(st.integers(min_value=1, max_value=12), min_size=1),
)
WEEKDAY_EVENINGS = DemandSettings(
    rate=12.5, window=DemandWindow(start=time(15), end=time(21), days=frozenset(range(5)))
)
TOU = CustomSchedule(
    name="Ausgrid EA116",
    retailer="Origin",
    daily_supply_charge=1.1,
    seasons=(
        ScheduleSeason(
            name="All year",
            from_month=1,
            from_day=1,
            to_month=12,
            to_day=31,
            periods=(
                SchedulePeriod(
                    name="Peak",
                    days=WEEKDAYS,
                    start=time(14),
                    end=time(20),
                    rates=RateSet(buy=0.55, sell=0.05),
                ),
                SchedulePeriod(
                    name="Off-peak",
                    days=EVERY_DAY,
                    start=time(20),
                    end=time(14),
                    rates=RateSet(buy=0.2, sell=0.05),
                ),
                SchedulePeriod(
                    name="Weekend",
                    days=frozenset({5, 6}),
                    start=time(14),
                    end=time(20),
                    rates=RateSet(buy=0.25, sell=0.04),
                ),
            ),
        ),
    ),
)


def without_demand(schedule: CustomSchedule) -> CustomSchedule:
    return replace(
        schedule,
        seasons=tuple(
            replace(
                season,
                periods=tuple(replace(p, rates=replace(p.rates, demand=None)) for p in season.periods),
            )
            for season in schedule.seasons
        ),
    )


@settings(max_examples=30, deadline=None)
@given(
    schedule=schedules(),
    window=windows,
    rate=st.integers(min_value=1, max_value=1_000_000).map(lambda value: value / 10_000),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
)
def test_prices_stay_and_the_rate_goes_exactly_where_the_window_is(
    schedule: CustomSchedule, window: DemandWindow, rate: float, day: date
) -> None:
    """Any valid schedule without demand rates and any window: the result is a valid schedule whose every
    half hour of `day` keeps its buy and sell rates, and carries the demand rate exactly inside the window
    (on the window's days and months), 0 elsewhere (nothing at all on a day the window misses)."""
    plain = without_demand(schedule)
    split = schedule_with_demand(plain, DemandSettings(rate=rate, window=window))
    assert schedule_problems(split) == ()
    decoded = decode_tariff(encode_schedule(split, code="X")).day_tariff(day)
    assert decoded is not None
    inside = [window.contains(datetime.combine(day, slot_start(index))) for index in range(48)]
    assert decoded.demand_rates == (tuple(rate if flag else 0.0 for flag in inside) if any(inside) else ())
    for index, slot in enumerate(decoded.slots):
        expected = expected_rates(plain, day, index)
        assert (slot.buy, slot.sell) == (expected.buy, expected.sell)


@settings(max_examples=20, deadline=None)
@given(schedule=schedules())
def test_a_schedule_s_own_demand_rates_win(schedule: CustomSchedule) -> None:
    """A schedule with any demand rate of its own is written as it is; so is any without a setting."""
    if any(p.rates.demand is not None for s in schedule.seasons for p in s.periods):
        assert schedule_with_demand(schedule, WEEKDAY_EVENINGS) == schedule
    assert schedule_with_demand(schedule, None) == schedule


def test_the_window_splits_the_periods_it_cuts() -> None:
    """Weekday peak 14:00-20:00 and a weekday 15:00-21:00 window: "Peak (demand)" 15:00-20:00 and
    "Off-peak (demand)" 20:00-21:00 on weekdays carry the rate; the rest keep their names and no rate."""
    split = schedule_with_demand(TOU, WEEKDAY_EVENINGS)
    (season,) = split.seasons
    assert season.name == "All year"
    found = {
        (p.name, f"{p.start:%H:%M}", f"{p.end:%H:%M}", tuple(sorted(p.days)), p.rates.demand)
        for p in season.periods
    }
    assert found == {
        ("Off-peak", "00:00", "14:00", (0, 1, 2, 3, 4, 5, 6), None),
        ("Peak", "14:00", "15:00", (0, 1, 2, 3, 4), None),
        ("Peak (demand)", "15:00", "20:00", (0, 1, 2, 3, 4), 12.5),
        ("Off-peak (demand)", "20:00", "21:00", (0, 1, 2, 3, 4), 12.5),
        ("Off-peak", "21:00", "00:00", (0, 1, 2, 3, 4), None),
        ("Weekend", "14:00", "20:00", (5, 6), None),
        ("Off-peak", "20:00", "00:00", (5, 6), None),
    }
    content = encode_schedule(split, code="X")
    assert content["demand_charges"] == {
        "ALL": {"rates": {"ALL": 0}},
        "All year": {"rates": {"Peak (demand)": 12.5, "Off-peak (demand)": 12.5}},
        "Winter": {},
    }


def test_months_split_the_seasons() -> None:
    """A summer-only charge (December to February) over an all-year schedule: the summer dates become a
    season of their own, wrapping over the new year."""
    summer = DemandSettings(rate=8.0, window=replace(WEEKDAY_EVENINGS.window, months=frozenset({12, 1, 2})))
    split = schedule_with_demand(TOU, summer)
    assert [(s.name, s.from_month, s.from_day, s.to_month, s.to_day) for s in split.seasons] == [
        ("All year", 3, 1, 11, 30),
        ("All year (demand)", 12, 1, 2, 29),
    ]
    assert all(p.rates.demand is None for p in split.seasons[0].periods)
    content = encode_schedule(split, code="X")
    assert content["demand_charges"]["All year"] == {}
    assert content["demand_charges"]["All year (demand)"] == {
        "rates": {"Peak (demand)": 8.0, "Off-peak (demand)": 8.0}
    }
    march = decode_tariff(content).day_tariff(date(2026, 3, 2))
    assert march is not None
    assert march.demand_rates == ()
