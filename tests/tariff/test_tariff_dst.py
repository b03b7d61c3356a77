"""Daylight-saving days in every Australian zone: 25-hour April days and 23-hour October days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import statistics
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    PriceOrigin,
    SlotSource,
    build_rolling_tariff,
    slot_index,
    slot_start,
)

from .helpers import FEED_IN, series

if TYPE_CHECKING:
    from custom_components.tesla_amber_sync.api.models import PriceInterval

DST_ZONES = ["Australia/Sydney", "Australia/Melbourne", "Australia/Hobart", "Australia/Adelaide"]
PLAIN_ZONES = ["Australia/Brisbane", "Australia/Perth", "Australia/Darwin"]
APRIL = date(2026, 4, 5)  # 03:00 daylight time becomes 02:00 standard time: 25 hours
OCTOBER = date(2026, 10, 4)  # 02:00 standard time becomes 03:00 daylight time: 23 hours


def price_of(moment: datetime) -> float:
    """A general price (c/kWh) that differs between the absolute 5-minute steps of the test days."""
    return 10.0 + (int(moment.timestamp()) // 300) % 997 / 10


def change_instant(day: date, zone: ZoneInfo) -> datetime:
    """Return the instant the clocks change on `day` (for zones without DST, the same wall time)."""
    if day == APRIL:
        return datetime(2026, 4, 5, 2, 0, fold=1, tzinfo=zone).astimezone(UTC)
    return datetime(2026, 10, 4, 3, 0, tzinfo=zone).astimezone(UTC)


def data_for(day: date, zone: ZoneInfo, minutes: int) -> list[PriceInterval]:
    start = datetime.combine(day - timedelta(days=1), slot_start(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=2), slot_start(0), tzinfo=zone)
    return series(start, end, price_of=price_of, minutes=minutes) + series(
        start, end, -5.0, channel=FEED_IN, minutes=minutes
    )


def expected_buy(data: list[PriceInterval], zone: ZoneInfo, day: date, index: int) -> float | None:
    """Plain oracle: the duration-weighted mean of the general intervals starting in that local slot."""
    inside = [
        item
        for item in data
        if item.channel_type.value == "general"
        and item.start_time.astimezone(zone).date() == day
        and slot_index(item.start_time.astimezone(zone).time()) == index
    ]
    if not inside:
        return None
    return (
        statistics.fmean([item.per_kwh for item in inside], [item.duration_minutes for item in inside]) / 100
    )


def check(day: date, zone_name: str, minutes: int, offset: timedelta) -> tuple[object, int]:
    zone = ZoneInfo(zone_name)
    now = change_instant(day, zone) + offset
    data = data_for(day, zone, minutes)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    assert build.tariff is not None, build.problem
    current = slot_index(now.astimezone(zone).time())
    for index, slot in enumerate(build.slots):
        occurrence = now.astimezone(zone).date() + timedelta(days=index < current)
        assert slot.start.date() == occurrence
        own = expected_buy(data, zone, occurrence, index)
        if own is None:
            assert slot.buy_origin is PriceOrigin.PREVIOUS_DAY
            assert slot.buy == pytest.approx(expected_buy(data, zone, occurrence - timedelta(days=1), index))
        else:
            assert slot.buy_origin is PriceOrigin.DATA
            assert slot.buy == pytest.approx(own)
        assert build.tariff.slots[index].buy == round(slot.buy or 0.0, 4)
        assert build.tariff.slots[index].sell == 0.05
    return build, current


@pytest.mark.parametrize("minutes", [5, 30])
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_april_just_before_the_change(zone_name: str, minutes: int) -> None:
    build, current = check(APRIL, zone_name, minutes, timedelta(minutes=-1))
    # 02:59 daylight time: the 02:30 slot is current and collects both of today's 02:30s.
    assert current == 5
    zone = ZoneInfo(zone_name)
    # Same-zone datetime arithmetic is wall-clock arithmetic: work in UTC.
    first = datetime(2026, 4, 5, 2, 30, fold=0, tzinfo=zone).astimezone(UTC)
    second = datetime(2026, 4, 5, 2, 30, fold=1, tzinfo=zone).astimezone(UTC)
    assert second - first == timedelta(hours=1)
    per_slot = 30 // minutes
    steps = [first + timedelta(minutes=minutes * i) for i in range(per_slot)]
    steps += [second + timedelta(minutes=minutes * i) for i in range(per_slot)]
    assert build.slots[5].buy == pytest.approx(  # type: ignore[attr-defined]
        statistics.fmean(price_of(step + timedelta(seconds=1)) for step in steps) / 100
    )
    assert build.forecast_slots == SLOTS_PER_DAY  # type: ignore[attr-defined]


@pytest.mark.parametrize("minutes", [5, 30])
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_april_just_after_the_change(zone_name: str, minutes: int) -> None:
    build, current = check(APRIL, zone_name, minutes, timedelta(minutes=1))
    # 02:01 standard time (the second 02:01 of the day): the 02:00 slot is current again.
    assert current == 4
    assert build.slots[4].start.date() == APRIL  # type: ignore[attr-defined]
    assert build.forecast_slots == SLOTS_PER_DAY  # type: ignore[attr-defined]


@pytest.mark.parametrize("minutes", [5, 30])
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_october_just_before_the_change(zone_name: str, minutes: int) -> None:
    build, current = check(OCTOBER, zone_name, minutes, timedelta(minutes=-1))
    # 01:59 standard time: today's 02:00 and 02:30 never happen, so they take yesterday's prices.
    assert current == 3
    for index in (4, 5):
        slot = build.slots[index]  # type: ignore[attr-defined]
        assert slot.start.date() == OCTOBER
        assert slot.source is SlotSource.FALLBACK
        assert slot.buy_origin is PriceOrigin.PREVIOUS_DAY
        assert slot.sell_origin is PriceOrigin.PREVIOUS_DAY
    assert build.fallback_slots == 2  # type: ignore[attr-defined]
    assert build.forecast_slots == SLOTS_PER_DAY - 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("minutes", [5, 30])
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_october_just_after_the_change(zone_name: str, minutes: int) -> None:
    build, current = check(OCTOBER, zone_name, minutes, timedelta(minutes=1))
    # 03:01 daylight time: 02:00 and 02:30 are next seen tomorrow, which has them.
    assert current == 6
    assert build.slots[4].start.date() == OCTOBER + timedelta(days=1)  # type: ignore[attr-defined]
    assert build.forecast_slots == SLOTS_PER_DAY  # type: ignore[attr-defined]


def test_october_without_yesterday_is_incomplete_only_in_the_skipped_slots() -> None:
    zone = ZoneInfo("Australia/Adelaide")
    now = change_instant(OCTOBER, zone) - timedelta(minutes=1)
    data = [item for item in data_for(OCTOBER, zone, 30) if item.start_time >= now - timedelta(minutes=30)]
    build = build_rolling_tariff(data, now=now, time_zone=zone)
    assert build.tariff is None
    assert sorted({missing.index for missing in build.missing}) == [4, 5]


@pytest.mark.parametrize("offset", [timedelta(minutes=-1), timedelta(minutes=1)])
@pytest.mark.parametrize("day", [APRIL, OCTOBER])
@pytest.mark.parametrize("zone_name", PLAIN_ZONES)
def test_zones_without_daylight_saving_have_ordinary_days(
    zone_name: str, day: date, offset: timedelta
) -> None:
    build, _ = check(day, zone_name, 30, offset)
    assert build.forecast_slots == SLOTS_PER_DAY  # type: ignore[attr-defined]
