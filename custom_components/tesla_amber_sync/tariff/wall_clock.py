"""Which of the day's half-hour slots a local date really has, in a zone with daylight saving.

On the day clocks go forward, the wall-clock times inside the skipped hour never happen, so their slots do
not occur that day; on the day clocks go back, some slots occur twice. A slot is said to occur on a date
when at least one wall-clock minute inside it exists there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from .model import SLOT_MINUTES, SLOTS_PER_DAY, slot_start

_ONE_DAY: Final = timedelta(days=1)


def _exists(wall_clock: datetime) -> bool:
    """Return whether an aware wall-clock time of its zone happens (it is not inside a skipped hour)."""
    # A time inside a gap maps to UTC with the offset before the change and comes back an hour later.
    back = wall_clock.astimezone(UTC).astimezone(wall_clock.tzinfo)
    return back.replace(tzinfo=None) == wall_clock.replace(tzinfo=None)


@lru_cache(maxsize=32)
def skipped_slots(zone: ZoneInfo, day: date) -> frozenset[int]:
    """Return the indexes of the slots that do not occur on `day` in `zone` (empty on most days)."""
    skipped: set[int] = set()
    for index in range(SLOTS_PER_DAY):
        start = datetime.combine(day, slot_start(index), tzinfo=zone)
        if _exists(start):
            continue
        if not any(_exists(start + timedelta(minutes=minute)) for minute in range(1, SLOT_MINUTES)):
            skipped.add(index)
    return frozenset(skipped)


def next_occurrence(zone: ZoneInfo, index: int, earliest: date) -> date:
    """Return the first date from `earliest` on which slot `index` occurs."""
    # Clocks change months apart, so a slot skipped one day occurs the next.
    return earliest + _ONE_DAY if index in skipped_slots(zone, earliest) else earliest


def previous_occurrence(zone: ZoneInfo, index: int, before: date) -> date:
    """Return the last date before `before` on which slot `index` occurred."""
    day = before - _ONE_DAY
    return day - _ONE_DAY if index in skipped_slots(zone, day) else day


# The rolling tariff's fallback for a slot is its last occurrence: at most a day back, and an hour for the
# slot in progress (25 hours of Amber's history), except around a skipped slot.
HISTORY_HOURS: Final = 25


def history_hours(zone: ZoneInfo, today: date) -> int:
    """How many hours of Amber's history reach the last occurrence of every slot the tariff may need on
    `today` (the site's local date).

    On the day clocks go forward, the skipped slots last occurred the day before, up to two days back by
    the evening; the day after, they last occurred two days back until they come round again. Without the
    extra day of history those slots could not fall back, and a short forecast would leave the tariff
    incomplete for most of both days.
    """
    if skipped_slots(zone, today) or skipped_slots(zone, today - _ONE_DAY):
        return HISTORY_HOURS + 24
    return HISTORY_HOURS
