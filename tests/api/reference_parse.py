"""The interval parser as it was before issue 12: one plain pass over every field of every interval.

Kept as the behaviour to preserve: the parser now reads Amber's usual shapes by shorter paths and each
interval only as far as it is used, and must still read every interval exactly as this does. One change:
a duration or time past what a datetime holds made this raise OverflowError, failing the whole reply;
such an interval is now malformed, like one without a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.tesla_amber_sync.api._parse import (
    NEM_TIME_ZONE,
    as_bool,
    as_dict,
    as_float,
    as_int,
    as_str,
    parse_datetime,
    parse_enum,
)
from custom_components.tesla_amber_sync.api.models import (
    AdvancedPrice,
    ChannelType,
    IntervalType,
    PriceDescriptor,
    PriceInterval,
    SpikeStatus,
    TariffInformation,
)


def reference_interval(item: object) -> PriceInterval | None:
    data = as_dict(item)
    if data is None:
        return None
    per_kwh = as_float(data.get("perKwh"))
    if per_kwh is None:
        return None
    try:
        start, end, duration = _times(data)
    except OverflowError:
        return None
    if start is None or end is None or duration is None:
        return None
    range_data = as_dict(data.get("range")) or {}
    return PriceInterval(
        type=parse_enum(IntervalType, data.get("type"), IntervalType.UNKNOWN),
        channel_type=parse_enum(ChannelType, data.get("channelType"), ChannelType.UNKNOWN),
        start_time=start,
        end_time=end,
        duration_minutes=duration,
        per_kwh=per_kwh,
        spot_per_kwh=as_float(data.get("spotPerKwh")),
        renewables=as_float(data.get("renewables")),
        descriptor=parse_enum(PriceDescriptor, data.get("descriptor"), PriceDescriptor.UNKNOWN),
        spike_status=parse_enum(SpikeStatus, data.get("spikeStatus"), SpikeStatus.UNKNOWN),
        estimate=as_bool(data.get("estimate")),
        advanced_price=_advanced_price(data.get("advancedPrice")),
        tariff_information=_tariff_information(data.get("tariffInformation")),
        range_min=as_float(range_data.get("min")),
        range_max=as_float(range_data.get("max")),
    )


def _times(data: Mapping[str, Any]) -> tuple[datetime | None, datetime | None, int | None]:
    start = parse_datetime(data.get("startTime"), naive_zone=UTC)
    end = parse_datetime(data.get("endTime"), naive_zone=UTC)
    duration = as_int(data.get("duration"))
    if duration is None and start is not None and end is not None:
        duration = round((end - start).total_seconds() / 60)
    if duration is None or duration <= 0:
        return None, None, None
    length = timedelta(minutes=duration)
    if start is None:
        nem_end = parse_datetime(data.get("nemTime"), naive_zone=NEM_TIME_ZONE)
        if nem_end is None:
            return None, None, None
        start = nem_end - length
    if end is None:
        end = start + length
    return start.astimezone(UTC), end.astimezone(UTC), duration


def _advanced_price(value: object) -> AdvancedPrice | None:
    data = as_dict(value)
    if data is None:
        return None
    predicted = as_float(data.get("predicted"))
    if predicted is None:
        return None
    low = as_float(data.get("low"))
    high = as_float(data.get("high"))
    return AdvancedPrice(
        low=predicted if low is None else low,
        predicted=predicted,
        high=predicted if high is None else high,
    )


def _tariff_information(value: object) -> TariffInformation | None:
    data = as_dict(value)
    if data is None:
        return None
    return TariffInformation(
        period=as_str(data.get("period")),
        season=as_str(data.get("season")),
        block=as_int(data.get("block")),
        demand_window=as_bool(data.get("demandWindow")),
    )
