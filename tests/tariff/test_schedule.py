"""Custom schedules: parsing plain data, the owner's problems, encoding, the simple time-of-use shortcut."""

from __future__ import annotations

import copy
from datetime import datetime, time
from typing import Any

import pytest

from custom_components.tesla_amber_sync.tariff.decode import decode_tariff
from custom_components.tesla_amber_sync.tariff.schedule import (
    EVERY_DAY,
    WEEKDAYS,
    CustomSchedule,
    RateSet,
    SchedulePeriod,
    ScheduleSeason,
    days_label,
)
from custom_components.tesla_amber_sync.tariff.schedule_encode import day_ranges, encode_schedule
from custom_components.tesla_amber_sync.tariff.schedule_parse import parse_schedule
from custom_components.tesla_amber_sync.tariff.schedule_problems import (
    PROBLEM_MESSAGES,
    ScheduleError,
    schedule_problems,
)
from custom_components.tesla_amber_sync.tariff.simple_tou import TimeWindow, simple_time_of_use

from .schedules import example_data


def _problems(data: Any) -> list[tuple[str, dict[str, str]]]:
    return [(problem.key, dict(problem.placeholders)) for problem in parse_schedule(data).problems]


def _edited(**changes: Any) -> dict[str, Any]:
    """The example with changes at paths like `seasons.0.periods.1.buy`."""
    data = copy.deepcopy(example_data())
    for path, value in changes.items():
        *parents, last = path.split("__")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return data


def test_the_example_parses_and_encodes_with_the_owners_names() -> None:
    parsed = parse_schedule(example_data())
    assert parsed.problems == ()
    assert parsed.schedule is not None
    content = encode_schedule(parsed.schedule, code="CUSTOM")
    assert list(content["seasons"]) == ["Summer", "Winter"]
    assert list(content["seasons"]["Summer"]["tou_periods"]) == ["Peak", "Off-peak", "Shoulder"]
    assert content["seasons"]["Summer"]["tou_periods"]["Peak"]["periods"] == [
        {"fromDayOfWeek": 0, "toDayOfWeek": 4, "fromHour": 15, "fromMinute": 0, "toHour": 21, "toMinute": 0}
    ]
    assert content["energy_charges"]["Summer"] == {"rates": {"Peak": 0.55, "Off-peak": 0.2, "Shoulder": 0.3}}
    assert content["sell_tariff"]["energy_charges"]["Winter"] == {"rates": {"Free": 0.0, "Flat": 0.04}}
    assert content["demand_charges"]["Summer"] == {"rates": {"Peak": 0.3}}
    assert content["demand_charges"]["Winter"] == {}
    assert content["daily_charges"] == [{"name": "Supply charge", "amount": 1.1}]
    assert (content["name"], content["utility"]) == ("Ausgrid EA116", "Origin")
    decoded = decode_tariff(content)
    # Friday night's off-peak runs into Saturday morning; Winter's free window on a Sunday.
    saturday = decoded.rates_at(datetime(2026, 1, 3, 3, 0))
    assert saturday is not None
    assert (saturday.period, saturday.season, saturday.buy) == ("Off-peak", "Summer", 0.2)
    free = decoded.rates_at(datetime(2026, 6, 7, 12, 0))
    assert free is not None
    assert (free.period, free.buy, free.sell) == ("Free", 0.0, 0.0)
    peak = decoded.rates_at(datetime(2026, 3, 31, 20, 30))
    assert peak is not None
    assert (peak.period, peak.demand) == ("Peak", 0.3)


def test_one_season_gets_an_empty_spare_season() -> None:
    data = _edited(seasons__1__from_month=1)
    data["seasons"] = [data["seasons"][1]]
    data["seasons"][0]["name"] = "Winter"
    data["seasons"][0]["to_month"] = 12
    data["seasons"][0]["to_day"] = 31
    parsed = parse_schedule(data)
    assert parsed.schedule is not None, parsed.problems
    content = encode_schedule(parsed.schedule, code="CUSTOM")
    assert content["seasons"]["Summer"] == {}
    assert content["energy_charges"]["Summer"] == {}


def test_plain_data_of_the_wrong_type_is_refused_with_every_problem() -> None:
    assert _problems([]) == [("not_an_object", {"where": "The schedule"})]
    data = {
        "name": 3,
        "daily_supply_charge": True,
        "seasons": [
            7,
            {
                "name": "S",
                "to_month": "12",
                "periods": [
                    {
                        "name": "P",
                        "days": "fortnightly",
                        "from": "25:00",
                        "buy": float("nan"),
                        "sell": "0.1",
                        "demand": None,
                    }
                ],
            },
        ],
    }
    keys = [key for key, _ in _problems(data)]
    assert keys == [
        "not_text",
        "field_missing",
        "rate_not_a_number",
        "not_an_object",
        "days_invalid",
        "time_invalid",
        "field_missing",
        "rate_not_a_number",
        "rate_not_a_number",
        "not_a_whole_number",
    ]
    assert _problems({"name": "x", "retailer": "y", "daily_supply_charge": 1, "seasons": {}}) == [
        ("not_a_list", {"where": "The schedule's seasons"})
    ]
    assert [key for key, _ in _problems(_edited(seasons__0__periods__0__days=["monday", 9]))] == [
        "days_invalid"
    ]
    assert _problems(_edited(seasons__0__periods=5))[0][0] == "not_a_list"
    assert _problems(_edited(seasons__0__periods__0=None))[0][0] == "not_an_object"


def test_home_assistant_time_and_numbers_are_read() -> None:
    data = _edited(seasons__0__periods__0__from="15:00:00", seasons__0__from_month=11.0)
    data["seasons"][1]["periods"][3]["to"] = "24:00"
    data["seasons"][1]["periods"][3]["days"] = ["Monday", "tuesday", 2, 3, 4]
    assert parse_schedule(data).problems == ()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"seasons__0__periods__0__from": "16:00"},
            [("time_not_covered", {"season": "Summer", "days": "weekdays", "time": "15:00 to 16:00"})],
        ),
        (
            {"seasons__0__periods__0__to": "22:00"},
            [
                (
                    "time_covered_twice",
                    {
                        "season": "Summer",
                        "days": "weekdays",
                        "time": "21:00 to 22:00",
                        "periods": "Peak, Off-peak",
                    },
                )
            ],
        ),
        (
            {"seasons__1__from_month": 3},
            [("seasons_overlap", {"seasons": "Summer and Winter", "dates": "1 Mar to 31 Mar"})],
        ),
        ({"seasons__1__from_day": 3}, [("season_gap", {"dates": "1 Apr to 2 Apr"})]),
        (
            {"seasons__0__periods__0__sell": 0.6},
            [("sell_above_buy", {"period": "Peak", "season": "Summer", "sell": "0.6", "buy": "0.55"})],
        ),
        (
            {"daily_supply_charge": -1},
            [("rate_negative", {"where": "The schedule's", "field": "daily supply charge", "value": "-1.0"})],
        ),
        (
            {"seasons__0__periods__0__demand": 0.12345},
            [
                (
                    "rate_too_precise",
                    {"where": "Period Peak of season Summer:", "field": "demand rate", "value": "0.12345"},
                )
            ],
        ),
        (
            {"seasons__0__periods__1__buy": 0.21},
            [("period_rates_differ", {"period": "Off-peak", "season": "Summer"})],
        ),
        (
            {"seasons__1__to_day": 32},
            [("date_invalid", {"season": "Winter", "field": "ends on", "value": "32/10"})],
        ),
        ({"seasons__1__name": "Summer"}, [("season_name_repeated", {"season": "Summer"})]),
        ({"name": " "}, [("schedule_name_missing", {})]),
        ({"seasons": []}, [("no_seasons", {})]),
    ],
)
def test_each_problem_is_named_in_the_owners_words(changes: dict[str, Any], expected: list[Any]) -> None:
    parsed = parse_schedule(_edited(**changes))
    assert parsed.schedule is None
    assert [(problem.key, dict(problem.placeholders)) for problem in parsed.problems] == expected
    for problem in parsed.problems:
        assert "{" not in problem.message
        assert str(problem) == problem.message


def test_model_problems_the_parser_cannot_produce() -> None:
    bad_period = SchedulePeriod(
        name="", days=frozenset(), start=time(7, 15), end=time(9), rates=RateSet(buy=-0.1, sell=0.0)
    )
    season = ScheduleSeason(name="", from_month=1, from_day=1, to_month=12, to_day=31, periods=(bad_period,))
    empty = ScheduleSeason(name="Empty", from_month=1, from_day=1, to_month=12, to_day=31, periods=())
    schedule = CustomSchedule(
        name="x", retailer="y", daily_supply_charge=float("inf"), seasons=(season, empty)
    )
    keys = [problem.key for problem in schedule_problems(schedule)]
    assert keys == [
        "rate_not_a_number",
        "season_name_missing",
        "period_name_missing",
        "days_empty",
        "time_not_on_half_hour",
        "rate_negative",
        "sell_above_buy",
        "season_without_periods",
        "seasons_overlap",
    ]
    with pytest.raises(ScheduleError, match="daily supply charge") as raised:
        encode_schedule(schedule, code="X")
    assert raised.value.problems[0].key == "rate_not_a_number"
    assert set(keys) <= set(PROBLEM_MESSAGES)


def test_a_free_window_is_valid() -> None:
    parsed = parse_schedule(_edited(seasons__0__periods__0__buy=0, seasons__0__periods__0__sell=0))
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("days", "ranges", "label"),
    [
        (EVERY_DAY, [(0, 6)], "every day"),
        (WEEKDAYS, [(0, 4)], "weekdays"),
        (frozenset({6, 0, 1}), [(6, 1)], "Monday, Tuesday, Sunday"),
        (frozenset({0, 2, 4}), [(0, 0), (2, 2), (4, 4)], "Monday, Wednesday, Friday"),
    ],
)
def test_day_sets_become_the_fewest_tesla_day_ranges(
    days: frozenset[int], ranges: list[Any], label: str
) -> None:
    assert day_ranges(days) == ranges
    assert days_label(days) == label


def test_simple_time_of_use_expands_to_a_full_schedule() -> None:
    peak, shoulder = RateSet(buy=0.5, sell=0.05, demand=0.2), RateSet(buy=0.3, sell=0.05)
    off_peak = RateSet(buy=0.2, sell=0.05)
    schedule = simple_time_of_use(
        name="Simple",
        retailer="AGL",
        daily_supply_charge=1.0,
        peak=peak,
        peak_windows=[TimeWindow(start=time(15), end=time(21))],
        shoulder=shoulder,
        shoulder_windows=[TimeWindow(start=time(7), end=time(15)), TimeWindow(start=time(21), end=time(22))],
        off_peak=off_peak,
        weekend=off_peak,
    )
    assert schedule_problems(schedule) == ()
    (season,) = schedule.seasons
    assert [(p.name, p.start, p.end, p.days) for p in season.periods] == [
        ("Peak", time(15), time(21), WEEKDAYS),
        ("Shoulder", time(7), time(15), WEEKDAYS),
        ("Shoulder", time(21), time(22), WEEKDAYS),
        ("Off-peak", time(0), time(7), WEEKDAYS),
        ("Off-peak", time(22), time(0), WEEKDAYS),
        ("Off-peak", time(0), time(0), frozenset({5, 6})),
    ]
    decoded = decode_tariff(encode_schedule(schedule, code="SIMPLE"))
    friday_night = decoded.rates_at(datetime(2026, 5, 1, 23, 30))
    saturday = decoded.rates_at(datetime(2026, 5, 2, 16, 0))
    assert friday_night is not None
    assert saturday is not None
    assert (friday_night.period, saturday.period, saturday.buy) == ("Off-peak", "Off-peak", 0.2)


def test_simple_time_of_use_names_a_different_weekend_and_reports_bad_windows() -> None:
    rates = RateSet(buy=0.5, sell=0.0)
    schedule = simple_time_of_use(
        name="Simple",
        retailer="AGL",
        daily_supply_charge=0.0,
        peak=rates,
        peak_windows=[TimeWindow(start=time(22), end=time(2)), TimeWindow(start=time(15, 10), end=time(16))],
        off_peak=RateSet(buy=0.2, sell=0.0),
        weekend=RateSet(buy=0.1, sell=0.0),
    )
    names = [(p.name, p.start, p.end) for p in schedule.seasons[0].periods]
    assert ("Peak", time(22), time(0)) in names
    assert ("Peak", time(0), time(2)) in names
    assert ("Weekend", time(0), time(0)) in names
    assert [problem.key for problem in schedule_problems(schedule)] == ["time_not_on_half_hour"]
