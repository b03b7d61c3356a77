"""What Amber says of an interval at an instant, and when the Powerwall came to hold each confirmed price.

`amber_says` applies the publication model (`publication.py`) to a scenario's prices: an interval is the
mean of its 5-minute blocks, each as Amber states it once a given block is the latest confirmed one.

`ConfirmationLog` records, per billing interval of the scenario, when its confirmed price was published and
when the simulated Powerwall first held a tariff whose slot in progress reflects it: the slot's buy rate is
the one a build from Amber's prices as of that confirmation gives (general / 100, 4 decimals, floored at 0).
It is looked at from the interval's confirmation to its end; an interval the Powerwall did not catch up
with in that time is recorded as missed (`powerwall_at` null).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from .publication import BLOCK, Publication, block_index
from .scenarios import BlockPrice, Scenario, floor_time, mean_price
from .tariff import Json, rate_at

SLOT: Final = timedelta(minutes=30)
# A Tesla rate has 4 decimals; a build's mean can round either way of the simulator's own mean.
RATE_TOLERANCE: Final = 0.00011
# Intervals kept (a day of 5-minute ones); a jump of the clock looks back at most this far.
_KEPT: Final = 288
_LOOK_BACK: Final = timedelta(hours=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class Market:
    """What Amber's prices depend on: the scenario, the site's zone, the spike and the publication."""

    scenario: Scenario
    zone: ZoneInfo
    spike_start: datetime | None
    publication: Publication


def amber_says(market: Market, start: datetime, minutes: int, published: int) -> tuple[BlockPrice, bool]:
    """The prices Amber states of [start, start + minutes) when `published` is the latest confirmed block.

    Returns the prices and whether they are final (every block confirmed). Estimate and forecast errors
    move the spot price, so general moves with it and feed-in (billing sign) against it.
    """
    blocks: list[BlockPrice] = []
    final = True
    for offset in range(max(1, minutes // 5)):
        block_start = start + BLOCK * offset
        true = market.scenario.block_price(block_start, market.zone, market.spike_start)
        said, block_final = market.publication.view_as_of(block_index(block_start), true.general, published)
        final = final and block_final
        error = said - true.general
        blocks.append(
            BlockPrice(
                general=true.general + error,
                feed_in=true.feed_in - error,
                spot=true.spot + error,
                spike=true.spike,
            )
        )
    return mean_price(blocks), final


def confirmed_at(publication: Publication, start: datetime, minutes: int) -> datetime:
    """When Amber confirms the interval [start, start + minutes): its last block's publication."""
    return publication.published_at(block_index(start + timedelta(minutes=minutes) - BLOCK))


@dataclass(kw_only=True, slots=True)
class Confirmation:
    """One billing interval: when its price was confirmed, and when the Powerwall first reflected it."""

    start: datetime
    minutes: int
    confirmed_at: datetime
    general: float
    buy_rate: float
    powerwall_at: datetime | None = None
    closed: bool = False

    @property
    def end(self) -> datetime:
        """When the interval ends."""
        return self.start + timedelta(minutes=self.minutes)

    def as_json(self) -> dict[str, Any]:
        """JSON form."""
        lag = (self.powerwall_at - self.confirmed_at).total_seconds() if self.powerwall_at else None
        return {
            "start": self.start.isoformat(),
            "minutes": self.minutes,
            "confirmed_at": self.confirmed_at.isoformat(),
            "confirmed_general": self.general,
            "expected_buy_rate": self.buy_rate,
            "powerwall_at": self.powerwall_at.isoformat() if self.powerwall_at else None,
            "powerwall_after_confirmation_s": None if lag is None else round(lag, 3),
            "powerwall_after_start_s": (
                round((self.powerwall_at - self.start).total_seconds(), 3) if self.powerwall_at else None
            ),
            "missed": self.closed and self.powerwall_at is None,
        }


def expected_slot(market: Market, start: datetime, minutes: int) -> tuple[float, float]:
    """The confirmed general price of an interval and the buy rate of its Tesla slot as of its confirmation.

    The slot is the local half-hour holding the interval's start; its rate is the mean of what Amber states
    of the slot's blocks once the interval is confirmed (a 5-minute site's slot still has estimates and
    forecasts in it), $/kWh with 4 decimals, floored at 0 as Tesla takes no negative rate.
    """
    published = block_index(start + timedelta(minutes=minutes) - BLOCK)
    general = amber_says(market, start, minutes, published)[0].general
    local = start.astimezone(market.zone)
    slot_local = local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)
    slot = amber_says(market, slot_local, 30, published)[0].general
    return general, max(0.0, round(slot / 100, 4))


class ConfirmationLog:
    """Per billing interval, when the Powerwall first held a tariff reflecting its confirmed price."""

    def __init__(self) -> None:
        """Nothing recorded; the first observation starts with the interval in progress."""
        self._records: OrderedDict[datetime, Confirmation] = OrderedDict()
        self._held: Json | None = None
        self._held_since: datetime | None = None
        self._next: datetime | None = None

    def records(self) -> list[Confirmation]:
        """Every interval recorded, oldest first."""
        return list(self._records.values())

    def observe(self, now: datetime, market: Market, tariff: Json | None) -> None:
        """Bring the record up to `now`; the Powerwall holds `tariff` (which changes only between calls)."""
        if tariff is not self._held:
            if tariff is None or self._held is None or tariff != self._held:
                self._held_since = now
            self._held = tariff
        minutes = market.scenario.interval_length
        step = timedelta(minutes=minutes)
        current = floor_time(now, step)
        start = current if self._next is None else max(self._next, floor_time(now - _LOOK_BACK, step))
        while start <= current:
            if start not in self._records:
                at = confirmed_at(market.publication, start, minutes)
                if at > now:
                    break  # Not confirmed yet: looked at again on a later call.
                general, buy = expected_slot(market, start, minutes)
                self._records[start] = Confirmation(
                    start=start, minutes=minutes, confirmed_at=at, general=general, buy_rate=buy
                )
            start += step
        self._next = start
        for record in self._records.values():
            if not record.closed:
                self._check(record, now, market)
        while len(self._records) > _KEPT:
            self._records.popitem(last=False)

    def _check(self, record: Confirmation, now: datetime, market: Market) -> None:
        held_since = self._held_since
        if self._held is not None and held_since is not None:
            since = max(record.confirmed_at, held_since)
            if since < record.end and since <= now:
                local = since.astimezone(market.zone)
                rate = rate_at(self._held, local).buy
                if rate is not None and abs(rate - record.buy_rate) <= RATE_TOLERANCE:
                    record.powerwall_at = since
                    record.closed = True
                    return
        if now >= record.end:
            record.closed = True
