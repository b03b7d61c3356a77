"""Sensors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import CURRENCY_DOLLAR, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .controller import PowerwallController, SyncStatus
from .coordinator import TeslaSyncConfigEntry
from .entity import ControllerEntity
from .tariff import slot_index

# Read-only: every value comes from a coordinator or the controller.
PARALLEL_UPDATES = 0

PRICE_UNIT = f"{CURRENCY_DOLLAR}/{UnitOfEnergy.KILO_WATT_HOUR}"


@dataclass(frozen=True, kw_only=True)
class ControllerSensorDescription(SensorEntityDescription):
    """A sensor showing the sync state of the single writer."""

    value_fn: Callable[[PowerwallController, datetime], str | float | datetime | None]
    attributes_fn: Callable[[PowerwallController], Mapping[str, Any] | None] = lambda _: None


def _current_buy_rate(controller: PowerwallController, now: datetime) -> float | None:
    build = controller.last_build
    if build is None or build.tariff is None:
        return None
    return build.tariff.slots[slot_index(now.astimezone(controller.time_zone).time())].buy


def _tariff_slots(controller: PowerwallController) -> Mapping[str, Any] | None:
    build = controller.last_build
    if build is None or build.tariff is None:
        return None
    return {
        "forecast_slots": build.forecast_slots,
        "fallback_slots": build.fallback_slots,
        "slots": [
            {
                "start": built.start.isoformat(),
                "buy": price.buy,
                "sell": price.sell,
                "source": built.source.value,
            }
            for built, price in zip(build.slots, build.tariff.slots, strict=True)
        ],
    }


CONTROLLER_SENSORS: tuple[ControllerSensorDescription, ...] = (
    ControllerSensorDescription(
        key="sync_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in SyncStatus],
        value_fn=lambda controller, _: controller.status.value,
        attributes_fn=lambda controller: {"rejection_message": controller.rejection_message}
        if controller.rejection_message
        else None,
    ),
    ControllerSensorDescription(
        key="last_sync",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda controller, _: controller.last_sync,
    ),
    ControllerSensorDescription(
        key="tariff",
        native_unit_of_measurement=PRICE_UNIT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=_current_buy_rate,
        attributes_fn=_tariff_slots,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of one entry."""
    async_add_entities(ControllerSensor(entry, description) for description in CONTROLLER_SENSORS)


class ControllerSensor(ControllerEntity, SensorEntity):
    """A sensor whose value comes from the controller."""

    entity_description: ControllerSensorDescription

    def __init__(self, entry: TeslaSyncConfigEntry, description: ControllerSensorDescription) -> None:
        """Describe one controller value."""
        super().__init__(entry, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | float | datetime | None:
        """The value now."""
        return self.entity_description.value_fn(self.controller, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra detail, such as the 48 slots of the tariff."""
        return self.entity_description.attributes_fn(self.controller)
