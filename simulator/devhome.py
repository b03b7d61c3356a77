"""`scripts/develop`: the simulator plus a local Home Assistant with Tesla Sync already set up against it.

First run: onboards a local user (dev/dev), adds Tesla Sync through its real config flow pointed at the
simulator, and adds the Tesla Sync dashboard (the integration's dashboard strategy) and the YAML example.
Later runs log in and reuse what is there. Ctrl-C stops Home Assistant and the simulator. A configuration
folder without a configuration.yaml (say a fresh temporary one, as the browser test uses) gets config/'s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime
import importlib.util
import json
from pathlib import Path
import shutil
import signal
import sys
from typing import Any, Final

import aiohttp
from aiohttp import web

from . import dashboard
from .app import create_app
from .config import SimulatorConfig
from .homesetup import HomeAssistantSetup, Owner
from .scenarios import SCENARIOS

REPO: Final = Path(__file__).resolve().parents[1]
HASS_PORT: Final = 8123
HASS_HOST: Final = "127.0.0.1"
STARTUP_SECONDS: Final = 600.0
# The line that says everything is up (the browser test waits for it).
READY: Final = "ready:"


def say(message: str) -> None:
    """One line for the developer, on stderr like the shell scripts' messages."""
    sys.stderr.write(f"\033[1m[tesla-sync]\033[0m {message}\n")


def write_http_settings(config_dir: Path, port: int) -> None:
    """Make Home Assistant listen on 127.0.0.1:`port` only, in its own store of HTTP settings.

    Home Assistant keeps its HTTP settings in `.storage/http`, edited in Settings; an `http:` section in
    configuration.yaml is imported once as an unconfirmed trial that reverts after five minutes, with a
    repair issue. So the settings go straight into the store as confirmed, before Home Assistant starts.
    """
    from homeassistant.components.http import config as http_config  # noqa: PLC0415 - only when needed

    path = config_dir / ".storage" / "http"
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data = stored.get("data") or {}
    stable = {
        **(data.get(http_config.KEY_STABLE) or http_config.HTTP_STORAGE_SCHEMA({})),
        "server_host": [HASS_HOST],
        "server_port": port,
        "error": None,
        "error_message": None,
    }
    stable.setdefault("created_at", datetime.now(UTC).isoformat())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "version": http_config.STORAGE_VERSION,
                "minor_version": http_config.STORAGE_MINOR_VERSION,
                "key": http_config.STORAGE_KEY,
                "data": {
                    http_config.KEY_STABLE: stable,
                    http_config.KEY_PENDING: None,
                    http_config.KEY_YAML_MIGRATION_DONE: True,
                },
            },
            indent=2,
        )
        + "\n"
    )


def prepare_config(config_dir: Path, *, has_frontend: bool, port: int = HASS_PORT) -> None:
    """Link the integration in, and write the generated includes of configuration.yaml."""
    configuration = config_dir / "configuration.yaml"
    if not configuration.exists():
        config_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "config" / "configuration.yaml", configuration)
    custom = config_dir / "custom_components"
    custom.mkdir(parents=True, exist_ok=True)
    link = custom / "tesla_amber_sync"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(REPO / "custom_components" / "tesla_amber_sync")
    # The Tesla Sync dashboard is the integration's strategy, built from the entity registry; the YAML
    # example generated from the same layout is there too, out of the sidebar.
    strategy = config_dir / "tesla_sync_dashboard.yaml"
    strategy.write_text("strategy:\n  type: custom:tesla-sync\n")
    dashboards: dict[str, object] = {
        "tesla-sync": {
            "mode": "yaml",
            "title": "Tesla Sync",
            "icon": "mdi:home-battery",
            "show_in_sidebar": True,
            "filename": str(strategy),
        }
    }
    example = REPO / "dashboards" / "tesla_sync.yaml"
    if example.is_file():
        dashboards["tesla-sync-example"] = {
            "mode": "yaml",
            "title": "Tesla Sync (YAML)",
            "icon": "mdi:home-battery-outline",
            "show_in_sidebar": False,
            "filename": str(example),
        }
    # JSON is YAML: these files are generated every run and kept out of git with the rest of config/.
    (config_dir / "dashboards.yaml").write_text(json.dumps(dashboards, indent=2) + "\n")
    frontend: dict[str, str] = {}
    if not has_frontend:
        # Without the frontend package Home Assistant falls into recovery mode; an empty development copy
        # keeps it running with the REST API (the UI stays blank).
        stub = config_dir / ".frontend_stub" / "hass_frontend"
        for folder in ("static", "frontend_latest", "frontend_es5"):
            (stub / folder).mkdir(parents=True, exist_ok=True)
        frontend["development_repo"] = str(stub.parent)
    (config_dir / "frontend.yaml").write_text(json.dumps(frontend) + "\n")
    write_http_settings(config_dir, port)


def energy_sources() -> list[dict[str, Any]]:
    """The Energy dashboard's sources for the simulator's Powerwall: grid, solar and battery, each with its
    energy and power sensors (what the dashboard's energy-distribution card needs)."""

    def sensor(key: str) -> str:
        entity_id = dashboard.lookup("powerwall", "sensor", key)
        if entity_id is None:
            raise ValueError(f"the simulator's Powerwall has no {key} sensor")
        return entity_id

    return [
        {
            "type": "grid",
            "stat_energy_from": sensor("grid_import_energy"),
            "stat_energy_to": sensor("grid_export_energy"),
            "stat_rate": sensor("grid_power"),
            "cost_adjustment_day": 0,
        },
        {
            "type": "solar",
            "stat_energy_from": sensor("solar_energy"),
            "stat_rate": sensor("solar_power"),
            "config_entry_solar_forecast": None,
        },
        {
            "type": "battery",
            "stat_energy_from": sensor("battery_discharge_energy"),
            "stat_energy_to": sensor("battery_charge_energy"),
            "stat_rate": sensor("battery_power"),
            "stat_soc": sensor("battery_level"),
        },
    ]


def frontend_requirement() -> str:
    """The frontend package pinned by the installed Home Assistant."""
    import homeassistant.components.frontend as frontend_component  # noqa: PLC0415 - only when needed

    manifest = json.loads((Path(frontend_component.__file__).parent / "manifest.json").read_text())
    return str(manifest["requirements"][0])


async def stop(process: asyncio.subprocess.Process) -> None:
    """Stop Home Assistant: politely, then for sure."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=30)
    except TimeoutError:
        process.kill()
        await process.wait()


async def add_entry(home: HomeAssistantSetup, simulator_url: str, route: str) -> dict[str, Any]:
    """Add Tesla Sync through its config flow against the simulator, by `route`: "teslemetry", "fleet" (the
    simulated Tesla developer application under Application Credentials, then Tesla's sign-in), or "both"
    (through Teslemetry, then signed in to the Fleet API as the second route from the Reconfigure menu)."""
    if route in {"fleet", "both"}:
        await home.add_application_credential()
        say("added the simulator's Tesla developer application under Application Credentials")
    entry = await home.add_tesla_sync(simulator_url, route="fleet" if route == "fleet" else "teslemetry")
    say(f"added Tesla Sync entry {entry.get('title')!r} pointed at the simulator, through {route}")
    if route == "both":
        await home.add_fleet_route(str(entry["entry_id"]))
        say("signed it in to the simulated Tesla Fleet API as its second route (Teslemetry stays first)")
    return entry


async def run(args: argparse.Namespace, config_dir: Path, *, has_frontend: bool) -> int:
    """Start both, provision on first run, then wait for Home Assistant to end."""
    simulator_url = f"http://127.0.0.1:{args.sim_port}"
    runner = web.AppRunner(
        create_app(SimulatorConfig(scenario=args.scenario, speed=args.speed, sites=args.sites))
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.sim_port).start()
    say(f"simulator on {simulator_url} (scenario {args.scenario}, speed {args.speed:g}x; control API /_sim)")
    # Everything Home Assistant needs here is in requirements_test.txt and requirements_dev.txt (scripts/setup
    # installs both): it installs nothing at run time.
    command = [sys.executable, "-m", "homeassistant", "--config", str(config_dir), "--skip-pip"]
    if args.debug:
        command.append("--debug")
    process = await asyncio.create_subprocess_exec(*command)
    # Stopped by a signal (the browser test, a service manager): stop Home Assistant too.
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        hass_url = f"http://{HASS_HOST}:{args.hass_port}"
        owner = Owner()
        async with aiohttp.ClientSession() as session:
            home = HomeAssistantSetup(session, hass_url)
            say("waiting for Home Assistant to start ...")
            await home.wait_until_up(within=STARTUP_SECONDS, is_alive=lambda: process.returncode is None)
            await home.sign_in(owner)
            if await home.entries():
                say("Tesla Sync is already set up")
            else:
                await add_entry(home, simulator_url, args.route)
            if await home.configure_energy(energy_sources()):
                say("set up the Energy dashboard with the Powerwall's energy sensors")
        login = f"{owner.username} / {owner.password}"
        say(f"{READY} Home Assistant on {hass_url}  login: {login}  (Ctrl-C stops both)")
        return await process.wait()
    finally:
        await stop(process)
        await runner.cleanup()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of scripts/develop."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument("--config", default=str(REPO / "config"), help="Home Assistant configuration folder")
    parser.add_argument("--hass-port", type=int, default=HASS_PORT, help="Home Assistant's port on 127.0.0.1")
    parser.add_argument("--sim-port", type=int, default=8099)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="typical_day")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument(
        "--sites",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: a second Amber site and a second Powerwall, to see the config flow's site pickers",
    )
    parser.add_argument(
        "--route",
        choices=("teslemetry", "fleet", "both"),
        default="teslemetry",
        help="how the first run adds the entry: through Teslemetry, through the simulated Tesla Fleet API "
        "(signing in with the simulator's developer application), or both (Teslemetry first, Fleet API as "
        "the fallback)",
    )
    parser.add_argument("--debug", action="store_true", help="start Home Assistant with --debug")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point: `python -m simulator.devhome`."""
    args = parse_args(argv)
    config_dir = Path(args.config).resolve()
    has_frontend = importlib.util.find_spec("hass_frontend") is not None
    if not has_frontend:
        say(
            "the Home Assistant frontend is not installed, so the UI will be blank (the REST API works). "
            f"For the UI: scripts/run pip install '{frontend_requirement()}'"
        )
    prepare_config(config_dir, has_frontend=has_frontend, port=args.hass_port)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        sys.exit(asyncio.run(run(args, config_dir, has_frontend=has_frontend)))


if __name__ == "__main__":
    main()
