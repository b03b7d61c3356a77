"""The simulator reads a multi-season tariff as the integration's decoder does, every half-hour of a year."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from custom_components.tesla_amber_sync.tariff.decode import decode_tariff
from custom_components.tesla_amber_sync.tariff.schedule_encode import encode_schedule
from custom_components.tesla_amber_sync.tariff.schedule_parse import parse_schedule
from simulator.tariff import rate_at, tariff_problems
from tests.tariff.schedules import example_data


def _every_half_hour(year: int) -> list[datetime]:
    day, moments = date(year, 1, 1), []
    while day.year == year:
        moments += [datetime.combine(day, time()) + timedelta(minutes=30 * slot) for slot in range(48)]
        day += timedelta(days=1)
    return moments


def test_a_custom_schedule_is_reported_as_the_decoder_reads_it() -> None:
    schedule = parse_schedule(example_data()).schedule
    assert schedule is not None
    content = encode_schedule(schedule, code="CUSTOM")
    assert tariff_problems(content) == []
    decoded = decode_tariff(content)
    for local in _every_half_hour(2026):
        expected = decoded.rates_at(local)
        assert expected is not None
        got = rate_at(content, local)
        assert (got.season, got.period, got.buy, got.sell) == (
            expected.season,
            expected.period,
            expected.buy,
            expected.sell,
        ), local


def test_overlapping_seasons_take_the_first_in_content_order() -> None:
    everything = {"fromDayOfWeek": 0, "toDayOfWeek": 6, "fromHour": 0, "toHour": 24}
    morning = {"fromDayOfWeek": 0, "toDayOfWeek": 6, "fromHour": 0, "toHour": 12}
    content = {
        "energy_charges": {
            "ALL": {"rates": {"ALL": 0}},
            "Winter": {"rates": {"Morning": 0.4}},
            "Summer": {"rates": {"Flat": 0.2}},
        },
        "seasons": {
            # Winter (June) lies inside the all-year Summer and comes first, but prices only mornings.
            "Winter": {
                "fromMonth": 6,
                "fromDay": 1,
                "toMonth": 6,
                "toDay": 30,
                "tou_periods": {"Morning": {"periods": [morning]}},
            },
            "Summer": {
                "fromMonth": 1,
                "fromDay": 1,
                "toMonth": 12,
                "toDay": 31,
                "tou_periods": {"Flat": {"periods": [everything]}},
            },
        },
    }
    decoded = decode_tariff(content)
    for local in (datetime(2026, 6, 10, 9), datetime(2026, 6, 10, 15), datetime(2026, 7, 1, 15)):
        expected = decoded.rates_at(local)
        got = rate_at(content, local)
        if expected is None:
            # Nothing priced in the season that decides: Tesla's flat "ALL" rate, no season or period.
            assert (got.season, got.period, got.buy) == (None, None, 0.0), local
        else:
            assert (got.season, got.period, got.buy) == (expected.season, expected.period, expected.buy), (
                local
            )
