"""The one conversion from Amber's billing numbers to what the owner (and Tesla) calls a price."""

from __future__ import annotations

from typing import Final

from custom_components.tesla_amber_sync.api.models import ChannelType, PriceInterval

CENTS_PER_DOLLAR: Final = 100.0


def owner_dollars_per_kwh(cents_per_kwh: float, channel: ChannelType) -> float:
    """Convert Amber c/kWh (billing sign) to $/kWh with the owner's sign.

    Amber bills feed-in with a negative number when the owner is paid; owners, Home Assistant and Tesla's
    sell rate all say a positive number when the owner earns. Import channels keep their sign.
    """
    sign = -1.0 if channel is ChannelType.FEED_IN else 1.0
    return sign * cents_per_kwh / CENTS_PER_DOLLAR


def owner_price(interval: PriceInterval) -> float:
    """An interval's `perKwh` in $/kWh with the owner's sign (see `owner_dollars_per_kwh`)."""
    return owner_dollars_per_kwh(interval.per_kwh, interval.channel_type)
