"""Processes for the end-to-end test: the simulator and Home Assistant, each killed when the test ends.

Both run as subprocesses of the test on 127.0.0.1, so pytest-socket (installed by Home Assistant's test
plugin) is lifted with `socket_enabled` for these tests; the connect guard still only allows 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from simulator.devhome import READY, write_http_settings

REPO = Path(__file__).resolve().parents[2]
HASS_STARTUP_SECONDS = 120.0

CONFIGURATION = """\
homeassistant:
  name: Tesla Sync end-to-end
  time_zone: Australia/Sydney
  country: AU
  currency: AUD
  unit_system: metric
  latitude: -33.87
  longitude: 151.21
  elevation: 20
# Home Assistant enters recovery mode without a frontend; an empty development copy satisfies it without
# installing the frontend package the test does not need.
frontend:
  development_repo: {stub}
api:
application_credentials:
config:
onboarding:
logger:
  default: warning
  logs:
    custom_components.tesla_amber_sync: debug
"""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the root conftest's autouse fixture: Home Assistant runs in its own process here."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_http(url: str, process: subprocess.Popen[bytes], within: float, log: Path) -> None:
    """Poll `url` until it answers, failing early if the process dies."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a fixed http://127.0.0.1 URL
                return
        except urllib.error.HTTPError as err:
            err.close()
            return  # It answered, if not with 200 (before onboarding /auth/providers says 400).
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"{url} did not answer within {within:g} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child: politely first, then for sure."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def clock_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    """For a test marked `shared_clock`: the file the simulator shares its clock through, so that Home
    Assistant's wall clock follows the simulated one (moved by `POST /_sim/clock`); None otherwise."""
    return tmp_path / "clock.json" if request.node.get_closest_marker("shared_clock") else None


@pytest.fixture
def simulator_url(socket_enabled: None, tmp_path: Path, clock_file: Path | None) -> Iterator[str]:
    """`python -m simulator` on a free port, in real time.

    Without the publication model (`--no-confirmation-delay`): the tests compare the Powerwall's tariff
    with the scenario's exact prices, which the model's estimate and forecast errors would move by a
    seeded but time-of-day-dependent amount. The model itself is tested in tests/simulator.
    """
    port = free_port()
    log = tmp_path / "simulator.log"
    command = [sys.executable, "-m", "simulator", "--port", str(port), "--scenario", "typical_day"]
    if clock_file is not None:
        command += ["--clock-file", str(clock_file)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*command, "--no-confirmation-delay"],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/_sim/state", process, 30, log)
        yield url
    finally:
        stop(process)


@pytest.fixture
def hass_url(socket_enabled: None, tmp_path: Path, clock_file: Path | None) -> Iterator[str]:
    """A real Home Assistant with only what the test needs, and this repository's integration (on the
    simulator's clock when the test shares it)."""
    port = free_port()
    config = tmp_path / "hass"
    stub = tmp_path / "frontend_stub"
    for folder in ("static", "frontend_latest", "frontend_es5"):
        (stub / "hass_frontend" / folder).mkdir(parents=True)
    (config / "custom_components").mkdir(parents=True)
    (config / "custom_components" / "tesla_amber_sync").symlink_to(
        REPO / "custom_components" / "tesla_amber_sync"
    )
    (config / "configuration.yaml").write_text(CONFIGURATION.format(stub=stub))
    # 127.0.0.1 and the port go into Home Assistant's own HTTP settings, as scripts/develop does.
    write_http_settings(config, port)
    log = tmp_path / "home-assistant.log"
    env = _child_environment()
    follow = [] if clock_file is None else ["simulator.sharedclock", "--clock-file", str(clock_file)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", *follow, "homeassistant", "--config", str(config), "--skip-pip"],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/auth/providers", process, HASS_STARTUP_SECONDS, log)
        yield url
    finally:
        stop(process)
        # Show Home Assistant's log on failure (pytest prints captured output of failed tests only).
        sys.stdout.write(log.read_text(errors="replace")[-20000:])


def _child_environment() -> dict[str, str]:
    # Coverage of the subprocess is not measured; keep its settings from leaking into it.
    return {key: value for key, value in os.environ.items() if not key.startswith("COV_CORE")}


@contextmanager
def develop(folder: Path, *options: str) -> Iterator[tuple[str, str, Path]]:
    """Run what `scripts/develop OPTIONS` starts, with a fresh configuration folder in `folder`: the
    simulator and Home Assistant with the real frontend, onboarded and with Tesla Sync added. Yields Home
    Assistant's URL, the simulator's URL and the log, once it says it is ready."""
    hass_port, simulator_port = free_port(), free_port()
    log = folder / "develop.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "simulator.devhome",
                "--config",
                str(folder / "config"),
                "--hass-port",
                str(hass_port),
                "--sim-port",
                str(simulator_port),
                *options,
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_child_environment(),
            # Its own process group, so Home Assistant goes too should scripts/develop need killing.
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{hass_port}"
    try:
        deadline = time.monotonic() + HASS_STARTUP_SECONDS
        while f"{READY} Home Assistant on {url}" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/develop did not get ready:\n{log.read_text(errors='replace')[-6000:]}")
            time.sleep(0.25)
        yield url, f"http://127.0.0.1:{simulator_port}", log
    finally:
        # SIGTERM: scripts/develop stops Home Assistant (within 30 s), then itself.
        process.terminate()
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        sys.stdout.write(log.read_text(errors="replace")[-20000:])


@pytest.fixture
def dev_home(socket_enabled: None, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """What `scripts/develop` starts, in a fresh configuration folder. Yields Home Assistant's URL and its
    log."""
    with develop(tmp_path) as (url, _, log):
        yield url, log
