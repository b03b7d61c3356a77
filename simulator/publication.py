"""How Amber publishes prices: each 5-minute interval's confirmed price comes some 17-37 s after it starts.

Until then the interval in progress is an estimate, and every forecast is as of the latest publication.
Everything is a deterministic function of the interval and the publication round (seeded noise), so a
whole day can be replayed and tests can compute what Amber would have said at any instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
import random
from typing import Final

BLOCK: Final = timedelta(minutes=5)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST: Final = 17.0
LATEST: Final = 37.0


def block_index(instant: datetime) -> int:
    """The number of the 5-minute interval containing `instant` (since 2000-01-01 UTC)."""
    return (instant.astimezone(UTC) - _EPOCH) // BLOCK


def block_time(index: int) -> datetime:
    """When interval `index` starts."""
    return _EPOCH + BLOCK * index


def _gauss(seed: int, *keys: int) -> float:
    return random.Random(hash((seed, *keys))).gauss(0.0, 1.0)  # noqa: S311 - a model, not a secret


@dataclass(frozen=True, kw_only=True, slots=True)
class Publication:
    """Amber's publication of one site's 5-minute prices.

    `delay` is drawn per interval: 17 s plus a log-normal tail (median 5 s), capped at 37 s, so the median
    is about 22 s. `estimate_error` and `forecast_error` are the standard deviations (c/kWh) of the estimate
    of the interval in progress and of a forecast a full hour or more ahead (nearer ones are better).
    """

    seed: int = 12
    estimate_error: float = 0.5
    forecast_error: float = 0.5
    # Every interval's delay (s) when set, instead of the drawn one (tests, and `INSTANT`).
    fixed_delay: float | None = None

    def delay(self, index: int) -> float:
        """Seconds after interval `index` starts at which its confirmed price is published."""
        if self.fixed_delay is not None:
            return self.fixed_delay
        tail = math.exp(math.log(5.0) + 0.8 * _gauss(self.seed, index, -1))
        return min(LATEST, EARLIEST + tail)

    def published_at(self, index: int) -> datetime:
        """When interval `index`'s confirmed price is published."""
        return block_time(index) + timedelta(seconds=self.delay(index))

    def latest_round(self, now: datetime) -> int:
        """The latest interval whose confirmed price is out at `now` (forecasts are as of this round)."""
        current = block_index(now)
        return current if now >= self.published_at(current) else current - 1

    def view(self, index: int, true_price: float, now: datetime) -> tuple[float, bool]:
        """What Amber says at `now` of interval `index` (final price `true_price`): (price, final)."""
        return self.view_as_of(index, true_price, self.latest_round(now))

    def view_as_of(self, index: int, true_price: float, published: int) -> tuple[float, bool]:
        """What Amber says of interval `index` once `published` is the latest confirmed interval."""
        if index <= published:
            return true_price, True
        ahead = index - published
        scale = self.estimate_error if ahead == 1 else self.forecast_error * math.sqrt(min(1.0, ahead / 12))
        if not scale:
            return true_price, False
        return true_price + scale * _gauss(self.seed, index, published), False


# The simulator's usual publication: drawn delays, small estimate and forecast errors.
REALISTIC: Final = Publication()
# No delay and no noise: each interval confirmed at its start, every forecast right (the simulator's old
# behaviour, for tests that compare served prices with the scenario's).
INSTANT: Final = Publication(estimate_error=0.0, forecast_error=0.0, fixed_delay=0.0)
