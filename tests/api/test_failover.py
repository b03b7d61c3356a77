"""The failover decision, as a pure function of the primary's health and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.tesla_amber_sync.api.errors import (
    AuthenticationError,
    CommandRejectedError,
    RateLimitedError,
    ServiceUnavailableError,
)
from custom_components.tesla_amber_sync.api.failover import (
    FailoverState,
    Leg,
    Outcome,
    choose_leg,
    classify,
    record,
    retry_on_fallback,
)

NOW = datetime(2026, 4, 10, 1, 0, tzinfo=UTC)
DOWN = FailoverState(primary_down_since=NOW, last_primary_attempt=NOW)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, Outcome.OK),
        (ServiceUnavailableError("503"), Outcome.OUTAGE),
        (AuthenticationError("401"), Outcome.OTHER),
        (RateLimitedError("429"), Outcome.OTHER),
        (CommandRejectedError("no"), Outcome.OTHER),
    ],
)
def test_only_an_outage_moves_traffic(error: Exception | None, outcome: Outcome) -> None:
    assert classify(error) is outcome  # type: ignore[arg-type]


def test_a_healthy_primary_or_no_fallback_uses_the_primary() -> None:
    assert choose_leg(FailoverState(), NOW, is_write=True, has_fallback=True) is Leg.PRIMARY
    assert choose_leg(DOWN, NOW, is_write=False, has_fallback=False) is Leg.PRIMARY


def test_a_down_primary_sends_writes_to_the_fallback_and_is_probed_by_reads_only() -> None:
    later = NOW + timedelta(minutes=5)
    assert choose_leg(DOWN, NOW + timedelta(minutes=4), is_write=False, has_fallback=True) is Leg.FALLBACK
    assert choose_leg(DOWN, later, is_write=False, has_fallback=True) is Leg.PRIMARY
    assert choose_leg(DOWN, later, is_write=True, has_fallback=True) is Leg.FALLBACK
    unknown = FailoverState(primary_down_since=NOW)
    assert choose_leg(unknown, NOW, is_write=False, has_fallback=True) is Leg.PRIMARY


def test_recording_outcomes() -> None:
    later = NOW + timedelta(minutes=5)
    assert record(FailoverState(), Leg.PRIMARY, Outcome.OUTAGE, NOW) == DOWN
    # The outage keeps its start; the last attempt moves.
    assert record(DOWN, Leg.PRIMARY, Outcome.OUTAGE, later) == FailoverState(NOW, later)
    assert record(DOWN, Leg.PRIMARY, Outcome.OK, later) == FailoverState()
    assert record(DOWN, Leg.PRIMARY, Outcome.OTHER, later) == FailoverState(NOW, later)
    assert record(DOWN, Leg.FALLBACK, Outcome.OUTAGE, later) == DOWN
    assert DOWN.primary_down
    assert not FailoverState().primary_down


def test_a_write_is_never_sent_again_on_the_other_route() -> None:
    assert retry_on_fallback(Leg.PRIMARY, Outcome.OUTAGE, is_write=False, has_fallback=True)
    assert not retry_on_fallback(Leg.PRIMARY, Outcome.OUTAGE, is_write=True, has_fallback=True)
    assert not retry_on_fallback(Leg.FALLBACK, Outcome.OUTAGE, is_write=False, has_fallback=True)
    assert not retry_on_fallback(Leg.PRIMARY, Outcome.OTHER, is_write=False, has_fallback=True)
    assert not retry_on_fallback(Leg.PRIMARY, Outcome.OUTAGE, is_write=False, has_fallback=False)
