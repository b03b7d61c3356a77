"""When a freshly built tariff should be pushed to the Powerwall.

Pushing costs a cloud write and a Powerwall re-plan, so a tariff is pushed only when it changed, when the
last push was not verified, or to re-assert it after a while (in case something else changed the
Powerwall); never more often than the upstream tolerates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

# An identical tariff is pushed again after this long, to re-assert it.
REASSERT_AFTER = timedelta(hours=2)
# At most one automatic push per price interval of this length (counted on Amber's UTC-aligned boundaries,
# so a new interval's price is pushed as soon as it is confirmed, however late the last one came).
MIN_AUTOMATIC_INTERVAL = timedelta(minutes=5)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def interval_start(instant: datetime) -> datetime:
    """The start of the `MIN_AUTOMATIC_INTERVAL` price interval containing `instant`."""
    return _EPOCH + ((instant.astimezone(UTC) - _EPOCH) // MIN_AUTOMATIC_INTERVAL) * MIN_AUTOMATIC_INTERVAL


class PushTrigger(StrEnum):
    """Why a sync was started; it decides which checks apply."""

    # A price refresh or a retry timer: every check applies.
    SCHEDULE = "schedule"
    # The owner asked (refresh-and-sync, auto sync turned on): pushed at once, but only if changed.
    REQUEST = "request"
    # The owner asked for a push regardless (sync_tou_schedule).
    FORCE = "force"


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
    *,
    fingerprint: str,
    history: PushHistory,
    now: datetime,
    trigger: PushTrigger,
    powerwall_holds_it: bool = True,
) -> PushDecision:
    """Decide whether the tariff with `fingerprint` should be written now.

    Every trigger honours the upstream's rate limit (a write before it would only be rejected). Only
    scheduled syncs are held to one push per price interval; a forced one skips the change check too.
    `powerwall_holds_it` says whether the tariff last read from the Powerwall has these rates: when it
    does not (the owner changed it in the Tesla app, or the Powerwall lost it), an unchanged tariff is
    written again rather than waiting for the periodic re-assertion.
    """
    if history.rate_limited_until is not None and now < history.rate_limited_until:
        return PushDecision(verdict=PushVerdict.WAIT_RATE_LIMIT, retry_at=history.rate_limited_until)
    if trigger is PushTrigger.FORCE:
        return PushDecision(verdict=PushVerdict.PUSH)
    if (
        powerwall_holds_it
        and history.verified_fingerprint == fingerprint
        and history.verified_at is not None
        and now - history.verified_at < REASSERT_AFTER
    ):
        return PushDecision(verdict=PushVerdict.UNCHANGED)
    if (
        trigger is PushTrigger.SCHEDULE
        and history.last_automatic_attempt_at is not None
        and interval_start(history.last_automatic_attempt_at) == interval_start(now)
    ):
        return PushDecision(
            verdict=PushVerdict.WAIT_MIN_INTERVAL,
            retry_at=interval_start(now) + MIN_AUTOMATIC_INTERVAL,
        )
    return PushDecision(verdict=PushVerdict.PUSH)
