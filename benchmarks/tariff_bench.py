"""Median time to build and encode a rolling tariff from 24 h of Amber data (5- and 30-minute).

Run with `scripts/bench`; results go to benchmarks/results.json. Target: under 5 ms per build + encode.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import platform
import statistics
import sys
import timeit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.tesla_amber_sync.api.models import (
    AdvancedPrice,
    ChannelType,
    IntervalType,
    PriceDescriptor,
    PriceInterval,
    SpikeStatus,
)
from custom_components.tesla_amber_sync.tariff import build_rolling_tariff, encode_tariff

RESULTS = Path(__file__).parent / "results.json"
ZONE = ZoneInfo("Australia/Sydney")
# 13:10 in Sydney on an ordinary day.
NOW = datetime(2026, 11, 21, 2, 10, tzinfo=UTC)
TARGET_MS = 5.0


def amber_day(minutes: int) -> list[PriceInterval]:
    """Return the current interval plus 24 h of forecasts for the general and feed-in channels."""
    start = NOW.replace(minute=NOW.minute - NOW.minute % minutes, second=1)
    intervals: list[PriceInterval] = []
    for channel, sign in ((ChannelType.GENERAL, 1.0), (ChannelType.FEED_IN, -1.0)):
        for step in range(24 * 60 // minutes + 1):
            begin = start + timedelta(minutes=minutes * step)
            price = sign * (20.0 + (step * 7) % 30)
            intervals.append(
                PriceInterval(
                    type=IntervalType.CURRENT if step == 0 else IntervalType.FORECAST,
                    channel_type=channel,
                    start_time=begin,
                    end_time=begin + timedelta(minutes=minutes, seconds=-1),
                    duration_minutes=minutes,
                    per_kwh=price,
                    descriptor=PriceDescriptor.NEUTRAL,
                    spike_status=SpikeStatus.NONE,
                    advanced_price=AdvancedPrice(low=price - 2, predicted=price, high=price + 2),
                )
            )
    return intervals


def build_and_encode(intervals: list[PriceInterval]) -> None:
    build = build_rolling_tariff(intervals, now=NOW, time_zone=ZONE)
    if build.tariff is None:
        raise SystemExit(f"benchmark data is incomplete: {build.problem}")
    encode_tariff(build.tariff, code="BENCH", name="Bench", utility="Amber Electric")


def measure(intervals: list[PriceInterval], repeat: int, number: int) -> dict[str, float | int]:
    timer = timeit.Timer(lambda: build_and_encode(intervals))
    per_call_ms = [total / number * 1000 for total in timer.repeat(repeat=repeat, number=number)]
    return {
        "intervals": len(intervals),
        "median_ms": round(statistics.median(per_call_ms), 4),
        "min_ms": round(min(per_call_ms), 4),
        "max_ms": round(max(per_call_ms), 4),
    }


def main() -> None:
    """Measure both resolutions, print the results and write them to benchmarks/results.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="timed rounds (the median is reported)")
    parser.add_argument("--number", type=int, default=50, help="calls per round")
    args = parser.parse_args()
    cases = {"5_minute": amber_day(5), "30_minute": amber_day(30)}
    for intervals in cases.values():
        build_and_encode(intervals)  # warm-up (imports, zoneinfo cache)
    measured = {name: measure(intervals, args.repeat, args.number) for name, intervals in cases.items()}
    results = {
        "benchmark": "build_rolling_tariff + encode_tariff, 24 h of general and feed-in data",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "repetitions": args.repeat,
        "calls_per_repetition": args.number,
        "target_ms": TARGET_MS,
        "cases": measured,
    }
    text = json.dumps(results, indent=2) + "\n"
    RESULTS.write_text(text)
    sys.stdout.write(text)
    slow = [name for name, case in measured.items() if case["median_ms"] >= TARGET_MS]
    if slow:
        sys.stderr.write(f"over the {TARGET_MS} ms target: {', '.join(slow)}\n")


if __name__ == "__main__":
    main()
