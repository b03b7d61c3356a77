"""The rates a tariff charges at one moment: what an owner without Amber earns per exported kWh now.

An entry without Amber has no live feed-in price; what the owner earns is the sell rate of the tariff they
chose (a custom schedule or a saved profile, held as `tariff_content_v2`) for the half-hour in progress.
Curtailment reads it like an Amber interval: a price and the start of the half-hour it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .decode import day_tariff_of
from .model import slot_index, slot_start


@dataclass(frozen=True, kw_only=True, slots=True)
class HalfHourRates:
    """The buy and sell rates ($/kWh) of one half-hour, and when that half-hour began (local time)."""

    buy: float
    sell: float
    starts_at: datetime


def rates_at(content: object, moment: datetime) -> HalfHourRates | None:
    """Return the rates `content` (a `tariff_content_v2`) charges at `moment`, by its wall clock.

    `moment` must carry the site's time zone: the tariff's slots are the site's wall-clock half-hours. None
    when the content is missing, cannot be decoded, or leaves that half-hour without a rate.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must carry the site's time zone")
    day = day_tariff_of(content, moment.date())
    if day is None:
        return None
    index = slot_index(moment.time())
    start = slot_start(index)
    # Keeps `fold`: in the hour the clocks go back, the half-hour is the one `moment` is in. (Australian
    # clocks change on a half-hour, so a half-hour never starts inside a skipped hour.)
    starts_at = moment.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    price = day.slots[index]
    return HalfHourRates(buy=price.buy, sell=price.sell, starts_at=starts_at)
