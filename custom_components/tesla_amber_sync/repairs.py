"""Repair issues the owner can fix from Home Assistant, and the owner's settings in words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig
import probatio

from .api.models import OperationMode
from .const import DOMAIN
from .control.claims import Setting
from .control.option_rules import demand_problems
from .options import OPT_DEMAND_CHARGE, OPT_DEMAND_DAYS, OPT_DEMAND_WINDOW_END, OPT_DEMAND_WINDOW_START
from .tariff import TariffDecodeError, decode_tariff

if TYPE_CHECKING:
    from .coordinator import TeslaSyncConfigEntry

_MODE_WORDS = {
    "self_consumption": "Self-Powered",
    "autonomous": "Time-Based Control",
    "backup": "Backup-only",
}
_RULE_WORDS = {"battery_ok": "solar and battery", "pv_only": "solar only", "never": "no export"}


def _tariff_words(content: object) -> str:
    if content is None:
        return "none"
    if not isinstance(content, dict):
        return "unreadable"
    name = str(content.get("name") or content.get("code") or "unnamed")
    utility = content.get("utility")
    try:
        schedule = decode_tariff(content)
    except TariffDecodeError:
        return f"{name}" + (f" ({utility})" if utility else "")
    rates = sorted(set(schedule.buy.energy_rates.values()))
    span = (
        f"{rates[0]:.4f} $/kWh"
        if len(rates) == 1
        else f"{rates[0]:.4f} to {rates[-1]:.4f} $/kWh"
        if rates
        else "no rates"
    )
    return f"{name}" + (f" ({utility})" if utility else "") + f", buy {span}"


def describe_settings(values: Mapping[Setting, Any], time_zone: ZoneInfo | None = None) -> str:
    """The settings in the owner's words, one per line ("Operation mode: Self-Powered", ...)."""
    del time_zone  # Rates are listed as a range; the zone is kept for callers that name times later.
    lines: list[str] = []
    for setting in Setting:
        if setting not in values:
            continue
        value = values[setting]
        match setting:
            case Setting.OPERATION_MODE:
                lines.append(f"Operation mode: {_MODE_WORDS.get(str(value), str(value))}")
            case Setting.EXPORT_RULE:
                lines.append(f"Export: {_RULE_WORDS.get(str(value), str(value))}")
            case Setting.GRID_CHARGING:
                lines.append(f"Charging from the grid: {'allowed' if value else 'not allowed'}")
            case Setting.BACKUP_RESERVE:
                lines.append(f"Backup reserve: {value} %")
            case Setting.TARIFF:
                lines.append(f"Tariff: {_tariff_words(value)}")
    return "\n".join(lines) if lines else "nothing recorded"


class _IssueFlow(RepairsFlow):
    """A fix flow whose texts use the placeholders its issue was raised with."""

    def __init__(self, entry: TeslaSyncConfigEntry) -> None:
        """Fix the issue of one entry."""
        self._entry = entry

    def _placeholders(self) -> dict[str, str]:
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return dict(issue.translation_placeholders or {}) if issue is not None else {}


class TimeBasedControlFlow(_IssueFlow):
    """Put the Powerwall in time-based control (undone with the owner's settings), or leave it."""

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Offer the two choices."""
        return self.async_show_menu(
            step_id="init", menu_options=["switch", "dismiss"], description_placeholders=self._placeholders()
        )

    async def async_step_switch(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Switch the Powerwall to time-based control through the writer."""
        try:
            await self._entry.runtime_data.controller.async_enter_time_based_control()
        except HomeAssistantError:
            return self.async_abort(reason="write_failed")
        return self.async_create_entry(data={})

    async def async_step_dismiss(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Keep the owner's mode and stop asking."""
        await self._entry.runtime_data.controller.async_dismiss_time_based_control()
        return self.async_create_entry(data={})


class DemandWindowFlow(_IssueFlow):
    """Use the demand window Amber flags (the issue's data): it goes into the options, which reload."""

    def __init__(self, entry: TeslaSyncConfigEntry, fix: Mapping[str, object]) -> None:
        """Fix the window of one entry with `fix` (start, end and days, when Amber's window was clear)."""
        super().__init__(entry)
        self._fix = fix

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask first (the repairs dashboard starts the flow with the issue's data, not an answer)."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Show Amber's window beside the owner's, then set it; the rate, months and cycle stay."""
        if not {"start", "end", "days"} <= self._fix.keys():
            return self.async_abort(reason="no_proposal")
        if user_input is None:
            return self.async_show_form(step_id="confirm", description_placeholders=self._placeholders())
        options = {
            **self._entry.options,
            OPT_DEMAND_WINDOW_START: str(self._fix["start"]),
            OPT_DEMAND_WINDOW_END: str(self._fix["end"]),
            OPT_DEMAND_DAYS: str(self._fix["days"]),
        }
        # The same rules as the options form: a charge turned off since, or a window that cannot work, is
        # left for the owner to set in the options.
        if not options.get(OPT_DEMAND_CHARGE) or demand_problems(options):
            return self.async_abort(reason="not_applied")
        self.hass.config_entries.async_update_entry(self._entry, options=options)
        self.hass.config_entries.async_schedule_reload(self._entry.entry_id)
        return self.async_create_entry(data={})


class RestoreFailedFlow(_IssueFlow):
    """Try giving the owner's settings back again."""

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask first (the repairs dashboard starts the flow with the issue's data, not an answer)."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Confirm, then try."""
        if user_input is None:
            return self.async_show_form(step_id="confirm", description_placeholders=self._placeholders())
        try:
            await self._entry.runtime_data.controller.async_retry_restore()
        except HomeAssistantError:
            return self.async_abort(reason="write_failed")
        return self.async_create_entry(data={})


class ChooseModeFlow(_IssueFlow):
    """The owner picks the operation mode to return to (a record that lost it)."""

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask first (the repairs dashboard starts the flow with the issue's data, not an answer)."""
        return await self.async_step_choose()

    async def async_step_choose(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """One choice of the three modes; the writer puts it on the Powerwall and checks it took."""
        if user_input is not None:
            try:
                await self._entry.runtime_data.controller.async_choose_mode(OperationMode(user_input["mode"]))
            except HomeAssistantError:
                return self.async_abort(reason="write_failed")
            return self.async_create_entry(data={})
        modes = [mode.value for mode in OperationMode if mode is not OperationMode.UNKNOWN]
        return self.async_show_form(
            step_id="choose",
            data_schema=probatio.Schema(
                {
                    probatio.Required("mode"): SelectSelector(
                        SelectSelectorConfig(options=modes, translation_key="operation_mode")
                    )
                }
            ),
            description_placeholders=self._placeholders(),
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow that fixes `issue_id`."""
    entry_id = str((data or {}).get("entry_id"))
    entry: TeslaSyncConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        raise data_entry_flow.UnknownHandler
    if issue_id.startswith("not_in_time_based_control_"):
        return TimeBasedControlFlow(entry)
    if issue_id.startswith("choose_mode_"):
        return ChooseModeFlow(entry)
    if issue_id.startswith("demand_window_mismatch_"):
        return DemandWindowFlow(entry, data or {})
    return RestoreFailedFlow(entry)
