"""Tesla Sync: Amber Electric prices to a Tesla Powerwall tariff."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api.aemo import AEMO_SUMMARY_URL, AemoClient
from .api.amber import AMBER_BASE_URL, AmberClient
from .api.teslemetry import TESLEMETRY_BASE_URL, TeslemetryClient
from .const import (
    CONF_AEMO_BASE_URL,
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_BASE_URL,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    CONF_TESLEMETRY_API_TOKEN,
    CONF_TESLEMETRY_BASE_URL,
    DOMAIN,
    LOGGER,
)
from .control.regions import region_for_nmi
from .controller import PowerwallController
from .coordinator import (
    AemoPriceCoordinator,
    AmberPricesCoordinator,
    EnergyHistoryCoordinator,
    LiveStatusCoordinator,
    SiteInfoCoordinator,
    TeslaSyncConfigEntry,
    TeslaSyncRuntimeData,
)
from .entity import amber_device_info, powerwall_device_info
from .options import OPT_AEMO_REGION, entry_options
from .services import async_setup_services
from .store import TeslaSyncStore

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services once for every entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> bool:
    """Set up one Powerwall with its Amber site."""
    session = async_get_clientsession(hass)
    amber_client = AmberClient(
        session,
        entry.data[CONF_AMBER_API_TOKEN],
        base_url=entry.data.get(CONF_AMBER_BASE_URL, AMBER_BASE_URL),
    )
    teslemetry_client = TeslemetryClient(
        session,
        entry.data[CONF_TESLEMETRY_API_TOKEN],
        base_url=entry.data.get(CONF_TESLEMETRY_BASE_URL, TESLEMETRY_BASE_URL),
    )
    energy_site_id = int(entry.data[CONF_ENERGY_SITE_ID])
    amber_site_id = str(entry.data[CONF_AMBER_SITE_ID])

    prices = AmberPricesCoordinator(hass, entry, amber_client, amber_site_id)
    live_status = LiveStatusCoordinator(hass, entry, teslemetry_client, energy_site_id)
    site_info = SiteInfoCoordinator(hass, entry, teslemetry_client, energy_site_id)
    energy = EnergyHistoryCoordinator(hass, entry, teslemetry_client, energy_site_id, site_info)
    aemo_client = AemoClient(session, base_url=entry.data.get(CONF_AEMO_BASE_URL, AEMO_SUMMARY_URL))
    store = TeslaSyncStore(hass, entry.entry_id)

    # ConfigEntryNotReady / ConfigEntryAuthFailed propagate from here, as Home Assistant expects.
    _, _, _, stored = await asyncio.gather(
        prices.async_config_entry_first_refresh(),
        live_status.async_config_entry_first_refresh(),
        site_info.async_config_entry_first_refresh(),
        store.async_load_state(),
    )
    # Energy history and AEMO prices are extras the sync does not depend on: a failure leaves their
    # entities unavailable instead of failing the whole entry. Energy needs the site's time zone, and
    # the AEMO region defaults to the one the Amber site's NMI names.
    region = entry_options(entry, default_region=region_for_nmi(prices.data.site.nmi)).aemo_region
    aemo = AemoPriceCoordinator(hass, entry, aemo_client, region)
    await asyncio.gather(energy.async_refresh(), aemo.async_refresh())

    controller = PowerwallController(
        hass,
        entry,
        client=teslemetry_client,
        site_info=site_info,
        prices=prices,
        aemo=aemo,
        store=store,
        state=stored,
    )
    entry.runtime_data = TeslaSyncRuntimeData(
        amber_client=amber_client,
        teslemetry_client=teslemetry_client,
        energy_site_id=energy_site_id,
        amber_site_id=amber_site_id,
        prices=prices,
        live_status=live_status,
        site_info=site_info,
        energy=energy,
        aemo=aemo,
        controller=controller,
    )
    _register_devices(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    controller.async_start()
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> bool:
    """Bring an entry stored by an older version up to date (Home Assistant refuses newer ones itself)."""
    if entry.minor_version < 2:
        options = dict(entry.options)
        if isinstance(region := options.get(OPT_AEMO_REGION), str):
            options[OPT_AEMO_REGION] = region.lower()
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
        LOGGER.debug("Migrated entry %s to version 1.2", entry.entry_id)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> None:
    """Forget what the entry persisted when the owner deletes it."""
    await TeslaSyncStore(hass, entry.entry_id).async_remove()


async def async_unload_entry(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> bool:
    """Unload an entry; the controller's timers and listeners go with it."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


def _register_devices(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> None:
    """Create both devices up front so they exist before any entity refers to them, and drop the device of
    an Amber site the entry no longer uses (the owner chose another one when reconfiguring)."""
    device_registry = dr.async_get(hass)
    runtime = entry.runtime_data
    current = {
        device_registry.async_get_or_create(config_entry_id=entry.entry_id, **info).id
        for info in (powerwall_device_info(runtime), amber_device_info(runtime))
    }
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.id not in current:
            LOGGER.debug("Removing device %s, which this entry no longer uses", device.name)
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
