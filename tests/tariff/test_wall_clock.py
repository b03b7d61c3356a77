"""Which slots a local date has: a clock change skips some, in whatever zone the Powerwall is."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_amber_sync.tariff.wall_clock import (
    HISTORY_HOURS,
    history_hours,
    next_occurrence,
    previous_occurrence,
    skipped_slots,
)

SPRING = date(2026, 10, 4)
AUTUMN = date(2026, 4, 5)


@pytest.mark.parametrize(
    ("zone_name", "day", "skipped"),
    [
        ("Australia/Sydney", SPRING, {4, 5}),
        ("Australia/Adelaide", SPRING, {4, 5}),
        ("Australia/Lord_Howe", SPRING, {4}),
        ("Australia/Sydney", AUTUMN, set()),
        ("Australia/Sydney", date(2026, 10, 5), set()),
        ("Australia/Brisbane", SPRING, set()),
        ("Australia/Eucla", SPRING, set()),
        # Chile moves from midnight: the day's first hour never happens.
        ("America/Santiago", date(2026, 9, 6), {0, 1}),
        # The Chatham Islands skip 02:45 to 03:45: 03:00 never happens, 03:30 does from 03:45.
        ("Pacific/Chatham", date(2026, 9, 27), {6}),
    ],
)
def test_skipped_slots(zone_name: str, day: date, skipped: set[int]) -> None:
    assert skipped_slots(ZoneInfo(zone_name), day) == skipped


def test_a_skipped_slot_next_and_last_occurs_on_the_neighbouring_days() -> None:
    zone = ZoneInfo("Australia/Sydney")
    assert next_occurrence(zone, 4, SPRING) == date(2026, 10, 5)
    assert next_occurrence(zone, 6, SPRING) == SPRING
    assert previous_occurrence(zone, 4, date(2026, 10, 5)) == date(2026, 10, 3)
    assert previous_occurrence(zone, 6, date(2026, 10, 5)) == SPRING


@pytest.mark.parametrize(
    "zone_name",
    [
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Hobart",
        "Australia/Adelaide",
        "Australia/Lord_Howe",
    ],
)
def test_history_reaches_back_a_day_more_on_the_day_of_a_skip_and_the_day_after(zone_name: str) -> None:
    """The skipped slots last occurred two days back by the evening of the skip and the next morning; the
    day the clocks go back needs no more than usual."""
    zone = ZoneInfo(zone_name)
    around_spring = [history_hours(zone, date(2026, 10, day)) for day in (3, 4, 5, 6)]
    assert around_spring == [HISTORY_HOURS, HISTORY_HOURS + 24, HISTORY_HOURS + 24, HISTORY_HOURS]
    assert history_hours(zone, AUTUMN) == HISTORY_HOURS


@pytest.mark.parametrize("zone_name", ["Australia/Brisbane", "Australia/Perth", "Australia/Darwin"])
def test_history_is_a_day_and_an_hour_without_daylight_saving(zone_name: str) -> None:
    assert history_hours(ZoneInfo(zone_name), SPRING) == HISTORY_HOURS
