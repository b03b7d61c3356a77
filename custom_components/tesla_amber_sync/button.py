"""Buttons for the common battery commands, so the dashboard starts one with a tap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .control.commands import CommandKind
from .controller import PowerwallController
from .coordinator import TeslaSyncConfigEntry
from .entity import ControllerEntity

# Each press writes to the Powerwall through the controller, one at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class CommandButtonDescription(ButtonEntityDescription):
    """A button that runs one battery command."""

    press_fn: Callable[[PowerwallController], Awaitable[None]]


BUTTONS: tuple[CommandButtonDescription, ...] = (
    CommandButtonDescription(
        key="charge_for_an_hour",
        press_fn=lambda controller: controller.async_battery_command(
            CommandKind.CHARGE, minutes=60, target=None
        ),
    ),
    CommandButtonDescription(
        key="discharge_for_half_an_hour",
        press_fn=lambda controller: controller.async_battery_command(
            CommandKind.DISCHARGE, minutes=30, target=None
        ),
    ),
    CommandButtonDescription(
        key="hold_for_two_hours",
        press_fn=lambda controller: controller.async_battery_command(
            CommandKind.HOLD, minutes=120, target=None
        ),
    ),
    CommandButtonDescription(
        key="end_battery_command", press_fn=lambda controller: controller.async_end_command()
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the command buttons of one entry."""
    async_add_entities(CommandButton(entry, description) for description in BUTTONS)


class CommandButton(ControllerEntity, ButtonEntity):
    """Start (or end) a battery command; a command that cannot be verified raises a translated error."""

    entity_description: CommandButtonDescription

    def __init__(self, entry: TeslaSyncConfigEntry, description: CommandButtonDescription) -> None:
        """Describe one command."""
        super().__init__(entry, description.key)
        self.entity_description = description

    async def async_press(self) -> None:
        """Run the command."""
        await self.entity_description.press_fn(self.controller)
