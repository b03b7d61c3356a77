"""Median time from Amber's JSON reply to the encoded tariff, and to read a pushed tariff back.

The main case is the one issue 12 names: a 5-minute site, 24 h back and 24 h ahead on the general and
feed-in channels (1154 intervals), starting from the bytes the API returns: decode the JSON, parse every
interval, build the rolling tariff, encode `tariff_content_v2`. Each stage is also timed on its own, and
so is reading the pushed tariff back from the Powerwall's copy (a first read, and the same content again).
The bodies come from the simulator (`simulator/`), which answers in Amber's own shape.

Run with `scripts/bench`; results go to benchmarks/results.json. Target: the 5-minute case in 3 ms or less.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
import itertools
import json
from pathlib import Path
import platform
import statistics
import sys
import time
import timeit
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.tesla_amber_sync.api._http import decode_json
from custom_components.tesla_amber_sync.api.prices import PriceIntervals, parse_prices
from custom_components.tesla_amber_sync.tariff import (
    DayTariff,
    build_rolling_tariff,
    day_tariff_of,
    encode_tariff,
)
from simulator.amber import prices_payload
from simulator.config import SimulatorConfig
from simulator.state import Simulator

RESULTS = Path(__file__).parent / "results.json"
ZONE = ZoneInfo("Australia/Sydney")
# 13:10 in Sydney on an ordinary day.
NOW = datetime(2026, 11, 21, 2, 10, tzinfo=UTC)
TARGET_MS = 3.0
HOURS_EACH_WAY = 24


def amber_reply(minutes: int) -> bytes:
    """Amber's `prices/current?previous=P&next=N&resolution=minutes` body for a day each way."""
    simulator = Simulator(SimulatorConfig(scenario="five_minute", start=NOW))
    count = HOURS_EACH_WAY * 60 // minutes
    return json.dumps(
        prices_payload(simulator, now=NOW, previous=count, next_=count, resolution=minutes)
    ).encode()


def build(intervals: PriceIntervals) -> DayTariff:
    result = build_rolling_tariff(intervals, now=NOW, time_zone=ZONE)
    if result.tariff is None:
        raise SystemExit(f"benchmark data is incomplete: {result.problem}")
    return result.tariff


def encode(tariff: DayTariff) -> dict[str, Any]:
    return encode_tariff(tariff, code="BENCH", name="Bench", utility="Amber Electric")


def reply_to_tariff(raw: bytes) -> dict[str, Any]:
    """What one price refresh and sync does before the push: bytes to `tariff_content_v2`."""
    return encode(build(parse_prices(decode_json(raw))))


def measure(
    call: Callable[[], object], repeat: int, number: int, timer: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    call()  # warm-up (imports, zoneinfo and other caches)
    rounds = timeit.Timer(call, timer=timer).repeat(repeat=repeat, number=number)
    per_call_ms = [total / number * 1000 for total in rounds]
    return {
        "median_ms": round(statistics.median(per_call_ms), 4),
        "min_ms": round(min(per_call_ms), 4),
        "max_ms": round(max(per_call_ms), 4),
    }


def measure_case(minutes: int, repeat: int, number: int) -> dict[str, Any]:
    raw = amber_reply(minutes)
    payload = decode_json(raw)
    intervals = parse_prices(payload)
    tariff = build(intervals)
    # What the Powerwall sends back: the pushed content after a trip through JSON. Decoding remembers the
    # last few contents, so a first read is timed on contents that differ (by name) from the last ones.
    text = json.dumps(encode(tariff))
    contents = itertools.cycle([json.loads(text.replace('"Bench"', f'"Bench {n}"')) for n in range(16)])
    content = json.loads(text)
    day = NOW.astimezone(ZONE).date()
    if day_tariff_of(content, day) != tariff:
        raise SystemExit("the read-back does not decode to the pushed tariff")
    return {
        "intervals": len(intervals),
        "json_bytes": len(raw),
        "reply_to_tariff": measure(lambda: reply_to_tariff(raw), repeat, number),
        # The same by the processor time of this thread: what the code costs, without the waits for a
        # processor that other work on the machine causes.
        "reply_to_tariff_cpu": measure(lambda: reply_to_tariff(raw), repeat, number, time.thread_time),
        # Each stage from its own input. Parsing checks every interval; the build then reads the price
        # points it needs, so it is timed on a fresh parse each time, parse included.
        "stages": {
            "decode_json": measure(lambda: decode_json(raw), repeat, number),
            "parse": measure(lambda: parse_prices(payload), repeat, number),
            "parse_and_build": measure(lambda: build(parse_prices(payload)), repeat, number),
            "encode": measure(lambda: encode(tariff), repeat, number),
        },
        "read_back_decode": measure(lambda: day_tariff_of(next(contents), day), repeat, number),
        "read_back_again": measure(lambda: day_tariff_of(content, day), repeat, number),
    }


def main() -> None:
    """Measure both resolutions, print the results and write them to benchmarks/results.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="timed rounds (the median is reported)")
    parser.add_argument("--number", type=int, default=20, help="calls per round")
    args = parser.parse_args()
    cases = {"5_minute": measure_case(5, args.repeat, args.number)}
    cases["30_minute"] = measure_case(30, args.repeat, args.number)
    results = {
        "benchmark": (
            "Amber prices reply (JSON bytes, 24 h back and ahead, general and feed-in) to tariff_content_v2: "
            "decode, parse, build, encode; and decoding the read-back"
        ),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "repetitions": args.repeat,
        "calls_per_repetition": args.number,
        "target_ms": TARGET_MS,
        "cases": cases,
    }
    # The event-loop benchmark (event_loop_bench.py) keeps its own part of the file.
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if "event_loop" in previous:
        results["event_loop"] = previous["event_loop"]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(
        json.dumps({key: results[key] for key in results if key != "event_loop"}, indent=2) + "\n"
    )
    median = cases["5_minute"]["reply_to_tariff"]["median_ms"]
    if median > TARGET_MS:
        sys.stderr.write(f"5-minute reply to tariff: {median} ms, over the {TARGET_MS} ms target\n")


if __name__ == "__main__":
    main()
