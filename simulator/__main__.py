"""Command line: `python -m simulator --port 8099 [--speed N] [--scenario NAME] [--demand-window A-B]
[--clock-file FILE]`."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime, time
import logging
from pathlib import Path

from aiohttp import web

from .app import create_app
from .config import DEFAULT_AMBER_TOKEN, DEFAULT_TESLEMETRY_TOKEN, DEFAULT_TIME_ZONE, SimulatorConfig
from .demand import DEFAULT_WINDOW, DemandWindow, WindowDays
from .publication import INSTANT, REALISTIC
from .scenarios import SCENARIOS


def demand_window(text: str) -> DemandWindow | None:
    """`HH:MM-HH:MM` (days from --demand-days), or `none` for a site without a demand tariff."""
    if text == "none":
        return None
    start, separator, end = text.partition("-")
    if not separator:
        raise argparse.ArgumentTypeError("expected HH:MM-HH:MM or none")
    try:
        return DemandWindow(start=time.fromisoformat(start), end=time.fromisoformat(end))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Local Amber, Teslemetry and AEMO simulator for Tesla Sync."
    )
    parser.add_argument("--port", type=int, default=8099, help="TCP port on 127.0.0.1 (default 8099)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="typical_day")
    parser.add_argument("--start", type=datetime.fromisoformat, help="start time (ISO 8601 with offset)")
    parser.add_argument("--time-zone", default=DEFAULT_TIME_ZONE, help="the Powerwall's IANA time zone")
    parser.add_argument("--amber-token", default=DEFAULT_AMBER_TOKEN)
    parser.add_argument("--teslemetry-token", default=DEFAULT_TESLEMETRY_TOKEN)
    parser.add_argument(
        "--sites", type=int, choices=(1, 2), default=1, help="2: two Amber sites and two Powerwalls"
    )
    parser.add_argument(
        "--demand-window",
        type=demand_window,
        default=DEFAULT_WINDOW,
        help="the network demand window, HH:MM-HH:MM in site time, or none (default 15:00-21:00)",
    )
    parser.add_argument(
        "--demand-days",
        choices=[days.value for days in WindowDays],
        default=WindowDays.WEEKDAYS.value,
        help="the days the demand window runs on (default weekdays)",
    )
    parser.add_argument(
        "--clock-file",
        type=Path,
        help="share the clock: write it here at each jump, for `python -m simulator.sharedclock`",
    )
    parser.add_argument(
        "--no-confirmation-delay",
        action="store_true",
        help="Amber confirms each price at the interval start and forecasts are exact (no publication model)",
    )
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    """The simulator's start-up settings from the command line."""
    window: DemandWindow | None = args.demand_window
    return SimulatorConfig(
        amber_token=args.amber_token,
        teslemetry_token=args.teslemetry_token,
        scenario=args.scenario,
        speed=args.speed,
        start=args.start,
        time_zone=args.time_zone,
        sites=args.sites,
        clock_file=args.clock_file,
        publication=INSTANT if args.no_confirmation_delay else REALISTIC,
        demand_window=None if window is None else replace(window, days=WindowDays(args.demand_days)),
    )


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_from(args)
    # Loopback only: the simulator has no real security and is not meant to be reachable from elsewhere.
    web.run_app(create_app(config), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
