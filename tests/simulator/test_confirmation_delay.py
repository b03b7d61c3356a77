"""The served Amber prices follow the publication model on the simulated clock; confirmations are recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from simulator.publication import REALISTIC, block_index
from simulator.scenarios import SCENARIOS
from simulator.state import AMBER_SITE_ID

from .conftest import AMBER, SITE, TESLA
from .test_teslemetry_endpoints import tariff

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

PRICES = f"/amber/v1/sites/{AMBER_SITE_ID}/prices/current"
SYDNEY = ZoneInfo("Australia/Sydney")
# 18:10 in Sydney (AEST): the evening peak, so every buy rate is well above zero.
BOUNDARY = datetime.fromisoformat("2026-07-15T08:10:00+00:00")
SLOT = datetime.fromisoformat("2026-07-15T08:00:00+00:00")  # 18:00-18:30 local


async def control(client: TestClient[Any, Any], path: str, body: dict[str, Any] | None = None) -> Any:
    if body is None:
        response = await client.get(f"/_sim/{path}")
    else:
        response = await client.post(f"/_sim/{path}", json=body)
    assert response.status == 200, await response.text()
    return await response.json()


async def at(client: TestClient[Any, Any], instant: datetime) -> None:
    await control(client, "clock", {"now": instant.isoformat()})


async def current(client: TestClient[Any, Any], **params: int) -> list[dict[str, Any]]:
    """The current intervals (general, feed-in) and, with `previous`/`next`, the general ones around."""
    response = await client.get(PRICES, params={k: str(v) for k, v in params.items()}, headers=AMBER)
    assert response.status == 200
    body: list[dict[str, Any]] = await response.json()
    return body


def general(intervals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in intervals if i["channelType"] == "general"]


def kind(intervals: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [i for i in intervals if i["type"] == name]


async def write_flat_tariff(client: TestClient[Any, Any], buy: float) -> None:
    body = {"tou_settings": {"tariff_content_v2": tariff(buy=buy, sell=0.0)}}
    response = await client.post(f"{SITE}/time_of_use_settings", headers=TESLA, json=body)
    assert response.status == 200


async def slot_rate_now(client: TestClient[Any, Any]) -> float:
    """The buy rate a build from Amber's reply now gives the 18:00 slot: the mean of its 5-minute prices."""
    now = datetime.fromisoformat((await control(client, "state"))["now"])
    blocks = (now - SLOT) // timedelta(minutes=5)
    intervals = general(await current(client, previous=blocks, next=5 - blocks, resolution=5))
    assert [i["startTime"][11:16] for i in intervals] == [f"08:{m:02d}" for m in range(0, 30, 5)]
    return max(0.0, round(sum(i["perKwh"] for i in intervals) / 6 / 100, 4))


def record_of(records: list[dict[str, Any]], start: datetime) -> dict[str, Any]:
    return next(r for r in records if r["start"] == start.isoformat())


async def test_the_current_interval_is_an_estimate_until_confirmed(client: TestClient[Any, Any]) -> None:
    """A 5-minute site: estimate (and off the final price) until the delay, then the confirmed price."""
    await control(client, "scenario", {"name": "five_minute"})
    published = await control(client, "publication", {"delay_seconds": 20, "estimate_error": 3.0})
    assert published["delay_seconds"] == 20.0
    true = SCENARIOS["five_minute"].interval_price(BOUNDARY, 5, SYDNEY)

    await at(client, BOUNDARY + timedelta(seconds=19.5))
    before = await current(client)
    assert [i["estimate"] for i in before] == [True, True]
    estimate_general, estimate_feed_in = before[0]["perKwh"], before[1]["perKwh"]
    assert abs(estimate_general - true.general) > 0.01
    # The error is in the spot price: general moves with it, feed-in (billing sign) against it.
    assert abs((estimate_general - true.general) + (estimate_feed_in - true.feed_in)) < 1e-4
    state = (await control(client, "publication"))["current_interval"]
    assert state == {
        "start": BOUNDARY.isoformat(),
        "confirmed_at": (BOUNDARY + timedelta(seconds=20)).isoformat(),
        "estimate": True,
    }

    await at(client, BOUNDARY + timedelta(seconds=20))
    after = await current(client)
    assert [i["estimate"] for i in after] == [False, False]
    assert [after[0]["perKwh"], after[1]["perKwh"]] == [true.general, true.feed_in]
    assert (await control(client, "publication"))["current_interval"]["estimate"] is False


async def test_the_drawn_delay_is_deterministic_per_seed(client: TestClient[Any, Any]) -> None:
    """By default each interval's delay is drawn (17-37 s); the same seed serves the same prices."""
    await control(client, "scenario", {"name": "five_minute"})
    confirmed = REALISTIC.published_at(block_index(BOUNDARY))
    assert 17 <= (confirmed - BOUNDARY).total_seconds() <= 37
    assert (await control(client, "state"))["publication"]["seed"] == REALISTIC.seed

    await at(client, confirmed - timedelta(seconds=0.5))
    first = await current(client, next=12)
    assert first[0]["estimate"] is True
    assert await current(client, next=12) == first
    await control(client, "publication", {"seed": REALISTIC.seed + 1})
    other = await current(client, next=12)
    assert other[0]["estimate"] is True
    assert [i["perKwh"] for i in other] != [i["perKwh"] for i in first]
    await control(client, "publication", {"seed": REALISTIC.seed})
    assert await current(client, next=12) == first

    await at(client, confirmed)
    assert (await current(client))[0]["estimate"] is False


async def test_a_half_hour_is_an_estimate_until_its_last_block_is_confirmed(
    client: TestClient[Any, Any],
) -> None:
    """A 30-minute site: confirmed blocks in the middle leave it an estimate; its last block's ends that."""
    await control(client, "publication", {"delay_seconds": 20})
    true = SCENARIOS["typical_day"].interval_price(SLOT, 30, SYDNEY)
    for instant in (SLOT + timedelta(minutes=10, seconds=30), SLOT + timedelta(minutes=25, seconds=19)):
        await at(client, instant)
        assert (await current(client))[0]["estimate"] is True
    await at(client, SLOT + timedelta(minutes=25, seconds=20))
    confirmed = await current(client)
    assert confirmed[0]["estimate"] is False
    assert confirmed[0]["perKwh"] == true.general


async def test_the_delay_can_be_switched_off_and_on(client: TestClient[Any, Any]) -> None:
    """Off: confirmed at the boundary with the scenario's own prices (the simulator's old behaviour)."""
    await control(client, "scenario", {"name": "five_minute"})
    off = await control(client, "publication", {"enabled": False})
    assert off["enabled"] is False
    await at(client, BOUNDARY)
    intervals = await current(client, next=3, resolution=5)
    assert kind(intervals, "CurrentInterval")[0]["estimate"] is False
    five = SCENARIOS["five_minute"]
    expected = [five.interval_price(BOUNDARY + timedelta(minutes=5 * n), 5, SYDNEY).general for n in range(4)]
    assert [i["perKwh"] for i in general(intervals)] == expected

    on = await control(client, "publication", {"enabled": True})
    assert on["enabled"] is True
    assert on["delay_seconds"] is None
    assert (await current(client))[0]["estimate"] is True
    await control(client, "publication", {"enabled": False})
    await control(client, "reset", {})
    assert (await control(client, "publication"))["enabled"] is True


async def test_bad_publication_settings_are_refused(client: TestClient[Any, Any]) -> None:
    for body in ({"delay_seconds": -1}, {"delay_seconds": 300}, {"seed": "x"}, {"estimate_error": "big"}):
        response = await client.post("/_sim/publication", json=body)
        assert response.status == 400, body
    assert (await control(client, "publication"))["delay_seconds"] is None


async def test_the_record_shows_when_the_powerwall_reflected_each_confirmed_price(
    client: TestClient[Any, Any],
) -> None:
    """A tariff built from an estimate does not count; one built after the confirmation does, when written."""
    await control(client, "scenario", {"name": "five_minute"})
    await control(client, "publication", {"delay_seconds": 20, "estimate_error": 3.0})

    await at(client, BOUNDARY + timedelta(seconds=10))
    await write_flat_tariff(client, await slot_rate_now(client))
    await at(client, BOUNDARY + timedelta(seconds=25))
    record = record_of(await control(client, "confirmations"), BOUNDARY)
    assert record["confirmed_at"] == (BOUNDARY + timedelta(seconds=20)).isoformat()
    assert record["powerwall_at"] is None
    assert record["missed"] is False

    rate = await slot_rate_now(client)
    await write_flat_tariff(client, rate)
    record = record_of(await control(client, "confirmations"), BOUNDARY)
    assert record["expected_buy_rate"] == rate
    assert record["powerwall_at"] == (BOUNDARY + timedelta(seconds=25)).isoformat()
    assert record["powerwall_after_confirmation_s"] == 5.0
    assert record["powerwall_after_start_s"] == 25.0
    assert record_of((await control(client, "state"))["confirmations"], BOUNDARY) == record

    # Nothing new is written: the next interval's confirmation moves the slot's rate, so it is missed.
    following = BOUNDARY + timedelta(minutes=5)
    await at(client, following + timedelta(minutes=5, seconds=1))
    missed = record_of(await control(client, "confirmations"), following)
    assert missed["powerwall_at"] is None
    assert missed["missed"] is True


async def test_a_tariff_already_in_place_counts_from_the_confirmation(client: TestClient[Any, Any]) -> None:
    """With exact forecasts a tariff written earlier already holds the price: recorded at the confirmation."""
    await control(client, "publication", {"enabled": False})
    true = SCENARIOS["typical_day"].interval_price(SLOT, 30, SYDNEY)
    await at(client, SLOT + timedelta(minutes=20))
    await write_flat_tariff(client, round(true.general / 100, 4))
    await at(client, SLOT + timedelta(minutes=26))
    record = record_of(await control(client, "confirmations"), SLOT)
    assert record["minutes"] == 30
    assert record["confirmed_general"] == true.general
    assert record["powerwall_at"] == (SLOT + timedelta(minutes=25)).isoformat()
    assert record["powerwall_after_confirmation_s"] == 0.0
