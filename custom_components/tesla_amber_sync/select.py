"""The Tariff select: one place to choose what the Powerwall holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.select import SelectEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import TeslaSyncConfigEntry
from .entity import ControllerEntity
from .features.chosen_tariff import AMBER_OPTION

# Choosing writes to the Powerwall through the controller, one at a time.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the Tariff select of one entry."""
    async_add_entities([TariffSelect(entry, "chosen_tariff")])


class TariffSelect(ControllerEntity, SelectEntity):
    """Amber's rolling tariff, a custom schedule or a saved profile. The tariff sensor says what the
    Powerwall actually holds."""

    @property
    def options(self) -> list[str]:
        """Amber first (for an entry with Amber), then every schedule, then every profile (the one from
        before Tesla Sync, then saved ones)."""
        amber = [AMBER_OPTION] if self.controller.has_amber else []
        return [*amber, *self.controller.schedule_names(), *self.controller.profile_names()]

    @property
    def current_option(self) -> str | None:
        """What the owner chose."""
        return self.controller.chosen_tariff

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Who put the tariff the Powerwall holds there (it differs from the choice during an override)."""
        return {"on_the_powerwall": self.controller.tariff_source(dt_util.utcnow()).value}

    async def async_select_option(self, option: str) -> None:
        """Write the chosen tariff through the writer; a failure raises a translated error."""
        await self.controller.async_choose_tariff(option)
