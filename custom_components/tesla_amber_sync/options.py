"""The owner's options of an entry, typed, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry

from .control.demand import BillingCycle, CycleKind, DemandDays, DemandSettings, DemandWindow
from .control.spike import DEFAULT_MIN_HOLD, DEFAULT_THRESHOLD, SpikeSettings, default_exit_threshold

# Options keys: the public contract of the options flow.
OPT_AEMO_REGION: Final = "aemo_region"
OPT_SPIKE_DETECTION: Final = "spike_detection"
OPT_SPIKE_THRESHOLD: Final = "spike_threshold"
OPT_SPIKE_EXIT_THRESHOLD: Final = "spike_exit_threshold"
OPT_SPIKE_MIN_HOLD: Final = "spike_min_hold_minutes"
OPT_SOLAR_CURTAILMENT: Final = "solar_curtailment"
OPT_CURTAILMENT_THRESHOLD: Final = "curtailment_threshold"
# The demand charge: on when OPT_DEMAND_CHARGE is true. Times are "HH:MM" (or "HH:MM:SS", as Home
# Assistant's time selector stores them), months a list of "1".."12", the cycle "monthly" or "daily".
OPT_DEMAND_CHARGE: Final = "demand_charge"
OPT_DEMAND_RATE: Final = "demand_rate"
OPT_DEMAND_WINDOW_START: Final = "demand_window_start"
OPT_DEMAND_WINDOW_END: Final = "demand_window_end"
OPT_DEMAND_DAYS: Final = "demand_days"
OPT_DEMAND_MONTHS: Final = "demand_months"
OPT_DEMAND_CYCLE: Final = "demand_cycle"
OPT_DEMAND_CYCLE_DAY: Final = "demand_cycle_day"
OPT_DEMAND_APPLIES_TO_AMBER: Final = "demand_applies_to_amber"

DEFAULT_REGION: Final = "NSW1"


@dataclass(frozen=True, kw_only=True, slots=True)
class TeslaSyncOptions:
    """Options as the controller reads them."""

    # AEMO's region id, as AEMO spells it (NSW1).
    aemo_region: str = DEFAULT_REGION
    # Off by default for Amber entries: Amber's own prices already carry spikes into the tariff.
    spike_detection: bool = False
    spike_threshold: float = DEFAULT_THRESHOLD
    spike_exit_threshold: float = default_exit_threshold(DEFAULT_THRESHOLD)
    spike_min_hold_minutes: int = int(DEFAULT_MIN_HOLD.total_seconds() // 60)
    solar_curtailment: bool = False
    # What the owner earns per exported kWh (c/kWh) at or below which export stops.
    curtailment_threshold: float = 0.0
    # None: the entry has no demand charge.
    demand: DemandSettings | None = None

    @classmethod
    def from_mapping(cls, options: dict[str, Any], *, default_region: str | None) -> TeslaSyncOptions:
        """Read stored options, falling back to the defaults for anything missing."""
        defaults = cls(aemo_region=default_region or DEFAULT_REGION)
        threshold = float(options.get(OPT_SPIKE_THRESHOLD, defaults.spike_threshold))
        return cls(
            # Stored in lower case (a translation key); entries from before minor version 2 hold upper case.
            aemo_region=str(options.get(OPT_AEMO_REGION, defaults.aemo_region)).upper(),
            spike_detection=bool(options.get(OPT_SPIKE_DETECTION, defaults.spike_detection)),
            spike_threshold=threshold,
            spike_exit_threshold=float(
                options.get(OPT_SPIKE_EXIT_THRESHOLD, default_exit_threshold(threshold))
            ),
            spike_min_hold_minutes=int(options.get(OPT_SPIKE_MIN_HOLD, defaults.spike_min_hold_minutes)),
            solar_curtailment=bool(options.get(OPT_SOLAR_CURTAILMENT, defaults.solar_curtailment)),
            curtailment_threshold=float(
                options.get(OPT_CURTAILMENT_THRESHOLD, defaults.curtailment_threshold)
            ),
            demand=demand_from_mapping(options),
        )

    def as_mapping(self) -> dict[str, Any]:
        """The form stored in `entry.options`."""
        return {
            OPT_AEMO_REGION: self.aemo_region.lower(),
            OPT_SPIKE_DETECTION: self.spike_detection,
            OPT_SPIKE_THRESHOLD: self.spike_threshold,
            OPT_SPIKE_EXIT_THRESHOLD: self.spike_exit_threshold,
            OPT_SPIKE_MIN_HOLD: self.spike_min_hold_minutes,
            OPT_SOLAR_CURTAILMENT: self.solar_curtailment,
            OPT_CURTAILMENT_THRESHOLD: self.curtailment_threshold,
            **demand_as_mapping(self.demand),
        }

    @property
    def spike_settings(self) -> SpikeSettings:
        """The spike machine's settings (validated when the options were saved)."""
        return SpikeSettings(
            threshold=self.spike_threshold,
            exit_threshold=self.spike_exit_threshold,
            min_hold=timedelta(minutes=self.spike_min_hold_minutes),
        )


def _clock(value: object) -> time | None:
    try:
        parsed = time.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0)


def demand_from_mapping(options: dict[str, Any]) -> DemandSettings | None:
    """The demand charge the options describe; None when it is off or cannot be read (the options flow
    refuses what cannot be read, so this only meets a hand-edited entry)."""
    if not options.get(OPT_DEMAND_CHARGE):
        return None
    start = _clock(options.get(OPT_DEMAND_WINDOW_START))
    end = _clock(options.get(OPT_DEMAND_WINDOW_END))
    try:
        rate = float(options[OPT_DEMAND_RATE])
        days = DemandDays(options.get(OPT_DEMAND_DAYS, DemandDays.EVERY_DAY))
        months = frozenset(int(month) for month in options.get(OPT_DEMAND_MONTHS) or range(1, 13))
        cycle = BillingCycle(
            kind=CycleKind(options.get(OPT_DEMAND_CYCLE, CycleKind.MONTHLY)),
            day=int(options.get(OPT_DEMAND_CYCLE_DAY, 1)),
        )
    except KeyError, TypeError, ValueError:
        return None
    if start is None or end is None:
        return None
    return DemandSettings(
        rate=rate,
        window=DemandWindow(start=start, end=end, days=days.weekdays, months=months),
        cycle=cycle,
        applies_to_amber=bool(options.get(OPT_DEMAND_APPLIES_TO_AMBER, True)),
    )


def demand_as_mapping(demand: DemandSettings | None) -> dict[str, Any]:
    """The stored form of a demand charge (just "off" when there is none)."""
    if demand is None:
        return {OPT_DEMAND_CHARGE: False}
    days = DemandDays.of(demand.window)
    return {
        OPT_DEMAND_CHARGE: True,
        OPT_DEMAND_RATE: demand.rate,
        OPT_DEMAND_WINDOW_START: demand.window.start.strftime("%H:%M"),
        OPT_DEMAND_WINDOW_END: demand.window.end.strftime("%H:%M"),
        OPT_DEMAND_DAYS: days.value,
        OPT_DEMAND_MONTHS: [str(month) for month in sorted(demand.window.months)],
        OPT_DEMAND_CYCLE: demand.cycle.kind.value,
        OPT_DEMAND_CYCLE_DAY: demand.cycle.day,
        OPT_DEMAND_APPLIES_TO_AMBER: demand.applies_to_amber,
    }


def entry_options(entry: ConfigEntry[Any], *, default_region: str | None) -> TeslaSyncOptions:
    """The options of an entry."""
    return TeslaSyncOptions.from_mapping(dict(entry.options), default_region=default_region)
