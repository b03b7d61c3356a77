"""When a freshly built tariff should be pushed to the Powerwall.

Pushing costs a cloud write and a Powerwall re-plan, so a tariff is pushed only when it changed, when the
last push was not verified, or to re-assert it after a while (in case something else changed the
Powerwall); never more often than the upstream tolerates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# An identical tariff is pushed again after this long, to re-assert it.
REASSERT_AFTER = timedelta(hours=2)
# Automatic pushes are at least this far apart.
MIN_AUTOMATIC_INTERVAL = timedelta(minutes=5)


class PushVerdict(StrEnum):
    """What to do with a built tariff."""

    PUSH = "push"
    UNCHANGED = "unchanged"
    WAIT_RATE_LIMIT = "wait_rate_limit"
    WAIT_MIN_INTERVAL = "wait_min_interval"


@dataclass(frozen=True, kw_only=True, slots=True)
class PushDecision:
    """A verdict, and for the waiting verdicts the earliest time to try again."""

    verdict: PushVerdict
    retry_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PushHistory:
    """What the writer remembers of earlier pushes.

    `verified_fingerprint` and `verified_at` describe the last push whose read-back matched;
    `last_automatic_attempt_at` is the last automatic write attempt, successful or not;
    `rate_limited_until` comes from the upstream's retry-after.
    """

    verified_fingerprint: str | None = None
    verified_at: datetime | None = None
    last_automatic_attempt_at: datetime | None = None
    rate_limited_until: datetime | None = None


def decide_push(
    *, fingerprint: str, history: PushHistory, now: datetime, automatic: bool
) -> PushDecision:
    """Decide whether the tariff with `fingerprint` should be written now.

    A manual push (`automatic=False`) skips the change and interval checks but still honours the
    upstream's rate limit, which would only reject it.
    """
    if history.rate_limited_until is not None and now < history.rate_limited_until:
        return PushDecision(verdict=PushVerdict.WAIT_RATE_LIMIT, retry_at=history.rate_limited_until)
    if not automatic:
        return PushDecision(verdict=PushVerdict.PUSH)
    if (
        history.verified_fingerprint == fingerprint
        and history.verified_at is not None
        and now - history.verified_at < REASSERT_AFTER
    ):
        return PushDecision(verdict=PushVerdict.UNCHANGED)
    if (
        history.last_automatic_attempt_at is not None
        and now - history.last_automatic_attempt_at < MIN_AUTOMATIC_INTERVAL
    ):
        return PushDecision(
            verdict=PushVerdict.WAIT_MIN_INTERVAL,
            retry_at=history.last_automatic_attempt_at + MIN_AUTOMATIC_INTERVAL,
        )
    return PushDecision(verdict=PushVerdict.PUSH)
