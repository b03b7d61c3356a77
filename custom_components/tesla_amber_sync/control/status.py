"""The sync status, derived in one place from recorded facts, never set by hand.

It answers "is the Powerwall running on Amber's latest prices?", and names the first reason it is not. It
never says `synced` while an upstream is down, the prices are stale, an override holds the Powerwall, the last
write did not stick, or the Powerwall ignores its tariff (it is not in time-based control).

An entry without Amber answers "is the Powerwall holding the schedule or profile the owner chose?" instead:
Amber's absence is never a reason, and only the Powerwall holding the chosen tariff is `synced`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final

# Amber data older than this many intervals no longer tells the present.
STALE_AFTER_INTERVALS: Final = 2


class SyncStatus(StrEnum):
    """What the `sync_status` sensor shows."""

    SYNCED = "synced"
    PENDING = "pending"
    INCOMPLETE_FORECAST = "incomplete_forecast"
    REJECTED = "rejected"
    RATE_LIMITED = "rate_limited"
    NOT_APPLIED = "not_applied"
    DISABLED = "disabled"
    STALE = "stale"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    OVERRIDDEN = "overridden"
    NOT_IN_TIME_BASED_CONTROL = "not_in_time_based_control"


class WriteOutcome(StrEnum):
    """How the last tariff write went."""

    VERIFIED = "verified"
    NOT_APPLIED = "not_applied"
    REJECTED = "rejected"
    RATE_LIMITED = "rate_limited"
    FAILED = "failed"


class BuildOutcome(StrEnum):
    """Whether the last Amber build gave a whole tariff."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, kw_only=True, slots=True)
class SyncFacts:
    """What the status is derived from.

    `amber_age` is how old the newest Amber data is (None before any), `interval` the site's billing
    interval; `last_write` how the latest tariff write went (None before any); `rate_limited` whether a rate
    limit is in force now; `override_active` whether a spike or a battery command holds the Powerwall;
    `powerwall_holds_amber` whether the tariff read back charges the latest complete build's rates;
    `time_based_control` whether the Powerwall is in the mode that follows its tariff.

    `has_amber` is False for an entry without Amber, whose Amber facts then mean nothing: `tariff_chosen` says
    whether the owner chose a schedule or a profile for the Powerwall, `powerwall_holds_chosen` whether the
    tariff read back charges its rates, and `last_write` is how its latest write went.
    """

    auto_sync: bool
    override_active: bool
    amber_available: bool
    teslemetry_available: bool
    amber_age: timedelta | None
    interval: timedelta
    build: BuildOutcome | None
    last_write: WriteOutcome | None
    rate_limited: bool
    powerwall_holds_amber: bool
    time_based_control: bool
    has_amber: bool = True
    tariff_chosen: bool = False
    powerwall_holds_chosen: bool = False


def derive_status(facts: SyncFacts) -> SyncStatus:
    """The first reason, in the order an owner needs to hear it, that the Powerwall is not in sync."""
    if not facts.has_amber:
        return _chosen_tariff_status(facts)
    if not facts.auto_sync:
        return SyncStatus.DISABLED
    if facts.override_active:
        return SyncStatus.OVERRIDDEN
    if not (facts.amber_available and facts.teslemetry_available):
        return SyncStatus.UPSTREAM_UNAVAILABLE
    if facts.last_write is WriteOutcome.REJECTED:
        return SyncStatus.REJECTED
    if facts.rate_limited:
        return SyncStatus.RATE_LIMITED
    if facts.amber_age is None:
        return SyncStatus.PENDING
    if facts.amber_age > facts.interval * STALE_AFTER_INTERVALS:
        return SyncStatus.STALE
    if facts.build is BuildOutcome.INCOMPLETE:
        return SyncStatus.INCOMPLETE_FORECAST
    if facts.last_write in {WriteOutcome.NOT_APPLIED, WriteOutcome.FAILED}:
        return SyncStatus.NOT_APPLIED
    if not facts.powerwall_holds_amber:
        return SyncStatus.PENDING
    if not facts.time_based_control:
        return SyncStatus.NOT_IN_TIME_BASED_CONTROL
    return SyncStatus.SYNCED


def _chosen_tariff_status(facts: SyncFacts) -> SyncStatus:
    """An entry without Amber: whether the Powerwall holds the schedule or profile the owner chose."""
    if not facts.tariff_chosen:
        # The owner's own tariff: Tesla Sync holds nothing on the Powerwall.
        return SyncStatus.DISABLED
    if facts.override_active:
        return SyncStatus.OVERRIDDEN
    if not facts.teslemetry_available:
        return SyncStatus.UPSTREAM_UNAVAILABLE
    if facts.powerwall_holds_chosen:
        # Held, whatever an earlier write said: the read-back is the truth.
        return SyncStatus.SYNCED if facts.time_based_control else SyncStatus.NOT_IN_TIME_BASED_CONTROL
    if facts.last_write is WriteOutcome.REJECTED:
        return SyncStatus.REJECTED
    if facts.rate_limited:
        return SyncStatus.RATE_LIMITED
    if facts.last_write in {WriteOutcome.NOT_APPLIED, WriteOutcome.FAILED}:
        return SyncStatus.NOT_APPLIED
    return SyncStatus.PENDING
