"""Removing an entry gives the owner's settings back first, or tells them what they were."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api.errors import ApiError
from .const import CONF_ENERGY_SITE_ID, DOMAIN, LOGGER
from .control.claims import WRITE_ORDER, Setting
from .repairs import describe_settings
from .store import PersistedState
from .writer import TariffReader, held_settings, same_setting, send_setting

if TYPE_CHECKING:
    from .api.teslemetry import TeslemetryClient
    from .coordinator import TeslaSyncConfigEntry


async def async_give_back(
    hass: HomeAssistant, entry: TeslaSyncConfigEntry, client: TeslemetryClient, state: PersistedState
) -> bool:
    """Write back every setting Tesla Sync holds changed, verify, and say so; whether all came back."""
    owed = {
        setting: state.baseline[setting]
        for setting in WRITE_ORDER
        if setting in state.ours and setting in state.baseline
    }
    if not owed:
        return True
    site_id = int(entry.data[CONF_ENERGY_SITE_ID])
    tariffs = TariffReader()
    different: dict[Setting, Any] = dict(owed)
    try:
        info = await client.get_site_info(site_id)
        zone = await dt_util.async_get_time_zone(info.installation_time_zone or hass.config.time_zone)
        today = dt_util.now(zone).date()

        def same(setting: Setting, expected: Any, actual: Any) -> bool:
            return same_setting(setting, expected, actual, tariffs, today)

        held, known = held_settings(info)
        for setting, value in owed.items():
            if setting in known and same(setting, value, held[setting]):
                continue
            await send_setting(client, site_id, setting, value)
        held, known = held_settings(await client.get_site_info(site_id))
        different = {
            setting: held.get(setting)
            for setting, value in owed.items()
            if setting not in known or not same(setting, value, held[setting])
        }
    except (ApiError, ValueError) as err:
        LOGGER.warning("Could not give the owner's settings back on removal: %s", err)
    if not different:
        LOGGER.info("Gave the owner's settings back to the Powerwall")
        return True
    persistent_notification.async_create(
        hass,
        (
            f"Tesla Sync was removed from **{entry.title}** but could not put back everything you had on the "
            "Powerwall. Set these again in the Tesla app:\n\n" + describe_settings(owed)
        ),
        title="Tesla Sync: your Powerwall settings",
        notification_id=f"{DOMAIN}_removed_{entry.entry_id}",
    )
    return False
