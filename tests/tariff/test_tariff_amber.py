"""Amber intervals to the rolling 24-hour tariff: which number, which slot, which fallback."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
import statistics
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_amber_sync.api.models import (
    ChannelType,
    IntervalType,
    PriceDescriptor,
    SpikeStatus,
)
from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    ForecastPrice,
    MissingReason,
    PriceOrigin,
    SlotSource,
    TariffChannel,
    build_rolling_tariff,
    slot_index,
)
from custom_components.tesla_amber_sync.tariff.prices import owner_price

from .helpers import FEED_IN, GENERAL, interval, series

SYDNEY = ZoneInfo("Australia/Sydney")
# 10:10 local on an ordinary day: the current slot is 10:00 (index 20).
NOW = datetime(2026, 11, 21, 10, 10, tzinfo=SYDNEY)
TODAY = NOW.date()
MIDNIGHT = datetime(2026, 11, 21, tzinfo=SYDNEY)
CURRENT = 20


def slot_of(moment: datetime) -> int:
    return slot_index(moment.astimezone(SYDNEY).time())


def by_slot(moment: datetime) -> float:
    """A general price unique to each slot and day (c/kWh)."""
    local = moment.astimezone(SYDNEY)
    return 200.0 + slot_of(local) + (local.date() - TODAY).days * 100


def day_ahead(
    *,
    hours: float = 24,
    minutes: int = 30,
    general: float | None = 30.0,
    feed_in: float | None = -8.0,
) -> list:  # type: ignore[type-arg]
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    end = start + timedelta(hours=hours)
    data = []
    if general is not None:
        data += series(start, end, general, minutes=minutes)
    if feed_in is not None:
        data += series(start, end, feed_in, channel=FEED_IN, minutes=minutes)
    return data


def test_flat_day_ahead_gives_a_complete_forecast_tariff() -> None:
    build = build_rolling_tariff(day_ahead(), now=NOW, time_zone="Australia/Sydney")
    assert build.complete
    assert build.problem is None
    assert build.tariff is not None
    assert build.tariff.buy_rates == (0.3,) * SLOTS_PER_DAY
    assert build.tariff.sell_rates == (0.08,) * SLOTS_PER_DAY
    assert build.forecast_slots == SLOTS_PER_DAY
    assert build.fallback_slots == 0
    assert all(slot.source is SlotSource.FORECAST for slot in build.slots)


def test_each_slot_takes_its_next_occurrence() -> None:
    start = MIDNIGHT - timedelta(days=1)
    data = series(start, start + timedelta(days=3), price_of=by_slot)
    data += series(start, start + timedelta(days=3), -5.0, channel=FEED_IN)
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    for index, slot in enumerate(build.slots):
        tomorrow = index < CURRENT
        assert slot.start == datetime.combine(
            TODAY + timedelta(days=tomorrow), (MIDNIGHT + timedelta(minutes=30 * index)).time(), tzinfo=SYDNEY
        )
        assert slot.name == f"PERIOD_{index // 2:02d}_{index % 2 * 30:02d}"
        assert slot.buy == pytest.approx((200 + index + 100 * tomorrow) / 100)
        assert build.tariff.slots[index].buy == round((200 + index + 100 * tomorrow) / 100, 4)


def test_five_minute_prices_are_averaged_by_duration() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    prices = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    data = [interval(start + timedelta(minutes=5 * i), p, minutes=5) for i, p in enumerate(prices)]
    data += day_ahead(general=None, minutes=5)
    data += series(start + timedelta(minutes=30), start + timedelta(hours=24), 30.0, minutes=5)
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.tariff.slots[CURRENT].buy == 0.35
    assert build.forecast_slots == SLOTS_PER_DAY


def test_mixed_resolutions_prefer_settled_five_minute_actuals_over_a_half_hour_estimate() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = day_ahead()
    # Replace the current slot: three settled 5-minute actuals, then the 30-minute CurrentInterval covering
    # the whole slot, then three 5-minute forecasts. The current interval overlaps the actuals and is dropped.
    data = [
        item for item in data if not (item.channel_type is GENERAL and slot_of(item.start_time) == CURRENT)
    ]
    data += [
        interval(start + timedelta(minutes=5 * i), 12.0, minutes=5, kind=IntervalType.ACTUAL)
        for i in range(3)
    ]
    data += [interval(start, 99.0, minutes=30, kind=IntervalType.CURRENT)]
    data += [interval(start + timedelta(minutes=5 * i), 24.0, minutes=5) for i in range(3, 6)]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.tariff.slots[CURRENT].buy == 0.18
    # A 30-minute slot with 5-minute and 30-minute data in different slots.
    assert build.tariff.slots[CURRENT + 1].buy == 0.3


def test_duplicates_for_one_instant_take_the_most_authoritative() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = day_ahead()
    data += [
        interval(start, 50.0, kind=IntervalType.ACTUAL),
        interval(start, 70.0, kind=IntervalType.CURRENT),
        interval(start + timedelta(minutes=30), 70.0, kind=IntervalType.CURRENT),
        interval(start + timedelta(minutes=60), 70.0, kind=IntervalType.UNKNOWN),
    ]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.tariff.slots[CURRENT].buy == 0.5
    assert build.tariff.slots[CURRENT + 1].buy == 0.7
    # An interval of unknown type never beats a forecast.
    assert build.tariff.slots[CURRENT + 2].buy == 0.3


def test_feed_in_sign_is_flipped_and_export_costs_become_zero() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = day_ahead(feed_in=-8.0)
    data += [interval(start, 5.0, channel=FEED_IN, kind=IntervalType.ACTUAL)]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.slots[CURRENT].sell == pytest.approx(-0.05)
    assert build.tariff.slots[CURRENT].sell == 0.0
    assert build.slots[CURRENT + 1].sell == pytest.approx(0.08)


def test_sell_is_capped_at_buy_and_negative_buy_is_zero() -> None:
    build = build_rolling_tariff(day_ahead(general=-3.0, feed_in=-50.0), now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.slots[0].buy == pytest.approx(-0.03)
    assert build.tariff.slots[0] == build.tariff.slots[47]
    assert build.tariff.slots[0].buy == 0.0
    assert build.tariff.slots[0].sell == 0.0
    high = build_rolling_tariff(day_ahead(general=20.0, feed_in=-50.0), now=NOW, time_zone=SYDNEY)
    assert high.tariff is not None
    assert high.tariff.slots[0].sell == 0.2


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ForecastPrice.PREDICTED, 0.2),
        (ForecastPrice.LOW, 0.1),
        (ForecastPrice.HIGH, 0.3),
        (ForecastPrice.PER_KWH, 0.25),
    ],
)
def test_advanced_price_choice_applies_to_forecasts_only(choice: ForecastPrice, expected: float) -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = day_ahead(general=None)
    data += [
        interval(start, 25.0, kind=IntervalType.CURRENT, advanced=(10.0, 20.0, 30.0)),
        interval(start + timedelta(minutes=30), 25.0, kind=IntervalType.ACTUAL, advanced=(10.0, 20.0, 30.0)),
    ]
    data += [
        interval(start + timedelta(minutes=30 * i), 25.0, advanced=(10.0, 20.0, 30.0)) for i in range(2, 47)
    ]
    # A forecast without advancedPrice falls back to perKwh.
    data += [interval(start + timedelta(minutes=30 * 47), 25.0)]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY, forecast_price=choice)
    assert build.tariff is not None
    assert build.tariff.slots[CURRENT].buy == 0.25
    assert build.tariff.slots[CURRENT + 1].buy == 0.25
    assert build.tariff.slots[CURRENT + 2].buy == expected
    assert build.tariff.slots[CURRENT - 1].buy == 0.25


def test_feed_in_advanced_price_keeps_amber_sign() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = day_ahead(feed_in=None)
    data += [
        interval(start + timedelta(minutes=30 * i), -6.0, channel=FEED_IN, advanced=(-9.0, -7.0, -5.0))
        for i in range(48)
    ]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY, forecast_price=ForecastPrice.LOW)
    assert build.tariff is not None
    assert build.tariff.sell_rates == (0.09,) * SLOTS_PER_DAY


def test_controlled_load_unknown_and_useless_intervals_are_ignored() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    noise = [
        interval(start, 99.0, channel=ChannelType.CONTROLLED_LOAD, kind=IntervalType.ACTUAL),
        interval(start, 99.0, channel=ChannelType.UNKNOWN, kind=IntervalType.ACTUAL),
        interval(start, float("nan"), kind=IntervalType.ACTUAL),
        interval(start - timedelta(days=5), 99.0),
    ]
    noise.append(replace(interval(start, 99.0, kind=IntervalType.ACTUAL), duration_minutes=0))
    build = build_rolling_tariff(day_ahead() + noise, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.tariff.buy_rates == (0.3,) * SLOTS_PER_DAY


def test_overflowing_prices_are_no_price() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = day_ahead()
    data = [
        item for item in data if not (item.channel_type is GENERAL and slot_of(item.start_time) == CURRENT)
    ]
    data += [interval(start + timedelta(minutes=5 * i), 1.7e308, minutes=5) for i in range(6)]
    # A slot whose only data is not a number has no data either.
    data += [interval(start + timedelta(minutes=30), float("inf"), kind=IntervalType.ACTUAL)]
    data = [
        item
        for item in data
        if not (item.channel_type is GENERAL and item.start_time.astimezone(SYDNEY).hour == 11)
    ]
    data += [interval(MIDNIGHT + timedelta(hours=11), float("nan"))]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is None
    assert [(m.index, m.channel) for m in build.missing] == [
        (CURRENT, TariffChannel.BUY),
        (CURRENT + 2, TariffChannel.BUY),
        (CURRENT + 3, TariffChannel.BUY),
    ]


@pytest.mark.parametrize("hours", [3, 12])
def test_short_horizon_falls_back_to_the_previous_day(hours: int) -> None:
    forecast_slots = hours * 2
    history_start = MIDNIGHT - timedelta(days=1)
    slot_now = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    history = series(history_start, slot_now, price_of=by_slot, kind=IntervalType.ACTUAL)
    history += series(history_start, slot_now, -4.0, channel=FEED_IN, kind=IntervalType.ACTUAL)
    build = build_rolling_tariff(day_ahead(hours=hours) + history, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.forecast_slots == forecast_slots
    assert build.fallback_slots == SLOTS_PER_DAY - forecast_slots
    for index, slot in enumerate(build.slots):
        if CURRENT <= index < CURRENT + forecast_slots:
            assert slot.source is SlotSource.FORECAST
            assert build.tariff.slots[index].buy == 0.3
            continue
        assert slot.source is SlotSource.FALLBACK
        assert slot.buy_origin is PriceOrigin.PREVIOUS_DAY
        # Today's later slots come from yesterday; tomorrow's early slots from today's actuals.
        expected = 200 + index + (0 if index < CURRENT else -100)
        assert slot.buy == pytest.approx(expected / 100)
        assert build.tariff.slots[index].sell == 0.04


def test_short_horizon_without_history_is_incomplete() -> None:
    build = build_rolling_tariff(day_ahead(hours=3), now=NOW, time_zone=SYDNEY)
    assert build.tariff is None
    assert not build.complete
    assert build.forecast_slots == 6
    assert build.fallback_slots == 0
    assert len(build.missing) == 2 * (SLOTS_PER_DAY - 6)
    assert {missing.reason for missing in build.missing} == {MissingReason.NO_DATA}
    assert {missing.channel for missing in build.missing} == {TariffChannel.BUY, TariffChannel.SELL}
    assert all(slot.source is SlotSource.MISSING for slot in build.slots if slot.buy is None)
    assert build.problem is not None
    assert build.problem.startswith("84 slot prices missing: buy PERIOD_00_00 (no_data)")
    assert build.problem.endswith("and 78 more")


def test_horizon_beyond_a_day_is_ignored_past_the_next_occurrence() -> None:
    data = day_ahead(hours=36, general=None)
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data += series(start, start + timedelta(hours=24), 30.0)
    data += series(start + timedelta(hours=24), start + timedelta(hours=36), 90.0)
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    assert build.tariff.buy_rates == (0.3,) * SLOTS_PER_DAY


def test_previous_day_spike_is_replaced_by_the_median_of_the_slots_with_data() -> None:
    history_start = MIDNIGHT - timedelta(days=1)
    history = series(history_start, MIDNIGHT, 1.0, kind=IntervalType.ACTUAL)
    history += series(history_start, MIDNIGHT, -1.0, channel=FEED_IN, kind=IntervalType.ACTUAL)
    spike_at = history_start + timedelta(hours=18)
    history = [
        item for item in history if item.start_time.astimezone(SYDNEY) != spike_at + timedelta(seconds=1)
    ]
    history += [
        interval(spike_at, 1500.0, kind=IntervalType.ACTUAL, spike=True),
        interval(
            spike_at, -1500.0, channel=FEED_IN, kind=IntervalType.ACTUAL, descriptor=PriceDescriptor.SPIKE
        ),
    ]
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    forecast = series(start, MIDNIGHT + timedelta(hours=18), price_of=by_slot)
    forecast += series(start, MIDNIGHT + timedelta(hours=18), -2.0, channel=FEED_IN)
    forecast += series(
        MIDNIGHT + timedelta(hours=18, minutes=30), start + timedelta(days=1), price_of=by_slot
    )
    forecast += series(
        MIDNIGHT + timedelta(hours=18, minutes=30), start + timedelta(days=1), -2.0, channel=FEED_IN
    )
    build = build_rolling_tariff(history + forecast, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    spiked = build.slots[36]
    assert spiked.buy_origin is PriceOrigin.SPIKE_MEDIAN
    assert spiked.sell_origin is PriceOrigin.SPIKE_MEDIAN
    assert spiked.source is SlotSource.FALLBACK
    others = [slot.buy for slot in build.slots if slot.index != 36]
    assert spiked.buy == pytest.approx(statistics.median(others))  # type: ignore[type-var]
    assert spiked.sell == pytest.approx(0.02)
    assert build.fallback_slots == 1


def test_spike_without_any_data_is_incomplete() -> None:
    history_start = MIDNIGHT - timedelta(days=1)
    history = series(history_start, MIDNIGHT, 20.0, kind=IntervalType.ACTUAL)
    history = [interval(item.start_time, 20.0, kind=IntervalType.ACTUAL, spike=True) for item in history]
    build = build_rolling_tariff(history, now=NOW, time_zone=SYDNEY, has_feed_in=False)
    assert build.tariff is None
    reasons = {(m.index, m.reason) for m in build.missing}
    assert (CURRENT, MissingReason.SPIKE_WITHOUT_MEDIAN) in reasons
    assert (0, MissingReason.NO_DATA) in reasons


def test_site_without_feed_in_sells_at_zero() -> None:
    data = day_ahead(feed_in=None) + day_ahead(general=None, feed_in=-70.0)
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY, has_feed_in=False)
    assert build.tariff is not None
    assert build.tariff.sell_rates == (0.0,) * SLOTS_PER_DAY
    assert build.slots[0].sell_origin is PriceOrigin.NO_FEED_IN
    assert build.forecast_slots == SLOTS_PER_DAY
    # The same data with a feed-in channel expected but missing is incomplete.
    assert build_rolling_tariff(day_ahead(feed_in=None), now=NOW, time_zone=SYDNEY).tariff is None


def test_owner_price_flips_only_feed_in() -> None:
    assert owner_price(interval(NOW, 30.0)) == pytest.approx(0.3)
    assert owner_price(interval(NOW, -8.0, channel=FEED_IN)) == pytest.approx(0.08)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_rolling_tariff([], now=datetime(2026, 1, 1, 12), time_zone=SYDNEY)


def test_now_in_another_zone_is_converted() -> None:
    utc_now = NOW.astimezone(ZoneInfo("UTC"))
    assert build_rolling_tariff(day_ahead(), now=utc_now, time_zone=SYDNEY) == build_rolling_tariff(
        day_ahead(), now=NOW, time_zone=SYDNEY
    )


def test_slot_starts_are_in_the_site_zone() -> None:
    build = build_rolling_tariff([], now=NOW, time_zone="Australia/Perth")
    assert build.slots[0].start.tzinfo == ZoneInfo("Australia/Perth")
    # 10:10 in Sydney (AEDT, +11) is 07:10 in Perth (+8): the current slot there is 07:00.
    assert build.slots[14].start.date() == date(2026, 11, 21)
    assert build.slots[13].start.date() == date(2026, 11, 22)


def test_spike_median_counts_the_fallback_slots_too() -> None:
    # A three-hour forecast over the cheap midday, a day of dearer history, yesterday's 18:00 a spike.
    history_start = MIDNIGHT - timedelta(days=1)
    slot_now = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    history = series(history_start, slot_now, price_of=by_slot, kind=IntervalType.ACTUAL)
    history += series(history_start, slot_now, -4.0, channel=FEED_IN, kind=IntervalType.ACTUAL)
    spike_at = history_start + timedelta(hours=18) + timedelta(seconds=1)
    history = [
        replace(item, spike_status=SpikeStatus.SPIKE, per_kwh=9000.0)
        if item.start_time == spike_at and item.channel_type is GENERAL
        else item
        for item in history
    ]
    build = build_rolling_tariff(day_ahead(hours=3, general=5.0) + history, now=NOW, time_zone=SYDNEY)
    assert build.tariff is not None
    spiked = build.slots[36]
    assert spiked.buy_origin is PriceOrigin.SPIKE_MEDIAN
    # Six forecast slots at 0.05 and 41 fallback slots from the history (1.xx and 2.xx $/kWh).
    others = sorted(slot.buy for slot in build.slots if slot.index != 36 and slot.buy is not None)
    assert others[:6] == [pytest.approx(0.05)] * 6
    assert spiked.buy == pytest.approx(statistics.median(others))
    # The median of the forecast slots alone would be 0.05.
    assert spiked.buy > 1


def test_a_slot_whose_prices_add_up_past_the_float_range_has_no_price() -> None:
    start = MIDNIGHT + timedelta(minutes=CURRENT * 30)
    data = [
        item
        for item in day_ahead()
        if not (item.channel_type is GENERAL and slot_of(item.start_time) == CURRENT)
    ]
    # Each 5-minute price times its minutes is finite; their sum is not.
    data += [interval(start + timedelta(minutes=5 * i), 1e307, minutes=5) for i in range(6)]
    build = build_rolling_tariff(data, now=NOW, time_zone=SYDNEY)
    assert [(m.index, m.channel) for m in build.missing] == [(CURRENT, TariffChannel.BUY)]
