"""Solar curtailment: stop exporting while exporting earns the owner nothing (or costs them).

The machine only decides. The controller writes `CurtailmentStep.write` (an export rule) when it is set,
and persists `CurtailmentState` (JSON via `as_dict`/`from_dict`) before it acts.

Phases:
- idle: nothing overridden. A feed-in earning at or below the threshold curtails at once: the owner's
  current rule is captured and the rule becomes `never` (`CURTAIL`). If the owner already has `never`,
  it is captured as such and nothing is written: there is nothing to fight.
- curtailing: the rule is held at `never`. When the read-back shows another rule, `never` is written
  again (`REASSERT`), at most once per `REWRITE_AFTER`, since the cloud may still report the old rule for
  a while after a write. A rule that shows up after `never` was seen in force is someone's new choice:
  it replaces the captured rule (it is what they want back at the end) and `never` is written again at
  once; an owner who wants to export anyway turns the option off. Curtailment ends (`RESTORE`, with the
  captured rule) once the feed-in earning has been above the threshold for a whole Amber interval (see
  below), or when the option is turned off.
- restoring: the captured rule was written back and waits for the read-back to show it; it is written
  again after `REWRITE_AFTER`, at most `MAX_RESTORE_WRITES` times in all. A read-back showing a rule that
  is neither `never`, `unknown` nor the one restored means someone else set it: theirs stands. A price
  at or below the threshold while restoring curtails again, capturing the rule being restored (the
  read-back may still show our own `never`, which must never be mistaken for the owner's rule).

"Above the threshold for a whole interval": an interval is clean when every earning seen for it was above
the threshold and the first of them was seen as a new interval began (so no part of it is known to have
been at or below). Curtailment ends at the first earning above the threshold that belongs to a later
interval than a clean one, that is when a clean interval has ended and the next starts above too. With
5-minute billing that is at least 5 minutes above; with 30-minute billing at least 30. Any earning at or
below the threshold starts the count again, so an earning wobbling around the threshold keeps the
curtailment rather than flapping the export rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from custom_components.tesla_amber_sync.api.models import ExportRule

DEFAULT_THRESHOLD_C_PER_KWH: Final = 0.0
# The Tesla cloud can report the previous rule for a short while after a write.
REWRITE_AFTER: Final = timedelta(minutes=2)
# Restoring is handing control back; after this many writes the owner's Powerwall is left as it is.
MAX_RESTORE_WRITES: Final = 3
# Stands in for a persisted time that is missing or unreadable.
LONG_AGO: Final = datetime.min.replace(tzinfo=UTC)
STATE_VERSION: Final = 1
# The rules the Powerwall can be told; UNKNOWN is only what a read-back we could not parse shows.
_WRITABLE: Final = frozenset({ExportRule.BATTERY_OK, ExportRule.PV_ONLY, ExportRule.NEVER})


class CurtailmentAction(StrEnum):
    """What happened in a step; `CurtailmentStep.write` says whether anything must be written."""

    NONE = "none"
    # Curtailing starts: the owner's rule is captured and `never` written (unless already in force).
    CURTAIL = "curtail"
    # Curtailing ends: the captured rule is written back (unless it was `never` all along).
    RESTORE = "restore"
    # A read-back did not show the rule we wrote: write it again.
    REASSERT = "reassert"


class CurtailmentReason(StrEnum):
    """Why a step acted or finished (for logs, diagnostics and repairs)."""

    FEED_IN_AT_OR_BELOW_THRESHOLD = "feed_in_at_or_below_threshold"
    FEED_IN_ABOVE_THRESHOLD = "feed_in_above_threshold"
    DISABLED = "disabled"
    NOT_VERIFIED = "not_verified"
    # The rule in force is UNKNOWN, so there is no rule we could restore later: no curtailment starts.
    UNKNOWN_RULE = "unknown_rule"
    RESTORE_VERIFIED = "restore_verified"
    # Someone else set a rule while we were restoring: theirs stands.
    CHANGED_BY_OWNER = "changed_by_owner"
    # The restored rule never showed in the read-back; the Powerwall is left as it is.
    RESTORE_UNVERIFIED = "restore_unverified"


def curtailment_settings_problem(*, threshold_c_per_kwh: float) -> str | None:
    """Return the option that makes these settings unusable ("threshold_c_per_kwh"), or None."""
    if not math.isfinite(threshold_c_per_kwh):
        return "threshold_c_per_kwh"
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class CurtailmentSettings:
    """The owner's curtailment option: curtail while the feed-in earning (c/kWh, owner's sign) is at or
    below `threshold_c_per_kwh`. Construction raises `ValueError` for a non-finite threshold.
    """

    threshold_c_per_kwh: float = DEFAULT_THRESHOLD_C_PER_KWH

    def __post_init__(self) -> None:
        """Refuse a threshold no earning can be compared with."""
        if curtailment_settings_problem(threshold_c_per_kwh=self.threshold_c_per_kwh) is not None:
            raise ValueError(f"the curtailment threshold is not a finite number: {self.threshold_c_per_kwh}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Curtailment:
    """A curtailment in progress.

    `rule_to_restore` is the owner's rule captured when it started; `since` when it started;
    `last_feed_in` the latest earning seen (c/kWh, owner's sign). `last_interval_start` is the start of
    the latest Amber interval seen and `clean_interval_start` that of the clean interval being counted
    (None when there is none; see the module docstring). `last_write_at` is when `never` was last
    written (None when nothing was written), `write_attempts` how many times, and `verified` whether a
    read-back has shown `never` since.
    """

    rule_to_restore: ExportRule
    since: datetime
    last_feed_in: float | None = None
    last_interval_start: datetime | None = None
    clean_interval_start: datetime | None = None
    last_write_at: datetime | None = None
    write_attempts: int = 0
    verified: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingRestore:
    """A rule written back at the end of a curtailment, not yet seen in a read-back."""

    rule: ExportRule
    written_at: datetime
    write_attempts: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class CurtailmentState:
    """The machine's whole memory: at most one of a curtailment in progress and a restore being verified."""

    curtailment: Curtailment | None = None
    restoring: PendingRestore | None = None

    @property
    def active(self) -> bool:
        """Return whether export is being curtailed (the `curtailment_active` entity)."""
        return self.curtailment is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form persisted in the Store (see `from_dict`)."""
        curtailment = self.curtailment
        restoring = self.restoring
        return {
            "version": STATE_VERSION,
            "curtailment": None
            if curtailment is None
            else {
                "rule_to_restore": curtailment.rule_to_restore.value,
                "since": curtailment.since.isoformat(),
                "last_feed_in": curtailment.last_feed_in,
                "last_interval_start": _iso(curtailment.last_interval_start),
                "clean_interval_start": _iso(curtailment.clean_interval_start),
                "last_write_at": _iso(curtailment.last_write_at),
                "write_attempts": curtailment.write_attempts,
                "verified": curtailment.verified,
            },
            "restoring": None
            if restoring is None
            else {
                "rule": restoring.rule.value,
                "written_at": restoring.written_at.isoformat(),
                "write_attempts": restoring.write_attempts,
            },
        }

    @classmethod
    def from_dict(cls, data: object) -> CurtailmentState:
        """Parse a stored state leniently: unknown keys are ignored, and nothing here raises.

        A `curtailment` mapping is always a curtailment in progress, since the Powerwall may be holding
        `never`. A missing or unwritable `rule_to_restore` reads as `battery_ok`, what Tesla means when a
        site has no rule; a missing time as `LONG_AGO`. An unreadable restore is forgotten.
        """
        if not isinstance(data, dict):
            return cls()
        raw = data.get("curtailment")
        if isinstance(raw, dict):
            return cls(
                curtailment=Curtailment(
                    rule_to_restore=_rule(raw.get("rule_to_restore")) or ExportRule.BATTERY_OK,
                    since=_time(raw.get("since")) or LONG_AGO,
                    last_feed_in=_number(raw.get("last_feed_in")),
                    last_interval_start=_time(raw.get("last_interval_start")),
                    clean_interval_start=_time(raw.get("clean_interval_start")),
                    last_write_at=_time(raw.get("last_write_at")),
                    write_attempts=_count(raw.get("write_attempts")),
                    verified=raw.get("verified") is True,
                )
            )
        raw = data.get("restoring")
        if isinstance(raw, dict):
            rule = _rule(raw.get("rule"))
            if rule is not None:
                return cls(
                    restoring=PendingRestore(
                        rule=rule,
                        written_at=_time(raw.get("written_at")) or LONG_AGO,
                        write_attempts=max(1, _count(raw.get("write_attempts"))),
                    )
                )
        return cls()


@dataclass(frozen=True, kw_only=True, slots=True)
class CurtailmentStep:
    """The outcome of one step.

    `write` is the export rule to write now, None when nothing is to be written. Persist `state` when
    it differs from the one passed in.
    """

    state: CurtailmentState
    action: CurtailmentAction = CurtailmentAction.NONE
    write: ExportRule | None = None
    reason: CurtailmentReason | None = None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # We only ever store aware times; a naive one cannot be compared and is as good as none.
        return parsed.astimezone(UTC) if parsed.utcoffset() is not None else None
    except ValueError, OverflowError:
        return None


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _rule(value: object) -> ExportRule | None:
    if isinstance(value, str):
        try:
            rule = ExportRule(value)
        except ValueError:
            return None
        return rule if rule in _WRITABLE else None
    return None


def _utc(moment: datetime, what: str) -> datetime:
    """Return `moment` in UTC, refusing a naive time (times sharing a DST zone subtract by wall clock)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC)


def step(
    state: CurtailmentState,
    *,
    feed_in_earning_c_per_kwh: float | None,
    interval_start: datetime | None,
    current_rule: ExportRule,
    now: datetime,
    settings: CurtailmentSettings,
    enabled: bool,
) -> CurtailmentStep:
    """Advance the machine with the current feed-in earning and the export rule read back from the site.

    `feed_in_earning_c_per_kwh` is Amber's current feed-in price in the owner's sign (positive = the
    owner earns), None when unknown; `interval_start` the start of the Amber interval it belongs to (None
    when unknown: such an earning can start a curtailment but never count towards ending one).
    `current_rule` is `SiteInfo.export_rule` from the latest read-back. Call it on every price update and
    after every site read-back. `enabled` is the solar-curtailment option: turned off, it ends a
    curtailment (`RESTORE`).
    """
    now = _utc(now, "now")
    interval = None if interval_start is None else _utc(interval_start, "interval_start")
    feed_in = (
        feed_in_earning_c_per_kwh
        if feed_in_earning_c_per_kwh is not None and math.isfinite(feed_in_earning_c_per_kwh)
        else None
    )
    at_or_below = feed_in is not None and feed_in <= settings.threshold_c_per_kwh

    if state.curtailment is not None:
        return _step_curtailing(
            state.curtailment,
            feed_in=feed_in,
            interval=interval,
            current_rule=current_rule,
            now=now,
            settings=settings,
            enabled=enabled,
        )
    if enabled and at_or_below:
        pending = state.restoring
        # While a restore is unconfirmed the read-back may still show our own `never`.
        return _curtail(
            rule_to_restore=current_rule if pending is None else pending.rule,
            already_never=pending is None and current_rule is ExportRule.NEVER,
            feed_in=feed_in,
            interval=interval,
            now=now,
        )
    if state.restoring is not None:
        return _step_restoring(state.restoring, current_rule=current_rule, now=now)
    return CurtailmentStep(state=state)


def _curtail(
    *,
    rule_to_restore: ExportRule,
    already_never: bool,
    feed_in: float | None,
    interval: datetime | None,
    now: datetime,
) -> CurtailmentStep:
    if rule_to_restore not in _WRITABLE:
        return CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.UNKNOWN_RULE)
    curtailment = Curtailment(
        rule_to_restore=rule_to_restore,
        since=now,
        last_feed_in=feed_in,
        last_interval_start=interval,
        last_write_at=None if already_never else now,
        write_attempts=0 if already_never else 1,
        verified=already_never,
    )
    return CurtailmentStep(
        state=CurtailmentState(curtailment=curtailment),
        action=CurtailmentAction.CURTAIL,
        write=None if already_never else ExportRule.NEVER,
        reason=CurtailmentReason.FEED_IN_AT_OR_BELOW_THRESHOLD,
    )


def _step_curtailing(
    curtailment: Curtailment,
    *,
    feed_in: float | None,
    interval: datetime | None,
    current_rule: ExportRule,
    now: datetime,
    settings: CurtailmentSettings,
    enabled: bool,
) -> CurtailmentStep:
    if not enabled:
        return _restore(curtailment, now=now, reason=CurtailmentReason.DISABLED)
    if feed_in is not None:
        if feed_in > settings.threshold_c_per_kwh:
            clean = curtailment.clean_interval_start
            last = curtailment.last_interval_start
            if interval is not None and clean is not None and interval > clean:
                return _restore(curtailment, now=now, reason=CurtailmentReason.FEED_IN_ABOVE_THRESHOLD)
            if clean is None and interval is not None and last is not None and interval > last:
                # The first earning of a new interval is above: the whole interval may be clean.
                clean = interval
        else:
            clean = None
        latest = curtailment.last_interval_start
        if interval is not None and (latest is None or interval > latest):
            latest = interval
        curtailment = replace(
            curtailment, last_feed_in=feed_in, last_interval_start=latest, clean_interval_start=clean
        )

    if current_rule is ExportRule.NEVER:
        return CurtailmentStep(state=CurtailmentState(curtailment=replace(curtailment, verified=True)))
    if curtailment.verified and current_rule in _WRITABLE:
        # `never` was in force and now another rule is: someone chose it during the curtailment. It is
        # the rule to give back at the end; `never` is written again at once.
        curtailment = replace(curtailment, rule_to_restore=current_rule, last_write_at=None)
    last_write = curtailment.last_write_at
    if last_write is not None and now - last_write < REWRITE_AFTER:
        return CurtailmentStep(state=CurtailmentState(curtailment=curtailment))
    curtailment = replace(
        curtailment, last_write_at=now, write_attempts=curtailment.write_attempts + 1, verified=False
    )
    return CurtailmentStep(
        state=CurtailmentState(curtailment=curtailment),
        action=CurtailmentAction.REASSERT,
        write=ExportRule.NEVER,
        reason=CurtailmentReason.NOT_VERIFIED,
    )


def _restore(curtailment: Curtailment, *, now: datetime, reason: CurtailmentReason) -> CurtailmentStep:
    rule = curtailment.rule_to_restore
    if rule is ExportRule.NEVER:
        # The owner had `never` before we started; nothing was written and nothing is to undo.
        return CurtailmentStep(state=CurtailmentState(), action=CurtailmentAction.RESTORE, reason=reason)
    return CurtailmentStep(
        state=CurtailmentState(restoring=PendingRestore(rule=rule, written_at=now)),
        action=CurtailmentAction.RESTORE,
        write=rule,
        reason=reason,
    )


def _step_restoring(pending: PendingRestore, *, current_rule: ExportRule, now: datetime) -> CurtailmentStep:
    if current_rule is pending.rule:
        return CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.RESTORE_VERIFIED)
    if current_rule in _WRITABLE and current_rule is not ExportRule.NEVER:
        # Not ours (we wrote `never`, then `pending.rule`): someone else chose this rule.
        return CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.CHANGED_BY_OWNER)
    if now - pending.written_at < REWRITE_AFTER:
        return CurtailmentStep(state=CurtailmentState(restoring=pending))
    if pending.write_attempts >= MAX_RESTORE_WRITES:
        return CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.RESTORE_UNVERIFIED)
    return CurtailmentStep(
        state=CurtailmentState(
            restoring=replace(pending, written_at=now, write_attempts=pending.write_attempts + 1)
        ),
        action=CurtailmentAction.REASSERT,
        write=pending.rule,
        reason=CurtailmentReason.NOT_VERIFIED,
    )
