"""Amber endpoints: shapes, signs, times, query parameters and auth."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator.state import AMBER_SITE_ID

from .conftest import AMBER, START

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

PRICES = f"/amber/v1/sites/{AMBER_SITE_ID}/prices/current"


async def get_prices(client: TestClient[Any, Any], **params: int) -> list[dict[str, Any]]:
    response = await client.get(PRICES, params={k: str(v) for k, v in params.items()}, headers=AMBER)
    assert response.status == 200
    body: list[dict[str, Any]] = await response.json()
    return body


async def test_sites(client: TestClient[Any, Any]) -> None:
    response = await client.get("/amber/v1/sites", headers=AMBER)
    assert response.status == 200
    (site,) = await response.json()
    assert site["id"] == AMBER_SITE_ID
    assert site["status"] == "active"
    assert site["intervalLength"] == 30
    assert {c["type"] for c in site["channels"]} == {"general", "feedIn"}
    assert response.headers["RateLimit-Limit"] == "50"
    assert int(response.headers["RateLimit-Remaining"]) == 49


async def test_prices_order_kinds_and_times(client: TestClient[Any, Any]) -> None:
    intervals = await get_prices(client, previous=2, next=3)
    assert len(intervals) == 12
    assert [i["channelType"] for i in intervals] == ["general"] * 6 + ["feedIn"] * 6
    kinds = [i["type"] for i in intervals[:6]]
    assert kinds == ["ActualInterval"] * 2 + ["CurrentInterval"] + ["ForecastInterval"] * 3
    current = intervals[2]
    # START is 02:10Z: the current interval is 02:00-02:30Z, ending 12:30 in NEM time.
    assert current["startTime"] == "2026-07-15T02:00:01Z"
    assert current["endTime"] == "2026-07-15T02:30:00Z"
    assert current["nemTime"] == "2026-07-15T12:30:00+10:00"
    assert current["date"] == "2026-07-15"
    assert current["estimate"] is True
    assert set(current["advancedPrice"]) == {"low", "predicted", "high"}
    assert current["advancedPrice"]["predicted"] == current["perKwh"]
    assert "estimate" not in intervals[0]
    assert "advancedPrice" not in intervals[0]
    assert "advancedPrice" in intervals[3]
    assert all(i["descriptor"] for i in intervals)
    assert all(0 <= i["renewables"] <= 100 for i in intervals)
    assert all(i["spikeStatus"] == "none" for i in intervals)


async def test_solar_soak_feed_in_is_positive_and_evening_negative(client: TestClient[Any, Any]) -> None:
    intervals = await get_prices(client, next=20)
    feed_in = [i for i in intervals if i["channelType"] == "feedIn"]
    assert feed_in[0]["perKwh"] > 0  # 12:10 local: exporting costs money.
    evening = next(i for i in feed_in if i["nemTime"].startswith("2026-07-15T18:30"))
    assert evening["perKwh"] < 0


async def test_resolution_five_and_default(client: TestClient[Any, Any]) -> None:
    intervals = await get_prices(client, next=2, resolution=5)
    assert {i["duration"] for i in intervals} == {5}
    assert intervals[0]["startTime"] == "2026-07-15T02:10:01Z"
    default = await get_prices(client)
    assert [i["duration"] for i in default] == [30, 30]


async def test_horizon_is_capped_by_the_scenario(client: TestClient[Any, Any]) -> None:
    await client.post("/_sim/scenario", json={"name": "short_forecast"})
    intervals = await get_prices(client, previous=4, next=48)
    general = [i for i in intervals if i["channelType"] == "general"]
    assert len(general) == 4 + 1 + 6


async def test_five_minute_site(client: TestClient[Any, Any]) -> None:
    await client.post("/_sim/scenario", json={"name": "five_minute"})
    site = (await (await client.get("/amber/v1/sites", headers=AMBER)).json())[0]
    assert site["intervalLength"] == 5
    intervals = await get_prices(client, next=3)
    assert {i["duration"] for i in intervals} == {5}


async def test_spike_scenario(client: TestClient[Any, Any]) -> None:
    await client.post("/_sim/scenario", json={"name": "price_spike"})
    intervals = await get_prices(client, next=4)
    current = intervals[0]
    assert current["spikeStatus"] == "spike"
    assert current["descriptor"] == "spike"
    assert current["perKwh"] > 500  # Most of the half hour is spiking.
    later = datetime.fromisoformat(intervals[4]["nemTime"])
    assert later - datetime.fromisoformat(current["nemTime"]) == timedelta(hours=2)
    assert intervals[4]["spikeStatus"] == "none"


async def test_bad_queries(client: TestClient[Any, Any]) -> None:
    for params in (
        {"resolution": "15"},
        {"next": "x"},
        {"previous": "-1"},
        {"previous": "2000", "next": "49"},
    ):
        response = await client.get(PRICES, params=params, headers=AMBER)
        assert response.status == 400, params
        assert "message" in await response.json()
    response = await client.get("/amber/v1/sites/nope/prices/current", headers=AMBER)
    assert response.status == 404


async def test_auth(client: TestClient[Any, Any]) -> None:
    for headers in ({}, {"Authorization": "Bearer psk_wrong"}, {"Authorization": "psk_simulator"}):
        response = await client.get("/amber/v1/sites", headers=headers)
        assert response.status == 401
        assert await response.json() == {"message": "Unauthorized"}


async def test_prices_follow_the_clock(client: TestClient[Any, Any]) -> None:
    first = (await get_prices(client))[0]
    await client.post("/_sim/clock", json={"advance_seconds": 6 * 3600})
    later = (await get_prices(client))[0]
    assert later["nemTime"] != first["nemTime"]
    assert later["perKwh"] != first["perKwh"]
    await client.post("/_sim/clock", json={"now": START.isoformat()})
    assert (await get_prices(client))[0] == first
