"""The owner's own settings: recorded before Tesla Sync changes anything, and given back when no feature
claims them any more (within a bounded restore budget, with a repair when it gives up).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_amber_sync.api.models import OperationMode
from custom_components.tesla_amber_sync.const import LOGGER
from custom_components.tesla_amber_sync.control.claims import ClaimSource, Plan, Setting
from custom_components.tesla_amber_sync.control.restore import RestoreBudget
from custom_components.tesla_amber_sync.repairs import describe_settings
from custom_components.tesla_amber_sync.store import is_own_tariff
from custom_components.tesla_amber_sync.writer import PowerwallWriter, WriteResult

from .issues import EntryIssues


class OwnerSettings:
    """Keeps the record of the owner's settings, and the budget and repairs of giving them back."""

    def __init__(
        self,
        *,
        writer: PowerwallWriter,
        issues: EntryIssues,
        schedule_retry: Callable[[datetime], None],
    ) -> None:
        """Keep the record in `writer`'s state; `schedule_retry` asks for a reconcile at a later time."""
        self._writer = writer
        self._issues = issues
        self._schedule_retry = schedule_retry
        # A restore is tried afresh after a restart: the budget bounds retries within one run.
        writer.state.restore = RestoreBudget()

    def record_baseline(self, held: dict[Setting, Any], known: frozenset[Setting], now: datetime) -> None:
        """A setting Tesla Sync does not hold changed is the owner's, as the Powerwall reports it: recorded
        the first write of any kind, and kept up to date with the owner's own changes until then."""
        state = self._writer.state
        for setting in known:
            if setting not in state.ours:
                value = held[setting]
                if setting is Setting.TARIFF and is_own_tariff(value):
                    continue
                state.baseline[setting] = value
                state.baseline_captured_at = state.baseline_captured_at or now

    def record_plan(self, result: Plan, now: datetime) -> None:
        """Record what the plan found: the owner's adopted and yielded changes, what is back, what is held."""
        state = self._writer.state
        for setting, value in result.adopted.items():
            if setting is Setting.TARIFF and is_own_tariff(value):
                continue
            state.baseline[setting] = value
        for source, setting in result.yielded:
            LOGGER.info(
                "The owner changed %s on the Powerwall during the %s override: keeping their choice",
                setting.value,
                source.value,
            )
        state.yielded |= result.yielded
        state.ours -= result.restored
        for setting, value in result.satisfied.items():
            # Held as claimed without a write (a chosen profile the owner had put on): ours from now on, so
            # that a later change is told apart from it.
            owners = state.baseline.get(setting)
            if setting in state.baseline and not self._writer.same(setting, value, owners, now):
                state.ours.add(setting)
                state.verified_writes[setting] = value
        if result.restored and not result.restoring:
            LOGGER.info("The owner's settings are back on the Powerwall")
            state.restore = RestoreBudget()
            self._issues.clear("restore_failed")

    def may_restore(self, now: datetime) -> bool:
        """Whether the restore budget allows an attempt to give the owner's settings back now."""
        return self._writer.state.restore.may_attempt(now, rate_limited_until=self._writer.rate_limited_until)

    def record_restores(
        self, writes: list[tuple[Setting, Any, ClaimSource]], outcome: WriteResult, now: datetime
    ) -> None:
        """Record how giving the owner's settings back went: done, retried later, or given up (a repair)."""
        restores = [setting for setting, _, source in writes if source is ClaimSource.OWNER]
        if not restores:
            return
        state = self._writer.state
        rate_limited_until = self._writer.rate_limited_until
        done = set(restores) <= outcome.verified
        if done:
            state.ours -= set(restores)
            state.restore = RestoreBudget()
            self._issues.clear("restore_failed")
        if not done and not outcome.rate_limited:
            state.restore = state.restore.failed(now, rate_limited_until=rate_limited_until)
            if state.restore.gave_up:
                self._restore_failed(restores)
            elif state.restore.next_attempt_at is not None:
                self._schedule_retry(state.restore.next_attempt_at)
        elif outcome.rate_limited and rate_limited_until is not None:
            state.restore = state.restore.postponed(rate_limited_until)

    def _restore_failed(self, settings: list[Setting]) -> None:
        state = self._writer.state
        held, _ = self._writer.held()
        LOGGER.warning("Could not give the owner's settings back after %s attempts", state.restore.attempts)
        time_zone = self._writer.time_zone
        self._issues.raise_issue(
            "restore_failed",
            severity=ir.IssueSeverity.ERROR,
            fixable=True,
            owner=describe_settings(state.baseline, time_zone),
            different=describe_settings({s: held[s] for s in settings}, time_zone),
        )

    def retry(self) -> None:
        """A fresh restore budget (the restore repair's fix)."""
        self._writer.state.restore = RestoreBudget()

    def ask_for_mode(self) -> None:
        """A record that lost the owner's mode (an older version's) asks the owner which mode they had."""
        if self._writer.state.mode_to_choose:
            self._issues.raise_issue(
                "choose_mode",
                severity=ir.IssueSeverity.ERROR,
                fixable=True,
                mode=self._writer.site_info.operation_mode.value,
            )

    def choose_mode(self, mode: OperationMode) -> None:
        """The owner says which mode they had: it is theirs, and comes back at the next reconcile."""
        state = self._writer.state
        state.baseline[Setting.OPERATION_MODE] = mode.value
        state.ours.add(Setting.OPERATION_MODE)
        state.mode_to_choose = False
        state.restore = RestoreBudget()
