"""Switches."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import TeslaSyncConfigEntry
from .entity import ControllerEntity
from .options import OPT_SOLAR_CURTAILMENT, OPT_SPIKE_DETECTION

# Switches write to the Powerwall through the controller, which serialises writes itself.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of one entry; auto sync is Amber's on/off, so only an entry with Amber has it."""
    switches: list[SwitchEntity] = [
        OptionSwitch(entry, OPT_SPIKE_DETECTION),
        OptionSwitch(entry, OPT_SOLAR_CURTAILMENT),
    ]
    if entry.runtime_data.amber is not None:
        switches.insert(0, AutoSyncSwitch(entry, "auto_sync"))
    async_add_entities(switches)


class AutoSyncSwitch(ControllerEntity, SwitchEntity):
    """Keep the Powerwall's tariff in step with Amber's prices."""

    _attr_entity_category = EntityCategory.CONFIG

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


class OptionSwitch(ControllerEntity, SwitchEntity):
    """An on/off option of the entry (spike detection, solar curtailment), as the options flow sets it."""

    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, entry: TeslaSyncConfigEntry, key: str) -> None:
        """Switch the option named `key`."""
        super().__init__(entry, key)
        self._option = key

    @property
    def is_on(self) -> bool:
        """The option as stored."""
        return bool(self.controller.options.as_mapping()[self._option])

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the feature on and act at once."""
        await self.controller.async_set_option(self._option, value=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the feature off; an override it holds ends and the owner's settings come back."""
        await self.controller.async_set_option(self._option, value=False)
