"""Daylight-saving days in every Australian zone: 25-hour April days and 23-hour October days.

Every build here is also checked slot by slot against an independent implementation of the rules
(`oracle.py`). The Chatham Islands, whose clock change splits a slot, close the file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import statistics
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_amber_sync.api.models import (
    IntervalType,
    PriceInterval,
    SpikeStatus,
)
from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    PriceOrigin,
    SlotSource,
    build_rolling_tariff,
    slot_index,
    slot_start,
)
from custom_components.tesla_amber_sync.tariff.wall_clock import HISTORY_HOURS, history_hours

from . import oracle
from .helpers import FEED_IN, series

# Lord Howe Island moves its clocks by half an hour: one slot is skipped, one occurs twice.
DST_ZONES = [
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Hobart",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
]
PLAIN_ZONES = ["Australia/Brisbane", "Australia/Perth", "Australia/Darwin"]
APRIL = date(2026, 4, 5)  # 03:00 daylight time becomes 02:00 standard time: 25 hours
OCTOBER = date(2026, 10, 4)  # 02:00 standard time becomes 03:00 daylight time: 23 hours
MINUTES = [5, 30]
ONE_DAY = timedelta(days=1)


def price_of(moment: datetime) -> float:
    """A general price (c/kWh) that differs between the absolute 5-minute steps of the test days."""
    return 10.0 + (int(moment.timestamp()) // 300) % 997 / 10


def feed_in_of(moment: datetime) -> float:
    """A feed-in price (c/kWh, billing sign: negative when the owner is paid) that varies too."""
    return -2.0 - (int(moment.timestamp()) // 300) % 13 / 2


def change_instant(day: date, zone: ZoneInfo) -> datetime:
    """Return the instant the clocks change on `day` (found by walking the day in UTC)."""
    start = datetime.combine(day, slot_start(0), tzinfo=zone).astimezone(UTC)
    offset = start.astimezone(zone).utcoffset()
    for minute in range(1, 25 * 60):
        moment = start + timedelta(minutes=minute)
        if moment.astimezone(zone).utcoffset() != offset:
            return moment
    raise AssertionError(f"the clocks do not change on {day} in {zone}")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, slot_start(0), tzinfo=zone)


def prices(
    start: datetime, end: datetime, minutes: int, kind: IntervalType = IntervalType.FORECAST
) -> list[PriceInterval]:
    """General and feed-in intervals from `start` to `end` (absolute time)."""
    return series(start, end, price_of=price_of, minutes=minutes, kind=kind) + series(
        start, end, channel=FEED_IN, price_of=feed_in_of, minutes=minutes, kind=kind
    )


def full_data(day: date, zone: ZoneInfo, minutes: int) -> list[PriceInterval]:
    """The day before, the day and the day after, every interval there."""
    return prices(local_midnight(day - ONE_DAY, zone), local_midnight(day + 2 * ONE_DAY, zone), minutes)


def skipped_today(day: date, zone: ZoneInfo) -> list[int]:
    occurs = oracle.occurring(zone, day)
    return [index for index in range(SLOTS_PER_DAY) if (day, index) not in occurs]


# Every zone, both days, both resolutions, at moments either side of the change: the oracle agrees.


@pytest.mark.parametrize(
    "offset",
    [-ONE_DAY / 2, timedelta(minutes=-90), timedelta(minutes=-1), timedelta(minutes=1), timedelta(hours=9)],
    ids=["evening_before", "90_min_before", "1_min_before", "1_min_after", "9_h_after"],
)
@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("day", [APRIL, OCTOBER], ids=["april", "october"])
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_full_data_matches_the_oracle(zone_name: str, day: date, minutes: int, offset: timedelta) -> None:
    zone = ZoneInfo(zone_name)
    now = change_instant(day, zone) + offset
    data = full_data(day, zone, minutes)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    assert build.complete, build.problem
    oracle.assert_matches(build, data, now, zone)


@pytest.mark.parametrize(
    ("day", "offset"),
    [(day, offset) for day in (APRIL, OCTOBER) for offset in (timedelta(minutes=-1), timedelta(minutes=1))],
)
@pytest.mark.parametrize("zone_name", PLAIN_ZONES)
def test_zones_without_daylight_saving_have_ordinary_days(
    zone_name: str, day: date, offset: timedelta
) -> None:
    zone = ZoneInfo(zone_name)
    now = datetime.combine(day, slot_start(4), tzinfo=zone) + offset
    data = full_data(day, zone, 30)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    assert build.forecast_slots == SLOTS_PER_DAY
    oracle.assert_matches(build, data, now, zone)


# The 25-hour day: the repeated slots are priced from both of their passes.


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_april_repeated_slot_collects_both_passes(zone_name: str, minutes: int) -> None:
    zone = ZoneInfo(zone_name)
    change = change_instant(APRIL, zone)
    now = change - timedelta(minutes=1)
    build = build_rolling_tariff(full_data(APRIL, zone, minutes), now=now, time_zone=zone_name)
    current = slot_index(now.astimezone(zone).time())
    # The current slot happens again after the change (fold 1 is its second pass).
    first = datetime.combine(APRIL, slot_start(current), tzinfo=zone).astimezone(UTC)
    second = datetime.combine(APRIL, slot_start(current), tzinfo=zone).replace(fold=1).astimezone(UTC)
    assert second > first
    steps = [first + timedelta(minutes=m) for m in range(0, 30, minutes)]
    steps += [second + timedelta(minutes=m) for m in range(0, 30, minutes)]
    assert build.slots[current].buy == pytest.approx(
        statistics.fmean(price_of(step + timedelta(seconds=1)) for step in steps) / 100
    )
    assert build.slots[current].start.date() == APRIL
    assert build.forecast_slots == SLOTS_PER_DAY


# The 23-hour day: the skipped slots' next occurrence is tomorrow.


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_october_skipped_slots_take_tomorrows_forecast(zone_name: str, minutes: int) -> None:
    zone = ZoneInfo(zone_name)
    now = change_instant(OCTOBER, zone) - timedelta(minutes=1)
    data = full_data(OCTOBER, zone, minutes)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    skipped = skipped_today(OCTOBER, zone)
    assert skipped == ([4] if zone_name.endswith("Howe") else [4, 5])
    current = slot_index(now.astimezone(zone).time())
    assert all(index > current for index in skipped)
    for index in skipped:
        slot = build.slots[index]
        assert slot.start == datetime.combine(OCTOBER + ONE_DAY, slot_start(index), tzinfo=zone)
        assert slot.source is SlotSource.FORECAST
        tomorrow = slot.start.astimezone(UTC)
        steps = [tomorrow + timedelta(minutes=m, seconds=1) for m in range(0, 30, minutes)]
        assert slot.buy == pytest.approx(statistics.fmean(price_of(step) for step in steps) / 100)
    assert build.forecast_slots == SLOTS_PER_DAY
    oracle.assert_matches(build, data, now, zone)


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_october_without_history_is_complete(zone_name: str, minutes: int) -> None:
    zone = ZoneInfo(zone_name)
    now = change_instant(OCTOBER, zone) - timedelta(minutes=1)
    current_start = datetime.combine(
        OCTOBER, slot_start(slot_index(now.astimezone(zone).time())), tzinfo=zone
    )
    # Amber's forecast only, from the current slot as far ahead as the integration asks (25 hours).
    data = prices(current_start, current_start.astimezone(UTC) + timedelta(hours=25), minutes)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    assert build.complete, build.problem
    assert build.forecast_slots == SLOTS_PER_DAY
    oracle.assert_matches(build, data, now, zone)


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("zone_name", DST_ZONES)
@pytest.mark.parametrize("offset", [timedelta(minutes=-1), timedelta(minutes=1)], ids=["before", "after"])
def test_october_skipped_slots_fall_back_to_the_day_before_without_tomorrows_data(
    zone_name: str, minutes: int, offset: timedelta
) -> None:
    zone = ZoneInfo(zone_name)
    now = change_instant(OCTOBER, zone) + offset
    current_start = now.replace(minute=now.minute - now.minute % 30)
    # History from yesterday's midnight, forecast to the end of today: nothing for tomorrow.
    data = prices(local_midnight(OCTOBER - ONE_DAY, zone), current_start, minutes, kind=IntervalType.ACTUAL)
    data += prices(current_start, local_midnight(OCTOBER + ONE_DAY, zone), minutes)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    for index in skipped_today(OCTOBER, zone):
        slot = build.slots[index]
        assert slot.start.date() == OCTOBER + ONE_DAY
        assert slot.buy_origin is PriceOrigin.PREVIOUS_DAY
        assert slot.sell_origin is PriceOrigin.PREVIOUS_DAY
        yesterday = datetime.combine(OCTOBER - ONE_DAY, slot_start(index), tzinfo=zone).astimezone(UTC)
        steps = [yesterday + timedelta(minutes=m, seconds=1) for m in range(0, 30, minutes)]
        assert slot.buy == pytest.approx(statistics.fmean(price_of(step) for step in steps) / 100)
    assert build.complete, build.problem
    oracle.assert_matches(build, data, now, zone)


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_the_evening_of_the_skip_with_a_short_forecast_is_complete(zone_name: str, minutes: int) -> None:
    """20:00 on the day of the skip, Amber's forecast only 4 hours ahead: the skipped slots last occurred
    the day before, 42 hours back, which the history the coordinator asks for that day reaches
    (`history_hours`); a day and an hour of it would leave them without a price."""
    zone = ZoneInfo(zone_name)
    now = datetime.combine(OCTOBER, slot_start(40), tzinfo=zone)
    forecast = prices(now, now.astimezone(UTC) + timedelta(hours=4), minutes)
    since = now.astimezone(UTC) - timedelta(hours=history_hours(zone, OCTOBER))
    data = prices(since, now, minutes, kind=IntervalType.ACTUAL) + forecast
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    assert build.complete, build.problem
    for index in skipped_today(OCTOBER, zone):
        slot = build.slots[index]
        assert slot.start.date() == OCTOBER + ONE_DAY
        assert (slot.buy_origin, slot.sell_origin) == (PriceOrigin.PREVIOUS_DAY, PriceOrigin.PREVIOUS_DAY)
        yesterday = datetime.combine(OCTOBER - ONE_DAY, slot_start(index), tzinfo=zone).astimezone(UTC)
        steps = [yesterday + timedelta(minutes=m, seconds=1) for m in range(0, 30, minutes)]
        assert slot.buy == pytest.approx(statistics.fmean(price_of(step) for step in steps) / 100)
    oracle.assert_matches(build, data, now, zone)

    usual = now.astimezone(UTC) - timedelta(hours=HISTORY_HOURS)
    short = build_rolling_tariff(
        prices(usual, now, minutes, kind=IntervalType.ACTUAL) + forecast, now=now, time_zone=zone_name
    )
    assert {slot.index for slot in short.missing} == set(skipped_today(OCTOBER, zone))


@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_the_evening_before_the_skip_falls_back_to_today(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    now = datetime.combine(OCTOBER - ONE_DAY, slot_start(40), tzinfo=zone)
    # A day of history and Amber's 25 hours ahead: the day after tomorrow's 02:00 is out of reach.
    data = prices(local_midnight(OCTOBER - 2 * ONE_DAY, zone), now, 30, kind=IntervalType.ACTUAL)
    data += prices(now, now.astimezone(UTC) + timedelta(hours=25), 30)
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    for index in skipped_today(OCTOBER, zone):
        slot = build.slots[index]
        # Tomorrow has no such time: the slot next occurs the day after, and falls back to today's.
        assert slot.start.date() == OCTOBER + ONE_DAY
        assert slot.buy_origin is PriceOrigin.PREVIOUS_DAY
    assert build.complete, build.problem
    oracle.assert_matches(build, data, now, zone)


# A spike fallback takes the median of the whole day's priced slots.


def spiked_history(
    day: date, zone: ZoneInfo, now: datetime, minutes: int, spike_slot: int
) -> list[PriceInterval]:
    """Actuals from the day before's midnight to `now`; the day before's `spike_slot` was a spike."""
    spike_day = day - ONE_DAY

    def spiked(item: PriceInterval) -> PriceInterval:
        local = item.start_time.astimezone(zone)
        if local.date() == spike_day and slot_index(local.time()) == spike_slot:
            return replace(item, per_kwh=item.per_kwh * 50, spike_status=SpikeStatus.SPIKE)
        return item

    return [
        spiked(item)
        for item in prices(local_midnight(spike_day, zone), now, minutes, kind=IntervalType.ACTUAL)
    ]


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize("day", [APRIL, OCTOBER], ids=["april", "october"])
@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_spike_fallback_takes_the_median_of_the_whole_day(zone_name: str, day: date, minutes: int) -> None:
    zone = ZoneInfo(zone_name)
    now = datetime.combine(day, slot_start(24), tzinfo=zone) + timedelta(minutes=10)
    current_start = datetime.combine(day, slot_start(24), tzinfo=zone)
    # A three-hour forecast over the midday solar trough, far cheaper than the rest of the day.
    forecast = [
        replace(item, per_kwh=item.per_kwh / 10)
        for item in prices(current_start, current_start + timedelta(hours=3), minutes)
    ]
    spike_slot = 36  # 18:00: beyond the horizon, so it falls back to the day before's 18:00, a spike
    data = spiked_history(day, zone, current_start, minutes, spike_slot) + forecast
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    assert build.complete, build.problem
    assert build.forecast_slots == 6
    spiked = build.slots[spike_slot]
    assert (spiked.buy_origin, spiked.sell_origin) == (PriceOrigin.SPIKE_MEDIAN, PriceOrigin.SPIKE_MEDIAN)
    others = [slot for slot in build.slots if slot.index != spike_slot]
    assert {slot.buy_origin for slot in others} == {PriceOrigin.DATA, PriceOrigin.PREVIOUS_DAY}
    buy = {slot.index: slot.buy for slot in others if slot.buy is not None}
    sell = [slot.sell for slot in others if slot.sell is not None]
    assert len(buy) == len(sell) == SLOTS_PER_DAY - 1
    horizon_only = statistics.median(
        buy[slot.index] for slot in others if slot.buy_origin is PriceOrigin.DATA
    )
    assert spiked.buy == pytest.approx(statistics.median(buy.values()))
    assert spiked.sell == pytest.approx(statistics.median(sell))
    assert spiked.buy is not None
    assert spiked.buy > 2 * horizon_only
    oracle.assert_matches(build, data, now, zone)


@pytest.mark.parametrize("minutes", MINUTES)
@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-20), timedelta(minutes=1), timedelta(minutes=20), timedelta(hours=5)]
)
def test_a_zone_whose_clock_change_splits_a_slot_matches_the_oracle(minutes: int, offset: timedelta) -> None:
    # The Chatham Islands skip 02:45 to 03:45: 03:00 never happens, 03:30 happens from 03:45 only.
    zone = ZoneInfo("Pacific/Chatham")
    day = date(2026, 9, 27)
    now = change_instant(day, zone) + offset
    data = full_data(day, zone, minutes)
    build = build_rolling_tariff(data, now=now, time_zone=zone)
    assert build.complete, build.problem
    oracle.assert_matches(build, data, now, zone)
