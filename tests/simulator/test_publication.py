"""The simulator's publication model: confirmed prices 17-37 s after the boundary, estimates before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import statistics

from simulator.publication import EARLIEST, LATEST, Publication, block_index, block_time

BOUNDARY = datetime(2026, 11, 21, 2, 10, tzinfo=UTC)


def test_delays_are_realistic() -> None:
    """Every delay in 17-37 s, median about 22 s."""
    model = Publication()
    delays = [model.delay(index) for index in range(2000)]
    assert min(delays) >= EARLIEST
    assert max(delays) <= LATEST
    assert 20 <= statistics.median(delays) <= 24


def test_the_price_is_an_estimate_until_published_then_final() -> None:
    """Before publication the interval in progress is an estimate; afterwards the final price."""
    model = Publication(estimate_error=3.0, forecast_error=3.0)
    index = block_index(BOUNDARY)
    assert block_time(index) == BOUNDARY
    published = model.published_at(index)
    before = model.view(index, 30.0, published - timedelta(seconds=1))
    after = model.view(index, 30.0, published)
    assert before[1] is False
    assert after == (30.0, True)
    assert model.latest_round(published) == index
    forecast, final = model.view(index + 24, 30.0, published)
    assert not final
    assert forecast != 30.0
