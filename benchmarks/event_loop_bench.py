"""The longest event-loop callback of a real Home Assistant during refresh-and-push cycles of a 5-minute site.

Starts the simulator (`python -m simulator`, the five_minute scenario: 5-minute prices, so a refresh asks
for 25 h back and 25 h ahead, 1202 intervals) in its own process, and a real Home Assistant in this one
with this repository's integration, added through its config flow with the simulator's addresses. Then,
on the real clock (no freezer: it would hide slow callbacks), it runs cycles of:

- `tesla_amber_sync.sync_now`: refresh Amber's prices and the Powerwall's data, then sync;
- `tesla_amber_sync.sync_tou_schedule`: build, push and verify the tariff now, even if unchanged (a
  sync pushes at most once per 5 minutes, so this makes every cycle a push with its read-back).

Every callback the loop runs is timed with the loop's own clock, twice over: once by wrapping the call the
loop makes for each callback, and once by asyncio itself (debug mode with `slow_callback_duration = 0`
reports every callback; debug mode's own checks slow callbacks down, so those times are an upper bound).
Cyclic garbage collections are recorded too: a full one (every few minutes of a running Home Assistant)
stalls whatever callback it lands in for as long as the whole heap takes to scan, so each callback's
time is also given without the collection inside it, and so is the processor time the loop's thread
spent in it (on a busy machine a callback can wait for a processor). Results go to the `event_loop`
part of benchmarks/results.json. Target: no callback of 20 ms or more.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
import gc
import json
import logging
from pathlib import Path
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, NamedTuple
import urllib.request

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from homeassistant import bootstrap, runner  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: E402

from simulator.homesetup import simulator_urls  # noqa: E402
from simulator.state import AMBER_SITE_ID, ENERGY_SITE_ID  # noqa: E402

RESULTS = Path(__file__).parent / "results.json"
DOMAIN = "tesla_amber_sync"
TARGET_MS = 20.0
SLOWEST_SHOWN = 8
# Callbacks longer than this (seconds) are named in the results.
DESCRIBED_FROM = 0.002


class Timed(NamedTuple):
    """One callback: how long it ran by the loop's clock, and what it was.

    `collecting` is the garbage-collection time inside it and `cpu` the processor time this thread spent
    in it (the rest: waiting for a processor the machine's other work held); None when not known.
    """

    seconds: float
    collecting: float | None
    cpu: float | None
    callback: str


CONFIGURATION = """\
homeassistant:
  name: Tesla Sync event-loop benchmark
  time_zone: Australia/Sydney
  country: AU
  currency: AUD
  unit_system: metric
  latitude: -33.87
  longitude: 151.21
  elevation: 20
# Home Assistant enters recovery mode without a frontend; an empty development copy satisfies it.
frontend:
  development_repo: {stub}
logger:
  default: warning
"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def simulator(scenario: str) -> Iterator[str]:
    """`python -m simulator` on a free port, in real time, stopped on exit."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "simulator", "--port", str(port), "--scenario", scenario],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_sim/state", timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


async def counters(hass: HomeAssistant, url: str) -> dict[str, int]:
    """How many requests each simulated endpoint has had."""
    async with async_get_clientsession(hass).get(f"{url}/_sim/counters") as response:
        result: dict[str, int] = await response.json()
        return result


class CallbackTimes(logging.Handler):
    """Collects what asyncio's debug mode reports: every callback and how long it ran (seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[Timed] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "Executing %s took %.3f seconds" and isinstance(record.args, tuple):
            handle, seconds = record.args
            if isinstance(seconds, float):
                self.times.append(Timed(seconds, None, None, str(handle)))


@contextmanager
def timed_by_debug_mode(hass: HomeAssistant) -> Iterator[list[Timed]]:
    """Have the loop, in debug mode, time and report every callback while the block runs.

    Debug mode also tracks where every coroutine was made, which slows callbacks down: an upper bound.
    """
    loop = hass.loop
    handler = CallbackTimes()
    asyncio_logger = logging.getLogger("asyncio")
    saved = (loop.get_debug(), loop.slow_callback_duration, asyncio_logger.propagate, asyncio_logger.level)
    asyncio_logger.addHandler(handler)
    # Kept from Home Assistant's own log handlers: there is one report per callback.
    asyncio_logger.propagate = False
    asyncio_logger.setLevel(logging.WARNING)
    loop.slow_callback_duration = 0.0
    loop.set_debug(True)
    try:
        yield handler.times
    finally:
        loop.set_debug(saved[0])
        loop.slow_callback_duration = saved[1]
        asyncio_logger.propagate = saved[2]
        asyncio_logger.setLevel(saved[3])
        asyncio_logger.removeHandler(handler)


def describe(handle: asyncio.Handle) -> str:
    """Name a callback: the task a wake-up resumed (and where it waits now), or the callback itself."""
    callback = getattr(handle, "_callback", None)  # what the loop called
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        return repr(task)
    return repr(handle)


class GarbageCollections:
    """Records each cyclic garbage collection and keeps a running total of the time they took.

    A collection runs inside whatever callback allocated last: a full one stalls it for as long as
    Home Assistant's whole heap takes to scan, whichever code the callback runs.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.seconds += took
        self.collections.append((info["generation"], took))


@contextmanager
def garbage_collections() -> Iterator[GarbageCollections]:
    """Watch the garbage collector while the block runs."""
    watch = GarbageCollections()
    gc.callbacks.append(watch)
    try:
        yield watch
    finally:
        gc.callbacks.remove(watch)


@contextmanager
def timed_by_handle(hass: HomeAssistant, collections: GarbageCollections) -> Iterator[list[Timed]]:
    """Time every callback the loop runs, with the loop's clock, as debug mode does but without its cost.

    Each callback also gets the garbage-collection time spent inside it.
    """
    clock = hass.loop.time
    run = asyncio.events.Handle._run  # noqa: SLF001 - what the loop calls for every callback
    times: list[Timed] = []

    def timed_run(handle: asyncio.Handle) -> None:
        started, collected, cpu = clock(), collections.seconds, time.thread_time()
        try:
            run(handle)
        finally:
            elapsed = clock() - started
            cpu = time.thread_time() - cpu
            # Only the slow ones are described: describing a callback takes time of its own.
            described = describe(handle) if elapsed > DESCRIBED_FROM else ""
            times.append(Timed(elapsed, collections.seconds - collected, cpu, described))

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign,assignment]  # noqa: SLF001
    try:
        yield times
    finally:
        asyncio.events.Handle._run = run  # type: ignore[method-assign]  # noqa: SLF001


async def add_entry(hass: HomeAssistant, simulator_url: str) -> None:
    """Add Tesla Sync through its config flow, as an owner would, pointed at the simulator."""
    answers: dict[str, dict[str, Any]] = {
        "user": {"amber_api_token": "psk_simulator", **simulator_urls(simulator_url)},
        "amber_site": {"amber_site_id": AMBER_SITE_ID},
        "teslemetry": {"teslemetry_api_token": "teslemetry_simulator"},
        "energy_site": {"energy_site_id": str(ENERGY_SITE_ID)},
    }
    flow: Any = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    for _ in range(len(answers) + 1):
        if flow["type"] == "create_entry":
            await hass.async_block_till_done()
            return
        flow = await hass.config_entries.flow.async_configure(flow["flow_id"], answers[flow["step_id"]])
    raise SystemExit(f"the config flow did not finish: {flow}")


async def one_cycle(hass: HomeAssistant) -> None:
    """Refresh and sync as the 5-minute timer does, then push and verify the tariff."""
    await hass.services.async_call(DOMAIN, "sync_now", blocking=True)
    await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    await hass.async_block_till_done()


def milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 3)


def summary(cycles: list[tuple[list[Timed], GarbageCollections]]) -> dict[str, Any]:
    """Per cycle: how many callbacks, the longest, their total and the garbage collections; the slowest."""
    everything = [entry for times, _ in cycles for entry in times]
    result: dict[str, Any] = {"longest_callback_ms": milliseconds(max(entry.seconds for entry in everything))}
    if all(entry.collecting is not None and entry.cpu is not None for entry in everything):
        result["longest_callback_outside_garbage_collection_ms"] = milliseconds(
            max(entry.seconds - (entry.collecting or 0.0) for entry in everything)
        )
        result["longest_callback_cpu_ms"] = milliseconds(max(entry.cpu or 0.0 for entry in everything))
    result["per_cycle"] = [
        {
            "callbacks": len(times),
            "longest_ms": milliseconds(max(entry.seconds for entry in times)),
            "total_callback_ms": milliseconds(sum(entry.seconds for entry in times)),
            "garbage_collections_over_1_ms": [
                {"generation": generation, "ms": milliseconds(seconds)}
                for generation, seconds in watch.collections
                if seconds > 0.001
            ],
        }
        for times, watch in cycles
    ]
    slowest = sorted(everything, key=lambda entry: entry.seconds, reverse=True)[:SLOWEST_SHOWN]
    result["slowest"] = [
        {
            "ms": milliseconds(entry.seconds),
            **({} if entry.cpu is None else {"cpu_ms": milliseconds(entry.cpu)}),
            **({} if entry.collecting is None else {"garbage_collection_ms": milliseconds(entry.collecting)}),
            "callback": entry.callback[:240],
        }
        for entry in slowest
    ]
    return result


async def run_cycles(config_dir: Path, simulator_url: str, cycles: int) -> dict[str, Any]:
    hass = await bootstrap.async_setup_hass(runner.RuntimeConfig(config_dir=str(config_dir), skip_pip=True))
    if hass is None:
        raise SystemExit("Home Assistant did not start")
    try:
        await add_entry(hass, simulator_url)
        await one_cycle(hass)  # warm-up: first refreshes, first push
        before = await counters(hass, simulator_url)
        by_handle: list[tuple[list[Timed], GarbageCollections]] = []
        for _ in range(cycles):
            with garbage_collections() as collections, timed_by_handle(hass, collections) as times:
                await one_cycle(hass)
            by_handle.append((times, collections))
        by_debug_mode: list[tuple[list[Timed], GarbageCollections]] = []
        for _ in range(cycles):
            with garbage_collections() as collections, timed_by_debug_mode(hass) as times:
                await one_cycle(hass)
            by_debug_mode.append((times, collections))
        after = await counters(hass, simulator_url)
    finally:
        await hass.async_stop()
    return {
        "timed_by_handle": summary(by_handle),
        "timed_by_debug_mode": summary(by_debug_mode),
        "requests": {key: after.get(key, 0) - before.get(key, 0) for key in sorted(after) if key in before},
    }


def in_own_thread(cycles: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run Home Assistant's loop in a thread of its own.

    Home Assistant flags blocking calls in its loop's thread for good; this keeps that thread apart from
    the one that starts and stops the simulator and cleans up.
    """
    outcome: list[dict[str, Any] | BaseException] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(cycles))
        except BaseException as err:  # noqa: BLE001 - handed to the main thread, which raises it
            outcome.append(err)

    thread = threading.Thread(target=run, name="home-assistant")
    thread.start()
    thread.join()
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def main() -> None:
    """Run the cycles, print the results and add them to benchmarks/results.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=6, help="refresh-and-push cycles to time, each way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary, simulator("five_minute") as simulator_url:
        root = Path(temporary)
        stub = root / "frontend_stub"
        for folder in ("static", "frontend_latest", "frontend_es5"):
            (stub / "hass_frontend" / folder).mkdir(parents=True)
        config_dir = root / "config"
        (config_dir / "custom_components").mkdir(parents=True)
        (config_dir / "custom_components" / DOMAIN).symlink_to(REPO / "custom_components" / DOMAIN)
        (config_dir / "configuration.yaml").write_text(CONFIGURATION.format(stub=stub))
        measured = in_own_thread(run_cycles(config_dir, simulator_url, args.cycles))
    plain = measured["timed_by_handle"]
    event_loop = {
        "benchmark": (
            "real Home Assistant and the simulator's five_minute site: sync_now then sync_tou_schedule "
            "(refresh, build, push, read back); every callback timed with the loop's clock, plainly and "
            "by asyncio's debug mode (an upper bound)"
        ),
        "python": platform.python_version(),
        "cycles": args.cycles,
        "target_ms": TARGET_MS,
        "longest_callback_ms": plain["longest_callback_ms"],
        "longest_callback_outside_garbage_collection_ms": plain[
            "longest_callback_outside_garbage_collection_ms"
        ],
        "longest_callback_cpu_ms": plain["longest_callback_cpu_ms"],
        **measured,
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["event_loop"] = event_loop
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(json.dumps(event_loop, indent=2) + "\n")
    for what, longest in (
        ("longest event-loop callback", plain["longest_callback_ms"]),
        ("longest outside garbage collection", plain["longest_callback_outside_garbage_collection_ms"]),
    ):
        if longest >= TARGET_MS:
            sys.stderr.write(f"{what}: {longest} ms, not under the {TARGET_MS} ms target\n")


if __name__ == "__main__":
    main()
