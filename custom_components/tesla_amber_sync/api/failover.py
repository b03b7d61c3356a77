"""When to use the fallback route: a pure decision, no I/O, no clock reads.

The primary route is used until it fails with an outage (5xx, timeout, no connection). Then reads and
writes go to the fallback. Every `retry_primary_after` a read tries the primary again; when one succeeds
the primary is back. A write is never sent twice: one that failed is not re-sent on the other route, and
writes never probe a primary that is down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from .errors import ApiError, ServiceUnavailableError

RETRY_PRIMARY_AFTER: Final = timedelta(minutes=5)


class Leg(StrEnum):
    """One of an entry's two routes."""

    PRIMARY = "primary"
    FALLBACK = "fallback"


class Outcome(StrEnum):
    """How a request on a route ended, as far as failover cares."""

    OK = "ok"
    OUTAGE = "outage"
    # Refused for a reason another route would share (bad request, rejected command, rate limit).
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class FailoverState:
    """What is known about the primary route's health."""

    primary_down_since: datetime | None = None
    last_primary_attempt: datetime | None = None

    @property
    def primary_down(self) -> bool:
        """Whether requests are going to the fallback."""
        return self.primary_down_since is not None


def classify(error: ApiError | None) -> Outcome:
    """An error's outcome: only an outage moves traffic (an auth error needs the owner, not another route)."""
    if error is None:
        return Outcome.OK
    return Outcome.OUTAGE if isinstance(error, ServiceUnavailableError) else Outcome.OTHER


def choose_leg(
    state: FailoverState,
    now: datetime,
    *,
    is_write: bool,
    has_fallback: bool,
    retry_primary_after: timedelta = RETRY_PRIMARY_AFTER,
) -> Leg:
    """The route for the next request."""
    if not has_fallback or not state.primary_down:
        return Leg.PRIMARY
    if is_write:
        return Leg.FALLBACK
    last = state.last_primary_attempt
    if last is None or now - last >= retry_primary_after:
        return Leg.PRIMARY
    return Leg.FALLBACK


def record(state: FailoverState, leg: Leg, outcome: Outcome, now: datetime) -> FailoverState:
    """The state after a request on `leg` ended with `outcome`."""
    if leg is Leg.FALLBACK:
        return state
    if outcome is Outcome.OUTAGE:
        return FailoverState(primary_down_since=state.primary_down_since or now, last_primary_attempt=now)
    if outcome is Outcome.OK:
        return FailoverState()
    # Answered, though refused: the route is up enough to keep trying it on schedule.
    return replace(state, last_primary_attempt=now)


def retry_on_fallback(leg: Leg, outcome: Outcome, *, is_write: bool, has_fallback: bool) -> bool:
    """Whether a failed request is sent again on the fallback: reads only, so no write is ever duplicated."""
    return has_fallback and leg is Leg.PRIMARY and outcome is Outcome.OUTAGE and not is_write
