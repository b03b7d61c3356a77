"""Battery commands: an owner's charge, discharge or hold for a while, its end, and its claim.

A command claims the settings (and, to charge or discharge, a tariff over the command's window) that make the
Powerwall do it; it ends when its time is up or its target is reached, and a repair says when the Powerwall
does not follow a charge.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_amber_sync.const import DOMAIN, LOGGER
from custom_components.tesla_amber_sync.control import commands
from custom_components.tesla_amber_sync.control.claims import Claim, ClaimSource, Setting
from custom_components.tesla_amber_sync.control.commands import Command, CommandKind
from custom_components.tesla_amber_sync.repairs import describe_settings
from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    DayTariff,
    SlotPrice,
    apply_tesla_rules,
    encode_tariff,
)
from custom_components.tesla_amber_sync.tariff.spike import spike_window_slots
from custom_components.tesla_amber_sync.writer import PowerwallWriter

from .issues import EntryIssues
from .tariff_codes import COMMAND_TARIFF_CODE, COMMAND_TARIFF_NAME, TARIFF_UTILITY

if TYPE_CHECKING:
    from custom_components.tesla_amber_sync.coordinator import LiveStatusCoordinator

# Where the command in force is persisted (`PersistedState.overrides`).
COMMAND_KEY: Final = "command"


class BatteryCommands:
    """Starts, ends and watches the owner's battery command, and claims the Powerwall while it runs."""

    def __init__(
        self, *, writer: PowerwallWriter, live_status: LiveStatusCoordinator, issues: EntryIssues
    ) -> None:
        """Watch the command with the battery's `live_status`; raise its repair through `issues`."""
        self._writer = writer
        self._live_status = live_status
        self._issues = issues

    @property
    def command(self) -> Command | None:
        """The battery command in force (persisted), if any."""
        return Command.from_dict(self._writer.state.overrides.get(COMMAND_KEY))

    def restores(self) -> dict[str, Any]:
        """What the owner gets back when the command ends (the baseline of the settings it holds)."""
        command = self.command
        if command is None:
            return {}
        state = self._writer.state
        claimed = commands.plan(command, window_slots=(), normal_rates=((0.0, 0.0),) * SLOTS_PER_DAY)
        # The settings it changed (the tariff goes back to the chosen tariff, not to a value shown here).
        return {
            setting.value: state.baseline[setting]
            for setting in claimed
            if setting in state.baseline and setting in state.ours and setting is not Setting.TARIFF
        }

    def start(
        self, kind: CommandKind, *, now: datetime, minutes: float, target: float | None
    ) -> Callable[[], None]:
        """Put a command in force (replacing any), or raise a translated error naming the bad value; returns
        the undo that puts the one before back."""
        live = self._live_status.data
        try:
            command = commands.start(
                kind,
                now=now,
                minutes=minutes,
                soc=None if live is None else live.percentage_charged,
                reserve=self._writer.site_info.backup_reserve_percent,
                target=target,
            )
        except commands.CommandError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"invalid_command_{err.field}",
                translation_placeholders={"min": str(commands.MIN_MINUTES), "max": str(commands.MAX_MINUTES)},
            ) from err
        state = self._writer.state
        before = state.overrides.get(COMMAND_KEY)
        state.overrides[COMMAND_KEY] = command.as_dict()
        state.forget_yields(ClaimSource.COMMAND)
        LOGGER.info(
            "Battery command: %s until %s (target %s %%)", kind.value, command.ends_at, command.target
        )

        def undo() -> None:
            state.overrides[COMMAND_KEY] = before

        return undo

    def end_by_owner(self) -> None:
        """End the command in force, if any (the owner's settings come back at the next reconcile)."""
        if self._writer.state.overrides.pop(COMMAND_KEY, None) is not None:
            LOGGER.info("Battery command ended by the owner")

    async def async_step(self, now: datetime) -> None:
        """End a command whose time is up or whose target is reached; watch that a charge is followed."""
        command = self.command
        if command is None:
            self._issues.clear("command_not_followed")
            return
        state = self._writer.state
        live = self._live_status.data if self._live_status.last_update_success else None
        soc = None if live is None else live.percentage_charged
        reason = commands.ended(command, now=now, soc=soc)
        if reason is not None:
            LOGGER.info(
                "Battery command %s over (%s): restoring the owner's settings", command.kind.value, reason
            )
            state.overrides.pop(COMMAND_KEY, None)
            state.forget_yields(ClaimSource.COMMAND)
            self._issues.clear("command_not_followed")
            await self._writer.async_save()
            return
        info = self._writer.site_info
        if commands.not_followed(
            command,
            now=now,
            battery_power_w=None if live is None else live.battery_power,
            grid_charging=info.grid_charging_allowed,
        ):
            self._issues.raise_issue(
                "command_not_followed",
                severity=ir.IssueSeverity.WARNING,
                sent=describe_settings(
                    {
                        setting: state.verified_writes[setting]
                        for setting in state.ours
                        if setting in state.verified_writes
                    }
                ),
                reported=(
                    f"mode {info.operation_mode.value}, reserve {info.backup_reserve_percent} %, "
                    f"battery {None if live is None else live.battery_power} W, "
                    f"charge {soc} %"
                ),
            )

    def claim(self, now: datetime, *, normal: Callable[[], DayTariff], spike_active: bool) -> Claim | None:
        """The settings the command needs (to charge or discharge, a tariff over the `normal` one)."""
        command = self.command
        if command is None or spike_active:
            # A spike outranks a command: the command waits, and resumes after the spike if time is left.
            return None
        normal_tariff = normal()
        window = max(command.ends_at - now, timedelta(minutes=1))
        values = commands.plan(
            command,
            window_slots=spike_window_slots(now=now, time_zone=self._writer.time_zone, window=window),
            normal_rates=tuple((slot.buy, slot.sell) for slot in normal_tariff.slots),
        )
        rates = values.get(Setting.TARIFF)
        if rates is not None:
            tariff = apply_tesla_rules(
                DayTariff(
                    slots=tuple(SlotPrice(buy=buy, sell=sell) for buy, sell in rates),
                    demand_rates=normal_tariff.demand_rates,
                    daily_charges=normal_tariff.daily_charges,
                )
            )
            values[Setting.TARIFF] = encode_tariff(
                tariff, code=COMMAND_TARIFF_CODE, name=COMMAND_TARIFF_NAME, utility=TARIFF_UTILITY
            )
        return Claim(source=ClaimSource.COMMAND, values=values)
