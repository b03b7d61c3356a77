"""Makers of Amber price intervals for the tariff tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.tesla_amber_sync.api.models import (
    AdvancedPrice,
    ChannelType,
    IntervalType,
    PriceDescriptor,
    PriceInterval,
    SpikeStatus,
)

GENERAL = ChannelType.GENERAL
FEED_IN = ChannelType.FEED_IN


def interval(
    start: datetime,
    per_kwh: float,
    *,
    channel: ChannelType = GENERAL,
    minutes: int = 30,
    kind: IntervalType = IntervalType.FORECAST,
    advanced: tuple[float, float, float] | None = None,
    spike: bool = False,
    descriptor: PriceDescriptor = PriceDescriptor.NEUTRAL,
) -> PriceInterval:
    """Return one interval starting one second after `start`, as Amber's real data does."""
    begin = start.astimezone(UTC) + timedelta(seconds=1)
    return PriceInterval(
        type=kind,
        channel_type=channel,
        start_time=begin,
        end_time=begin + timedelta(minutes=minutes, seconds=-1),
        duration_minutes=minutes,
        per_kwh=per_kwh,
        descriptor=descriptor,
        spike_status=SpikeStatus.SPIKE if spike else SpikeStatus.NONE,
        advanced_price=None
        if advanced is None
        else AdvancedPrice(low=advanced[0], predicted=advanced[1], high=advanced[2]),
    )


def series(
    start: datetime,
    end: datetime,
    price: float | None = None,
    *,
    channel: ChannelType = GENERAL,
    minutes: int = 30,
    kind: IntervalType = IntervalType.FORECAST,
    price_of: object = None,
) -> list[PriceInterval]:
    """Return back-to-back intervals from `start` (inclusive) to `end` (exclusive), by absolute time.

    The price is `price`, or `price_of(local_start)` when given (a callable).
    """
    result: list[PriceInterval] = []
    moment = start
    while moment < end:
        value = price_of(moment) if callable(price_of) else price
        assert value is not None
        result.append(interval(moment, value, channel=channel, minutes=minutes, kind=kind))
        moment = (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(start.tzinfo)
    return result
