"""Teslemetry endpoints: wrappers, writes that change site_info as the gateway does, errors and auth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .conftest import SITE, TESLA

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

UPDATED = {"response": {"code": 201, "message": "Updated"}}


def tariff(buy: float = 0.123456, sell: float = 0.05) -> dict[str, Any]:
    """A flat TariffV2 with one period covering the whole day."""
    periods = {"ALL_DAY": {"periods": [{"toDayOfWeek": 6}]}}
    season = {"fromMonth": 1, "toMonth": 12, "fromDay": 1, "toDay": 31, "tou_periods": periods}
    return {
        "code": "TEST",
        "name": "Test",
        "currency": "AUD",
        "energy_charges": {"ALL": {"rates": {"ALL": 0}}, "Year": {"rates": {"ALL_DAY": buy}}},
        "seasons": {"Year": season, "Winter": {}},
        "sell_tariff": {
            "energy_charges": {"ALL": {"rates": {"ALL": 0}}, "Year": {"rates": {"ALL_DAY": sell}}},
            "seasons": {"Year": season},
        },
    }


async def get(client: TestClient[Any, Any], path: str, **params: str) -> Any:
    response = await client.get(path, headers=TESLA, params=params)
    assert response.status == 200, await response.text()
    return await response.json()


async def post(client: TestClient[Any, Any], endpoint: str, body: Any) -> tuple[int, Any]:
    response = await client.post(f"{SITE}/{endpoint}", headers=TESLA, json=body)
    return response.status, await response.json()


async def test_products(client: TestClient[Any, Any]) -> None:
    body = await get(client, "/teslemetry/api/1/products")
    assert body["count"] == 2
    sites = [p for p in body["response"] if "energy_site_id" in p]
    assert sites[0]["energy_site_id"] == 2252150123456789
    assert sites[0]["components"]["battery"] is True


async def test_site_info_defaults(client: TestClient[Any, Any]) -> None:
    info = (await get(client, f"{SITE}/site_info"))["response"]
    assert info["default_real_mode"] == "autonomous"
    assert info["installation_time_zone"] == "Australia/Sydney"
    assert info["tariff_content_v2"] is None
    # Tesla omits both keys in their default state.
    assert "customer_preferred_export_rule" not in info["components"]
    assert "disallow_charge_from_grid_with_solar_installed" not in info["components"]
    assert "customer_preferred_export_rule" not in info


async def test_writes_change_site_info(client: TestClient[Any, Any]) -> None:
    assert await post(client, "time_of_use_settings", {"tou_settings": {"tariff_content_v2": tariff()}}) == (
        200,
        UPDATED,
    )
    assert await post(client, "operation", {"default_real_mode": "autonomous"}) == (200, UPDATED)
    assert await post(client, "backup", {"backup_reserve_percent": 35}) == (200, UPDATED)
    body = {"customer_preferred_export_rule": "never", "disallow_charge_from_grid_with_solar_installed": True}
    assert await post(client, "grid_import_export", body) == (200, UPDATED)
    info = (await get(client, f"{SITE}/site_info"))["response"]
    # Stored with 4 decimals, as the gateway keeps them.
    assert info["tariff_content_v2"]["energy_charges"]["Year"]["rates"]["ALL_DAY"] == 0.1235
    assert info["default_real_mode"] == "autonomous"
    assert info["backup_reserve_percent"] == 35
    assert info["components"]["customer_preferred_export_rule"] == "never"
    assert info["components"]["disallow_charge_from_grid_with_solar_installed"] is True
    # Allowing grid charging again removes the key; a null export rule leaves the rule alone.
    body = {"customer_preferred_export_rule": None, "disallow_charge_from_grid_with_solar_installed": False}
    assert await post(client, "grid_import_export", body) == (200, UPDATED)
    components = (await get(client, f"{SITE}/site_info"))["response"]["components"]
    assert "disallow_charge_from_grid_with_solar_installed" not in components
    assert components["customer_preferred_export_rule"] == "never"
    state = await (await client.get("/_sim/state")).json()
    assert state["tariff_in_force"]["buy"] == 0.1235
    assert state["tariff_in_force"]["sell"] == 0.05
    assert state["powerwall"]["mode"] == "autonomous"


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("operation", {"default_real_mode": "eco"}),
        ("backup", {"backup_reserve_percent": 101}),
        ("backup", {"backup_reserve_percent": True}),
        ("grid_import_export", {"customer_preferred_export_rule": "sometimes"}),
        ("grid_import_export", {"disallow_charge_from_grid_with_solar_installed": "yes"}),
        ("grid_import_export", {}),
        ("time_of_use_settings", {"tou_settings": {}}),
        ("time_of_use_settings", {"tou_settings": {"tariff_content_v2": tariff(buy=-0.1)}}),
        ("time_of_use_settings", "not an object"),
    ],
)
async def test_invalid_writes_are_refused(client: TestClient[Any, Any], endpoint: str, body: Any) -> None:
    status, reply = await post(client, endpoint, body)
    assert status == 400
    assert reply["response"] is None
    assert reply["error"]


async def test_live_status_balances(client: TestClient[Any, Any]) -> None:
    live = (await get(client, f"{SITE}/live_status"))["response"]
    assert live["solar_power"] > 0  # Noon.
    assert abs(live["solar_power"] + live["battery_power"] + live["grid_power"] - live["load_power"]) <= 2
    assert 0 <= live["percentage_charged"] <= 100
    assert live["grid_status"] == "Active"
    assert live["timestamp"].endswith("+10:00")


async def test_calendar_history(client: TestClient[Any, Any]) -> None:
    await client.post("/_sim/clock", json={"advance_seconds": 3600})
    history = (await get(client, f"{SITE}/calendar_history", kind="energy", period="day"))["response"]
    (entry,) = history["time_series"]
    assert entry["timestamp"] == "2026-07-15T00:00:00+10:00"
    # About an hour of midday sun, in Wh.
    assert 3000 < entry["solar_energy_exported"] < 9000
    assert history["installation_time_zone"] == "Australia/Sydney"
    backup = (await get(client, f"{SITE}/calendar_history", kind="backup"))["response"]
    assert backup == {"events": [], "total_events": 0}
    response = await client.get(f"{SITE}/calendar_history", headers=TESLA, params={"kind": "power"})
    assert response.status == 400


async def test_unknown_site_and_auth(client: TestClient[Any, Any]) -> None:
    response = await client.get("/teslemetry/api/1/energy_sites/1/site_info", headers=TESLA)
    assert response.status == 404
    response = await client.post("/teslemetry/api/1/energy_sites/1/operation", headers=TESLA, json={})
    assert response.status == 404
    response = await client.get(f"{SITE}/site_info", headers={"Authorization": "Bearer nope"})
    assert response.status == 401
    body = await response.json()
    assert body["response"] is None
    assert body["error"] == "invalid_token"
