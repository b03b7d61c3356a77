"""`scripts/develop --route both`: the first run adds the entry through Teslemetry, then signs it in to the
simulated Tesla Fleet API as its second route from the entry's Reconfigure menu, as an owner would (the
developer application under Application Credentials, the sign-in through Home Assistant's OAuth2 callback).
Then a Teslemetry outage injected in the simulator moves the Powerwall's reads to the Fleet API.
Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simulator.homesetup import HomeAssistantSetup, Owner

from .conftest import develop

pytestmark = pytest.mark.e2e

WITHIN = 60.0


async def _until[T](check: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Poll `check` until it returns something."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    while (found := await check()) is None:
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)
    return found


@pytest.fixture
def both_routes(socket_enabled: None, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`scripts/develop --route both`, ready: Home Assistant's URL, the simulator's URL and the log."""
    with develop(tmp_path, "--route", "both") as running:
        yield running


async def test_develop_with_both_routes_keeps_teslemetry_first_and_falls_back_to_the_fleet_api(
    both_routes: tuple[str, str, Path],
) -> None:
    hass_url, simulator_url, log = both_routes
    assert "as its second route" in log.read_text(errors="replace")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        home = HomeAssistantSetup(session, hass_url)
        await home.sign_in(Owner())

        async def sim(path: str, method: str = "GET", **body: Any) -> Any:
            url = f"{simulator_url}/_sim/{path}"
            async with session.request(method, url, json=body or None) as reply:
                reply.raise_for_status()
                return await reply.json()

        (entry,) = await home.entries()
        assert (entry["title"], entry["state"]) == ("Home Powerwall", "loaded")
        # Signed in once, through Home Assistant's callback, and the Powerwall checked on the Fleet API.
        (authorize,) = await sim("requests?endpoint=oauth.authorize")
        assert authorize["query"]["redirect_uri"] == f"{hass_url}/auth/external/callback"
        assert len(await sim("requests?endpoint=fleet.region")) == 1
        assert await sim("requests?endpoint=fleet.products")

        async def route_is(expected: str) -> dict[str, Any] | None:
            states = await home.states()
            (route,) = [s for s in states if s["entity_id"].endswith("_powerwall_route")]
            return route if route["state"] == expected else None

        # Teslemetry first: the live status is read there.
        await _until(lambda: route_is("teslemetry"), "the route sensor to say teslemetry")
        assert await sim("requests?endpoint=teslemetry.live_status")
        assert not await sim("requests?endpoint=fleet.live_status")

        # Teslemetry goes down: the next read of the live status comes over the Fleet API.
        await sim("faults", "POST", endpoint="teslemetry.*", status=503, times=None)
        states = await home.states()
        (battery,) = [s["entity_id"] for s in states if s["entity_id"].endswith("_battery_level")]
        await home.command(
            {
                "type": "call_service",
                "domain": "homeassistant",
                "service": "update_entity",
                "service_data": {"entity_id": battery},
            }
        )
        await _until(lambda: route_is("fleet"), "the route sensor to say fleet")
        # The simulated Fleet API answers only access tokens its sign-in issued.
        assert await sim("requests?endpoint=fleet.live_status")
        assert (await home.state(battery) or {}).get("state") not in {None, "unavailable", "unknown"}
