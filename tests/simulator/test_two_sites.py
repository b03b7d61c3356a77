"""`--sites 2`: a second Amber site and a second Powerwall, so the config flow shows its site pickers.

Both Amber sites see the same market; each Powerwall is its own battery with its own settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from simulator import SimulatorConfig
from simulator.state import AMBER_SITES, ENERGY_SITES

from .conftest import AMBER, START, TESLA

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

BEACH_HOUSE = f"/teslemetry/api/1/energy_sites/{ENERGY_SITES[1].energy_site_id}"
HOME = f"/teslemetry/api/1/energy_sites/{ENERGY_SITES[0].energy_site_id}"


@pytest.fixture
def config() -> SimulatorConfig:
    """Two of each, on a frozen clock."""
    return SimulatorConfig(speed=0.0, start=START, timeout_delay=2.0, sites=2)


async def _json(client: TestClient[Any, Any], path: str, headers: dict[str, str], **params: str) -> Any:
    response = await client.get(path, headers=headers, params=params)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_two_active_amber_sites_with_the_same_prices(client: TestClient[Any, Any]) -> None:
    sites = await _json(client, "/amber/v1/sites", AMBER)
    assert [(site["nmi"], site["status"]) for site in sites] == [
        ("4103999999", "active"),
        ("6305999999", "active"),
    ]
    first, second = [
        await _json(client, f"/amber/v1/sites/{site.id}/prices/current", AMBER, next="2")
        for site in AMBER_SITES
    ]
    assert first == second


async def test_two_powerwalls_each_with_its_own_settings(client: TestClient[Any, Any]) -> None:
    products = (await _json(client, "/teslemetry/api/1/products", TESLA))["response"]
    assert [p["site_name"] for p in products if "energy_site_id" in p] == ["Home Powerwall", "Beach House"]
    response = await client.post(
        f"{BEACH_HOUSE}/operation", headers=TESLA, json={"default_real_mode": "autonomous"}
    )
    assert response.status == 200
    beach = (await _json(client, f"{BEACH_HOUSE}/site_info", TESLA))["response"]
    home = (await _json(client, f"{HOME}/site_info", TESLA))["response"]
    assert (beach["site_name"], beach["default_real_mode"]) == ("Beach House", "autonomous")
    assert (home["site_name"], home["default_real_mode"]) == ("Home Powerwall", "autonomous")
    assert (
        beach["components"]["gateways"][0]["serial_number"]
        != home["components"]["gateways"][0]["serial_number"]
    )
    live = (await _json(client, f"{BEACH_HOUSE}/live_status", TESLA))["response"]
    assert live["grid_status"] == "Active"


def test_only_one_or_two_sites() -> None:
    with pytest.raises(ValueError, match="sites must be 1 or 2"):
        SimulatorConfig(sites=3)
