"""Tesla energy-site endpoints: Teslemetry's relay under `/teslemetry/api/1`, Tesla's Fleet API (the same
paths and bodies, see `fleet`) under `/fleet/api/1`.

Reads are wrapped in `{"response": ...}`; writes answer `{"response": {"code": 201, "message": "Updated"}}`
and change `site_info` the way the real gateway does: the export rule and grid charging live under
`components`, and `disallow_charge_from_grid_with_solar_installed` is present only while it is true.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from .powerwall import CAPACITY_WH, MAX_POWER_W, Powerwall
from .responses import SIMULATOR_KEY, WRITE_ACCEPTED, tesla_error, tesla_ok
from .state import EnergySite, Simulator
from .tariff import round_rates, tariff_problems

MODES: Final = frozenset({"self_consumption", "autonomous", "backup"})
EXPORT_RULES: Final = frozenset({"battery_ok", "pv_only", "never"})
HISTORY_PERIODS: Final = frozenset({"day", "week", "month", "year", "lifetime"})
APPLY_WRITES: Final = web.RequestKey("apply_writes", bool)


def products_payload(sim: Simulator) -> list[dict[str, Any]]:
    """The account's products: one vehicle (which the integration must skip) and the energy sites."""
    vehicle: dict[str, Any] = {
        "id": 100021,
        "vehicle_id": 99999,
        "vin": "LRWYGCEK3NC000000",
        "display_name": "Car",
        "state": "asleep",
    }
    return [
        vehicle,
        *(_energy_product(site, sim.powerwalls[site.energy_site_id]) for site in sim.energy_sites),
    ]


def _energy_product(site: EnergySite, pw: Powerwall) -> dict[str, Any]:
    return {
        "energy_site_id": site.energy_site_id,
        "resource_type": "battery",
        "site_name": site.site_name,
        "id": site.gateway_id,
        "gateway_id": site.gateway_id,
        "asset_site_id": "a0b1c2d3-sim",
        "warp_site_number": "STE20240701-00001",
        "energy_left": round(pw.energy_wh, 1),
        "total_pack_energy": CAPACITY_WH,
        "percentage_charged": pw.percentage,
        "battery_type": "ac_powerwall",
        "backup_capable": True,
        "battery_power": round(pw.flows.battery, 1),
        "go_off_grid_test_banner_enabled": None,
        "storm_mode_enabled": False,
        "powerwall_onboarding_settings_set": True,
        "powerwall_tesla_electric_interested_in": None,
        "vpp_tour_enabled": None,
        "sync_grid_alert_enabled": True,
        "breaker_alert_enabled": False,
        "components": {
            "battery": True,
            "battery_type": "ac_powerwall",
            "solar": True,
            "solar_type": "pv_panel",
            "grid": True,
            "load_meter": True,
            "market_type": "residential",
            "wall_connectors": [],
        },
        "features": {"rate_plan_manager_no_pricing_constraint": True},
    }


def site_info_payload(sim: Simulator, site: EnergySite) -> dict[str, Any]:
    """`site_info` reflecting every write applied so far."""
    pw = sim.powerwalls[site.energy_site_id]
    components: dict[str, Any] = {
        "solar": True,
        "solar_type": "pv_panel",
        "battery": True,
        "grid": True,
        "backup": True,
        "gateway": "teg",
        "load_meter": True,
        "tou_capable": True,
        "storm_mode_capable": True,
        "flex_energy_request_capable": False,
        "car_charging_data_supported": False,
        "off_grid_vehicle_charging_reserve_supported": True,
        "vehicle_charging_performance_view_enabled": False,
        "vehicle_charging_solar_offset_view_enabled": False,
        "battery_solar_offset_view_enabled": True,
        "solar_value_enabled": True,
        "energy_value_header": "Energy Value",
        "energy_value_subheader": "Estimated Value",
        "energy_service_self_scheduling_enabled": True,
        "show_grid_import_battery_source_cards": True,
        "set_islanding_mode_enabled": True,
        "wifi_commissioning_enabled": True,
        "backup_time_remaining_enabled": True,
        "battery_type": "ac_powerwall",
        "configurable": True,
        "grid_services_enabled": False,
        "gateways": [
            {
                "device_id": "gateway-sim-0001",
                "din": site.gateway_id,
                "serial_number": site.gateway_serial,
                "part_number": "1152100-13-J",
                "part_type": 10,
                "part_name": "Tesla Backup Gateway 2",
                "is_active": True,
                "site_id": "a0b1c2d3-sim",
                "firmware_version": "25.10.1 1a2b3c4d",
                "updated_datetime": "2025-10-01T00:00:00.000Z",
            }
        ],
        "batteries": [
            {
                "device_id": f"battery-sim-000{index}",
                "din": f"2012170-25-E--TG12029800SIM{index}",
                "serial_number": f"TG12029800SIM{index}",
                "part_number": "2012170-25-E",
                "part_type": 2,
                "part_name": "Powerwall 2",
                "nameplate_max_charge_power": 5000,
                "nameplate_max_discharge_power": 5000,
                "nameplate_energy": 13500,
            }
            for index in (1, 2)
        ],
        "wall_connectors": [],
        "disallow_charge_from_grid_with_solar_installed": True,
        "customer_preferred_export_rule": "battery_ok",
        "net_meter_mode": "battery_ok",
        "system_alerts_enabled": True,
    }
    # Tesla omits these keys in their default state; the integration must read the absence correctly.
    if pw.grid_charging_allowed:
        del components["disallow_charge_from_grid_with_solar_installed"]
    if pw.export_rule is None:
        del components["customer_preferred_export_rule"]
    else:
        components["customer_preferred_export_rule"] = pw.export_rule
    return {
        "id": site.gateway_id,
        "site_name": site.site_name,
        "backup_reserve_percent": pw.backup_reserve_percent,
        "default_real_mode": pw.mode,
        "installation_date": "2024-07-01T10:00:00+10:00",
        "user_settings": {
            "go_off_grid_test_banner_enabled": False,
            "storm_mode_enabled": False,
            "powerwall_onboarding_settings_set": True,
            "powerwall_tesla_electric_interested_in": False,
            "vpp_tour_enabled": True,
            "sync_grid_alert_enabled": True,
            "breaker_alert_enabled": False,
        },
        "components": components,
        "version": "25.10.1 1a2b3c4d",
        "battery_count": 2,
        "tou_settings": {"optimization_strategy": "economics", "schedule": []},
        "nameplate_power": MAX_POWER_W,
        "nameplate_energy": CAPACITY_WH,
        "installation_time_zone": sim.config.time_zone,
        "max_site_meter_power_ac": 1000000000,
        "min_site_meter_power_ac": -1000000000,
        "vpp_backup_reserve_percent": 0,
        "utility": "Amber Electric",
        "tariff_content_v2": copy.deepcopy(pw.tariff) if pw.tariff is not None else None,
    }


def live_status_payload(sim: Simulator, pw: Powerwall, now: datetime) -> dict[str, Any]:
    """`live_status`: power flows (W) in Tesla's signs and the charge."""
    flows = pw.flows
    return {
        "solar_power": round(flows.solar),
        "energy_left": round(pw.energy_wh, 2),
        "total_pack_energy": CAPACITY_WH,
        "percentage_charged": pw.percentage,
        "backup_capable": True,
        "battery_power": round(flows.battery),
        "load_power": round(flows.load),
        "grid_status": "Active",
        "grid_services_active": False,
        "grid_power": round(flows.grid),
        "grid_services_power": 0,
        "generator_power": 0,
        "island_status": "on_grid",
        "storm_mode_active": False,
        "timestamp": now.astimezone(sim.zone).isoformat(timespec="seconds"),
        "wall_connectors": [],
    }


def history_payload(
    sim: Simulator, site: EnergySite, now: datetime, period: str, time_zone: str
) -> dict[str, Any]:
    """`calendar_history?kind=energy`: today's totals (Wh) as one entry at local midnight."""
    local_midnight = now.astimezone(sim.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    entry: dict[str, Any] = {"timestamp": local_midnight.isoformat()}
    entry.update({key: round(value, 1) for key, value in sim.powerwalls[site.energy_site_id].energy.items()})
    entry.update(
        {
            "grid_energy_exported_from_generator": 0,
            "battery_energy_imported_from_generator": 0,
            "consumer_energy_imported_from_generator": 0,
            "generator_energy_exported": 0,
            "grid_services_energy_imported": 0,
            "grid_services_energy_exported": 0,
        }
    )
    return {
        "serial_number": site.gateway_id,
        "period": period,
        "installation_time_zone": time_zone,
        "time_series": [entry],
    }


def _site(request: web.Request) -> EnergySite | None:
    """The energy site the request's path names, if the account has it."""
    site_id = request.match_info["site_id"]
    return request.app[SIMULATOR_KEY].energy_site(int(site_id)) if site_id.isdecimal() else None


def _not_found(request: web.Request) -> web.Response:
    site_id = request.match_info["site_id"]
    return tesla_error(404, "not_found", f"Energy site {site_id} was not found on this account")


async def get_products(request: web.Request) -> web.Response:
    """GET /api/1/products."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    products = products_payload(sim)
    return web.json_response({"response": products, "count": len(products)})


async def get_site_info(request: web.Request) -> web.Response:
    """GET /api/1/energy_sites/{id}/site_info."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    site = _site(request)
    return _not_found(request) if site is None else tesla_ok(site_info_payload(sim, site))


async def get_live_status(request: web.Request) -> web.Response:
    """GET /api/1/energy_sites/{id}/live_status."""
    sim = request.app[SIMULATOR_KEY]
    now = sim.tick()
    site = _site(request)
    if site is None:
        return _not_found(request)
    return tesla_ok(live_status_payload(sim, sim.powerwalls[site.energy_site_id], now))


async def get_calendar_history(request: web.Request) -> web.Response:
    """GET /api/1/energy_sites/{id}/calendar_history?kind=energy|backup."""
    sim = request.app[SIMULATOR_KEY]
    now = sim.tick()
    if (site := _site(request)) is None:
        return _not_found(request)
    kind = request.query.get("kind")
    if kind == "backup":
        return tesla_ok({"events": [], "total_events": 0})
    period = request.query.get("period", "day")
    if kind != "energy" or period not in HISTORY_PERIODS:
        return tesla_error(400, "invalid_parameters", "kind must be energy or backup, with a valid period")
    time_zone = request.query.get("time_zone") or sim.config.time_zone
    return tesla_ok(history_payload(sim, site, now, period, time_zone))


async def _body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _applied(request: web.Request) -> bool:
    return request.get(APPLY_WRITES) is not False


async def post_time_of_use_settings(request: web.Request) -> web.Response:
    """POST time_of_use_settings {"tou_settings": {"tariff_content_v2": {...}}}."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    if (site := _site(request)) is None:
        return _not_found(request)
    powerwall = sim.powerwalls[site.energy_site_id]
    body = await _body(request) or {}
    settings = body.get("tou_settings")
    content = settings.get("tariff_content_v2") if isinstance(settings, dict) else None
    problems = tariff_problems(content)
    if problems:
        return tesla_error(400, "invalid_tariff", "; ".join(problems[:5]))
    if _applied(request) and isinstance(content, dict):
        powerwall.tariff = round_rates(content)
        sim.tick()  # The confirmation record sees the new tariff from this instant.
    return web.json_response(WRITE_ACCEPTED)


async def post_operation(request: web.Request) -> web.Response:
    """POST operation {"default_real_mode": ...}."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    if (site := _site(request)) is None:
        return _not_found(request)
    powerwall = sim.powerwalls[site.energy_site_id]
    mode = (await _body(request) or {}).get("default_real_mode")
    if mode not in MODES:
        return tesla_error(400, "invalid_mode", f"default_real_mode must be one of {sorted(MODES)}")
    if _applied(request):
        powerwall.mode = str(mode)
    return web.json_response(WRITE_ACCEPTED)


async def post_backup(request: web.Request) -> web.Response:
    """POST backup {"backup_reserve_percent": 0..100}."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    if (site := _site(request)) is None:
        return _not_found(request)
    powerwall = sim.powerwalls[site.energy_site_id]
    percent = (await _body(request) or {}).get("backup_reserve_percent")
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        return tesla_error(400, "invalid_reserve", "backup_reserve_percent must be a whole number 0-100")
    if _applied(request):
        powerwall.backup_reserve_percent = percent
    return web.json_response(WRITE_ACCEPTED)


async def post_grid_import_export(request: web.Request) -> web.Response:
    """POST grid_import_export: either key optional; null means "leave as is"."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    if (site := _site(request)) is None:
        return _not_found(request)
    powerwall = sim.powerwalls[site.energy_site_id]
    body = await _body(request) or {}
    rule = body.get("customer_preferred_export_rule")
    disallow = body.get("disallow_charge_from_grid_with_solar_installed")
    if rule is not None and rule not in EXPORT_RULES:
        return tesla_error(400, "invalid_export_rule", f"export rule must be one of {sorted(EXPORT_RULES)}")
    if disallow is not None and not isinstance(disallow, bool):
        return tesla_error(
            400, "invalid_parameter", "disallow_charge_from_grid_with_solar_installed must be a bool"
        )
    if rule is None and disallow is None:
        return tesla_error(400, "invalid_parameters", "nothing to change")
    if _applied(request):
        if rule is not None:
            powerwall.export_rule = str(rule)
        if disallow is not None:
            powerwall.grid_charging_allowed = not disallow
    return web.json_response(WRITE_ACCEPTED)


def add_routes(app: web.Application, prefix: str = "/teslemetry/api/1", service: str = "teslemetry") -> None:
    """Register the energy endpoints under `prefix`, named `{service}.…`: Teslemetry's relay, or (the same
    paths and bodies) Tesla's own Fleet API."""
    site = f"{prefix}/energy_sites/{{site_id}}"
    app.router.add_get(f"{prefix}/products", get_products, name=f"{service}.products")
    app.router.add_get(f"{site}/site_info", get_site_info, name=f"{service}.site_info")
    app.router.add_get(f"{site}/live_status", get_live_status, name=f"{service}.live_status")
    app.router.add_get(f"{site}/calendar_history", get_calendar_history, name=f"{service}.calendar_history")
    app.router.add_post(
        f"{site}/time_of_use_settings", post_time_of_use_settings, name=f"{service}.time_of_use_settings"
    )
    app.router.add_post(f"{site}/operation", post_operation, name=f"{service}.operation")
    app.router.add_post(f"{site}/backup", post_backup, name=f"{service}.backup")
    app.router.add_post(
        f"{site}/grid_import_export", post_grid_import_export, name=f"{service}.grid_import_export"
    )
