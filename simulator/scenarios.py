"""Price scenarios: deterministic functions of time, so tests can compute the prices they expect.

Prices are built per 5-minute block from a curve of the NEM spot price over the site's local day. The
general (import) price adds a network charge that depends on the time of day; the feed-in price follows
Amber's billing sign (negative when the owner is paid), so it turns positive when spot goes negative in the
solar soak. An interval longer than 5 minutes costs the mean of its blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import itertools
import math
from typing import Final
from zoneinfo import ZoneInfo

BLOCK: Final = timedelta(minutes=5)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_PRICE_DECIMALS: Final = 5

# (local hour, spot c/kWh incl. GST): a winter-ish weekday with a solar soak that dips below zero.
_TYPICAL_SPOT: Final = (
    (0.0, 9.0),
    (4.0, 7.0),
    (6.0, 12.0),
    (7.5, 24.0),
    (9.0, 10.0),
    (10.5, -1.0),
    (12.0, -4.0),
    (14.0, -2.0),
    (15.5, 6.0),
    (17.0, 22.0),
    (18.5, 38.0),
    (20.0, 25.0),
    (21.5, 14.0),
    (24.0, 9.0),
)
# A stepped day (each value holds until the next hour): easy numbers for tests and for reading a dashboard.
_STEPPED_SPOT: Final = (
    (0.0, 8.0),
    (7.0, 12.0),
    (10.0, 2.0),
    (14.0, 12.0),
    (16.0, 30.0),
    (22.0, 8.0),
    (24.0, 8.0),
)
# During a spike Amber passes the spot price straight through on both channels.
SPIKE_SPOT: Final = 1160.0
SPIKE_GENERAL: Final = 1180.5
SPIKE_FEED_IN: Final = -1150.2


class SpikeLevel(StrEnum):
    """Amber's `spikeStatus` values."""

    NONE = "none"
    POTENTIAL = "potential"
    SPIKE = "spike"


@dataclass(frozen=True, kw_only=True, slots=True)
class BlockPrice:
    """The prices of one 5-minute block (c/kWh incl. GST; feed-in in billing sign)."""

    general: float
    feed_in: float
    spot: float
    spike: SpikeLevel = SpikeLevel.NONE


@dataclass(frozen=True, kw_only=True, slots=True)
class Scenario:
    """One way the market can behave.

    `interval_length` is the site's billing interval (Amber `intervalLength`). `forecast_hours` caps how
    far ahead Amber publishes; `history_hours` how far back. `spike_minutes` (0 for none) is how long a
    spike lasts from the moment the scenario is switched on.
    """

    name: str
    description: str
    interval_length: int = 30
    forecast_hours: float = 36.0
    history_hours: float = 48.0
    stepped: bool = False
    wiggle: bool = False
    spike_minutes: int = 0

    def block_price(self, start: datetime, zone: ZoneInfo, spike_start: datetime | None = None) -> BlockPrice:
        """Prices of the 5-minute block starting at `start` (aware), for a site in `zone`."""
        start = floor_time(start, BLOCK)
        spike = self._spike_level(start, spike_start)
        if spike is SpikeLevel.SPIKE:
            return BlockPrice(general=SPIKE_GENERAL, feed_in=SPIKE_FEED_IN, spot=SPIKE_SPOT, spike=spike)
        local = start.astimezone(zone)
        if not self.wiggle:
            # 30-minute sites see one price per local half-hour.
            local = local.replace(minute=local.minute - local.minute % 30)
        hour = local.hour + local.minute / 60
        spot = _curve(_STEPPED_SPOT if self.stepped else _TYPICAL_SPOT, hour, stepped=self.stepped)
        if self.wiggle:
            # Deterministic 5-minute noise, as real 5-minute dispatch prices jitter around the trend.
            index = (start - _EPOCH) // BLOCK
            spot += 2.5 * math.sin(index * 1.7)
        general = spot + network_charge(hour)
        # Amber's feed-in: minus the spot price plus a small market fee, billing sign.
        feed_in = -spot + 0.5
        return BlockPrice(
            general=round(general, _PRICE_DECIMALS),
            feed_in=round(feed_in, _PRICE_DECIMALS),
            spot=round(spot, _PRICE_DECIMALS),
            spike=spike,
        )

    def interval_price(
        self, start: datetime, minutes: int, zone: ZoneInfo, spike_start: datetime | None = None
    ) -> BlockPrice:
        """Mean prices of the interval [start, start + minutes); the worst spike level wins."""
        return mean_price(
            [self.block_price(start + BLOCK * index, zone, spike_start) for index in range(minutes // 5)]
        )

    def _spike_level(self, start: datetime, spike_start: datetime | None) -> SpikeLevel:
        if not self.spike_minutes or spike_start is None:
            return SpikeLevel.NONE
        end = spike_start + timedelta(minutes=self.spike_minutes)
        if spike_start <= start < end:
            return SpikeLevel.SPIKE
        # Amber flags the half hour before a spike as a potential spike.
        if spike_start - timedelta(minutes=30) <= start < spike_start:
            return SpikeLevel.POTENTIAL
        return SpikeLevel.NONE


def mean_price(blocks: list[BlockPrice]) -> BlockPrice:
    """The mean prices of consecutive blocks (one interval); the worst spike level wins."""
    levels = {block.spike for block in blocks}
    spike = next(
        (level for level in (SpikeLevel.SPIKE, SpikeLevel.POTENTIAL) if level in levels), SpikeLevel.NONE
    )
    count = len(blocks)
    return BlockPrice(
        general=round(sum(block.general for block in blocks) / count, _PRICE_DECIMALS),
        feed_in=round(sum(block.feed_in for block in blocks) / count, _PRICE_DECIMALS),
        spot=round(sum(block.spot for block in blocks) / count, _PRICE_DECIMALS),
        spike=spike,
    )


def network_charge(hour: float) -> float:
    """The network and market charge (c/kWh) added to spot for the general price, by local hour."""
    if 16 <= hour < 21:
        return 22.0
    if 10 <= hour < 15:
        # The "solar sponge" network tariff is cheap around midday.
        return 8.0
    if 7 <= hour < 22:
        return 14.0
    return 12.0


def _curve(points: tuple[tuple[float, float], ...], hour: float, *, stepped: bool) -> float:
    for (h0, v0), (h1, v1) in itertools.pairwise(points):
        if h0 <= hour < h1:
            if stepped:
                return v0
            return v0 + (v1 - v0) * (hour - h0) / (h1 - h0)
    return points[-1][1]


def floor_time(instant: datetime, step: timedelta) -> datetime:
    """`instant` rounded down to a multiple of `step` since 2000-01-01 UTC (aware, UTC)."""
    return _EPOCH + ((instant.astimezone(UTC) - _EPOCH) // step) * step


SCENARIOS: Final[dict[str, Scenario]] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            name="typical_day",
            description="Morning and evening peaks; a midday solar soak where exporting costs money.",
        ),
        Scenario(
            name="price_spike",
            description="A typical day with a one-hour price spike starting when the scenario is chosen.",
            spike_minutes=60,
        ),
        Scenario(
            name="short_forecast",
            description="A typical day, but Amber publishes only three hours of forecast.",
            forecast_hours=3.0,
        ),
        Scenario(
            name="five_minute",
            description="A site billed on 5-minute intervals, with 5-minute price noise.",
            interval_length=5,
            wiggle=True,
        ),
        Scenario(
            name="thirty_minute",
            description="A site billed on 30-minute intervals with stepped, round prices.",
            stepped=True,
        ),
    )
}
