"""Tesla Sync: Amber Electric prices, or the owner's own time-of-use schedule, to a Tesla Powerwall tariff."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv, device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api.aemo import AEMO_SUMMARY_URL, AemoClient
from .api.amber import AMBER_BASE_URL, AmberClient
from .const import (
    CONF_AEMO_BASE_URL,
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_BASE_URL,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    DOMAIN,
    LOGGER,
)
from .control.option_rules import option_problems
from .controller import PowerwallController
from .coordinator import (
    AemoPriceCoordinator,
    AmberPricesCoordinator,
    AmberRuntime,
    EnergyHistoryCoordinator,
    LiveStatusCoordinator,
    SiteInfoCoordinator,
    TeslaSyncConfigEntry,
    TeslaSyncRuntimeData,
    default_region,
)
from .demand_tracking import DemandTracker
from .entity import amber_device_info, powerwall_device_info
from .frontend_assets import async_register_frontend
from .options import (
    OPT_AEMO_REGION,
    OPT_DEMAND_CHARGE,
    OPT_DEMAND_RATE,
    OPT_DEMAND_WINDOW_END,
    OPT_DEMAND_WINDOW_START,
    entry_options,
)
from .removal import async_give_back
from .routing import async_energy_client
from .schedule_flow import SUBENTRY_TYPE as SCHEDULE_SUBENTRY_TYPE
from .services import async_setup_services
from .store import PersistedState, TeslaSyncStore
from .writer import PowerwallWriter

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services once for every entry, and serve the tariff card and the dashboard strategy."""
    async_setup_services(hass)
    await async_register_frontend(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> bool:
    """Set up one Powerwall, with the Amber site that prices it or with the owner's own schedules."""
    _repair_stored_options(hass, entry)
    session = async_get_clientsession(hass)
    # Teslemetry or Tesla's Fleet API, with the other as fallback when the entry has both.
    teslemetry_client = await async_energy_client(hass, entry)
    energy_site_id = int(entry.data[CONF_ENERGY_SITE_ID])

    live_status = LiveStatusCoordinator(hass, entry, teslemetry_client, energy_site_id)
    site_info = SiteInfoCoordinator(hass, entry, teslemetry_client, energy_site_id)
    amber = _amber_runtime(hass, entry, site_info)
    energy = EnergyHistoryCoordinator(hass, entry, teslemetry_client, energy_site_id, site_info)
    aemo_client = AemoClient(session, base_url=entry.data.get(CONF_AEMO_BASE_URL, AEMO_SUMMARY_URL))
    store = TeslaSyncStore(hass, entry.entry_id)

    # The Powerwall is what every entity and write hangs on: ConfigEntryNotReady / ConfigEntryAuthFailed
    # propagate from its first reads, as Home Assistant expects. Amber is read without failing the entry:
    # when it is down or rejects its token the Powerwall's own entities still work, Amber's are unavailable,
    # and a rejected token starts Amber's re-authentication.
    _, _, _, stored = await asyncio.gather(
        _async_first_amber_refresh(amber),
        live_status.async_config_entry_first_refresh(),
        site_info.async_config_entry_first_refresh(),
        store.async_load_state(initial=_initial_state(entry, has_amber=amber is not None)),
    )
    if amber is not None and isinstance(amber.prices.last_exception, ConfigEntryAuthFailed):
        entry.async_start_reauth(hass)
    # Energy history and AEMO prices are extras the sync does not depend on: a failure leaves their
    # entities unavailable instead of failing the whole entry. Energy needs the site's time zone, and
    # the AEMO region defaults to the one the Amber site's NMI (or the Powerwall's time zone) names.
    prices = None if amber is None else amber.prices
    options = entry_options(entry, default_region=default_region(prices, site_info.time_zone))
    aemo = AemoPriceCoordinator(hass, entry, aemo_client, options.aemo_region)
    await asyncio.gather(energy.async_refresh(), aemo.async_refresh())

    writer = PowerwallWriter(client=teslemetry_client, site_info=site_info, store=store, state=stored)
    controller = PowerwallController(
        hass,
        entry,
        writer=writer,
        prices=prices,
        aemo=aemo,
        live_status=live_status,
    )
    demand = (
        None
        if options.demand is None
        else DemandTracker(
            hass, entry, settings=options.demand, live_status=live_status, site_info=site_info, writer=writer
        )
    )
    entry.runtime_data = TeslaSyncRuntimeData(
        amber=amber,
        teslemetry_client=teslemetry_client,
        energy_site_id=energy_site_id,
        live_status=live_status,
        site_info=site_info,
        energy=energy,
        aemo=aemo,
        controller=controller,
        demand=demand,
    )
    _register_devices(hass, entry)
    if demand is not None:
        # Before the entities: they start from the first poll's sample.
        demand.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    controller.async_start()
    return True


def _amber_runtime(
    hass: HomeAssistant, entry: TeslaSyncConfigEntry, site_info: SiteInfoCoordinator
) -> AmberRuntime | None:
    """Amber's client and prices coordinator (its history reaches by the Powerwall site's wall clock); None
    for an entry without Amber (another retailer)."""
    if CONF_AMBER_API_TOKEN not in entry.data:
        return None
    client = AmberClient(
        async_get_clientsession(hass),
        entry.data[CONF_AMBER_API_TOKEN],
        base_url=entry.data.get(CONF_AMBER_BASE_URL, AMBER_BASE_URL),
    )
    site_id = str(entry.data[CONF_AMBER_SITE_ID])
    return AmberRuntime(
        client=client,
        site_id=site_id,
        prices=AmberPricesCoordinator(hass, entry, client, site_id, time_zone=lambda: site_info.time_zone),
    )


async def _async_first_amber_refresh(amber: AmberRuntime | None) -> None:
    """Amber's first prices (an entry without Amber has none to read)."""
    if amber is not None:
        await amber.prices.async_refresh()


def _initial_state(entry: TeslaSyncConfigEntry, *, has_amber: bool) -> PersistedState:
    """What a new entry starts with: Amber's rolling tariff, or without Amber its first schedule (the one
    the config flow asked for) as the tariff the Powerwall should hold."""
    if has_amber:
        return PersistedState()
    first = next(
        (sub.subentry_id for sub in entry.subentries.values() if sub.subentry_type == SCHEDULE_SUBENTRY_TYPE),
        None,
    )
    return PersistedState(auto_sync=False, chosen_schedule=first)


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
    """Give the owner's settings back, then forget what the entry persisted.

    When the Powerwall cannot be reached (or will not take them), a persistent notification lists what the
    owner had, so nothing is lost with the entry.
    """
    store = TeslaSyncStore(hass, entry.entry_id)
    state = await store.async_load_state()
    client = await async_energy_client(hass, entry)
    await async_give_back(hass, entry, client, state)
    await store.async_remove()


async def async_unload_entry(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> bool:
    """Unload an entry; the controller's timers and listeners go with it, and the demand tracker's state is
    written (the next setup, say after an options change, reads the file)."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if (demand := entry.runtime_data.demand) is not None:
        await demand.async_flush()
    return unloaded


def _repair_stored_options(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> None:
    """Options saved by an older version that cannot work go back to their defaults, and the owner is told."""
    problems = option_problems(entry.options)
    if not problems:
        return
    LOGGER.warning(
        "Options %s of %s could not work and were reset to their defaults", sorted(problems), entry.title
    )
    options = {key: value for key, value in entry.options.items() if key not in problems}
    if problems.keys() & {OPT_DEMAND_RATE, OPT_DEMAND_WINDOW_START, OPT_DEMAND_WINDOW_END}:
        # A demand charge has no default rate or window: without them it is off until set again.
        options[OPT_DEMAND_CHARGE] = False
    hass.config_entries.async_update_entry(entry, options=options)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"options_repaired_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="options_repaired",
        translation_placeholders={"title": entry.title, "fields": ", ".join(sorted(problems))},
    )


def _register_devices(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> None:
    """Create the devices up front (the Powerwall, and Amber's site when the entry has Amber) so they exist
    before any entity refers to them, and drop the device of an Amber site the entry no longer uses (the
    owner chose another one when reconfiguring)."""
    device_registry = dr.async_get(hass)
    runtime = entry.runtime_data
    infos = [powerwall_device_info(runtime)]
    if runtime.amber is not None:
        infos.append(amber_device_info(runtime.amber))
    current = {
        device_registry.async_get_or_create(config_entry_id=entry.entry_id, **info).id for info in infos
    }
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.id not in current:
            LOGGER.debug("Removing device %s, which this entry no longer uses", device.name)
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
