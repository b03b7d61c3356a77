"""Devices and base entities: one base per data source, as Home Assistant's Teslemetry does."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import DOMAIN
from .coordinator import AmberPricesCoordinator, AmberRuntime, TeslaSyncConfigEntry, TeslaSyncRuntimeData


def powerwall_device_info(runtime: TeslaSyncRuntimeData) -> DeviceInfo:
    """The Powerwall site: the physical thing every write goes to."""
    site_info = runtime.site_info.data
    return DeviceInfo(
        identifiers={(DOMAIN, str(runtime.energy_site_id))},
        manufacturer="Tesla",
        model=site_info.model or "Powerwall",
        name=site_info.site_name or "Powerwall",
        sw_version=site_info.firmware_version,
        # The gateway's serial, as on its label and in Tesla's app (the energy site id is an account key).
        serial_number=site_info.gateway_serial,
    )


def amber_device_info(amber: AmberRuntime) -> DeviceInfo:
    """The Amber site, a service: an electricity connection priced by Amber; its name keeps entity ids
    portable."""
    data = amber.prices.data
    site = None if data is None else data.site
    return DeviceInfo(
        identifiers={(DOMAIN, f"amber_{amber.site_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Amber Electric",
        model="Electricity site",
        # The NMI names the connection on every bill and in Amber's app: the site's serial number.
        serial_number=None if site is None else site.nmi or None,
        name="Amber Electric",
        configuration_url="https://app.amber.com.au",
    )


@callback
def async_remove_entities(
    hass: HomeAssistant, entry: TeslaSyncConfigEntry, domain: str, keys: list[str]
) -> None:
    """Forget the entities of `keys` on one platform that the entry no longer has (the owner turned off the
    setting they show), so none lingers as unavailable."""
    registry = er.async_get(hass)
    for key in keys:
        entity_id = registry.async_get_entity_id(domain, DOMAIN, f"{entry.unique_id}_{key}")
        if entity_id is not None:
            registry.async_remove(entity_id)


class TeslaSyncEntity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """Base of every entity: named by translation key, unique per entry and key."""

    _attr_has_entity_name = True

    def __init__(self, entry: TeslaSyncConfigEntry, coordinator: CoordinatorT, key: str) -> None:
        """Attach to a coordinator; the device is chosen by the subclass."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.unique_id}_{key}"
        self._attr_translation_key = key


class PowerwallEntity[CoordinatorT: DataUpdateCoordinator[Any]](TeslaSyncEntity[CoordinatorT]):
    """An entity on the Powerwall site device."""

    def __init__(self, entry: TeslaSyncConfigEntry, coordinator: CoordinatorT, key: str) -> None:
        """Attach to the Powerwall device."""
        super().__init__(entry, coordinator, key)
        self._attr_device_info = powerwall_device_info(entry.runtime_data)


class AmberEntity(TeslaSyncEntity[AmberPricesCoordinator]):
    """An entity on the Amber site device (only an entry with Amber has them)."""

    def __init__(self, entry: TeslaSyncConfigEntry, amber: AmberRuntime, key: str) -> None:
        """Attach to Amber's prices and device."""
        super().__init__(entry, amber.prices, key)
        self._attr_device_info = amber_device_info(amber)


class ControllerEntity(Entity):
    """An entity on the Powerwall device whose state is the single writer's (sync status, switches)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: TeslaSyncConfigEntry, key: str) -> None:
        """Attach to the entry's controller."""
        self.controller = entry.runtime_data.controller
        self._attr_unique_id = f"{entry.unique_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = powerwall_device_info(entry.runtime_data)

    async def async_added_to_hass(self) -> None:
        """Follow the controller's state changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self.controller.async_add_listener(self.async_write_ha_state))
