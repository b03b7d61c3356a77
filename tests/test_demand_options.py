"""The demand-charge options: read into `DemandSettings`, stored back the same, and off unless switched on."""

from __future__ import annotations

from datetime import time

from custom_components.tesla_amber_sync.control.demand import CycleKind
from custom_components.tesla_amber_sync.options import TeslaSyncOptions, demand_from_mapping

WEEKDAY_EVENINGS = {
    "demand_charge": True,
    "demand_rate": 0.45,
    "demand_window_start": "15:00:00",
    "demand_window_end": "21:00:00",
    "demand_days": "weekdays",
    "demand_months": ["11", "12", "1", "2", "3"],
    "demand_cycle": "monthly",
    "demand_cycle_day": 7,
    "demand_applies_to_amber": False,
}


def test_a_weekday_evening_window_is_read_as_set() -> None:
    demand = demand_from_mapping(WEEKDAY_EVENINGS)
    assert demand is not None
    assert demand.rate == 0.45
    assert (demand.window.start, demand.window.end) == (time(15), time(21))
    assert demand.window.days == frozenset(range(5))
    assert demand.window.months == frozenset({11, 12, 1, 2, 3})
    assert (demand.cycle.kind, demand.cycle.day) == (CycleKind.MONTHLY, 7)
    assert demand.applies_to_amber is False
    assert demand.charge(3.2) == 3.2 * 0.45
    assert demand.charge(None) == 0.0


def test_the_stored_form_reads_back_the_same() -> None:
    options = TeslaSyncOptions.from_mapping(WEEKDAY_EVENINGS, default_region="NSW1")
    again = TeslaSyncOptions.from_mapping(options.as_mapping(), default_region="NSW1")
    assert again.demand == options.demand
    assert options.as_mapping()["demand_window_start"] == "15:00"


def test_off_unless_switched_on_or_readable() -> None:
    assert demand_from_mapping({}) is None
    assert demand_from_mapping({**WEEKDAY_EVENINGS, "demand_charge": False}) is None
    assert demand_from_mapping({**WEEKDAY_EVENINGS, "demand_window_end": "9pm"}) is None
    assert demand_from_mapping({**WEEKDAY_EVENINGS, "demand_days": "fortnightly"}) is None
    assert TeslaSyncOptions.from_mapping({}, default_region=None).as_mapping()["demand_charge"] is False
