"""Any `tariff_content_v2` to a schedule: seasons, wraps, omitted fields, and malformed content."""

from __future__ import annotations

import copy
from datetime import date, datetime
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    DailyCharge,
    PeriodWindow,
    Season,
    TariffDecodeError,
    day_tariff_of,
    decode_tariff,
)

FIXTURE = Path(__file__).parent / "fixtures" / "two_season_tariff.json"


def two_season() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(FIXTURE.read_text())
    return content


def one_season(periods: dict[str, Any], rates: dict[str, Any], **season: Any) -> dict[str, Any]:
    """A tariff with one season (all year unless overridden) and no sell tariff."""
    return {
        "seasons": {
            "S": {"fromMonth": 1, "toMonth": 12, "fromDay": 1, "toDay": 31, **season, "tou_periods": periods}
        },
        "energy_charges": {"ALL": {"rates": {"ALL": 0}}, "S": {"rates": rates}},
    }


def test_two_season_tariff_with_month_and_hour_wraps() -> None:
    schedule = decode_tariff(two_season())
    assert schedule.code == "HAND:TWO_SEASON"
    assert schedule.currency == "AUD"
    assert schedule.daily_charges == ()
    # Warm season wraps the year (October to March); its evening starts at 15:30.
    warm = schedule.rates_at(datetime(2026, 1, 15, 15, 30))
    assert warm is not None
    assert (warm.buy, warm.sell, warm.period, warm.season, warm.sell_period) == (
        0.52,
        0.09,
        "EVENING",
        "Warm",
        "EVENING",
    )
    assert warm.demand is None
    rest = schedule.rates_at(datetime(2026, 3, 31, 15, 29))
    assert rest is not None
    assert (rest.buy, rest.sell, rest.period) == (0.23, 0.03, "REST")
    # The Cool season starts on 1 April; REST runs 21:00 -> 17:00 across midnight.
    cool_night = schedule.rates_at(datetime(2026, 4, 1, 0, 0))
    assert cool_night is not None
    assert (cool_night.buy, cool_night.season, cool_night.period) == (0.19, "Cool", "REST")
    assert schedule.rates_at(datetime(2026, 9, 30, 20, 59)).buy == 0.41  # type: ignore[union-attr]
    assert schedule.rates_at(datetime(2026, 10, 1, 20, 59)).buy == 0.23  # type: ignore[union-attr]


def test_two_season_day_tariffs() -> None:
    schedule = decode_tariff(two_season())
    july = schedule.day_tariff(date(2026, 7, 1))
    assert july is not None
    assert july.buy_rates == (0.19,) * 34 + (0.41,) * 8 + (0.19,) * 6
    assert july.sell_rates == (0.04,) * 34 + (0.11,) * 8 + (0.04,) * 6
    assert july.demand_rates == ()
    december = schedule.day_tariff(date(2026, 12, 25))
    assert december is not None
    assert december.buy_rates == (0.23,) * 31 + (0.52,) * 9 + (0.23,) * 8


def test_cool_season_bounds_leave_day_31_uncovered_when_no_season_has_it() -> None:
    content = two_season()
    content["seasons"]["Cool"]["toMonth"] = 8
    content["seasons"]["Cool"]["toDay"] = 30
    # 31 August falls in no season: no rate, never a silent zero.
    schedule = decode_tariff(content)
    assert schedule.rates_at(datetime(2026, 8, 31, 12)) is None
    assert schedule.day_tariff(date(2026, 8, 31)) is None
    assert schedule.day_tariff(date(2026, 8, 30)) is not None


def test_day_of_week_ranges_including_the_week_end_wrap() -> None:
    # Monday=0: 4 -> 0 is Friday, Saturday, Sunday and Monday.
    periods = {
        "LONG_WEEKEND": {"periods": [{"fromDayOfWeek": 4, "toDayOfWeek": 0, "toHour": 24}]},
        "MIDWEEK": {"periods": [{"fromDayOfWeek": 1, "toDayOfWeek": 3, "fromHour": 0, "toHour": 0}]},
    }
    schedule = decode_tariff(one_season(periods, {"LONG_WEEKEND": 0.1, "MIDWEEK": 0.3}))
    names = [schedule.rates_at(datetime(2026, 11, day, 12)).period for day in range(16, 23)]  # type: ignore[union-attr]
    assert date(2026, 11, 16).weekday() == 0
    assert names == [
        "LONG_WEEKEND",
        "MIDWEEK",
        "MIDWEEK",
        "MIDWEEK",
        "LONG_WEEKEND",
        "LONG_WEEKEND",
        "LONG_WEEKEND",
    ]
    sunday_night = schedule.rates_at(datetime(2026, 11, 22, 23, 59))
    assert sunday_night is not None
    assert sunday_night.period == "LONG_WEEKEND"


def test_hour_wrap_belongs_to_the_day_it_starts() -> None:
    # Weeknights 21:00 -> 07:00: Friday night runs into Saturday morning; Sunday night is not a weeknight.
    periods = {
        "NIGHT": {"periods": [{"fromDayOfWeek": 0, "toDayOfWeek": 4, "fromHour": 21, "toHour": 7}]},
        "DAY": {"periods": [{}]},
    }
    schedule = decode_tariff(one_season(periods, {"NIGHT": 0.08, "DAY": 0.3}))
    saturday_early = schedule.rates_at(datetime(2026, 11, 21, 6, 59))
    assert saturday_early is not None
    assert saturday_early.period == "NIGHT"
    assert schedule.rates_at(datetime(2026, 11, 21, 7, 0)).period == "DAY"  # type: ignore[union-attr]
    assert schedule.rates_at(datetime(2026, 11, 16, 6, 0)).period == "DAY"  # type: ignore[union-attr]
    assert schedule.rates_at(datetime(2026, 11, 17, 6, 0)).period == "NIGHT"  # type: ignore[union-attr]


def test_to_minute_60_and_to_hour_24_mean_next_midnight() -> None:
    periods = {
        "LATE": {"periods": [{"fromHour": 23, "toHour": 23, "toMinute": 60}]},
        "EARLY": {"periods": [{"fromHour": 0, "toHour": 23}]},
        "ODD": {"periods": [{"fromHour": 24, "toHour": 24}]},
    }
    schedule = decode_tariff(one_season(periods, {"LATE": 0.5, "EARLY": 0.2, "ODD": 0.9}))
    assert schedule.rates_at(datetime(2026, 5, 5, 23, 59)).period == "LATE"  # type: ignore[union-attr]
    assert schedule.rates_at(datetime(2026, 5, 5, 22, 59)).period == "EARLY"  # type: ignore[union-attr]
    day = schedule.day_tariff(date(2026, 5, 5))
    assert day is not None
    assert day.buy_rates == (0.2,) * 46 + (0.5,) * 2
    assert day.sell_rates == (0.0,) * SLOTS_PER_DAY


def test_omitted_fields_take_their_defaults() -> None:
    content = {
        "seasons": {"Winter": {}, "Year": {"tou_periods": {"FLAT": {"periods": [{}]}, "NONE": {}}}},
        "energy_charges": {"Year": {"rates": {"FLAT": 0.25}}, "Winter": {}},
    }
    schedule = decode_tariff(content)
    assert schedule.code is None
    assert schedule.sell is None
    assert schedule.buy.seasons[0].name == "Year"
    for moment in (datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59), datetime(2028, 2, 29, 12)):
        rates = schedule.rates_at(moment)
        assert rates is not None
        assert (rates.buy, rates.sell, rates.sell_period) == (0.25, 0.0, None)


def test_missing_rates_are_none_not_zero() -> None:
    periods = {"A": {"periods": [{"toHour": 12}]}, "B": {"periods": [{"fromHour": 12}]}}
    schedule = decode_tariff(one_season(periods, {"A": 0.2}))
    assert schedule.rates_at(datetime(2026, 6, 1, 11)) is not None
    assert schedule.rates_at(datetime(2026, 6, 1, 13)) is None
    assert schedule.day_tariff(date(2026, 6, 1)) is None
    gap = decode_tariff(one_season({"A": {"periods": [{"fromHour": 1, "toHour": 2}]}}, {"A": 0.2}))
    assert gap.rates_at(datetime(2026, 6, 1, 3)) is None


def test_a_season_wide_all_rate_prices_its_periods() -> None:
    schedule = decode_tariff(one_season({"A": {"periods": [{}]}}, {"ALL": 0.27}))
    assert schedule.rates_at(datetime(2026, 6, 1, 3)).buy == 0.27  # type: ignore[union-attr]


def test_sell_tariff_cases() -> None:
    content = one_season(
        {"A": {"periods": [{"toHour": 12}]}, "B": {"periods": [{"fromHour": 12}]}}, {"A": 0.2, "B": 0.3}
    )
    content["sell_tariff"] = {"energy_charges": {"S": {"rates": {"A": 0.05, "B": 0.07}}}}
    schedule = decode_tariff(content)
    assert schedule.rates_at(datetime(2026, 6, 1, 13)).sell == 0.07  # type: ignore[union-attr]
    content["sell_tariff"]["energy_charges"]["S"]["rates"] = {"A": 0.05}
    assert decode_tariff(content).rates_at(datetime(2026, 6, 1, 13)) is None
    content["sell_tariff"]["seasons"] = {"S": {"tou_periods": {"A": {"periods": [{"toHour": 12}]}}}}
    assert decode_tariff(content).rates_at(datetime(2026, 6, 1, 13)) is None


def test_demand_and_daily_charges() -> None:
    content = one_season(
        {
            "PEAK": {"periods": [{"fromHour": 16, "toHour": 20}]},
            "OFF": {"periods": [{"fromHour": 20, "toHour": 16}]},
        },
        {"PEAK": 0.4, "OFF": 0.2},
    )
    content["demand_charges"] = {"ALL": {"rates": {"ALL": 0}}, "S": {"rates": {"PEAK": 9.5}}}
    content["daily_charges"] = [
        {"name": "Charge"},
        {"name": "Supply", "amount": 1.1},
        {"name": 7, "amount": 0},
    ]
    schedule = decode_tariff(content)
    assert schedule.daily_charges == (
        DailyCharge(name="Supply", amount=1.1),
        DailyCharge(name="7", amount=0.0),
    )
    day = schedule.day_tariff(date(2026, 2, 2))
    assert day is not None
    assert day.demand_rates == (0.0,) * 32 + (9.5,) * 8 + (0.0,) * 8


def test_rates_without_the_rates_level_and_integral_floats() -> None:
    content = {
        "seasons": {"S": {"fromMonth": 1.0, "tou_periods": {"A": {"periods": [{"fromHour": 0.0}]}}}},
        "energy_charges": {"ALL": {"ALL": 0}, "S": {"A": 1}},
    }
    assert decode_tariff(content).rates_at(datetime(2026, 6, 1)).buy == 1.0  # type: ignore[union-attr]


def test_fixture_sell_tariff_shares_buy_seasons_when_it_has_none() -> None:
    content = two_season()
    del content["sell_tariff"]["seasons"]
    schedule = decode_tariff(content)
    assert schedule.sell is not None
    assert schedule.sell.seasons == schedule.buy.seasons


def _set(content: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    content = copy.deepcopy(content)
    target: Any = content
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return content


SEASON = ("seasons", "Cool")
ENTRY = ("seasons", "Cool", "tou_periods", "EVENING", "periods", 0)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("seasons",), [], "seasons is list"),
        ((*SEASON,), "x", "seasons.Cool is str"),
        ((*SEASON, "tou_periods"), [1], "tou_periods is list"),
        ((*SEASON, "tou_periods", "EVENING"), 3, "EVENING is int"),
        ((*SEASON, "tou_periods", "EVENING", "periods"), {}, "periods is dict, expected a list"),
        ((*SEASON, "tou_periods", "EVENING", "periods", 0), None, r"periods\[0\] is NoneType"),
        ((*ENTRY, "fromHour"), 25, "fromHour is 25"),
        ((*ENTRY, "fromDayOfWeek"), 7, "fromDayOfWeek is 7"),
        ((*ENTRY, "toMinute"), True, "toMinute is True"),
        ((*ENTRY, "toMinute"), 30.5, "toMinute is 30.5"),
        ((*ENTRY, "toMinute"), 30, "runs past midnight"),
        ((*SEASON, "fromMonth"), 13, "fromMonth is 13"),
        (("energy_charges", "Cool", "rates", "REST"), "0.2", "rates.REST is '0.2'"),
        (("energy_charges", "Cool", "rates", "REST"), float("nan"), "expected a finite number"),
        (("energy_charges", "Cool"), [], "energy_charges.Cool is list"),
        (("sell_tariff",), "no", "sell_tariff is str"),
        (("code",), 5, "code is 5"),
        (("daily_charges",), {}, "daily_charges is dict"),
        (("daily_charges",), [{"amount": "x"}], r"daily_charges\[0\].amount"),
    ],
)
def test_malformed_content_raises(path: tuple[Any, ...], value: Any, message: str) -> None:
    content = two_season()
    if path[-1] == "toMinute" and value == 30:
        content = _set(content, (*ENTRY, "toHour"), 24)
    with pytest.raises(TariffDecodeError, match=message):
        decode_tariff(_set(content, path, value))


def test_missing_top_level_parts_raise() -> None:
    with pytest.raises(TariffDecodeError, match="expected an object"):
        decode_tariff([])  # type: ignore[arg-type]
    with pytest.raises(TariffDecodeError, match="seasons is missing"):
        decode_tariff({"energy_charges": {}})
    with pytest.raises(TariffDecodeError, match=r"^energy_charges is missing"):
        decode_tariff({"seasons": {}})
    with pytest.raises(TariffDecodeError, match=r"sell_tariff\.energy_charges is missing"):
        decode_tariff({"seasons": {}, "energy_charges": {}, "sell_tariff": {}})


# Reading the same tariff again, as every sync does with the Powerwall's copy


def test_equal_content_decodes_to_the_same_schedule_and_day() -> None:
    first = decode_tariff(two_season())
    again = decode_tariff(two_season())
    assert again is first
    assert again.day_tariff(date(2026, 7, 1)) is first.day_tariff(date(2026, 7, 1))
    changed = two_season()
    changed["energy_charges"]["Cool"]["rates"]["EVENING"] = 0.99
    assert decode_tariff(changed).rates_at(datetime(2026, 7, 1, 18)).buy == 0.99  # type: ignore[union-attr]


def test_content_equal_only_by_python_equality_is_decoded_on_its_own() -> None:
    # true == 1 in Python, but a boolean hour is no hour.
    hour_one = one_season({"A": {"periods": [{"fromHour": 1}]}}, {"A": 0.2})
    hour_true = one_season({"A": {"periods": [{"fromHour": True}]}}, {"A": 0.2})
    assert hour_one == hour_true
    assert decode_tariff(hour_one).rates_at(datetime(2026, 6, 1, 1)) is not None
    with pytest.raises(TariffDecodeError, match="fromHour is True"):
        decode_tariff(hour_true)


def test_a_decoded_schedule_cannot_be_changed_by_one_of_its_readers() -> None:
    schedule = decode_tariff(two_season())
    with pytest.raises(TypeError):
        schedule.buy.energy_rates["Cool", "EVENING"] = 0.0  # type: ignore[index]


def test_sell_seasons_written_out_like_the_buy_seasons_are_read_once() -> None:
    content = two_season()
    content["sell_tariff"]["seasons"] = copy.deepcopy(content["seasons"])
    schedule = decode_tariff(content)
    assert schedule.sell is not None
    assert schedule.sell.seasons is schedule.buy.seasons


@pytest.mark.parametrize("content", [None, [], "tariff", {"seasons": {}}])
def test_day_tariff_of_unreadable_content_is_none(content: object) -> None:
    assert day_tariff_of(content, date(2026, 7, 1)) is None


def test_day_tariff_of_a_tariff_with_holes_is_none_and_of_a_whole_one_its_rates() -> None:
    content = two_season()
    assert day_tariff_of(content, date(2026, 7, 1)) == decode_tariff(content).day_tariff(date(2026, 7, 1))
    content["seasons"]["Cool"]["toMonth"] = 8
    content["seasons"]["Cool"]["toDay"] = 30
    assert day_tariff_of(content, date(2026, 8, 31)) is None


@st.composite
def windows(draw: st.DrawFn) -> list[PeriodWindow]:
    result = []
    for position in range(draw(st.integers(0, 12))):
        start = draw(st.integers(0, 7 * 1440 - 1))
        result.append(
            PeriodWindow(period=f"P{position}", start=start, end=start + draw(st.integers(1, 1440)))
        )
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(windows(), st.lists(st.integers(0, 7 * 1440 - 1), max_size=20))
def test_a_season_finds_the_first_window_in_content_order(
    found: list[PeriodWindow], minutes: list[int]
) -> None:
    season = Season(name="S", from_month=1, from_day=1, to_month=12, to_day=31, windows=tuple(found))
    for minute in minutes:
        first = next((window.period for window in found if window.contains(minute)), None)
        assert season.period_at(minute) == first
