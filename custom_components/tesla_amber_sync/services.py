"""Services, registered once for every entry in `async_setup`."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import math
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
import probatio

from .api.models import ChannelType, IntervalType
from .const import DOMAIN
from .control import spike as spike_machine
from .control.commands import CommandKind
from .control.push_policy import PushTrigger
from .coordinator import TeslaSyncConfigEntry
from .tariff.prices import owner_price

SERVICE_SYNC_TOU_SCHEDULE = "sync_tou_schedule"
SERVICE_SYNC_NOW = "sync_now"
SERVICE_GET_PRICE_FORECAST = "get_price_forecast"
SERVICE_SIMULATE_SPIKE = "simulate_spike"
SERVICE_END_SPIKE = "end_spike"

ATTR_PRICE = "price"
ATTR_DURATION = "duration"
MAX_SIMULATED_PRICE = 20000.0
MAX_SIMULATED_MINUTES = 240

ATTR_CHANNEL = "channel"
ATTR_HOURS = "hours"
# The service's channel names, in the owner's words, and Amber's.
FORECAST_CHANNELS: dict[str, ChannelType] = {
    "general": ChannelType.GENERAL,
    "feed_in": ChannelType.FEED_IN,
    "controlled_load": ChannelType.CONTROLLED_LOAD,
}
MAX_FORECAST_HOURS = 48

ENTRY_SCHEMA = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): str})
FORECAST_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Optional(ATTR_CHANNEL, default="general"): probatio.In(list(FORECAST_CHANNELS)),
        # The range is checked in the handler, so the owner gets a translated message.
        probatio.Optional(ATTR_HOURS, default=24): probatio.Coerce(int),
    }
)


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
    # The Powerwall first: the price refresh starts the curtailment check, which reads the export rule.
    await asyncio.gather(runtime.live_status.async_refresh(), runtime.site_info.async_refresh())
    refreshed: list[tuple[DataUpdateCoordinator[Any], str]] = [(runtime.site_info, "Teslemetry")]
    if runtime.amber is not None:
        await runtime.amber.prices.async_refresh()
        refreshed.append((runtime.amber.prices, "Amber"))
    for coordinator, service in refreshed:
        if not coordinator.last_update_success:
            # Never sync from stale data and call it done.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="refresh_failed",
                translation_placeholders={"service": service},
            )
    # Without Amber, the chosen schedule or profile is put back if the Powerwall does not hold it.
    if runtime.controller.auto_sync or runtime.amber is None:
        await runtime.controller.async_sync(PushTrigger.REQUEST)


async def _get_price_forecast(call: ServiceCall) -> ServiceResponse:
    hours: int = call.data[ATTR_HOURS]
    if not 1 <= hours <= MAX_FORECAST_HOURS:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_hours",
            translation_placeholders={"hours": str(hours), "max": str(MAX_FORECAST_HOURS)},
        )
    entry = resolve_entry(call.hass, call)
    amber = entry.runtime_data.amber
    if amber is None:
        # Forecasts are Amber's; an owner's own schedule is in the tariff sensor's slots.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_amber",
            translation_placeholders={"title": entry.title},
        )
    prices = amber.prices
    data = prices.data
    if not prices.last_update_success or data is None:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="prices_unavailable")
    channel = FORECAST_CHANNELS[call.data[ATTR_CHANNEL]]
    if not any(interval.channel_type is channel for interval in data.intervals):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="channel_not_available",
            translation_placeholders={"channel": call.data[ATTR_CHANNEL]},
        )
    zone = entry.runtime_data.controller.time_zone
    now = dt_util.utcnow()
    upcoming = sorted(
        (
            interval
            for interval in data.intervals
            if interval.channel_type is channel
            and interval.type in {IntervalType.CURRENT, IntervalType.FORECAST}
            and interval.end_time > now
        ),
        key=lambda interval: interval.start_time,
    )
    if not upcoming:
        return {"forecasts": []}
    # Exactly `hours` of intervals from the start of the one in progress. Amber starts each interval one
    # second past the boundary; the service gives the boundary, in the site's own time.
    first = _boundary(upcoming[0].start_time)
    until = first + timedelta(hours=hours)
    return {
        "forecasts": [
            {
                "start": _boundary(interval.start_time).astimezone(zone).isoformat(),
                "end": interval.end_time.astimezone(zone).isoformat(),
                "price": round(owner_price(interval), 5),
                "descriptor": interval.descriptor.name.lower(),
                "spike_status": interval.spike_status.value,
            }
            for interval in upcoming
            if _boundary(interval.start_time) < until
        ]
    }


def _boundary(moment: datetime) -> datetime:
    """The minute an Amber interval starts on (Amber stamps it one second later)."""
    return moment.replace(second=0, microsecond=0)


def _finite_number(value: object) -> float:
    """A real number: booleans and non-finite values are refused, numeric text is read."""
    if isinstance(value, bool):
        raise probatio.Invalid("a number is required, not true or false")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise probatio.Invalid("a number is required") from err
    if not math.isfinite(number):
        raise probatio.Invalid("a finite number is required")
    return number


SIMULATE_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_PRICE): _finite_number,
        # Fractional minutes are taken as given (1.5 is a minute and a half).
        probatio.Optional(ATTR_DURATION, default=10): _finite_number,
    }
)


async def _simulate_spike(call: ServiceCall) -> None:
    price: float = call.data[ATTR_PRICE]
    minutes: float = call.data[ATTR_DURATION]
    if not 0 < price <= MAX_SIMULATED_PRICE:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_spike_price",
            translation_placeholders={"price": str(price), "max": str(MAX_SIMULATED_PRICE)},
        )
    if not 1 <= minutes <= MAX_SIMULATED_MINUTES:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_spike_duration",
            translation_placeholders={"duration": str(minutes), "max": str(MAX_SIMULATED_MINUTES)},
        )
    entry = resolve_entry(call.hass, call)
    controller = entry.runtime_data.controller
    region = controller.options.aemo_region
    await controller.async_spike_command(
        lambda state, now, settings: spike_machine.simulate(
            state, price=price, duration=timedelta(minutes=minutes), now=now, settings=settings, region=region
        ),
        rollback=True,
    )


async def _end_spike(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    await entry.runtime_data.controller.async_spike_command(
        lambda state, _now, _settings: spike_machine.end_spike(state), rollback=False
    )


ATTR_TARGET = "target"
COMMAND_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_DURATION): _finite_number,
        probatio.Optional(ATTR_TARGET): _finite_number,
    }
)
HOLD_SCHEMA = ENTRY_SCHEMA.extend({probatio.Required(ATTR_DURATION): _finite_number})
COMMAND_SERVICES: dict[str, CommandKind] = {
    "force_charge": CommandKind.CHARGE,
    "force_discharge": CommandKind.DISCHARGE,
    "hold_charge": CommandKind.HOLD,
}


async def _battery_command(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    await entry.runtime_data.controller.async_battery_command(
        COMMAND_SERVICES[call.service], minutes=call.data[ATTR_DURATION], target=call.data.get(ATTR_TARGET)
    )


async def _end_command(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    await entry.runtime_data.controller.async_end_command()


ATTR_APPLY = "apply"
# The schedule's own fields are checked by the schedule parser (one validation path with the subentry flow).
CUSTOM_TARIFF_SCHEMA = ENTRY_SCHEMA.extend(
    {probatio.Optional(ATTR_APPLY, default=True): bool}, extra=probatio.ALLOW_EXTRA
)


async def _set_custom_tariff(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    data = {key: value for key, value in call.data.items() if key not in {ATTR_CONFIG_ENTRY_ID, ATTR_APPLY}}
    await entry.runtime_data.controller.async_set_custom_tariff(data, apply=call.data[ATTR_APPLY])


ATTR_NAME = "name"
PROFILE_SCHEMA = ENTRY_SCHEMA.extend({probatio.Required(ATTR_NAME): str})


async def _save_profile(call: ServiceCall) -> None:
    await resolve_entry(call.hass, call).runtime_data.controller.async_save_profile(call.data[ATTR_NAME])


async def _apply_profile(call: ServiceCall) -> None:
    await resolve_entry(call.hass, call).runtime_data.controller.async_apply_profile(call.data[ATTR_NAME])


async def _delete_profile(call: ServiceCall) -> None:
    await resolve_entry(call.hass, call).runtime_data.controller.async_delete_profile(call.data[ATTR_NAME])


SERVICE_RESET_DEMAND_PEAK = "reset_demand_peak"


async def _reset_demand_peak(call: ServiceCall) -> None:
    entry = resolve_entry(call.hass, call)
    demand = entry.runtime_data.demand
    if demand is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_demand_charge",
            translation_placeholders={"title": entry.title},
        )
    await demand.async_reset()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every service of the integration."""
    hass.services.async_register(DOMAIN, SERVICE_SYNC_TOU_SCHEDULE, _sync_tou_schedule, ENTRY_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_SYNC_NOW, _sync_now, ENTRY_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_PRICE_FORECAST,
        _get_price_forecast,
        FORECAST_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(DOMAIN, SERVICE_SIMULATE_SPIKE, _simulate_spike, SIMULATE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_END_SPIKE, _end_spike, ENTRY_SCHEMA)
    for service, kind in COMMAND_SERVICES.items():
        schema = HOLD_SCHEMA if kind is CommandKind.HOLD else COMMAND_SCHEMA
        hass.services.async_register(DOMAIN, service, _battery_command, schema)
    hass.services.async_register(DOMAIN, "end_command", _end_command, ENTRY_SCHEMA)
    hass.services.async_register(DOMAIN, "set_custom_tariff", _set_custom_tariff, CUSTOM_TARIFF_SCHEMA)
    hass.services.async_register(DOMAIN, "save_tariff_profile", _save_profile, PROFILE_SCHEMA)
    hass.services.async_register(DOMAIN, "apply_tariff_profile", _apply_profile, PROFILE_SCHEMA)
    hass.services.async_register(DOMAIN, "delete_tariff_profile", _delete_profile, PROFILE_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_RESET_DEMAND_PEAK, _reset_demand_peak, ENTRY_SCHEMA)
