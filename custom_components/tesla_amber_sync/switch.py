"""Switches."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import TeslaSyncConfigEntry
from .entity import ControllerEntity

# Switches write to the Powerwall through the controller, which serialises writes itself.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of one entry."""
    async_add_entities([AutoSyncSwitch(entry, "auto_sync")])


class AutoSyncSwitch(ControllerEntity, SwitchEntity):
    """Keep the Powerwall's tariff in step with Amber's prices."""

    @property
    def is_on(self) -> bool:
        """Whether automatic sync is on (persisted in the entry's store)."""
        return self.controller.auto_sync

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn automatic sync on and sync at once."""
        await self.controller.async_set_auto_sync(enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop pushing Amber prices."""
        await self.controller.async_set_auto_sync(enabled=False)
