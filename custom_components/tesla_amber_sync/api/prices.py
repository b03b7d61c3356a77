"""Amber's prices reply, parsed leniently, reading each interval only as far as it is used.

A 5-minute site's reply holds over a thousand intervals. The tariff reads a handful of fields of those from
the current half-hour on, and of the day of history only when a slot has no forecast; Home Assistant's
entities read every field of the current intervals only. So a reply is read in three steps, in one place:

1. when it arrives, every interval is checked for a price and a usable time (malformed ones are dropped);
2. `PricePoint`, the fields that price a tariff slot, when the tariff first asks for that interval;
3. the whole `PriceInterval` when that interval is first read.

Each step reads its fields with the same lenient rules, whenever it runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
import logging
from math import isfinite
from typing import Any, Final, overload

from ._parse import (
    NEM_TIME_ZONE,
    as_bool,
    as_dict,
    as_float,
    as_int,
    as_str,
    members_by_value,
    parse_datetime,
    parse_enum,
)
from .errors import InvalidResponseError
from .models import (
    AdvancedPrice,
    ChannelType,
    IntervalType,
    PriceDescriptor,
    PriceInterval,
    PricePoint,
    SpikeStatus,
    TariffInformation,
)

_LOGGER = logging.getLogger(__name__)

# Members by value: a value that is not a str (a number, null, a list) is no member here, as it is none
# for parse_enum; an unhashable one raises TypeError on the way.
_INTERVAL_TYPES: Final = members_by_value(IntervalType)
_CHANNEL_TYPES: Final = members_by_value(ChannelType)
_new_tuple: Final = tuple.__new__
_SPIKE_STATUS: Final = SpikeStatus.SPIKE.value
_SPIKE_DESCRIPTOR: Final = PriceDescriptor.SPIKE.value

_MINUTES_PER_DAY: Final = 24 * 60
# A start before this plus a day's minutes cannot pass the last datetime there is.
_LAST_USUAL_START: Final = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
# What step 1 found: start, duration (minutes), perKwh, and the end when it took the end to find them.
type _Checked = tuple[datetime, int, float, datetime | None]


class PriceIntervals(Sequence[PriceInterval]):
    """The usable intervals of one prices reply, in Amber's order.

    `starts` holds every interval's start instant; `point(index)` its pricing fields and `self[index]` the
    whole interval, each made the first time it is asked for, then kept. Equal to any sequence holding
    equal intervals (a tuple, say).
    """

    __slots__ = ("_channel_index", "_checked", "_intervals", "_parser", "_points", "_raw", "starts")

    def __init__(
        self, raw: Sequence[Mapping[str, Any]], checked: Sequence[_Checked], parser: _IntervalParser
    ) -> None:
        """Wrap the usable raw intervals and what checking them found (same order, same length)."""
        self._raw = raw
        self._checked = checked
        self._parser = parser
        self.starts: tuple[datetime, ...] = tuple(found[0] for found in checked)
        self._points: list[PricePoint | None] = [None] * len(checked)
        self._intervals: list[PriceInterval | None] = [None] * len(checked)
        self._channel_index: dict[ChannelType, int | None] | None = None

    def __len__(self) -> int:
        """Return how many usable intervals the reply had."""
        return len(self._checked)

    @overload
    def __getitem__(self, index: int) -> PriceInterval: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[PriceInterval, ...]: ...

    def __getitem__(self, index: int | slice) -> PriceInterval | tuple[PriceInterval, ...]:
        """Return the interval at `index` (a tuple of them for a slice)."""
        if isinstance(index, slice):
            return tuple(self[position] for position in range(len(self))[index])
        interval = self._intervals[index]
        if interval is None:
            interval = self._parser.interval(self._raw[index], self.point(index), self._checked[index][3])
            self._intervals[index] = interval
        return interval

    def point(self, index: int) -> PricePoint:
        """Return the pricing fields of the interval at `index`."""
        point = self._points[index]
        if point is None:
            point = self._points[index] = _price_point(self._raw[index], self._checked[index])
        return point

    def __iter__(self) -> Iterator[PriceInterval]:
        """Return the intervals in order."""
        return (self[position] for position in range(len(self)))

    def __eq__(self, other: object) -> bool:
        """Return whether `other` is a sequence of the same intervals."""
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        """Hash like the tuple of the same intervals."""
        return hash(tuple(self))

    def __repr__(self) -> str:
        """Show the intervals like a tuple would."""
        return f"PriceIntervals{tuple(self)!r}"

    def has_channel(self, channel: ChannelType) -> bool:
        """Return whether any interval is on `channel`."""
        return channel in self._channels()

    def current(self, channel: ChannelType) -> PriceInterval | None:
        """Return the channel's interval in progress, if Amber sent one (only that one is made)."""
        position = self._channels().get(channel)
        return None if position is None else self[position]

    def _channels(self) -> dict[ChannelType, int | None]:
        """Every channel of the reply, with the position of its current interval (None without one)."""
        if self._channel_index is None:
            channels: dict[ChannelType, int | None] = {}
            for position, raw in enumerate(self._raw):
                channel = _channel_type(raw)
                # The first current interval of a channel is the one in progress.
                if _interval_type(raw) is IntervalType.CURRENT and channels.get(channel) is None:
                    channels[channel] = position
                else:
                    channels.setdefault(channel, None)
            self._channel_index = channels
        return self._channel_index


def parse_prices(payload: object) -> PriceIntervals:
    """Parse a `prices` reply (a JSON array of intervals), skipping malformed intervals.

    An interval without a price or a usable time is dropped (and logged); every other field is lenient.
    Raises InvalidResponseError when the reply is not an array.
    """
    if not isinstance(payload, list):
        raise InvalidResponseError("Amber prices reply is not a list")
    parser = _IntervalParser()
    raw: list[Mapping[str, Any]] = []
    checked: list[_Checked] = []
    for item in payload:
        found = parser.check(item)
        if found is None:
            _LOGGER.debug("Skipping a malformed Amber interval: %r", item)
            continue
        raw.append(item)
        checked.append(found)
    return PriceIntervals(raw, checked, parser)


def parse_price_interval(item: object) -> PriceInterval | None:
    """Parse one Amber interval, or return None when it lacks a price or a usable time.

    Times come back in UTC. `startTime` falls back to `nemTime` (the END of the interval, NEM time) minus
    `duration`; `endTime` falls back to start plus duration; duration falls back to end minus start.
    """
    intervals = parse_prices([item])
    return intervals[0] if intervals else None


class _IntervalParser:
    """Reads the intervals of one reply.

    Every channel repeats the same timestamps, and the tariff context takes a handful of values all day,
    so each distinct one is read once per reply instead of once per interval. The common case, what
    Amber sends, is read directly; anything else goes through the `_parse` helpers, which give the same
    answer for the common case.
    """

    def __init__(self) -> None:
        self._instants: dict[str, datetime | None] = {}
        self._tariff_information: dict[tuple[object, ...], TariffInformation] = {}

    def check(self, item: object) -> _Checked | None:
        """Return an interval's times and price, or None when it has no price or no usable time."""
        if not isinstance(item, dict):
            return None
        get = item.get
        per_kwh = get("perKwh")
        if type(per_kwh) is not float or not isfinite(per_kwh):
            per_kwh = as_float(per_kwh)
            if per_kwh is None:
                return None
        start_text, duration = get("startTime"), get("duration")
        if type(start_text) is str and type(duration) is int and 0 < duration <= _MINUTES_PER_DAY:
            # Amber's usual interval: a start and a whole number of minutes. The end is read when the
            # whole interval is: it cannot make an interval with these unusable.
            start = self._instants.get(start_text) or self._instant(start_text)
            if start is not None and start < _LAST_USUAL_START:
                return start, duration, per_kwh, None
        start, end, checked_duration = self._times(item)
        if start is None or end is None or checked_duration is None:
            return None
        return start, checked_duration, per_kwh, end

    def interval(self, data: Mapping[str, Any], point: PricePoint, end: datetime | None) -> PriceInterval:
        """Return the whole interval: `point` (read from `data`) and the fields only entities read.

        `end` is the end `check` found, if it needed it; otherwise `endTime` is read here.
        """
        if end is None:
            end = self._instant(data.get("endTime")) or point.start_time + timedelta(
                minutes=point.duration_minutes
            )
        range_data = as_dict(data.get("range")) or {}
        return PriceInterval(
            type=point.type,
            channel_type=point.channel_type,
            start_time=point.start_time,
            end_time=end,
            duration_minutes=point.duration_minutes,
            per_kwh=point.per_kwh,
            spot_per_kwh=as_float(data.get("spotPerKwh")),
            renewables=as_float(data.get("renewables")),
            descriptor=parse_enum(PriceDescriptor, data.get("descriptor"), PriceDescriptor.UNKNOWN),
            spike_status=parse_enum(SpikeStatus, data.get("spikeStatus"), SpikeStatus.UNKNOWN),
            estimate=as_bool(data.get("estimate")),
            advanced_price=point.advanced_price,
            tariff_information=self._tariff_info(data.get("tariffInformation")),
            range_min=as_float(range_data.get("min")),
            range_max=as_float(range_data.get("max")),
        )

    def _instant(self, value: object) -> datetime | None:
        """Return an absolute timestamp (naive means UTC) in UTC, reading each distinct text once."""
        if not isinstance(value, str):
            return None
        instants = self._instants
        instant = instants.get(value)
        if instant is None and value not in instants:
            parsed = parse_datetime(value, naive_zone=UTC)
            instant = instants[value] = None if parsed is None else parsed.astimezone(UTC)
        return instant

    def _times(self, data: Mapping[str, Any]) -> tuple[datetime | None, datetime | None, int | None]:
        try:
            return self._times_or_overflow(data)
        except OverflowError:
            # A duration or time past what a datetime holds (year 9999): no usable time, not a failed reply.
            return None, None, None

    def _times_or_overflow(
        self, data: Mapping[str, Any]
    ) -> tuple[datetime | None, datetime | None, int | None]:
        start = self._instant(data.get("startTime"))
        end = self._instant(data.get("endTime"))
        duration = data.get("duration")
        if type(duration) is not int:
            duration = as_int(duration)
        if duration is None and start is not None and end is not None:
            # Real start times sit one second past the boundary (xx:00:01), hence the rounding.
            duration = round((end - start).total_seconds() / 60)
        if duration is None or duration <= 0:
            return None, None, None
        # A length a datetime cannot hold makes the interval unusable even with both times given.
        length = timedelta(minutes=duration)
        if start is None:
            nem_end = parse_datetime(data.get("nemTime"), naive_zone=NEM_TIME_ZONE)
            if nem_end is None:
                return None, None, None
            start = (nem_end - length).astimezone(UTC)
        if end is None:
            end = start + length
        return start, end, duration

    def _tariff_info(self, value: object) -> TariffInformation | None:
        data = as_dict(value)
        if data is None:
            return None
        values = (data.get("period"), data.get("season"), data.get("block"), data.get("demandWindow"))
        # With the types: True == 1 as a key, but block 1 and block true do not parse alike.
        key = (*values, *map(type, values))
        try:
            return self._tariff_information[key]
        except KeyError:
            info = self._tariff_information[key] = _parse_tariff_information(data)
            return info
        except TypeError:
            # An unhashable value (a list, say) is no key; parse it as it is.
            return _parse_tariff_information(data)


def _interval_type(data: Mapping[str, Any]) -> IntervalType:
    """Return an interval's type, as `parse_enum` reads it."""
    value = data.get("type")
    try:
        return _INTERVAL_TYPES.get(value, IntervalType.UNKNOWN)
    except TypeError:
        return IntervalType.UNKNOWN


def _channel_type(data: Mapping[str, Any]) -> ChannelType:
    """Return an interval's channel, as `parse_enum` reads it."""
    value = data.get("channelType")
    try:
        return _CHANNEL_TYPES.get(value, ChannelType.UNKNOWN)
    except TypeError:
        return ChannelType.UNKNOWN


def _price_point(data: Mapping[str, Any], checked: _Checked) -> PricePoint:
    """Return the pricing fields of an interval that `_IntervalParser.check` accepted."""
    start, duration, per_kwh, _ = checked
    get = data.get
    kind, channel = _interval_type(data), _channel_type(data)
    # Equal to "spike" exactly when parse_enum reads the spike member, whatever the value.
    is_spike = get("spikeStatus") == _SPIKE_STATUS or get("descriptor") == _SPIKE_DESCRIPTOR
    advanced = get("advancedPrice")
    band: AdvancedPrice | None = None
    if type(advanced) is dict:
        low, predicted, high = advanced.get("low"), advanced.get("predicted"), advanced.get("high")
        if type(low) is float and type(predicted) is float and type(high) is float and isfinite(low + high):
            # Amber's usual band: three plain numbers (a NaN or an infinity in either edge makes the sum one).
            band = _new_tuple(AdvancedPrice, (low, predicted, high)) if isfinite(predicted) else None
        else:
            band = _parse_advanced_price(advanced)
    elif advanced is not None:
        band = _parse_advanced_price(advanced)
    # tuple.__new__ as the NamedTuple's own __new__ does, without the extra Python call: one point is
    # made per interval the tariff reads.
    return _new_tuple(PricePoint, (kind, channel, start, duration, per_kwh, is_spike, band))


def _parse_advanced_price(value: object) -> AdvancedPrice | None:
    data = as_dict(value)
    if data is None:
        return None
    predicted = as_float(data.get("predicted"))
    if predicted is None:
        return None
    low = as_float(data.get("low"))
    high = as_float(data.get("high"))
    # A band missing one edge still has a usable prediction; collapse the edge onto it.
    return AdvancedPrice(
        low=predicted if low is None else low,
        predicted=predicted,
        high=predicted if high is None else high,
    )


def _parse_tariff_information(data: Mapping[str, Any]) -> TariffInformation:
    return TariffInformation(
        period=as_str(data.get("period")),
        season=as_str(data.get("season")),
        block=as_int(data.get("block")),
        demand_window=as_bool(data.get("demandWindow")),
    )
