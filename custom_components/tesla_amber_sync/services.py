"""Services, registered once for every entry in `async_setup`."""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
import probatio

from .const import DOMAIN
from .control.push_policy import PushTrigger
from .coordinator import TeslaSyncConfigEntry

SERVICE_SYNC_TOU_SCHEDULE = "sync_tou_schedule"
SERVICE_SYNC_NOW = "sync_now"

ENTRY_SCHEMA = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): str})


def resolve_entry(hass: HomeAssistant, call: ServiceCall) -> TeslaSyncConfigEntry:
    """The loaded entry a call is for; the id may be left out when there is only one entry."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        entries = hass.config_entries.async_entries(DOMAIN)
        if len(entries) != 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="config_entry_required",
            )
        entry: TeslaSyncConfigEntry = entries[0]
    else:
        found = hass.config_entries.async_get_entry(entry_id)
        if found is None or found.domain != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="config_entry_not_found",
                translation_placeholders={"config_entry_id": entry_id},
            )
        entry = found
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="config_entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def _sync_tou_schedule(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    await entry.runtime_data.controller.async_sync(PushTrigger.FORCE)


async def _sync_now(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    runtime = entry.runtime_data
    await asyncio.gather(
        runtime.prices.async_refresh(),
        runtime.live_status.async_refresh(),
        runtime.site_info.async_refresh(),
    )
    if runtime.controller.auto_sync:
        await runtime.controller.async_sync(PushTrigger.REQUEST)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every service of the integration."""
    hass.services.async_register(DOMAIN, SERVICE_SYNC_TOU_SCHEDULE, _sync_tou_schedule, ENTRY_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_SYNC_NOW, _sync_now, ENTRY_SCHEMA)
