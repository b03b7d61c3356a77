"""Which slots a local date has: a clock change skips some, in whatever zone the Powerwall is."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_amber_sync.tariff.wall_clock import (
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
