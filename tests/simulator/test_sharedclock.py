"""The clock the simulator shares with Home Assistant: readings written at each jump, and a process whose
wall clock follows them (`python -m simulator.sharedclock`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
import pytest

from simulator import SimulatorConfig
from simulator.__main__ import config_from, parse_args
from simulator.clock import ClockReading, SimClock, parse_reading, write_reading
from simulator.sharedclock import ClockFollower

from .conftest import START

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 1, 3, 50, tzinfo=UTC)
SYDNEY = ZoneInfo("Australia/Sydney")


class Travels:
    """What a follower asked of the wall clock: (destination, ticking) each time."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, bool]] = []
        self.arrived = threading.Event()

    def __call__(self, destination: float, tick: bool) -> None:
        self.calls.append((destination, tick))
        self.arrived.set()


def test_the_clock_reports_its_start_each_jump_and_each_speed() -> None:
    heard: list[tuple[datetime, float]] = []
    clock = SimClock(speed=0, start=T0, on_change=lambda now, speed: heard.append((now, speed)))
    clock.set(T0 + timedelta(hours=1))
    clock.advance(timedelta(minutes=2))
    clock.set_speed(1)
    assert heard == [
        (T0, 0),
        (T0 + timedelta(hours=1), 0),
        (T0 + timedelta(hours=1, minutes=2), 0),
        (T0 + timedelta(hours=1, minutes=2), 1),
    ]


def test_a_reading_survives_the_file_and_tells_the_time_later(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    write_reading(path, T0.astimezone(SYDNEY), 1.0)
    reading = parse_reading(path.read_text())
    assert (reading.now, reading.speed) == (T0, 1.0)
    assert reading.now.tzinfo is UTC
    assert reading.instant(reading.monotonic + 90) == T0 + timedelta(seconds=90)
    frozen = ClockReading(now=T0, speed=0.0, monotonic=5.0)
    assert frozen.instant(500.0) == T0
    # Written whole through a temporary file, which is gone afterwards.
    assert [child.name for child in tmp_path.iterdir()] == ["clock.json"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[]", TypeError),
        ('{"speed": 0, "monotonic": 1}', ValueError),
        ('{"now": "2026-12-01T03:50:00", "speed": 0, "monotonic": 1}', ValueError),
        ('{"now": "2026-12-01T03:50:00+00:00", "speed": true, "monotonic": 1}', TypeError),
        ('{"now": "2026-12-01T03:50:00+00:00", "speed": 0, "monotonic": "1"}', TypeError),
        ("not json", ValueError),
    ],
)
def test_a_bad_reading_is_refused(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_reading(text)


def test_the_follower_travels_once_per_new_reading(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    travels = Travels()
    follower = ClockFollower(path, travels)
    assert follower.follow_once() is False  # No reading yet: the real clock.

    write_reading(path, T0, 0.0)
    assert follower.follow_once() is True
    assert travels.calls == [(T0.timestamp(), False)]
    assert follower.follow_once() is False  # The same reading again.

    # The same instant written again is a new reading (a jump to where the clock was).
    write_reading(path, T0, 0.0)
    assert follower.follow_once() is True
    assert travels.calls[-1] == (T0.timestamp(), False)

    before = time.monotonic()
    write_reading(path, T0, 1.0)
    assert follower.follow_once() is True
    destination, tick = travels.calls[-1]
    assert tick is True
    # Running: the time elapsed since the reading was written is added.
    assert T0.timestamp() <= destination <= T0.timestamp() + (time.monotonic() - before)


def test_the_follower_refuses_speeds_it_cannot_keep_and_bad_files_once(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    travels = Travels()
    follower = ClockFollower(path, travels)
    write_reading(path, T0, 60.0)
    with pytest.raises(ValueError, match="speed 60"):
        follower.follow_once()
    path.write_text("{}")
    with pytest.raises(ValueError, match="needs now"):
        follower.follow_once()
    assert follower.follow_once() is False  # Reported once.
    assert travels.calls == []


def test_the_watcher_follows_until_stopped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "clock.json"
    path.write_text("{}")
    travels = Travels()
    stop = threading.Event()
    watcher = threading.Thread(target=ClockFollower(path, travels).watch, args=(stop,))
    watcher.start()
    try:
        deadline = time.monotonic() + 5
        while not caplog.records:  # The bad file is looked at (and reported) first.
            assert time.monotonic() < deadline
            time.sleep(0.01)
        write_reading(path, T0, 0.0)
        assert travels.arrived.wait(5)
    finally:
        stop.set()
        watcher.join(5)
    assert not watcher.is_alive()
    assert travels.calls == [(T0.timestamp(), False)]
    # The bad file was reported once.
    assert [record.message for record in caplog.records] == [f"cannot follow the clock file {path}"]


def test_the_command_line_shares_the_clock(tmp_path: Path) -> None:
    assert config_from(parse_args([])).clock_file is None
    path = tmp_path / "clock.json"
    assert config_from(parse_args(["--clock-file", str(path)])).clock_file == path


@pytest.fixture
def config(tmp_path: Path) -> SimulatorConfig:
    """The frozen simulator of the other tests, sharing its clock through a file."""
    return SimulatorConfig(speed=0.0, start=START, timeout_delay=2.0, clock_file=tmp_path / "clock.json")


async def test_moving_the_simulated_clock_writes_the_reading(
    client: TestClient[Any, Any], config: SimulatorConfig
) -> None:
    assert config.clock_file is not None
    assert parse_reading(config.clock_file.read_text()).now == START
    later = START + timedelta(hours=3)
    response = await client.post("/_sim/clock", json={"now": later.isoformat()})
    assert response.status == 200
    reading = parse_reading(config.clock_file.read_text())
    assert (reading.now, reading.speed) == (later, 0.0)
    response = await client.post("/_sim/clock", json={"speed": 1})
    assert parse_reading(config.clock_file.read_text()).speed == 1.0
    # A reset restarts the clock, and says so.
    response = await client.post("/_sim/reset")
    assert response.status == 200
    assert parse_reading(config.clock_file.read_text()).now == START


PROBE = """\
import sys
from datetime import UTC, datetime

print(" ".join(sys.argv[1:]), flush=True)
for _line in sys.stdin:
    print(datetime.now(UTC).isoformat(), flush=True)
"""


def test_a_process_runs_on_the_shared_clock(tmp_path: Path) -> None:
    """`python -m simulator.sharedclock --clock-file FILE MODULE ARGS` runs MODULE with ARGS, its wall clock
    on the file's readings: real before the first, then frozen, moved, and running in real time."""
    (tmp_path / "probe.py").write_text(textwrap.dedent(PROBE))
    path = tmp_path / "clock.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    with subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "simulator.sharedclock", "--clock-file", str(path), "probe", "--flag", "x"],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None
        assert child.stdout is not None

        def now() -> datetime:
            assert child.stdin is not None
            assert child.stdout is not None
            child.stdin.write("\n")
            child.stdin.flush()
            return datetime.fromisoformat(child.stdout.readline().strip())

        def until(predicate: Any) -> datetime:
            deadline = time.monotonic() + 10
            while not predicate(seen := now()):
                assert time.monotonic() < deadline, seen
                time.sleep(0.01)
            return seen

        try:
            assert child.stdout.readline().strip() == "--flag x"
            # No reading yet: the real time.
            assert abs(now() - datetime.now(UTC)) < timedelta(seconds=10)
            write_reading(path, T0, 0.0)
            until(lambda seen: seen == T0)
            assert now() == T0  # Frozen.
            moved = T0 + timedelta(minutes=2)
            write_reading(path, moved, 0.0)
            until(lambda seen: seen == moved)
            write_reading(path, moved + timedelta(hours=1), 1.0)
            running = until(lambda seen: seen >= moved + timedelta(hours=1))
            assert running < moved + timedelta(hours=1, seconds=10)
            until(lambda seen: seen > running)  # Running in real time.
        finally:
            child.stdin.close()
            child.wait(10)
    assert child.returncode == 0
    assert json.loads(path.read_text())["speed"] == 1.0
