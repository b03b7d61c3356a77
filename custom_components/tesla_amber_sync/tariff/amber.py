"""Amber price intervals to a rolling 24-hour day tariff.

Each of the day's slots takes the price of its next occurrence at or after the current slot, so the
Powerwall always sees the coming 24 hours; a slot that today's clock change skips next occurs tomorrow. A
slot without data takes the same slot at its occurrence before (the day before, or two days before for a
skipped slot), or, when that was a price spike, the median of every other priced slot of the day; a slot
with neither is reported as missing and no tariff is built, because a hole read as $0 would make the
battery charge at peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
import math
import statistics
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from custom_components.tesla_amber_sync.api.models import (
    ChannelType,
    IntervalType,
    PriceDescriptor,
    PriceInterval,
    SpikeStatus,
)

from .model import SLOTS_PER_DAY, DayTariff, SlotPrice, slot_index, slot_name, slot_start
from .prices import owner_dollars_per_kwh
from .rules import apply_tesla_rules
from .wall_clock import next_occurrence, previous_occurrence

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

_ONE_DAY: Final = timedelta(days=1)

# When intervals overlap (an Actual and a Forecast for the same start, or 30-minute data over 5-minute
# data), the most settled one wins instead of being averaged with a stale guess.
_AUTHORITY: Final = {
    IntervalType.ACTUAL: 0,
    IntervalType.CURRENT: 1,
    IntervalType.FORECAST: 2,
    IntervalType.UNKNOWN: 3,
}


class ForecastPrice(StrEnum):
    """Which Amber number prices a forecast interval."""

    PREDICTED = "predicted"
    LOW = "low"
    HIGH = "high"
    PER_KWH = "per_kwh"


class TariffChannel(StrEnum):
    """The side of the tariff a price belongs to."""

    BUY = "buy"
    SELL = "sell"


class PriceOrigin(StrEnum):
    """Where one channel's price for a slot came from."""

    DATA = "data"
    PREVIOUS_DAY = "previous_day"
    SPIKE_MEDIAN = "spike_median"
    NO_FEED_IN = "no_feed_in"


class SlotSource(StrEnum):
    """Where a slot's prices came from, both channels together."""

    FORECAST = "forecast"
    FALLBACK = "fallback"
    MISSING = "missing"


class MissingReason(StrEnum):
    """Why a slot has no price."""

    NO_DATA = "no_data"
    """Neither the slot's next occurrence nor the same slot the day before has data."""
    SPIKE_WITHOUT_MEDIAN = "spike_without_median"
    """The day before was a spike and no other slot has data to take the median of."""


_AMBER_CHANNEL: Final = {TariffChannel.BUY: ChannelType.GENERAL, TariffChannel.SELL: ChannelType.FEED_IN}

_FALLBACK_ORIGINS: Final = frozenset({PriceOrigin.PREVIOUS_DAY, PriceOrigin.SPIKE_MEDIAN})


@dataclass(frozen=True, kw_only=True, slots=True)
class BuiltSlot:
    """How one slot was priced.

    `start` is the local start of the occurrence the slot stands for (its next occurrence). `buy` and
    `sell` are in $/kWh with Tesla's sign, before Tesla's rules (rounding, no negatives, sell <= buy);
    None when the channel is missing.
    """

    index: int
    name: str
    start: datetime
    buy: float | None
    sell: float | None
    buy_origin: PriceOrigin | None
    sell_origin: PriceOrigin | None

    @property
    def source(self) -> SlotSource:
        """Return `FALLBACK` when either channel needed a fallback, `MISSING` when either has no price."""
        origins = (self.buy_origin, self.sell_origin)
        if None in origins:
            return SlotSource.MISSING
        if any(origin in _FALLBACK_ORIGINS for origin in origins):
            return SlotSource.FALLBACK
        return SlotSource.FORECAST


@dataclass(frozen=True, kw_only=True, slots=True)
class MissingSlot:
    """One channel of one slot that could not be priced."""

    index: int
    name: str
    start: datetime
    channel: TariffChannel
    reason: MissingReason


@dataclass(frozen=True, kw_only=True, slots=True)
class TariffBuild:
    """What `build_rolling_tariff` made: the tariff (None when incomplete) and how each slot was priced."""

    tariff: DayTariff | None
    slots: tuple[BuiltSlot, ...]
    missing: tuple[MissingSlot, ...]

    @property
    def complete(self) -> bool:
        """Return whether every slot of both channels has a price."""
        return not self.missing

    @property
    def problem(self) -> str | None:
        """Return a one-line account of the missing slots for logs and messages (None when complete)."""
        if not self.missing:
            return None
        shown = ", ".join(f"{slot.channel} {slot.name} ({slot.reason})" for slot in self.missing[:6])
        more = f" and {len(self.missing) - 6} more" if len(self.missing) > 6 else ""
        return f"{len(self.missing)} slot prices missing: {shown}{more}"

    @property
    def forecast_slots(self) -> int:
        """Return how many slots were priced from data for their next occurrence on both channels."""
        return sum(slot.source is SlotSource.FORECAST for slot in self.slots)

    @property
    def fallback_slots(self) -> int:
        """Return how many slots needed a fallback on at least one channel (and have both prices)."""
        return sum(slot.source is SlotSource.FALLBACK for slot in self.slots)


@dataclass(frozen=True, slots=True)
class _SlotData:
    """The duration-weighted price of the intervals inside one local half-hour of one channel."""

    price: float
    spike: bool


# One interval of a slot, with its start as a POSIX timestamp (read once per distinct start).
type _Candidate = tuple[float, PriceInterval]
type _SlotKey = tuple[TariffChannel, date, int]
# Where an instant falls: the local date, the slot, and the instant as a POSIX timestamp.
type _Place = tuple[date, int, float]


def _interval_price(interval: PriceInterval, forecast_price: ForecastPrice) -> float:
    """Return the c/kWh number (Amber billing sign) that prices `interval`."""
    advanced = interval.advanced_price
    if interval.type is IntervalType.FORECAST and advanced is not None:
        match forecast_price:
            case ForecastPrice.PREDICTED:
                return advanced.predicted
            case ForecastPrice.LOW:
                return advanced.low
            case ForecastPrice.HIGH:
                return advanced.high
    return interval.per_kwh


def _is_spike(interval: PriceInterval) -> bool:
    return interval.spike_status is SpikeStatus.SPIKE or interval.descriptor is PriceDescriptor.SPIKE


def _authority_order(candidate: _Candidate) -> tuple[int, int, float]:
    start, interval = candidate
    return _AUTHORITY[interval.type], interval.duration_minutes, start


def _in_order_without_overlap(candidates: list[_Candidate]) -> bool:
    """Return whether each candidate starts at or after the end of the one before it (Amber's usual data)."""
    previous_end = -math.inf
    for start, interval in candidates:
        if start < previous_end:
            return False
        previous_end = start + interval.duration_minutes * 60
    return True


def _slot_data(
    candidates: list[_Candidate], forecast_price: ForecastPrice, channel: ChannelType
) -> _SlotData | None:
    """Return the duration-weighted mean price ($/kWh, owner's sign) of one slot's intervals.

    Overlapping intervals are resolved by authority rather than averaged.
    """
    # Without overlaps every interval counts, so the authority order (and its sort) only matters with them.
    overlapping = not _in_order_without_overlap(candidates)
    if overlapping:
        candidates = sorted(candidates, key=_authority_order)
    taken: list[tuple[float, float]] = []
    weighted: list[float] = []
    minutes = 0
    spike = False
    for start, interval in candidates:
        cents = _interval_price(interval, forecast_price)
        if not math.isfinite(cents):
            # A NaN or infinite price is no price; let other data (or the fallback) price the time.
            continue
        if overlapping:
            end = start + interval.duration_minutes * 60
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
        weighted.append(cents * interval.duration_minutes)
        minutes += interval.duration_minutes
        spike = spike or _is_spike(interval)
    if not minutes:
        return None
    # fsum: the mean does not depend on the order the intervals came in, and cannot overflow midway.
    try:
        mean = owner_dollars_per_kwh(math.fsum(weighted) / minutes, channel)
    except OverflowError:
        return None
    # Finite inputs can still sum past the float range; an infinite price is no price.
    return _SlotData(price=mean, spike=spike) if math.isfinite(mean) else None


def _place(start: datetime, zone: ZoneInfo, dates: frozenset[date]) -> _Place | None:
    local_start = start.astimezone(zone)
    day = local_start.date()
    if day not in dates:
        return None
    return day, slot_index(local_start.time()), start.timestamp()


def _group_by_slot(
    intervals: Iterable[PriceInterval],
    zone: ZoneInfo,
    dates: frozenset[date],
    *,
    has_feed_in: bool,
) -> dict[_SlotKey, list[_Candidate]]:
    """Group usable intervals by channel and the local (date, slot) holding their start instant."""
    channels = {ChannelType.GENERAL: TariffChannel.BUY}
    if has_feed_in:
        channels[ChannelType.FEED_IN] = TariffChannel.SELL
    groups: dict[_SlotKey, list[_Candidate]] = {}
    # The channels share their start instants: convert each one to the site's wall clock once.
    places: dict[datetime, _Place | None] = {}
    for interval in intervals:
        channel = channels.get(interval.channel_type)
        if channel is None or interval.duration_minutes <= 0:
            continue
        start = interval.start_time
        if start in places:
            place = places[start]
        else:
            place = places[start] = _place(start, zone, dates)
        if place is not None:
            day, index, timestamp = place
            groups.setdefault((channel, day, index), []).append((timestamp, interval))
    return groups


@dataclass(frozen=True, slots=True)
class _ChannelPrice:
    price: float | None
    origin: PriceOrigin | None
    reason: MissingReason | None = None


@dataclass(frozen=True, slots=True)
class _SlotDates:
    """The date of a slot's next occurrence, and of the occurrence before it (the fallback's)."""

    occurrence: date
    previous: date


def _fill_channel(
    channel: TariffChannel, data_of: Callable[[_SlotKey], _SlotData | None], dates: list[_SlotDates]
) -> list[_ChannelPrice]:
    """Price every slot of one channel: data for its next occurrence, else the fallback rule."""
    prices: list[_ChannelPrice | None] = []
    for index, slot_dates in enumerate(dates):
        own = data_of((channel, slot_dates.occurrence, index))
        if own is not None:
            prices.append(_ChannelPrice(own.price, PriceOrigin.DATA))
            continue
        previous = data_of((channel, slot_dates.previous, index))
        if previous is None:
            prices.append(_ChannelPrice(None, None, MissingReason.NO_DATA))
        elif not previous.spike:
            prices.append(_ChannelPrice(previous.price, PriceOrigin.PREVIOUS_DAY))
        else:
            # Priced below, once the rest of the day is known.
            prices.append(None)
    # The median of the whole day's priced slots, data and fallback alike, resists the spike itself and
    # any other outlier; a short forecast horizon alone (say the midday solar trough) would under-price.
    priced = [price.price for price in prices if price is not None and price.price is not None]
    median = statistics.median(priced) if priced else None
    spike_price = (
        _ChannelPrice(None, None, MissingReason.SPIKE_WITHOUT_MEDIAN)
        if median is None
        else _ChannelPrice(median, PriceOrigin.SPIKE_MEDIAN)
    )
    return [spike_price if price is None else price for price in prices]


def _slot_dates(zone: ZoneInfo, today: date, current: int) -> list[_SlotDates]:
    """Return, for every slot, the date of its next occurrence from the current slot on, and the one before.

    The current and later slots are next seen today, earlier ones tomorrow; a slot that the day's clock
    change skips is next seen a day later, and its fallback is the last day it did occur.
    """
    result: list[_SlotDates] = []
    for index in range(SLOTS_PER_DAY):
        occurrence = next_occurrence(zone, index, today if index >= current else today + _ONE_DAY)
        result.append(_SlotDates(occurrence, previous_occurrence(zone, index, occurrence)))
    return result


def build_rolling_tariff(
    intervals: Iterable[PriceInterval],
    *,
    now: datetime,
    time_zone: str | ZoneInfo,
    forecast_price: ForecastPrice = ForecastPrice.PREDICTED,
    has_feed_in: bool = True,
) -> TariffBuild:
    """Build the rolling 24-hour tariff for the site's local day from Amber intervals.

    `now` must be timezone-aware; `time_zone` is the site's IANA zone (slots are its wall clock). Slots
    from the one containing `now` to 23:30 are priced for today, earlier slots for tomorrow, and so are
    the slots that today's clock change skips (02:00 and 02:30 when clocks go forward). General
    prices become buy rates ($/kWh) and feed-in prices sell rates (sign flipped so that earning is
    positive). With `has_feed_in=False` (a site without a feed-in channel) every sell rate is 0.
    `TariffBuild.tariff` is None when any slot of either channel could not be priced; `missing` says
    which and why.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
    local_now = now.astimezone(zone)
    today = local_now.date()
    current = slot_index(local_now.time())
    slot_dates = _slot_dates(zone, today, current)
    window = frozenset(d for pair in slot_dates for d in (pair.occurrence, pair.previous))
    groups = _group_by_slot(intervals, zone, window, has_feed_in=has_feed_in)

    def data_of(key: _SlotKey) -> _SlotData | None:
        # Only the slots the tariff asks about are priced: a day of history behind a full forecast is not.
        candidates = groups.get(key)
        return None if candidates is None else _slot_data(candidates, forecast_price, _AMBER_CHANNEL[key[0]])

    buy = _fill_channel(TariffChannel.BUY, data_of, slot_dates)
    if has_feed_in:
        sell = _fill_channel(TariffChannel.SELL, data_of, slot_dates)
    else:
        sell = [_ChannelPrice(0.0, PriceOrigin.NO_FEED_IN)] * SLOTS_PER_DAY

    slots: list[BuiltSlot] = []
    missing: list[MissingSlot] = []
    for index in range(SLOTS_PER_DAY):
        # Wall-clock start on the occurrence's date; on a 25-hour day this is the first of the two.
        start = datetime.combine(slot_dates[index].occurrence, slot_start(index), tzinfo=zone)
        name = slot_name(index)
        slots.append(
            BuiltSlot(
                index=index,
                name=name,
                start=start,
                buy=buy[index].price,
                sell=sell[index].price,
                buy_origin=buy[index].origin,
                sell_origin=sell[index].origin,
            )
        )
        for channel, price in ((TariffChannel.BUY, buy[index]), (TariffChannel.SELL, sell[index])):
            if price.reason is not None:
                missing.append(
                    MissingSlot(index=index, name=name, start=start, channel=channel, reason=price.reason)
                )

    tariff: DayTariff | None = None
    if not missing:
        tariff = apply_tesla_rules(
            DayTariff(
                slots=tuple(
                    SlotPrice(buy=slot.buy, sell=slot.sell)
                    for slot in slots
                    if slot.buy is not None and slot.sell is not None
                )
            )
        )
    return TariffBuild(tariff=tariff, slots=tuple(slots), missing=tuple(missing))
