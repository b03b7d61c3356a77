"""Demand charges in the tariff: which half hours carry the demand rate, and what Amber says the window is.

Pure: the slots' wall-clock starts, the site's zone and Amber's intervals are inputs.

Tesla's `demand_charges` price each tariff period in $/kW; the Powerwall's optimiser then avoids importing in
the periods that carry a rate. A tariff Tesla Sync writes gives the demand rate to the half hours inside the
owner's demand window and 0 to the others; a tariff with no half hour inside the window (a month the charge
does not apply in) carries no demand charges at all, as a tariff without a demand charge does.

Amber marks the half hours of the site's network demand window with `tariffInformation.demandWindow`. Its
flags pre-fill the options form when the owner has not set a window, and a whole day of flags that
disagrees with the configured window raises a repair issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from custom_components.tesla_amber_sync.api.models import ChannelType, PriceInterval
from custom_components.tesla_amber_sync.tariff.model import SLOTS_PER_DAY, slot_index, slot_start

from .demand import DemandDays, DemandSettings, DemandWindow

# Amber's demand-window flags by local date and slot, as `amber_demand_flags` reads them.
type DayFlags = Mapping[date, Mapping[int, bool]]
# Whether (weekdays, weekend days) show the window -> the days it applies on.
_DAYS_SEEN: Final = {
    (True, True): DemandDays.EVERY_DAY,
    (True, False): DemandDays.WEEKDAYS,
    (False, True): DemandDays.WEEKENDS,
}


def demand_rates_for_slots(
    settings: DemandSettings | None, slot_starts: Sequence[datetime]
) -> tuple[float, ...]:
    """The demand rate ($/kW) of each slot: the rate when the half hour starting at its wall-clock start (an
    aware local time, on the date the slot stands for) is inside the window, else 0.

    Empty (no demand charges) when there is no setting or no slot is inside the window.
    """
    if settings is None:
        return ()
    rates = tuple(settings.rate if settings.window.contains(start) else 0.0 for start in slot_starts)
    return rates if any(rates) else ()


def amber_demand_flags(intervals: Iterable[PriceInterval], zone: ZoneInfo) -> dict[date, dict[int, bool]]:
    """Amber's demand-window flags by local date and slot: a half hour is in the window when any general
    interval starting in it is flagged; half hours whose intervals do not say are left out."""
    flags: dict[date, dict[int, bool]] = {}
    for interval in intervals:
        info = interval.tariff_information
        if interval.channel_type is not ChannelType.GENERAL or info is None or info.demand_window is None:
            continue
        local = interval.start_time.astimezone(zone)
        index = slot_index(local.time())
        day = flags.setdefault(local.date(), {})
        day[index] = day.get(index, False) or info.demand_window
    return flags


def window_from_flags(flags: Mapping[int, bool]) -> tuple[time, time] | None:
    """The window (from, to) of one day's flags when the flagged half hours are one run (it may wrap past
    midnight: 22:00-02:00 is flagged as 00:00-02:00 and 22:00-24:00); None when none is flagged or they are
    not one run. Every half hour flagged is (00:00, 00:00), all day."""
    flagged = {index for index, flag in flags.items() if flag and 0 <= index < SLOTS_PER_DAY}
    if not flagged:
        return None
    if len(flagged) == SLOTS_PER_DAY:
        return time(0), time(0)
    starts = [index for index in flagged if (index - 1) % SLOTS_PER_DAY not in flagged]
    if len(starts) != 1:
        return None
    start = end = starts[0]
    while end % SLOTS_PER_DAY in flagged:
        end += 1
    return slot_start(start), slot_start(end % SLOTS_PER_DAY)


def amber_window(flags_by_day: DayFlags, zone: ZoneInfo) -> tuple[time, time] | None:
    """The window Amber flags (`amber_demand_flags`), when one run of half hours a day can be told.

    A day whose flags cover it whole tells best (a weekday window is not flagged on a weekend, so a day of
    none says nothing against it); a whole day flagged in more than one run means there is no one window.
    Without a whole day that shows one, a day seen in part (Amber's history starts mid-day) tells when its
    run is known to begin and end inside what was seen.
    """
    days = sorted(flags_by_day.items())
    whole = [flags for day, flags in days if whole_day(zone, day, flags)]
    if any(any(flags.values()) and window_from_flags(flags) is None for flags in whole):
        return None
    for flags in whole:
        if (window := window_from_flags(flags)) is not None:
            return window
    for day, flags in days:
        if not whole_day(zone, day, flags) and (window := _bounded_window(flags)) is not None:
            return window
    return None


def _bounded_window(flags: Mapping[int, bool]) -> tuple[time, time] | None:
    """The one run of a day seen in part, when the half hours just before and after it were seen too."""
    window = window_from_flags(flags)
    if window is None or window[0] == window[1]:
        return None
    start, end = slot_index(window[0]), slot_index(window[1])
    return window if (start - 1) % SLOTS_PER_DAY in flags and end % SLOTS_PER_DAY in flags else None


def amber_days(flags_by_day: DayFlags, zone: ZoneInfo, window: tuple[time, time]) -> DemandDays | None:
    """The days Amber flags (`amber_demand_flags`) `window` on, told by the days whose flags cover every
    half hour of it: weekdays when weekdays show it and weekend days do not (weekends the reverse, every day
    when both do); None while the days seen cannot tell (say no weekend day yet) or disagree among
    themselves (a holiday)."""
    start, end = window
    # The half hours of the window that start on the day itself (a window past midnight belongs to the day
    # it started on, so the early hours tell of the day before).
    if start == end:
        own = range(SLOTS_PER_DAY)
    elif start < end:
        own = range(slot_index(start), slot_index(end))
    else:
        own = range(slot_index(start), SLOTS_PER_DAY)
    seen: dict[bool, set[bool]] = {False: set(), True: set()}
    for day, flags in flags_by_day.items():
        inside = [index for index in own if _occurs(zone, day, index)]
        if inside and all(index in flags for index in inside):
            seen[day.weekday() >= 5].add(any(flags[index] for index in inside))
    if len(seen[False]) == 1 and len(seen[True]) == 1:
        return _DAYS_SEEN.get((next(iter(seen[False])), next(iter(seen[True]))))
    return None


def amber_proposal(
    flags_by_day: DayFlags, zone: ZoneInfo, window: DemandWindow
) -> tuple[time, time, DemandDays] | None:
    """The window Amber flags, as a correction of the owner's `window`: its from and to, and its days (the
    owner's own when the intervals seen cannot tell); None when Amber's window cannot be told (no day of one
    run of flags), or when it is what the owner already has (it would correct nothing)."""
    offered = amber_window(flags_by_day, zone)
    if offered is None:
        return None
    current_days = DemandDays.of(window)
    days = amber_days(flags_by_day, zone, offered) or current_days
    if (offered[0], offered[1], days) == (window.start, window.end, current_days):
        return None
    return offered[0], offered[1], days


def _occurs(zone: ZoneInfo, day: date, index: int) -> bool:
    """Whether slot `index` starts on `day` in `zone` (not in the hour a clock change skips)."""
    local = datetime.combine(day, slot_start(index), tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


def whole_day(zone: ZoneInfo, day: date, flags: Mapping[int, bool]) -> bool:
    """Whether Amber's flags cover every half hour that `day` has."""
    return all(index in flags for index in range(SLOTS_PER_DAY) if _occurs(zone, day, index))


def window_disagrees(
    window: DemandWindow, zone: ZoneInfo, day: date, flags: Mapping[int, bool]
) -> bool | None:
    """Whether the configured window disagrees with Amber's flags for the whole of `day`: some half hour of
    the day is inside one and outside the other. None when the flags do not cover the whole day."""
    if not whole_day(zone, day, flags):
        return None
    return any(
        flags[index] != window.contains(datetime.combine(day, slot_start(index), tzinfo=zone))
        for index in range(SLOTS_PER_DAY)
        if _occurs(zone, day, index)
    )


def flags_label(flags: Mapping[int, bool]) -> str:
    """Amber's flagged half hours of a day as the owner reads them ("15:00-21:00", or "none")."""
    runs: list[str] = []
    index = 0
    while index < SLOTS_PER_DAY:
        if not flags.get(index, False):
            index += 1
            continue
        start = index
        while index < SLOTS_PER_DAY and flags.get(index, False):
            index += 1
        end = "24:00" if index == SLOTS_PER_DAY else slot_start(index).strftime("%H:%M")
        runs.append(f"{slot_start(start).strftime('%H:%M')}-{end}")
    return ", ".join(runs) or "none"
