"""An independent, deliberately plain implementation of the rolling-tariff rules, to check the real one.

It shares no code with `tariff/amber.py`: which local half-hours a day has is found by walking every
minute of UTC time, and every slot is priced by filtering the whole list of intervals. It handles the
data the tests generate (no two intervals of a channel overlapping), not Amber's overlap rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
import statistics
from typing import TYPE_CHECKING

import pytest

from custom_components.tesla_amber_sync.api.models import (
    ChannelType,
    IntervalType,
    PriceDescriptor,
    SpikeStatus,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from custom_components.tesla_amber_sync.api.models import PriceInterval
    from custom_components.tesla_amber_sync.tariff import TariffBuild

# A mean summed in another order may round the other way at a half: allow one 4-decimal step.
ROUNDING = 1.000001e-4


@dataclass(frozen=True)
class OracleSlot:
    """How the oracle priced one channel of one slot; `price` None means it could not."""

    occurrence: date
    price: float | None
    origin: str | None


@cache
def occurring(zone: ZoneInfo, around: date) -> frozenset[tuple[date, int]]:
    """Every (local date, slot index) that some instant within four days of `around` falls in."""
    moment = datetime.combine(around - timedelta(days=4), datetime.min.time(), tzinfo=UTC)
    end = moment + timedelta(days=9)
    seen: set[tuple[date, int]] = set()
    while moment < end:
        local = moment.astimezone(zone)
        seen.add((local.date(), (local.hour * 60 + local.minute) // 30))
        moment += timedelta(minutes=1)
    return frozenset(seen)


def local_slot(instant: datetime, zone: ZoneInfo) -> tuple[date, int]:
    local = instant.astimezone(zone)
    return local.date(), (local.hour * 60 + local.minute) // 30


def number(item: PriceInterval) -> float:
    if item.type is IntervalType.FORECAST and item.advanced_price is not None:
        return item.advanced_price.predicted
    return item.per_kwh


type Groups = dict[tuple[ChannelType, date, int], list[PriceInterval]]


def group(data: list[PriceInterval], zone: ZoneInfo) -> Groups:
    groups: Groups = {}
    for item in data:
        groups.setdefault((item.channel_type, *local_slot(item.start_time, zone)), []).append(item)
    return groups


def slot_data(groups: Groups, channel: ChannelType, day: date, index: int) -> tuple[float, bool] | None:
    """Owner's $/kWh (duration-weighted) and whether any interval was a spike, or None without data."""
    inside = groups.get((channel, day, index))
    if not inside:
        return None
    mean = statistics.fmean([number(item) for item in inside], [item.duration_minutes for item in inside])
    sign = -1 if channel is ChannelType.FEED_IN else 1
    spike = any(
        item.spike_status is SpikeStatus.SPIKE or item.descriptor is PriceDescriptor.SPIKE for item in inside
    )
    return sign * mean / 100, spike


def price_channel(
    data: list[PriceInterval], *, now: datetime, zone: ZoneInfo, channel: ChannelType
) -> list[OracleSlot]:
    """Price the 48 slots of one channel by the README's rules."""
    local_now = now.astimezone(zone)
    today = local_now.date()
    current = (local_now.hour * 60 + local_now.minute) // 30
    occurs = occurring(zone, today)
    groups = group(data, zone)
    slots: list[tuple[date, float | None, str | None, bool]] = []
    for index in range(48):
        occurrence = today if index >= current else today + timedelta(days=1)
        while (occurrence, index) not in occurs:
            occurrence += timedelta(days=1)
        before = occurrence - timedelta(days=1)
        while (before, index) not in occurs:
            before -= timedelta(days=1)
        own = slot_data(groups, channel, occurrence, index)
        previous = slot_data(groups, channel, before, index)
        if own is not None:
            slots.append((occurrence, own[0], "data", False))
        elif previous is None:
            slots.append((occurrence, None, None, False))
        elif not previous[1]:
            slots.append((occurrence, previous[0], "previous_day", False))
        else:
            slots.append((occurrence, None, None, True))
    priced = [price for _, price, _, spike in slots if price is not None and not spike]
    result: list[OracleSlot] = []
    for occurrence, price, origin, spike in slots:
        if spike and priced:
            result.append(OracleSlot(occurrence, statistics.median(priced), "spike_median"))
        else:
            result.append(OracleSlot(occurrence, price, origin))
    return result


def tesla_rates(buy: list[OracleSlot], sell: list[OracleSlot]) -> list[tuple[float, float]] | None:
    """The rates Tesla gets: 4 decimals, no negatives, sell capped at buy; None with any hole."""
    rates: list[tuple[float, float]] = []
    for buy_slot, sell_slot in zip(buy, sell, strict=True):
        if buy_slot.price is None or sell_slot.price is None:
            return None
        buy_rate = max(round(buy_slot.price, 4), 0.0)
        sell_rate = max(round(sell_slot.price, 4), 0.0)
        rates.append((buy_rate, min(sell_rate, buy_rate)))
    return rates


def assert_matches(build: TariffBuild, data: list[PriceInterval], now: datetime, zone: ZoneInfo) -> None:
    """Assert that `build` prices every slot of both channels as the oracle does, from the same data."""
    buy = price_channel(data, now=now, zone=zone, channel=ChannelType.GENERAL)
    sell = price_channel(data, now=now, zone=zone, channel=ChannelType.FEED_IN)
    for slot, buy_slot, sell_slot in zip(build.slots, buy, sell, strict=True):
        assert slot.start.date() == buy_slot.occurrence, slot.name
        assert (slot.buy_origin, slot.sell_origin) == (buy_slot.origin, sell_slot.origin), slot.name
        assert slot.buy == pytest.approx(buy_slot.price, rel=1e-9, abs=1e-9), slot.name
        assert slot.sell == pytest.approx(sell_slot.price, rel=1e-9, abs=1e-9), slot.name
    rates = tesla_rates(buy, sell)
    if rates is None:
        assert build.tariff is None
        return
    assert build.tariff is not None, build.problem
    assert build.tariff.buy_rates == pytest.approx([buy for buy, _ in rates], abs=ROUNDING)
    assert build.tariff.sell_rates == pytest.approx([sell for _, sell in rates], abs=ROUNDING)
