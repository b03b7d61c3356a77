"""Scenario prices: the shapes the brief asks for, as pure functions of time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.scenarios import SCENARIOS, SPIKE_GENERAL, SpikeLevel

SYDNEY = ZoneInfo("Australia/Sydney")


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, 15, hour, minute, tzinfo=SYDNEY)


def test_typical_day_has_two_peaks_and_a_solar_soak() -> None:
    day = SCENARIOS["typical_day"]
    price = {h: day.block_price(local(h), SYDNEY) for h in (3, 7, 12, 18, 23)}
    assert price[7].general > price[3].general
    assert price[18].general > price[7].general
    assert price[12].general < price[3].general
    # Solar soak: spot below zero, so exporting costs the owner (positive feed-in in billing sign).
    assert price[12].spot < 0
    assert price[12].feed_in > 0
    # Evening: the owner is paid to export (negative feed-in).
    assert price[18].feed_in < 0


def test_thirty_minute_sites_have_one_price_per_half_hour() -> None:
    day = SCENARIOS["typical_day"]
    assert day.block_price(local(18, 5), SYDNEY) == day.block_price(local(18, 25), SYDNEY)
    assert day.interval_price(local(18), 30, SYDNEY) == day.block_price(local(18), SYDNEY)


def test_five_minute_prices_jitter_and_average() -> None:
    five = SCENARIOS["five_minute"]
    blocks = [five.block_price(local(18, m), SYDNEY) for m in range(0, 30, 5)]
    assert len({b.general for b in blocks}) > 1
    mean = five.interval_price(local(18), 30, SYDNEY)
    assert abs(mean.general - sum(b.general for b in blocks) / 6) < 1e-4
    assert five.interval_length == 5


def test_stepped_prices_are_round() -> None:
    stepped = SCENARIOS["thirty_minute"]
    assert stepped.block_price(local(17), SYDNEY).general == 52.0
    assert stepped.block_price(local(3), SYDNEY).general == 20.0


def test_spike_window_and_warning() -> None:
    spike = SCENARIOS["price_spike"]
    start = local(15).astimezone(ZoneInfo("UTC"))
    assert spike.block_price(local(15, 10), SYDNEY, start).general == SPIKE_GENERAL
    assert spike.block_price(local(15, 10), SYDNEY, start).spike is SpikeLevel.SPIKE
    assert spike.block_price(local(14, 40), SYDNEY, start).spike is SpikeLevel.POTENTIAL
    assert spike.block_price(local(16), SYDNEY, start).spike is SpikeLevel.NONE
    # An interval that only partly overlaps the spike still reports it.
    assert spike.interval_price(local(14, 30), 60, SYDNEY, start).spike is SpikeLevel.SPIKE
    # Without a start there is no spike at all.
    assert spike.block_price(local(15, 10), SYDNEY).spike is SpikeLevel.NONE


def test_short_forecast_is_short() -> None:
    assert SCENARIOS["short_forecast"].forecast_hours <= 4
    assert timedelta(hours=SCENARIOS["typical_day"].forecast_hours) >= timedelta(hours=25)
