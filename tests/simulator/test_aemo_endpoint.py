"""AEMO's NEM summary: public, NEM time without zone, $/MWh ex-GST."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from simulator.scenarios import SPIKE_SPOT

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient


async def summary(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/aemo/ELEC_NEM_SUMMARY")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def test_shape_and_times(client: TestClient[Any, Any]) -> None:
    body = await summary(client)
    assert set(body) == {"ELEC_NEM_SUMMARY", "ELEC_NEM_SUMMARY_PRICES", "ELEC_NEM_SUMMARY_MARKET_NOTICE"}
    rows = {row["REGIONID"]: row for row in body["ELEC_NEM_SUMMARY"]}
    assert set(rows) == {"NSW1", "QLD1", "SA1", "TAS1", "VIC1"}
    nsw = rows["NSW1"]
    # 02:10Z is 12:10 NEM time: the last dispatch interval ended then.
    assert nsw["SETTLEMENTDATE"] == "2026-07-15T12:10:00"
    assert nsw["PRICE_STATUS"] == "FIRM"
    assert isinstance(json.loads(nsw["INTERCONNECTORFLOWS"]), list)
    # Midday solar soak: a negative dispatch price.
    assert nsw["PRICE"] < 0
    prices = {row["REGIONID"]: row["RRP"] for row in body["ELEC_NEM_SUMMARY_PRICES"]}
    assert prices["NSW1"] == nsw["PRICE"]


async def test_spike_price(client: TestClient[Any, Any]) -> None:
    await client.post("/_sim/scenario", json={"name": "price_spike"})
    await client.post("/_sim/clock", json={"advance_seconds": 600})
    nsw = next(r for r in (await summary(client))["ELEC_NEM_SUMMARY"] if r["REGIONID"] == "NSW1")
    assert nsw["PRICE"] == round(SPIKE_SPOT / 1.1 * 10, 2)
    assert nsw["PRICE"] > 5000
