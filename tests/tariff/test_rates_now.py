"""The rates a tariff charges at one moment: a custom schedule's sell rate is the feed-in of an entry without
Amber."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.tesla_amber_sync.tariff.rates_now import rates_at
from custom_components.tesla_amber_sync.tariff.schedule import CustomSchedule
from custom_components.tesla_amber_sync.tariff.schedule_encode import encode_schedule
from custom_components.tesla_amber_sync.tariff.schedule_parse import parse_schedule

from .schedules import example_data, expected_rates, schedules

SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = (
    "Australia/Sydney",
    "Australia/Brisbane",
    "Australia/Adelaide",
    "Australia/Perth",
    "Australia/Lord_Howe",
)


def _example() -> dict[str, object]:
    parsed = parse_schedule(example_data())
    assert parsed.schedule is not None
    return encode_schedule(parsed.schedule, code="TESLA_SYNC:SCHEDULE")


def test_a_weekday_peak_and_its_half_hour() -> None:
    """Summer weekday 15:40 is Peak (buy 0.55, sell 0.05), in the half-hour that began at 15:30."""
    rates = rates_at(_example(), datetime(2026, 11, 23, 15, 40, 12, tzinfo=SYDNEY))
    assert rates is not None
    assert (rates.buy, rates.sell) == (0.55, 0.05)
    assert rates.starts_at == datetime(2026, 11, 23, 15, 30, tzinfo=SYDNEY)


def test_nothing_readable_has_no_rates() -> None:
    moment = datetime(2026, 11, 23, 15, 40, tzinfo=SYDNEY)
    assert rates_at(None, moment) is None
    assert rates_at({"code": "X"}, moment) is None


def test_a_moment_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        rates_at(_example(), datetime(2026, 11, 23, 15, 40))


def test_the_repeated_hour_of_a_clock_change_is_told_apart() -> None:
    """On 5 April 2026 Sydney's 02:00-03:00 happens twice: each 02:30 half-hour starts at its own instant."""
    first = datetime(2026, 4, 5, 2, 40, tzinfo=SYDNEY)
    second = first.replace(fold=1)
    content = _example()
    a, b = rates_at(content, first), rates_at(content, second)
    assert a is not None
    assert b is not None
    assert b.starts_at.astimezone(UTC) - a.starts_at.astimezone(UTC) == timedelta(hours=1)
    assert a.starts_at.astimezone(UTC) == first.astimezone(UTC) - timedelta(minutes=10)


@settings(max_examples=25, deadline=None)
@given(
    schedule=schedules(),
    zone_name=st.sampled_from(ZONES),
    minutes=st.integers(min_value=0, max_value=366 * 24 * 60 - 1),
)
def test_every_moment_gets_the_schedules_own_rate(
    schedule: CustomSchedule, zone_name: str, minutes: int
) -> None:
    """Any instant of a year, in any zone: the rates of the period the schedule puts that wall clock in."""
    zone = ZoneInfo(zone_name)
    local = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)).astimezone(zone)
    rates = rates_at(encode_schedule(schedule, code="CUSTOM"), local)
    assert rates is not None
    expected = expected_rates(schedule, local.date(), (local.hour * 60 + local.minute) // 30)
    assert (rates.buy, rates.sell) == (expected.buy, expected.sell)
    assert timedelta(0) <= local.astimezone(UTC) - rates.starts_at.astimezone(UTC) < timedelta(minutes=30)
