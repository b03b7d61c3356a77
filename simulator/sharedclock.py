"""One clock for the simulator and Home Assistant: Home Assistant's process reads the time the simulator's
clock shows, so a test that moves the simulated clock moves Home Assistant's too.

Some behaviour runs on Home Assistant's own clock, not on what the simulated devices report: demand tracking
samples the Powerwall's grid power at Home Assistant's time, so a test of a half hour inside a 15:00-21:00
window needs Home Assistant to live through that half hour. The simulator (`--clock-file`) writes its clock
to a file each time it is set: the simulated instant, the speed and the host's monotonic time then (one
system-wide clock on Linux, so another process can tell how long ago that was). Run Home Assistant as

    python -m simulator.sharedclock --clock-file FILE homeassistant --config ...

and its wall clock (`time.time`, `datetime.now`, ...) follows the file: frozen when the simulator's clock is
(speed 0), running in real time otherwise. Its monotonic clock stays real, so timeouts and the event loop are
untouched. Only speeds 0 and 1 can be followed; the follower refuses others rather than drift.

A watcher thread notices a new file within `POLL_SECONDS`; a test that moved the clock asks Home Assistant
for its time (the template API) before relying on it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import logging
from pathlib import Path
import runpy
import sys
import threading
import time
from typing import Final

from .clock import parse_reading

POLL_SECONDS: Final = 0.02
FOLLOWED_SPEEDS: Final = (0.0, 1.0)

_LOGGER = logging.getLogger(__name__)


class ClockFollower:
    """Keeps this process's wall clock on the readings of a clock file.

    `travel(destination, tick)` puts the process at `destination` (seconds since the epoch), frozen or
    running in real time; time-machine's `travel(...).start()` in production. Each reading starts a new
    travel on top of the last, so a reader of the time sees either the old clock or the new one, never a
    mixture.
    """

    def __init__(self, path: Path, travel: Callable[[float, bool], None]) -> None:
        """Follow `path` with `travel`."""
        self._path = path
        self._travel = travel
        self._seen: str | None = None

    def follow_once(self) -> bool:
        """Take the file's reading if it changed since the last look; True when it did.

        Compared by content: every reading holds the monotonic time it was written at, so two readings
        written within the file system's timestamp resolution still differ.
        """
        try:
            text = self._path.read_text()
        except FileNotFoundError:
            return False
        if text == self._seen:
            return False
        # Seen even when it cannot be read: a bad file is reported once, not at every look.
        self._seen = text
        reading = parse_reading(text)
        if reading.speed not in FOLLOWED_SPEEDS:
            raise ValueError(f"a clock at speed {reading.speed:g} cannot be followed; use 0 or 1")
        self._travel(reading.instant(time.monotonic()).timestamp(), reading.speed > 0)
        return True

    def watch(self, stop: threading.Event) -> None:
        """Follow the file until `stop` is set (the watcher thread's body)."""
        while not stop.wait(POLL_SECONDS):
            try:
                self.follow_once()
            except OSError, TypeError, ValueError:
                _LOGGER.exception("cannot follow the clock file %s", self._path)


def _time_machine_travel(destination: float, tick: bool) -> None:
    import time_machine  # noqa: PLC0415 - a test dependency, needed only in the process that follows

    time_machine.travel(destination, tick=tick).start()


def main(argv: list[str] | None = None) -> None:
    """Run a module (Home Assistant) with its wall clock on the clock file's readings."""
    parser = argparse.ArgumentParser(prog="python -m simulator.sharedclock", description=__doc__)
    parser.add_argument("--clock-file", type=Path, required=True, help="what the simulator's --clock-file is")
    parser.add_argument("module", help="the module to run, as python -m does")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    follower = ClockFollower(args.clock_file, _time_machine_travel)
    if not follower.follow_once():
        # No reading yet: travel to the real time now, so time-machine patches the clock here, before the
        # module runs, rather than from the watcher thread later.
        _time_machine_travel(time.time(), tick=True)
    stop = threading.Event()
    threading.Thread(target=follower.watch, args=(stop,), name="sharedclock", daemon=True).start()
    sys.argv = [args.module, *args.args]
    try:
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
