"""Binary sensors."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import LiveStatusCoordinator, TeslaSyncConfigEntry
from .entity import PowerwallEntity

# Read-only: every value comes from a coordinator.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of one entry."""
    async_add_entities([GridStatusSensor(entry, entry.runtime_data.live_status, "grid_status")])


class GridStatusSensor(PowerwallEntity[LiveStatusCoordinator], BinarySensorEntity):
    """On while the grid is up (the Powerwall is not islanded)."""

    _attr_device_class = BinarySensorDeviceClass.POWER

    @property
    def is_on(self) -> bool | None:
        """Tesla reports Active, Inactive, or Unknown (solar-only sites)."""
        match self.coordinator.data.grid_status:
            case "Active":
                return True
            case "Inactive":
                return False
            case _:
                return None
