"""Encoding a custom schedule and decoding it back gives the same rates for every half-hour of the year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
import pytest

from custom_components.tesla_amber_sync.tariff.decode import decode_tariff
from custom_components.tesla_amber_sync.tariff.model import slot_index
from custom_components.tesla_amber_sync.tariff.schedule import CustomSchedule
from custom_components.tesla_amber_sync.tariff.schedule_encode import encode_schedule
from custom_components.tesla_amber_sync.tariff.schedule_problems import schedule_problems

from .schedules import expected_rates, schedules

# Every Australian zone with daylight saving (Lord Howe moves by half an hour).
DST_ZONES = (
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Hobart",
    "Australia/Adelaide",
    "Australia/Broken_Hill",
    "Australia/Lord_Howe",
)


@settings(max_examples=40, deadline=None)
@given(schedules())
def test_generated_schedules_are_valid(schedule: CustomSchedule) -> None:
    assert schedule_problems(schedule) == ()


@settings(max_examples=30, deadline=None)
@given(schedules())
def test_every_half_hour_of_a_leap_year_decodes_to_the_schedule(schedule: CustomSchedule) -> None:
    decoded = decode_tariff(encode_schedule(schedule, code="CUSTOM"))
    day = date(2028, 1, 1)
    while day.year == 2028:
        tariff = decoded.day_tariff(day)
        assert tariff is not None, day
        for slot, price in enumerate(tariff.slots):
            rates = expected_rates(schedule, day, slot)
            assert (price.buy, price.sell) == (rates.buy, rates.sell), (day, slot)
            demand = tariff.demand_rates[slot] if tariff.demand_rates else 0.0
            assert demand == (rates.demand or 0.0), (day, slot)
        day += timedelta(days=1)
    assert [(charge.name, charge.amount) for charge in decoded.daily_charges] == [
        ("Supply charge", schedule.daily_supply_charge)
    ]


@pytest.mark.parametrize("zone_name", DST_ZONES)
@settings(max_examples=5, deadline=None)
@given(schedule=schedules())
def test_every_instant_of_a_year_gets_its_wall_clock_rate(zone_name: str, schedule: CustomSchedule) -> None:
    """Every real half-hour of 2026, both clock changes included, is priced by its local wall clock."""
    zone = ZoneInfo(zone_name)
    decoded = decode_tariff(encode_schedule(schedule, code="CUSTOM"))
    instant = datetime(2026, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(2027, 1, 1, tzinfo=zone).astimezone(UTC)
    offsets = set()
    while instant < end:
        local = instant.astimezone(zone)
        offsets.add(local.utcoffset())
        tariff = decoded.day_tariff(local.date())
        assert tariff is not None
        slot = slot_index(local.time())
        rates = expected_rates(schedule, local.date(), slot)
        assert (tariff.slots[slot].buy, tariff.slots[slot].sell) == (rates.buy, rates.sell), local
        instant += timedelta(minutes=30)
    assert len(offsets) == 2, "the year crosses both clock changes"
