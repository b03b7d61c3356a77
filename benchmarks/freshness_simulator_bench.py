"""Freshness against the real simulator: its HTTP app, its publication model and its confirmation record.

The simulator runs in-process (aiohttp test server) on a frozen clock that this script moves. Tesla Sync's
real `AmberClient` asks it for prices when `control.amber_polling` says so (first poll, follow-ups,
learning, rate-limit headers); the real tariff build (`build_rolling_tariff`, `encode_tariff`) is pushed to
the simulated Powerwall when no confirmation is being chased and the tariff differs materially from what the
Powerwall holds (`tariff.materiality`). Amber's reply is taken as instant and a push as 2 s. The numbers are
the simulator's own record (`/_sim/confirmations`): per 5-minute interval, when its confirmed price was
published and when the Powerwall first held a tariff whose slot in progress reflects it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
import statistics
import sys
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.tesla_amber_sync.api.amber import AmberClient
from custom_components.tesla_amber_sync.api.models import ChannelType
from custom_components.tesla_amber_sync.control.amber_polling import PollState, next_poll, observe_reply
from custom_components.tesla_amber_sync.tariff import DayTariff, build_rolling_tariff, encode_tariff
from custom_components.tesla_amber_sync.tariff.materiality import MATERIALITY_MARGIN, materially_different
from simulator import SimulatorConfig, create_app
from simulator.config import DEFAULT_AMBER_TOKEN, DEFAULT_TESLEMETRY_TOKEN
from simulator.state import AMBER_SITE_ID, ENERGY_SITE_ID

RESULTS = Path(__file__).resolve().parent / "results.json"
ZONE = ZoneInfo("Australia/Sydney")
START = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # 18:00 in Sydney (AEDT): the evening peak
BLOCKS = 72  # six hours of 5-minute intervals
EACH_WAY = 288  # what the coordinator asks for on a 5-minute site: 24 hours each way
PUSH_TIME = timedelta(seconds=2.0)
TOU = f"/teslemetry/api/1/energy_sites/{ENERGY_SITE_ID}/time_of_use_settings"


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def run() -> dict[str, Any]:
    """One run of BLOCKS intervals on the five_minute scenario with the simulator's usual publication."""
    config = SimulatorConfig(scenario="five_minute", speed=0.0, start=START - timedelta(minutes=1))
    server = TestServer(create_app(config), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:

            async def control(path: str, body: dict[str, Any] | None = None) -> Any:
                url = str(server.make_url(f"/_sim/{path}"))
                request = session.get(url) if body is None else session.post(url, json=body)
                async with request as response:
                    response.raise_for_status()
                    return await response.json()

            amber = AmberClient(session, DEFAULT_AMBER_TOKEN, base_url=str(server.make_url("/amber/v1")))
            state = PollState()
            held: DayTariff | None = None
            writes = 0
            now = START - timedelta(minutes=1)
            end = START + timedelta(minutes=5 * BLOCKS)
            while now < end:
                await control("clock", {"now": now.isoformat()})
                prices = await amber.get_current_prices(AMBER_SITE_ID, previous=EACH_WAY, next=EACH_WAY)
                current = prices.current(ChannelType.GENERAL)
                confirmed = current is not None and current.estimate is False
                state = observe_reply(state, now, confirmed=confirmed, interval_length=5)
                plan = next_poll(state, now, rate_limit=amber.last_rate_limit)
                if not plan.awaiting_confirmation(now):
                    fresh = build_rolling_tariff(prices, now=now, time_zone=ZONE).tariff
                    local = now.astimezone(ZONE)
                    slot = (local.hour * 60 + local.minute) // 30
                    if fresh is not None and materially_different(
                        held, fresh, current_slot=slot, margin=MATERIALITY_MARGIN
                    ):
                        await control("clock", {"now": (now + PUSH_TIME).isoformat()})
                        content = encode_tariff(fresh, code="BENCH", name="Bench", utility="Amber")
                        async with session.post(
                            str(server.make_url(TOU)),
                            json={"tou_settings": {"tariff_content_v2": content}},
                            headers={"Authorization": f"Bearer {DEFAULT_TESLEMETRY_TOKEN}"},
                        ) as reply:
                            reply.raise_for_status()
                        held = fresh
                        writes += 1
                now = max(plan.at, now + timedelta(seconds=0.1))
            await control("clock", {"now": end.isoformat()})
            records = [
                record
                for record in await control("confirmations")
                if START <= datetime.fromisoformat(record["start"]) < end
            ]
            counters = await control("counters")
    finally:
        await server.close()
    lags = [r["powerwall_after_confirmation_s"] for r in records if r["powerwall_at"] is not None]
    from_start = [r["powerwall_after_start_s"] for r in records if r["powerwall_at"] is not None]
    return {
        "model": __doc__.strip().split("\n\n")[1].replace("\n", " ") if __doc__ else "",
        "scenario": "five_minute",
        "intervals": len(records),
        "intervals_reaching_the_powerwall": len(lags),
        "intervals_missed": sum(1 for r in records if r["missed"]),
        "publication_to_powerwall_s": {
            "p50": round(statistics.median(lags), 2),
            "p95": round(percentile(lags, 0.95), 2),
            "max": round(max(lags), 2),
        },
        "boundary_to_powerwall_p95_s": round(percentile(from_start, 0.95), 2),
        "amber_requests_per_5_min_mean": round(counters.get("amber.prices", 0) / BLOCKS, 2),
        "tariff_writes": writes,
        "learned_first_poll_s": state.first_poll.total_seconds(),
    }


def main() -> None:
    """Run once and merge the numbers into benchmarks/results.json under `freshness_simulator`."""
    import asyncio  # noqa: PLC0415 - only the script needs an event loop

    numbers = asyncio.run(run())
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["freshness_simulator"] = numbers
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
