"""Demand charges: the highest half-hour of grid import inside the demand window, per billing cycle.

A network demand charge bills the highest *mean* grid import (kW) of any half hour inside a daily window
(for example 15:00-21:00 on weekdays), per kW, per month (or per day). The tracker turns samples of the
Powerwall's grid power into that peak. Pure: time, the site's zone and the samples are inputs.

Samples are integrated as steps (each value holds until the next sample), and a step longer than
`MAX_SAMPLE_GAP` counts only that long: the rest is unknown, not zero and not the last value. A half hour
counts towards the peak only when at least `MIN_COVERAGE` of it is known, so a gap (Home Assistant down, a
missed poll) never invents a peak from a few samples. Export (negative grid power) counts as zero import.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
import math
from typing import Any, Final
from zoneinfo import ZoneInfo

from custom_components.tesla_amber_sync.tariff.schedule import EVERY_DAY, WEEKDAYS, WEEKENDS

HALF_HOUR: Final = timedelta(minutes=30)
MAX_SAMPLE_GAP: Final = timedelta(minutes=2)
MIN_COVERAGE: Final = 0.8
STATE_VERSION: Final = 1


class CycleKind(StrEnum):
    """How the demand charge is billed."""

    MONTHLY = "monthly"
    DAILY = "daily"


@dataclass(frozen=True, kw_only=True, slots=True)
class DemandWindow:
    """When demand counts: local wall-clock half hours from `start` to `end` (may wrap midnight), on `days`
    (Monday = 0) of `months` (1-12). `start == end` means all day."""

    start: time
    end: time
    days: frozenset[int] = frozenset(range(7))
    months: frozenset[int] = frozenset(range(1, 13))

    def contains(self, local: datetime) -> bool:
        """Whether the half hour starting at `local` (wall clock) is inside the window."""
        if local.month not in self.months:
            return False
        minute = local.hour * 60 + local.minute
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        if start == end:
            return local.weekday() in self.days
        if start < end:
            return local.weekday() in self.days and start <= minute < end
        # Wraps midnight: the part after midnight belongs to the day the window started.
        if minute >= start:
            return local.weekday() in self.days
        return minute < end and (local.weekday() - 1) % 7 in self.days


@dataclass(frozen=True, kw_only=True, slots=True)
class BillingCycle:
    """Monthly from `day` (1-28) of each month, or daily."""

    kind: CycleKind = CycleKind.MONTHLY
    day: int = 1

    def start_of(self, local: datetime) -> date:
        """The local date the cycle holding `local` started on."""
        today = local.date()
        if self.kind is CycleKind.DAILY:
            return today
        if today.day >= self.day:
            return today.replace(day=self.day)
        previous = today.replace(day=1) - timedelta(days=1)
        return previous.replace(day=self.day)


class DemandDays(StrEnum):
    """The days a demand window applies on, as networks publish them."""

    EVERY_DAY = "every_day"
    WEEKDAYS = "weekdays"
    WEEKENDS = "weekends"

    @property
    def weekdays(self) -> frozenset[int]:
        """The days of the week (Monday = 0)."""
        return _DAY_SETS[self]

    @classmethod
    def of(cls, window: DemandWindow) -> DemandDays:
        """The choice a window's days are (every day for a set no choice names)."""
        return next((choice for choice in cls if choice.weekdays == window.days), cls.EVERY_DAY)


# The same day sets a custom schedule's periods use.
_DAY_SETS: Final = {
    DemandDays.EVERY_DAY: EVERY_DAY,
    DemandDays.WEEKDAYS: WEEKDAYS,
    DemandDays.WEEKENDS: WEEKENDS,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class DemandSettings:
    """An entry's demand charge: `rate` ($/kW per billing cycle) on the peak half hour inside `window`, billed
    per `cycle`; `applies_to_amber` says whether the Amber rolling tariff tells the Powerwall about it."""

    rate: float
    window: DemandWindow
    cycle: BillingCycle = BillingCycle()
    applies_to_amber: bool = True

    def charge(self, peak_kw: float | None) -> float:
        """What the cycle's peak costs ($): the peak times the rate; nothing before there is a peak."""
        return 0.0 if peak_kw is None else peak_kw * self.rate


@dataclass(frozen=True, kw_only=True, slots=True)
class DemandState:
    """The cycle (its start date), the half hour being measured (import energy in kWh and known seconds), the
    last sample, and the cycle's peak (kW, and the half hour it happened in). `reset_at` is when the owner
    cleared the peak by hand inside the cycle (their bill's cycle does not match the setting); None when the
    cycle began as configured."""

    cycle: date | None = None
    half_hour: datetime | None = None
    energy_kwh: float = 0.0
    known_seconds: float = 0.0
    last_at: datetime | None = None
    last_w: float | None = None
    peak_kw: float | None = None
    peak_at: datetime | None = None
    reset_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""

        def iso(value: datetime | date | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "version": STATE_VERSION,
            "cycle": iso(self.cycle),
            "half_hour": iso(self.half_hour),
            "energy_kwh": self.energy_kwh,
            "known_seconds": self.known_seconds,
            "last_at": iso(self.last_at),
            "last_w": self.last_w,
            "peak_kw": self.peak_kw,
            "peak_at": iso(self.peak_at),
            "reset_at": iso(self.reset_at),
        }

    @classmethod
    def from_dict(cls, data: object) -> DemandState:
        """Parse a stored state; anything unreadable starts afresh (a peak is never invented)."""
        if not isinstance(data, dict):
            return cls()
        try:
            cycle = date.fromisoformat(data["cycle"]) if data.get("cycle") else None

            def moment(key: str) -> datetime | None:
                value = data.get(key)
                parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
                return parsed if parsed is None or parsed.tzinfo is not None else None

            return cls(
                cycle=cycle,
                half_hour=moment("half_hour"),
                energy_kwh=float(data.get("energy_kwh") or 0.0),
                known_seconds=float(data.get("known_seconds") or 0.0),
                last_at=moment("last_at"),
                last_w=float(data["last_w"]) if data.get("last_w") is not None else None,
                peak_kw=float(data["peak_kw"]) if data.get("peak_kw") is not None else None,
                peak_at=moment("peak_at"),
                reset_at=moment("reset_at"),
            )
        except KeyError, TypeError, ValueError:
            return cls()


def half_hour_of(at: datetime, zone: ZoneInfo) -> datetime:
    """The start of the local half hour holding `at` (an aware local time)."""
    local = at.astimezone(zone)
    return local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)


def mean_kw(state: DemandState) -> float | None:
    """The running half hour's mean import so far (kW over the known time), None before any."""
    if state.known_seconds <= 0:
        return None
    return state.energy_kwh / (state.known_seconds / 3600)


def step(
    state: DemandState,
    *,
    at: datetime,
    grid_w: float | None,
    zone: ZoneInfo,
    window: DemandWindow,
    cycle: BillingCycle,
) -> DemandState:
    """Add one sample of grid power (W, + importing) taken at `at`; None when the poll failed.

    Integrates the step since the last sample (capped at `MAX_SAMPLE_GAP`) into the half hour(s) it spans,
    closes every half hour it leaves (its mean becomes the peak when it was in the window, known enough and
    higher), and starts a new cycle (peak cleared) with the first half hour of the cycle's local start.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    at = at.astimezone(UTC)
    if state.last_at is not None and at <= state.last_at:
        return state
    if state.last_at is not None and state.last_w is not None:
        kw = max(state.last_w, 0.0) / 1000
        moment = state.last_at
        end = min(at, state.last_at + MAX_SAMPLE_GAP)
        while moment < end:
            state = _enter(state, half_hour_of(moment, zone), zone, window, cycle)
            boundary = half_hour_of(moment, zone).astimezone(UTC) + HALF_HOUR
            piece_end = min(end, boundary)
            seconds = (piece_end - moment).total_seconds()
            state = replace(
                state,
                energy_kwh=state.energy_kwh + kw * seconds / 3600,
                known_seconds=state.known_seconds + seconds,
            )
            moment = piece_end
    state = _enter(state, half_hour_of(at, zone), zone, window, cycle)
    usable = grid_w if grid_w is not None and math.isfinite(grid_w) else None
    return replace(state, last_at=at, last_w=usable)


def _enter(
    state: DemandState, half_hour: datetime, zone: ZoneInfo, window: DemandWindow, cycle: BillingCycle
) -> DemandState:
    """Move to `half_hour`: close the one before it, and start a new cycle when `half_hour` begins one."""
    if state.half_hour == half_hour:
        return state
    state = _finish(state, window)
    this_cycle = cycle.start_of(half_hour.astimezone(zone))
    if state.cycle != this_cycle:
        state = replace(state, cycle=this_cycle, peak_kw=None, peak_at=None, reset_at=None)
    return replace(state, half_hour=half_hour, energy_kwh=0.0, known_seconds=0.0)


def _finish(state: DemandState, window: DemandWindow) -> DemandState:
    """The half hour is over: its mean is the peak when it was in the window, known enough, and higher."""
    half_hour = state.half_hour
    if half_hour is None or not window.contains(half_hour):
        return state
    if state.known_seconds < MIN_COVERAGE * HALF_HOUR.total_seconds():
        return state
    mean = state.energy_kwh / (HALF_HOUR.total_seconds() / 3600)
    if state.peak_kw is None or mean > state.peak_kw:
        return replace(state, peak_kw=round(mean, 6), peak_at=half_hour)
    return state


def reset(state: DemandState, *, at: datetime) -> DemandState:
    """The owner starts a new cycle at `at`: no peak, and the half hour in progress counts only from now on
    (what came before belongs to the cycle just cleared). The configured cycle boundaries still reset it."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    at = at.astimezone(UTC)
    last_at = state.last_at if state.last_at is None else max(state.last_at, at)
    return replace(
        state, peak_kw=None, peak_at=None, energy_kwh=0.0, known_seconds=0.0, last_at=last_at, reset_at=at
    )


def heading_for_new_peak(state: DemandState, *, at: datetime, zone: ZoneInfo, window: DemandWindow) -> bool:
    """Whether the half hour in progress at `at` beats the cycle's peak if the import of the last sample
    holds to its end (the rest of it at the current power). False with no peak to beat yet, outside the
    window, before a sample of this half hour, and when too little of it can be known to count at all."""
    half_hour = state.half_hour
    if (
        half_hour is None
        or state.peak_kw is None
        or state.last_at is None
        or state.last_w is None
        or half_hour_of(at, zone) != half_hour
        or not window.contains(half_hour)
    ):
        return False
    remaining = (half_hour.astimezone(UTC) + HALF_HOUR - state.last_at).total_seconds()
    if state.known_seconds + remaining < MIN_COVERAGE * HALF_HOUR.total_seconds():
        return False
    projected_kwh = state.energy_kwh + max(state.last_w, 0.0) / 1000 * remaining / 3600
    return projected_kwh / (HALF_HOUR.total_seconds() / 3600) > state.peak_kw
