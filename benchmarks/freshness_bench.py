"""Freshness: how soon Amber's confirmed price is on the Powerwall, and what it costs (a modelled day).

Driving a real Home Assistant through a whole simulated day per scenario and margin is too slow here, so this
is a faithful model on a virtual clock. It runs the real pieces: the Amber polling schedule
(`control.amber_polling`: first poll, follow-ups, learning, rate-limit headers), the push policy's one push
per interval (`control.push_policy.decide_push`), the controller's rule of not pushing while the
confirmation is chased, and the materiality margin (`tariff.materiality`). Amber is the simulator's
publication model (`simulator/publication.py`): confirmed prices 17-37 s after each boundary, estimates and
forecasts with noise before that. What it models rather than runs: the tariff build (each half-hour slot is
the mean of its six 5-minute prices as Amber states them at the reply, /100, 4 decimals), Amber's reply time
(0.3 s) and a push with its read-back (2 s) before the Powerwall holds the tariff.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
import statistics
import sys
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.tesla_amber_sync.api.models import RateLimitInfo
from custom_components.tesla_amber_sync.control.amber_polling import (
    PollState,
    next_poll,
    observe_reply,
)
from custom_components.tesla_amber_sync.control.push_policy import (
    PushHistory,
    PushTrigger,
    PushVerdict,
    decide_push,
)
from custom_components.tesla_amber_sync.tariff import DayTariff
from custom_components.tesla_amber_sync.tariff.materiality import (
    MATERIALITY_MARGIN,
    largest_difference,
    materially_different,
)
from simulator.publication import Publication, block_index, block_time

RESULTS = Path(__file__).resolve().parent / "results.json"
DAY_START = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # local midnight in Sydney (AEDT)
BLOCKS = 288
REPLY_TIME = timedelta(seconds=0.3)
PUSH_TIME = timedelta(seconds=2.0)
RATE_LIMIT = 50
RATE_WINDOW = 300
SCENARIOS = {
    # A quiet day: 5-minute prices wiggle by a couple of cents, forecasts are good.
    "calm": {"noise": 2.5, "jumps": 0.0, "estimate_error": 0.5, "forecast_error": 0.5},
    # A volatile day: prices jump by ~8 c from one interval to the next, forecasts miss by several cents.
    "volatile": {"noise": 8.0, "jumps": 0.1, "estimate_error": 5.0, "forecast_error": 6.0},
}
MARGINS = (0.0, 0.001, 0.0025, 0.005, 0.01, 0.02)
SWEPT = {"tariff_writes_per_day", "largest_slot_difference_powerwall_vs_freshest_build_dollars_per_kwh"}


def true_price(index: int, noise: float, jumps: float) -> float:
    """The final general price (c/kWh) of 5-minute interval `index`: a daily curve plus noise and spikes."""
    hour = (index % 288) / 12
    base = 22 + 12 * math.sin((hour - 12) / 24 * 2 * math.pi) + (18 if 16 <= hour < 21 else 0)
    wiggle = noise * math.sin(index * 1.7) * math.cos(index * 0.37)
    spike = 60.0 if jumps and (index * 7919) % 1000 < jumps * 100 else 0.0
    return base + wiggle + spike


def build(publication: Publication, prices: dict[int, float], now: datetime) -> DayTariff:
    """The rolling 48-slot tariff as Amber's reply at `now` states the prices."""
    current_half_hour = block_index(now) // 6
    buy = [0.0] * 48
    sell = [0.0] * 48
    for offset in range(48):
        half_hour = current_half_hour + offset
        views = [publication.view(b, prices[b], now)[0] for b in range(half_hour * 6, half_hour * 6 + 6)]
        mean = sum(views) / 6
        buy[half_hour % 48] = round(max(mean, 0.0) / 100, 4)
        sell[half_hour % 48] = round(min(max(mean - 14, 0.0), max(mean, 0.0)) / 100, 4)
    return DayTariff.from_rates(buy, sell)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def run(name: str, margin: float) -> dict[str, Any]:  # noqa: PLR0915 - one loop, read top to bottom
    """One modelled day of one scenario with one materiality margin."""
    params = SCENARIOS[name]
    publication = Publication(
        estimate_error=params["estimate_error"], forecast_error=params["forecast_error"]
    )
    first = block_index(DAY_START)
    prices = {
        b: true_price(b, params["noise"], params["jumps"]) for b in range(first - 12, first + BLOCKS + 600)
    }
    state = PollState()
    held: DayTariff | None = None
    held_round = -1
    last_push: datetime | None = None
    pending: dict[int, datetime] = {}  # published interval -> publication time, until the Powerwall holds it
    latency: list[float] = []
    boundary_latency: list[float] = []
    requests_per_block: dict[int, int] = {}
    window: tuple[int, int] = (-1, 0)
    # Writes by the 5-minute interval they went out in; the first push of the run (before the day, when
    # the Powerwall holds nothing yet) is not one of the day's.
    writes_per_block: dict[int, int] = {}
    largest = 0.0
    now = DAY_START - timedelta(minutes=5) + timedelta(seconds=150)
    end = DAY_START + timedelta(minutes=5 * BLOCKS)
    while now < end:
        # One request to Amber; its reply lands REPLY_TIME later with the rate-limit headers.
        number = int(now.timestamp()) // RATE_WINDOW
        window = (number, window[1] + 1 if window[0] == number else 1)
        headers = RateLimitInfo(
            limit=RATE_LIMIT,
            remaining=max(0, RATE_LIMIT - window[1]),
            reset_seconds=RATE_WINDOW - int(now.timestamp()) % RATE_WINDOW,
        )
        requests_per_block[block_index(now)] = requests_per_block.get(block_index(now), 0) + 1
        reply = now + REPLY_TIME
        current = block_index(now)
        published = publication.latest_round(now)
        state = observe_reply(state, reply, confirmed=published >= current, interval_length=5)
        plan = next_poll(state, reply, rate_limit=headers)
        for index in range(max(first, held_round + 1), published + 1):
            pending.setdefault(index, publication.published_at(index))
        fresh = build(publication, prices, now)
        slot = current // 6 % 48
        if not plan.awaiting_confirmation(reply) and materially_different(
            held, fresh, current_slot=slot, margin=margin
        ):
            decision = decide_push(
                fingerprint=str(hash(fresh)),
                history=PushHistory(last_automatic_attempt_at=last_push),
                now=reply,
                trigger=PushTrigger.SCHEDULE,
                powerwall_holds_it=False,
            )
            if decision.verdict is PushVerdict.PUSH:
                last_push = reply
                writes_per_block[block_index(reply)] = writes_per_block.get(block_index(reply), 0) + 1
                held = fresh
                holds_at = reply + PUSH_TIME
                for index, at in sorted(pending.items()):
                    if index <= published:
                        latency.append((holds_at - at).total_seconds())
                        boundary_latency.append((holds_at - block_time(index)).total_seconds())
                        del pending[index]
                held_round = max(held_round, published)
        elif held is not None:
            # Nothing to write: the Powerwall already holds these prices (within the margin, the current and
            # next slot exactly), as of this reply.
            for index, at in sorted(pending.items()):
                if index <= published:
                    latency.append(max(0.0, (reply - at).total_seconds()))
                    boundary_latency.append((reply - block_time(index)).total_seconds())
                    del pending[index]
            held_round = max(held_round, published)
        if held is not None:
            largest = max(largest, largest_difference(held, fresh))
        now = plan.at
    counts = [requests_per_block.get(b, 0) for b in range(first, first + BLOCKS)]
    day_writes = [writes_per_block.get(b, 0) for b in range(first, first + BLOCKS)]
    return {
        "intervals": BLOCKS,
        "intervals_reaching_the_powerwall": len(latency),
        "publication_to_powerwall_s": {
            "p50": round(statistics.median(latency), 2),
            "p95": round(percentile(latency, 0.95), 2),
            "max": round(max(latency), 2),
        },
        "boundary_to_powerwall_p95_s": round(percentile(boundary_latency, 0.95), 2),
        "amber_requests_per_5_min": {"mean": round(statistics.mean(counts), 2), "max": max(counts)},
        "tariff_writes_per_day": sum(day_writes),
        "max_writes_in_one_interval": max(day_writes),
        "writes_before_the_day": sum(count for block, count in writes_per_block.items() if block < first),
        "largest_slot_difference_powerwall_vs_freshest_build_dollars_per_kwh": round(largest, 4),
        "learned_first_poll_s": state.first_poll.total_seconds(),
    }


def main() -> None:
    """Run both scenarios, sweep the margin, and merge the numbers into benchmarks/results.json."""
    freshness: dict[str, Any] = {
        "model": __doc__.strip().split("\n\n")[1].replace("\n", " ") if __doc__ else "",
        "margin_dollars_per_kwh": MATERIALITY_MARGIN,
        "targets": {
            "publication_to_powerwall_p95_s": 10,
            "boundary_to_powerwall_p95_s": 45,
            "amber_requests_per_5_min_mean": 4,
            "tariff_writes_per_interval": 1,
        },
        "scenarios": {name: run(name, MATERIALITY_MARGIN) for name in SCENARIOS},
        "margin_sweep": {
            name: {
                str(margin): {key: value for key, value in run(name, margin).items() if key in SWEPT}
                for margin in MARGINS
            }
            for name in SCENARIOS
        },
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["freshness"] = freshness
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(freshness, indent=2))


if __name__ == "__main__":
    main()
