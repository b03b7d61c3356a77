"""Amber price intervals to a rolling 24-hour day tariff.

Each of the day's slots takes the price of its next occurrence at or after the current slot, so the
Powerwall always sees the coming 24 hours; a slot that today's clock change skips next occurs tomorrow. A
slot without data takes the same slot at its occurrence before (the day before, or two days before for a
skipped slot), or, when that was a price spike, the median of every other priced slot of the day; a slot
with neither is reported as missing and no tariff is built, because a hole read as $0 would make the
battery charge at peak.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum, StrEnum, auto
import math
from operator import attrgetter
import statistics
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from custom_components.tesla_amber_sync.api.models import (
    AdvancedPrice,
    ChannelType,
    IntervalType,
    PriceInterval,
    PricePoint,
)

from .model import SLOT_NAMES, SLOTS_PER_DAY, DayTariff, SlotPrice, slot_index, slot_start
from .prices import owner_dollars_per_kwh
from .rules import apply_tesla_rules
from .wall_clock import next_occurrence, previous_occurrence

if TYPE_CHECKING:
    from collections.abc import Iterable

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

# The number of Amber's forecast band that each choice reads.
_FORECAST_BAND: Final[dict[ForecastPrice, Callable[[AdvancedPrice], float]]] = {
    ForecastPrice.PREDICTED: attrgetter("predicted"),
    ForecastPrice.LOW: attrgetter("low"),
    ForecastPrice.HIGH: attrgetter("high"),
}

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


class _Priced(Protocol):
    """What the tariff reads of an Amber interval: a `PriceInterval` and a `PricePoint` both have it."""

    @property
    def type(self) -> IntervalType: ...
    @property
    def channel_type(self) -> ChannelType: ...
    @property
    def start_time(self) -> datetime: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def per_kwh(self) -> float: ...
    @property
    def is_spike(self) -> bool: ...
    @property
    def advanced_price(self) -> AdvancedPrice | None: ...


@runtime_checkable
class _PricePointSource(Protocol):
    """A parsed reply (`api.prices.PriceIntervals`) that can hand out the pricing fields of one interval."""

    @property
    def starts(self) -> Sequence[datetime]: ...

    def point(self, index: int) -> PricePoint: ...


class _SlotData(NamedTuple):
    """The duration-weighted price of the intervals inside one local half-hour of one channel."""

    price: float
    spike: bool


# One interval of a slot, with its start as a POSIX timestamp (read once per distinct start).
type _Candidate = tuple[float, _Priced]
type _SlotKey = tuple[TariffChannel, date, int]


class _SlotDataOf(Protocol):
    def __call__(self, key: _SlotKey, *, occurrence: bool) -> _SlotData | None: ...


def _authority_order(candidate: _Candidate) -> tuple[int, int, float]:
    start, interval = candidate
    return _AUTHORITY[interval.type], interval.duration_minutes, start


def _slot_data(
    candidates: list[_Candidate], forecast_price: ForecastPrice, channel: ChannelType
) -> _SlotData | None:
    """Return the duration-weighted mean price ($/kWh, owner's sign) of one slot's intervals.

    A forecast interval is priced by `forecast_price` (from `advancedPrice` when it has one), any other
    by `perKwh`. Overlapping intervals are resolved by authority rather than averaged.
    """
    band = _FORECAST_BAND.get(forecast_price)
    weighted: list[float] = []
    minutes = 0
    spike = False
    previous_end = -math.inf
    for start, interval in candidates:
        if start < previous_end:
            # Amber's intervals come in order without overlaps; any other data is resolved by authority.
            return _overlapping_slot_data(candidates, band, channel)
        previous_end = start + interval.duration_minutes * 60
        cents = _cents(interval, band)
        if not math.isfinite(cents):
            # A NaN or infinite price is no price; let other data (or the fallback) price the time.
            continue
        weighted.append(cents * interval.duration_minutes)
        minutes += interval.duration_minutes
        spike = spike or interval.is_spike
    return _mean(weighted, minutes, spike, channel)


def _overlapping_slot_data(
    candidates: list[_Candidate], band: Callable[[AdvancedPrice], float] | None, channel: ChannelType
) -> _SlotData | None:
    """Return `_slot_data` of intervals that overlap: the most settled one prices each stretch of time."""
    taken: list[tuple[float, float]] = []
    weighted: list[float] = []
    minutes = 0
    spike = False
    for start, interval in sorted(candidates, key=_authority_order):
        cents = _cents(interval, band)
        if not math.isfinite(cents):
            continue
        end = start + interval.duration_minutes * 60
        if any(start < other_end and other_start < end for other_start, other_end in taken):
            continue
        taken.append((start, end))
        weighted.append(cents * interval.duration_minutes)
        minutes += interval.duration_minutes
        spike = spike or interval.is_spike
    return _mean(weighted, minutes, spike, channel)


def _cents(interval: _Priced, band: Callable[[AdvancedPrice], float] | None) -> float:
    """Return the c/kWh number (Amber billing sign) that prices `interval`."""
    advanced = interval.advanced_price
    if band is not None and advanced is not None and interval.type is IntervalType.FORECAST:
        return band(advanced)
    return interval.per_kwh


def _mean(weighted: list[float], minutes: int, spike: bool, channel: ChannelType) -> _SlotData | None:
    if not minutes:
        return None
    # fsum: the mean does not depend on the order the intervals came in, and cannot overflow midway.
    try:
        mean = owner_dollars_per_kwh(math.fsum(weighted) / minutes, channel)
    except OverflowError:
        return None
    # Finite inputs can still sum past the float range; an infinite price is no price.
    return _SlotData(price=mean, spike=spike) if math.isfinite(mean) else None


class _Unplaced(Enum):
    UNPLACED = auto()


class _SlotGroups:
    """Amber's intervals grouped by channel and the local (date, slot) holding their start instant.

    Every slot's next occurrence starts at or after the current slot, so the intervals before it (a day
    of history, in a normal reply) are only grouped when some slot needs its fallback.
    """

    def __init__(
        self,
        starts: Sequence[datetime],
        interval_at: Callable[[int], _Priced],
        zone: ZoneInfo,
        dates: frozenset[date],
        *,
        since: datetime,
        has_feed_in: bool,
    ) -> None:
        self._starts = starts
        self._interval_at = interval_at
        self._zone = zone
        self._dates = dates
        self._since = since
        self._channels = {ChannelType.GENERAL: TariffChannel.BUY}
        if has_feed_in:
            self._channels[ChannelType.FEED_IN] = TariffChannel.SELL
        self._groups: dict[_SlotKey, list[_Candidate]] = {}
        # Every channel repeats the same start instants: each is placed on the site's wall clock once,
        # keeping its timestamp and its slot's lists (one per channel) for the next interval starting then.
        self._places: dict[datetime, tuple[float, dict[TariffChannel, list[_Candidate]]] | None] = {}
        self._slots: dict[tuple[date, int], dict[TariffChannel, list[_Candidate]]] = {}
        self._add(later=True)
        self._complete = False

    def candidates(self, key: _SlotKey, *, occurrence: bool) -> list[_Candidate]:
        """Return the intervals of one channel's local slot; an occurrence's need only the later ones."""
        if not occurrence and not self._complete:
            self._add(later=False)
            self._complete = True
        return self._groups.get(key, [])

    def _add(self, *, later: bool) -> None:
        """Group the intervals starting at or after the current slot (`later`), or those before it."""
        channels = self._channels
        places = self._places
        since = self._since
        interval_at = self._interval_at
        for index, start in enumerate(self._starts):
            if (start >= since) is not later:
                continue
            interval = interval_at(index)
            channel = channels.get(interval.channel_type)
            if channel is None or interval.duration_minutes <= 0:
                continue
            place = places.get(start, _Unplaced.UNPLACED)
            if place is _Unplaced.UNPLACED:
                place = places[start] = self._place(start)
            if place is not None:
                timestamp, slot_groups = place
                slot_groups[channel].append((timestamp, interval))

    def _place(self, start: datetime) -> tuple[float, dict[TariffChannel, list[_Candidate]]] | None:
        local_start = start.astimezone(self._zone)
        day = local_start.date()
        if day not in self._dates:
            return None
        key = (day, slot_index(local_start.time()))
        slot_groups = self._slots.get(key)
        if slot_groups is None:
            slot_groups = self._slots[key] = {channel: [] for channel in self._channels.values()}
            for channel, candidates in slot_groups.items():
                self._groups[channel, *key] = candidates
        return start.timestamp(), slot_groups


class _ChannelPrice(NamedTuple):
    price: float | None
    origin: PriceOrigin | None
    reason: MissingReason | None = None


@dataclass(frozen=True, slots=True)
class _SlotDates:
    """The date of a slot's next occurrence, and of the occurrence before it (the fallback's)."""

    occurrence: date
    previous: date


def _fill_channel(
    channel: TariffChannel, data_of: _SlotDataOf, dates: list[_SlotDates]
) -> list[_ChannelPrice]:
    """Price every slot of one channel: data for its next occurrence, else the fallback rule."""
    prices: list[_ChannelPrice | None] = []
    for index, slot_dates in enumerate(dates):
        own = data_of((channel, slot_dates.occurrence, index), occurrence=True)
        if own is not None:
            prices.append(_ChannelPrice(own.price, PriceOrigin.DATA))
            continue
        previous = data_of((channel, slot_dates.previous, index), occurrence=False)
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
    starts: Sequence[datetime]
    interval_at: Callable[[int], _Priced]
    if isinstance(intervals, _PricePointSource):
        # A parsed reply's price points are all the tariff reads: its intervals need not be made in full.
        starts, interval_at = intervals.starts, intervals.point
    else:
        listed = intervals if isinstance(intervals, Sequence) else tuple(intervals)
        starts, interval_at = [interval.start_time for interval in listed], listed.__getitem__
    # No earlier than the current slot's first instant: on a 25-hour day its first pass, and when a clock
    # change skips the slot's first minutes, the instant the later of the two offsets gives its start.
    current_start = datetime.combine(today, slot_start(current), tzinfo=zone)
    since = min(current_start.astimezone(UTC), current_start.replace(fold=1).astimezone(UTC))
    groups = _SlotGroups(starts, interval_at, zone, window, since=since, has_feed_in=has_feed_in)

    def data_of(key: _SlotKey, *, occurrence: bool) -> _SlotData | None:
        # Only the slots the tariff asks about are priced: a day of history behind a full forecast is not.
        candidates = groups.candidates(key, occurrence=occurrence)
        return _slot_data(candidates, forecast_price, _AMBER_CHANNEL[key[0]]) if candidates else None

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
        name = SLOT_NAMES[index]
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
