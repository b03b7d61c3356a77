"""The Amber sync: the rolling tariff built from Amber's prices, and when it may be pushed.

Each new Amber reply (or half hour) builds the rolling tariff (with the owner's demand charge in the slots of
their demand window). The push policy (`control.push_policy`) and the materiality margin decide when a build
may go out; writes the Powerwall accepted but never applied slow automatic retries down and raise a repair,
as does a rejected tariff. Once per reply, the owner's demand window is checked against the half hours Amber
flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_amber_sync.api.errors import CommandRejectedError
from custom_components.tesla_amber_sync.const import LOGGER
from custom_components.tesla_amber_sync.control.claims import ClaimSource, Setting
from custom_components.tesla_amber_sync.control.demand import DemandDays
from custom_components.tesla_amber_sync.control.demand_tariff import (
    amber_demand_flags,
    amber_proposal,
    demand_rates_for_slots,
    flags_label,
    window_disagrees,
)
from custom_components.tesla_amber_sync.control.push_policy import (
    REASSERT_AFTER,
    PushHistory,
    PushTrigger,
    PushVerdict,
    decide_push,
)
from custom_components.tesla_amber_sync.control.status import WriteOutcome
from custom_components.tesla_amber_sync.options import TeslaSyncOptions
from custom_components.tesla_amber_sync.store import PushRecord
from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    ForecastPrice,
    TariffBuild,
    apply_tesla_rules,
    build_rolling_tariff,
    encode_tariff,
)
from custom_components.tesla_amber_sync.tariff.fingerprint import tariff_fingerprint
from custom_components.tesla_amber_sync.tariff.materiality import materially_different
from custom_components.tesla_amber_sync.tariff.model import slot_index, slot_start
from custom_components.tesla_amber_sync.writer import PowerwallWriter, WriteResult

from .issues import EntryIssues
from .tariff_codes import (
    AMBER_TARIFF_CODE,
    AMBER_TARIFF_NAME,
    COMMAND_TARIFF_CODE,
    SPIKE_TARIFF_CODE,
    TARIFF_UTILITY,
)

if TYPE_CHECKING:
    from custom_components.tesla_amber_sync.coordinator import AmberPricesCoordinator

# Tariff writes accepted but never applied this many times in a row raise a repair, and automatic retries
# slow down to one per `SLOW_RETRY` (the owner can still push at once).
MAX_UNAPPLIED_WRITES: Final = 3
SLOW_RETRY: Final = timedelta(minutes=30)


# The days of a demand window as the repair's fix names them.
_DAYS_WORDS: Final = {
    DemandDays.EVERY_DAY: "every day",
    DemandDays.WEEKDAYS: "weekdays",
    DemandDays.WEEKENDS: "weekends",
}


class AmberSync:
    """Builds Amber's rolling tariff, decides when it may be pushed, and records how its pushes went."""

    def __init__(
        self,
        *,
        writer: PowerwallWriter,
        prices: AmberPricesCoordinator | None,
        options: Callable[[], TeslaSyncOptions],
        issues: EntryIssues,
        schedule_retry: Callable[[datetime], None],
    ) -> None:
        """Build from `prices` (None: an entry without Amber, which never builds); `schedule_retry` asks for a
        reconcile at a later time."""
        self._writer = writer
        self._prices = prices
        self._options = options
        self._issues = issues
        self._schedule_retry = schedule_retry
        self.forecast_price = ForecastPrice.PREDICTED
        self.last_build: TariffBuild | None = None
        self.rejection_message: str | None = None
        # How the last write of the Amber tariff went (a fact of the sync status).
        self.last_write: WriteOutcome | None = None
        self._build_key: tuple[int, datetime] | None = None
        # The Amber reply whose demand-window flags were last checked against the owner's window.
        self._demand_flags_checked: int | None = None
        self._last_automatic_attempt_at: datetime | None = None
        # Tariff writes in a row that the Powerwall accepted but did not apply, and when the last was.
        self._unapplied_writes = 0
        self._last_unapplied_at: datetime | None = None

    # --- the build ----------------------------------------------------------------------------------

    def build(self, now: datetime, trigger: PushTrigger) -> None:
        """Build the rolling tariff when the prices or the half-hour changed since the last build."""
        data = None if self._prices is None else self._prices.data
        state = self._writer.state
        if data is None or not state.auto_sync:
            return
        time_zone = self._writer.time_zone
        slot = now.astimezone(time_zone).replace(minute=now.minute // 30 * 30, second=0, microsecond=0)
        key = (id(data), slot)
        if key == self._build_key and trigger is PushTrigger.SCHEDULE and self.last_build is not None:
            return
        self._build_key = key
        build = build_rolling_tariff(
            data.intervals,
            now=now,
            time_zone=time_zone,
            forecast_price=self.forecast_price,
            has_feed_in=data.has_feed_in,
        )
        demand = self._options().demand
        if build.tariff is not None and demand is not None and demand.applies_to_amber:
            # Each slot stands for the half hour of its next occurrence (today's or tomorrow's date): the
            # demand rate goes where that half hour is inside the owner's window.
            rates = demand_rates_for_slots(demand, [slot.start for slot in build.slots])
            build = replace(build, tariff=apply_tesla_rules(replace(build.tariff, demand_rates=rates)))
        self.last_build = build
        if build.tariff is None:
            LOGGER.info("Not pushing an incomplete tariff: %s", build.problem or "")
            return
        state.amber_content = encode_tariff(
            build.tariff, code=AMBER_TARIFF_CODE, name=AMBER_TARIFF_NAME, utility=TARIFF_UTILITY
        )

    def check_demand_window(self) -> None:
        """Once per Amber reply: a repair issue while the owner's demand window disagrees with the half hours
        Amber flags for a whole day; it goes when a whole day agrees (or the charge is off)."""
        data = None if self._prices is None else self._prices.data
        if data is None or id(data) == self._demand_flags_checked:
            return
        self._demand_flags_checked = id(data)
        demand = self._options().demand
        if demand is None:
            self._issues.clear("demand_window_mismatch")
            return
        zone = self._writer.time_zone
        flags_by_day = amber_demand_flags(data.intervals, zone)
        verdicts = [
            (day, flags, window_disagrees(demand.window, zone, day, flags))
            for day, flags in sorted(flags_by_day.items())
        ]
        disagreeing = [(day, flags) for day, flags, verdict in verdicts if verdict]
        if disagreeing:
            day, flags = disagreeing[-1]
            # Fixable in one step when Amber's window (and its days, when they can be told) is clear.
            fix: dict[str, str] | None = None
            proposal_words = ""
            proposal = amber_proposal(flags_by_day, zone, demand.window)
            if proposal is not None:
                start, end, days = proposal
                fix = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "days": days.value}
                proposal_words = f"{fix['start']}-{fix['end']}, {_DAYS_WORDS[days]}"
            self._issues.raise_issue(
                "demand_window_mismatch",
                severity=ir.IssueSeverity.WARNING,
                fixable=True,
                fix_data=fix,
                proposal=proposal_words,
                day=day.isoformat(),
                amber=flags_label(flags),
                configured=flags_label(
                    {
                        index: demand.window.contains(datetime.combine(day, slot_start(index), tzinfo=zone))
                        for index in range(SLOTS_PER_DAY)
                    }
                ),
            )
        elif any(verdict is False for _, _, verdict in verdicts):
            self._issues.clear("demand_window_mismatch")

    # --- when it may be pushed ----------------------------------------------------------------------

    def material(self, now: datetime) -> bool:
        """Whether the latest build differs from what the Powerwall holds enough to be written.

        Compared with the Powerwall itself (not the last build), so small differences cannot add up; a
        tariff held within the margin is still re-asserted once its last verified push is old.
        """
        build = self.last_build
        if build is None or build.tariff is None:
            return True
        record = self._writer.state.last_push
        if record is None or not record.verified or now - record.pushed_at >= REASSERT_AFTER:
            return True
        local = now.astimezone(self._writer.time_zone)
        return materially_different(
            self._writer.tariff_today(now), build.tariff, current_slot=slot_index(local.time())
        )

    def may_push(self, now: datetime, trigger: PushTrigger) -> bool:
        """Whether the Amber tariff the plan writes may go out now."""
        # Taking the tariff back from an override that ended is a hand-back, not a routine push: it is not
        # held to the minimum interval between automatic pushes (the rate limit still applies).
        held_tariff = self._writer.site_info.tariff_content_v2
        handing_back = isinstance(held_tariff, dict) and held_tariff.get("code") in {
            SPIKE_TARIFF_CODE,
            COMMAND_TARIFF_CODE,
        }
        if self._slowed_down(now, trigger):
            return False
        if trigger is PushTrigger.SCHEDULE and not handing_back and not self.material(now):
            return False
        return self._push_policy_allows(now, PushTrigger.REQUEST if handing_back else trigger, holds=False)

    def may_reassert(self, now: datetime, trigger: PushTrigger) -> bool:
        """Whether the Amber tariff the Powerwall holds is written again (after a while, or on request)."""
        return self._writer.state.amber_content is not None and self._push_policy_allows(
            now, trigger, holds=True
        )

    def _slowed_down(self, now: datetime, trigger: PushTrigger) -> bool:
        """After writes the Powerwall accepted but never applied, automatic retries slow to `SLOW_RETRY`."""
        if self._unapplied_writes < MAX_UNAPPLIED_WRITES or trigger is not PushTrigger.SCHEDULE:
            return False
        last = self._last_unapplied_at
        if last is not None and now - last < SLOW_RETRY:
            self._schedule_retry(last + SLOW_RETRY)
            return True
        return False

    def _push_policy_allows(self, now: datetime, trigger: PushTrigger, *, holds: bool) -> bool:
        build = self.last_build
        if build is None or build.tariff is None:
            return False
        if (
            trigger is PushTrigger.SCHEDULE
            and self._prices is not None
            and self._prices.awaiting_confirmation(now)
        ):
            # The interval's confirmed price is due within seconds: its reply pushes (one write per interval).
            return False
        record = self._writer.state.last_push
        verified = record if record and record.verified else None
        decision = decide_push(
            fingerprint=tariff_fingerprint(build.tariff),
            history=PushHistory(
                verified_fingerprint=verified.fingerprint if verified else None,
                verified_at=verified.pushed_at if verified else None,
                last_automatic_attempt_at=self._last_automatic_attempt_at,
                rate_limited_until=self._writer.rate_limited_until,
            ),
            now=now,
            trigger=trigger,
            powerwall_holds_it=holds,
        )
        if decision.verdict is PushVerdict.PUSH:
            return True
        if decision.verdict is not PushVerdict.UNCHANGED and decision.retry_at is not None:
            self._schedule_retry(decision.retry_at)
        return False

    # --- how its pushes went ------------------------------------------------------------------------

    def record_attempt(
        self, writes: list[tuple[Setting, Any, ClaimSource]], trigger: PushTrigger, now: datetime
    ) -> None:
        """Note an automatic push about to go out (the push policy spaces them)."""
        if trigger is PushTrigger.SCHEDULE and any(source is ClaimSource.AMBER for _, _, source in writes):
            self._last_automatic_attempt_at = now

    def record_writes(
        self, writes: list[tuple[Setting, Any, ClaimSource]], outcome: WriteResult, now: datetime
    ) -> None:
        """Record how the write of the Amber tariff went; raise or clear its repairs."""
        for setting, _, source in writes:
            if setting is not Setting.TARIFF or source is not ClaimSource.AMBER:
                continue
            if outcome.rate_limited:
                self.last_write = WriteOutcome.RATE_LIMITED
            elif isinstance(outcome.error, CommandRejectedError):
                self._rejected(outcome.error.message)
            elif outcome.error is not None:
                self.last_write = WriteOutcome.FAILED
            elif setting in outcome.verified:
                self.last_write = WriteOutcome.VERIFIED
                self.rejection_message = None
                self._unapplied_writes = 0
                self._issues.clear("tariff_rejected")
                self._issues.clear("tariff_not_applied")
                LOGGER.info("Pushed and verified the Amber tariff on the Powerwall")
            else:
                self._not_applied(now)
            build = self.last_build
            if setting in outcome.sent and build is not None and build.tariff is not None:
                self._writer.state.last_push = PushRecord(
                    fingerprint=tariff_fingerprint(build.tariff),
                    pushed_at=now,
                    verified=setting in outcome.verified,
                )

    def _rejected(self, message: str) -> None:
        LOGGER.warning("The Powerwall rejected the tariff: %s", message)
        self.last_write = WriteOutcome.REJECTED
        self.rejection_message = message
        self._issues.raise_issue("tariff_rejected", severity=ir.IssueSeverity.ERROR, message=message)

    def _not_applied(self, now: datetime) -> None:
        self.last_write = WriteOutcome.NOT_APPLIED
        self._unapplied_writes += 1
        self._last_unapplied_at = now
        if self._unapplied_writes == MAX_UNAPPLIED_WRITES:
            LOGGER.warning(
                "The Powerwall accepted the tariff %s times without applying it; retrying every %s",
                MAX_UNAPPLIED_WRITES,
                SLOW_RETRY,
            )
            self._issues.raise_issue(
                "tariff_not_applied",
                severity=ir.IssueSeverity.WARNING,
                attempts=str(MAX_UNAPPLIED_WRITES),
                minutes=str(int(SLOW_RETRY.total_seconds() // 60)),
            )
        else:
            LOGGER.info("The Powerwall does not show the pushed tariff yet; retrying next cycle")
