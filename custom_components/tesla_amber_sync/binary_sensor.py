"""Binary sensors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import (
    DOMAIN as BINARY_SENSOR_DOMAIN,
    BinarySensorDeviceClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .control.claims import ClaimSource
from .coordinator import LiveStatusCoordinator, TeslaSyncConfigEntry
from .demand_tracking import DemandTracker
from .entity import ControllerEntity, PowerwallEntity, async_remove_entities

# Read-only: every value comes from a coordinator.
PARALLEL_UPDATES = 0

DEMAND_WINDOW = "demand_window_active"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of one entry (the demand window's only when it has a demand charge)."""
    entities: list[BinarySensorEntity] = [
        GridStatusSensor(entry, entry.runtime_data.live_status, "grid_status"),
        SpikeActiveSensor(entry, "spike_active"),
        CurtailmentActiveSensor(entry, "curtailment_active"),
    ]
    if (demand := entry.runtime_data.demand) is not None:
        entities.append(DemandWindowSensor(entry, demand, DEMAND_WINDOW))
    else:
        async_remove_entities(hass, entry, BINARY_SENSOR_DOMAIN, [DEMAND_WINDOW])
    async_add_entities(entities)


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


class SpikeActiveSensor(ControllerEntity, BinarySensorEntity):
    """On while a price spike (real or simulated) holds the Powerwall in time-based control."""

    @property
    def is_on(self) -> bool:
        """Whether a spike is active."""
        return self.controller.spike_state.active

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """When it started, its peak ($/MWh), the region and the threshold in force."""
        spike = self.controller.spike_state.spike
        if spike is None:
            return None
        return {
            "start": spike.started_at.isoformat(),
            "peak_price": spike.peak_price,
            "region": spike.region,
            "threshold": spike.threshold,
            "simulated": spike.simulated,
            # Settings the owner changed on the Powerwall during the spike: theirs stand.
            "left_to_owner": self.controller.yielded_settings(ClaimSource.SPIKE),
        }


class CurtailmentActiveSensor(ControllerEntity, BinarySensorEntity):
    """On while export is stopped because feed-in does not pay."""

    @property
    def is_on(self) -> bool:
        """Whether export is curtailed."""
        return self.controller.curtailment_state.active

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The feed-in earning seen, the rule in force and the owner's rule to restore."""
        curtailment = self.controller.curtailment_state.curtailment
        return {
            "feed_in_price": None if curtailment is None else curtailment.last_feed_in,
            "rule_in_force": self.controller.export_rule.value,
            "rule_to_restore": None if curtailment is None else self.controller.owner_export_rule,
            "left_to_owner": self.controller.yielded_settings(ClaimSource.CURTAILMENT),
        }


class DemandWindowSensor(PowerwallEntity[DemandTracker], BinarySensorEntity):
    """On during the half hours whose grid import counts towards the demand charge."""

    @property
    def is_on(self) -> bool:
        """Whether the half hour in progress is inside the demand window (local to the site)."""
        return self.coordinator.window_active(dt_util.utcnow())
