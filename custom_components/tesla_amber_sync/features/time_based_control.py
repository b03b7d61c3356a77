"""Time-based control: a tariff Tesla Sync keeps on the Powerwall is ignored in any other mode.

While the owner keeps a tariff (Amber's, a schedule or a profile) outside time-based control, a repair offers
to let the chosen tariff claim the mode too (`amber_claims_mode`), or to stop asking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_amber_sync.api.models import OperationMode
from custom_components.tesla_amber_sync.writer import PowerwallWriter

from .issues import EntryIssues


class TimeBasedControl:
    """Raises the time-based control repair while it applies, and carries out the owner's answer."""

    def __init__(
        self,
        *,
        writer: PowerwallWriter,
        issues: EntryIssues,
        chosen_content: Callable[[], dict[str, Any] | None],
    ) -> None:
        """Watch the mode `writer` reads; `chosen_content` is the chosen schedule's or profile's tariff."""
        self._writer = writer
        self._issues = issues
        self._chosen_content = chosen_content

    def update_repair(self, *, spike_active: bool) -> None:
        """Show the repair while a tariff Tesla Sync keeps is ignored (a spike claims the mode itself)."""
        state = self._writer.state
        held = self._writer.site_info
        # Amber's rolling tariff, a schedule or a profile: any tariff Tesla Sync keeps is ignored outside
        # time-based control.
        keeps_a_tariff = state.auto_sync or self._chosen_content() is not None
        wants = (
            keeps_a_tariff
            and not state.time_based_control_dismissed
            and not state.amber_claims_mode
            and not spike_active
            and self._writer.readable
            and held.operation_mode not in {OperationMode.AUTONOMOUS, OperationMode.UNKNOWN}
        )
        if wants:
            self._issues.raise_issue(
                "not_in_time_based_control",
                severity=ir.IssueSeverity.WARNING,
                fixable=True,
                mode=held.operation_mode.value,
            )
        else:
            self._issues.clear("not_in_time_based_control")

    def enter(self) -> Callable[[], None]:
        """The repair's fix: the chosen tariff claims time-based control too; returns the undo."""
        state = self._writer.state
        state.amber_claims_mode = True

        def undo() -> None:
            state.amber_claims_mode = False

        return undo

    def dismiss(self) -> None:
        """The owner keeps their mode: stop asking."""
        self._writer.state.time_based_control_dismissed = True
        self._issues.clear("not_in_time_based_control")
