"""Diagnostics: what the integration knows and decided, with every secret and identifier redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_AMBER_API_TOKEN, CONF_TESLEMETRY_API_TOKEN
from .coordinator import TeslaSyncConfigEntry

TO_REDACT = {
    CONF_AMBER_API_TOKEN,
    CONF_TESLEMETRY_API_TOKEN,
    # Home Assistant's OAuth2 data for the Fleet API: access and refresh tokens, and what they carry.
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "nmi",
    "gateway_id",
    "gateway_serial",
    "site_name",
    "title",
    "unique_id",
    "energy_site_id",
    "amber_site_id",
    "id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TeslaSyncConfigEntry
) -> dict[str, Any]:
    """The entry's data and options, the latest upstream data and the writer's state."""
    runtime = entry.runtime_data
    controller = runtime.controller
    build = controller.last_build
    prices = None if runtime.amber is None else runtime.amber.prices.data
    demand = runtime.demand
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options), "title": entry.title},
            # False for an entry for another retailer: no Amber client, prices or site.
            "has_amber": runtime.amber is not None,
            "amber_site": None if prices is None else asdict(prices.site),
            "amber_intervals": 0 if prices is None else len(prices.intervals),
            "site_info": asdict(runtime.site_info.data),
            "live_status": asdict(runtime.live_status.data),
            "aemo": None if runtime.aemo.data is None else asdict(runtime.aemo.data),
            "sync": {
                "status": controller.status.value,
                "auto_sync": controller.auto_sync,
                "last_sync": controller.last_sync,
                "rejection_message": controller.rejection_message,
                "forecast_slots": None if build is None else build.forecast_slots,
                "fallback_slots": None if build is None else build.fallback_slots,
                "problem": None if build is None else build.problem,
            },
            "spike": controller.spike_state.as_dict(),
            "curtailment": controller.curtailment_state.as_dict(),
            # None when the entry has no demand charge set (its settings are in the entry's options).
            "demand": None
            if demand is None
            else {
                "time_zone": str(demand.time_zone),
                "window_active": demand.window_active(dt_util.utcnow()),
                "charge_estimate": demand.charge_estimate,
                "state": demand.data.as_dict(),
            },
            "persisted": controller.persisted_state.as_dict(),
        },
        TO_REDACT,
    )
