"""Fault injection and the control API."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .conftest import AMBER, SITE, START, TESLA

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient


async def inject(client: TestClient[Any, Any], **fault: Any) -> None:
    response = await client.post("/_sim/faults", json=fault)
    assert response.status == 201, await response.text()


async def test_rate_limit_n_times(client: TestClient[Any, Any]) -> None:
    await inject(client, endpoint="amber.sites", kind="status", status=429, retry_after=42, times=2)
    for _ in range(2):
        response = await client.get("/amber/v1/sites", headers=AMBER)
        assert response.status == 429
        assert response.headers["Retry-After"] == "42"
    assert (await client.get("/amber/v1/sites", headers=AMBER)).status == 200
    assert await (await client.get("/_sim/faults")).json() == []


async def test_server_error_until_cleared_with_glob(client: TestClient[Any, Any]) -> None:
    await inject(client, endpoint="teslemetry.*", kind="status", status=503, times=None)
    for _ in range(3):
        response = await client.get(f"{SITE}/live_status", headers=TESLA)
        assert response.status == 503
        assert (await response.json())["error"] == "injected"
    assert (await client.get("/aemo/ELEC_NEM_SUMMARY")).status == 200
    cleared = await (await client.delete("/_sim/faults")).json()
    assert cleared == {"removed": 1}
    assert (await client.get(f"{SITE}/live_status", headers=TESLA)).status == 200


async def test_clear_one_endpoint(client: TestClient[Any, Any]) -> None:
    await inject(client, endpoint="aemo.summary", kind="status", status=500, times=None)
    await inject(client, endpoint="amber.sites", kind="status", status=500, times=None)
    removed = await (await client.delete("/_sim/faults", params={"endpoint": "aemo.summary"})).json()
    assert removed == {"removed": 1}
    assert (await client.get("/aemo/ELEC_NEM_SUMMARY")).status == 200
    assert (await client.get("/amber/v1/sites", headers=AMBER)).status == 500


async def test_malformed_json(client: TestClient[Any, Any]) -> None:
    await inject(client, endpoint="aemo.summary", kind="malformed")
    response = await client.get("/aemo/ELEC_NEM_SUMMARY")
    assert response.status == 200
    text = await response.text()
    assert text.startswith("{")
    assert (await client.get("/aemo/ELEC_NEM_SUMMARY")).status == 200


async def test_timeout_holds_the_reply(client: TestClient[Any, Any]) -> None:
    await inject(client, endpoint="amber.sites", kind="timeout", delay=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await client.get("/amber/v1/sites", headers=AMBER)
    assert response.status == 200
    assert loop.time() - started >= 0.3


async def test_accepted_but_not_applied(client: TestClient[Any, Any]) -> None:
    await inject(client, endpoint="teslemetry.operation", kind="not_applied")
    # GETs do not consume a write fault.
    assert (await client.get(f"{SITE}/site_info", headers=TESLA)).status == 200
    response = await client.post(f"{SITE}/operation", headers=TESLA, json={"default_real_mode": "backup"})
    assert await response.json() == {"response": {"code": 201, "message": "Updated"}}
    info = await (await client.get(f"{SITE}/site_info", headers=TESLA)).json()
    assert info["response"]["default_real_mode"] == "autonomous"
    await client.post(f"{SITE}/operation", headers=TESLA, json={"default_real_mode": "backup"})
    info = await (await client.get(f"{SITE}/site_info", headers=TESLA)).json()
    assert info["response"]["default_real_mode"] == "backup"


async def test_bad_fault_requests(client: TestClient[Any, Any]) -> None:
    for body in (
        {"kind": "status"},
        {"endpoint": "x", "kind": "explode"},
        {"endpoint": "x", "times": 0},
        [1],
    ):
        assert (await client.post("/_sim/faults", json=body)).status == 400


async def test_counters_requests_and_reset(client: TestClient[Any, Any]) -> None:
    await client.get("/amber/v1/sites", headers=AMBER)
    await client.get("/amber/v1/sites")  # Refused requests count too.
    await client.post(f"{SITE}/backup", headers=TESLA, json={"backup_reserve_percent": 50})
    counters = await (await client.get("/_sim/counters")).json()
    assert counters == {"amber.sites": 2, "teslemetry.backup": 1}
    writes = await (await client.get("/_sim/requests", params={"endpoint": "teslemetry.backup"})).json()
    assert writes[0]["body"] == {"backup_reserve_percent": 50}
    assert writes[0]["method"] == "POST"
    await client.post("/_sim/scenario", json={"name": "price_spike"})
    await client.post("/_sim/clock", json={"advance_seconds": 3600, "speed": 0})
    await client.post("/_sim/reset")
    assert await (await client.get("/_sim/counters")).json() == {}
    state = await (await client.get("/_sim/state")).json()
    assert state["scenario"] == "typical_day"
    assert state["now"] == START.isoformat()
    assert state["powerwall"]["backup_reserve_percent"] == 20


async def test_control_validation(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/_sim/scenario", json={"name": "nope"})).status == 400
    assert (await client.post("/_sim/scenario", json={"name": "price_spike", "spike_start": 5})).status == 400
    assert (await client.post("/_sim/clock", json={"now": "2026-01-01T00:00:00"})).status == 400
    assert (await client.post("/_sim/clock", json={"speed": -2})).status == 400
    assert (await client.post("/_sim/powerwall", json={})).status == 400
    names = [s["name"] for s in await (await client.get("/_sim/scenarios")).json()]
    assert names == ["typical_day", "price_spike", "short_forecast", "five_minute", "thirty_minute"]


async def test_spike_start_can_be_set(client: TestClient[Any, Any]) -> None:
    body = {"name": "price_spike", "spike_start": "2026-07-15T18:02:00+10:00"}
    assert (await client.post("/_sim/scenario", json=body)).status == 200
    state = await (await client.get("/_sim/state")).json()
    assert state["spike_start"] == "2026-07-15T08:00:00+00:00"
