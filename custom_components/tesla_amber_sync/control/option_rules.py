"""What the owner's options may hold: every number finite and in a range that makes sense.

Pure: the options flow refuses what breaks these rules with an error per field, and an entry whose stored
options break them (saved by an older version) has each bad value put back to its default on load.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
import math
from typing import Final

# AEMO's market price floor and cap ($/MWh): a spike price or exit price outside them cannot happen.
MARKET_FLOOR: Final = -1000.0
MARKET_CAP: Final = 20000.0
MAX_HOLD_MINUTES: Final = 240
# What an owner could mean by a feed-in threshold (c/kWh); beyond this it is a typo.
MAX_FEED_IN_CENTS: Final = 100.0

SPIKE_THRESHOLD: Final = "spike_threshold"
SPIKE_EXIT_THRESHOLD: Final = "spike_exit_threshold"
SPIKE_MIN_HOLD: Final = "spike_min_hold_minutes"
CURTAILMENT_THRESHOLD: Final = "curtailment_threshold"

# A network demand charge ($/kW per billing cycle): Australian residential ones are a few dollars to a few
# tens of dollars a kW a month; beyond this it is a typo (a c/kW figure, say).
MAX_DEMAND_RATE: Final = 100.0
MAX_CYCLE_DAY: Final = 28
DEMAND_CHARGE: Final = "demand_charge"
DEMAND_RATE: Final = "demand_rate"
DEMAND_WINDOW_START: Final = "demand_window_start"
DEMAND_WINDOW_END: Final = "demand_window_end"
DEMAND_DAYS: Final = "demand_days"
DEMAND_MONTHS: Final = "demand_months"
DEMAND_CYCLE: Final = "demand_cycle"
DEMAND_CYCLE_DAY: Final = "demand_cycle_day"
DEMAND_DAY_CHOICES: Final = ("every_day", "weekdays", "weekends")
DEMAND_CYCLE_CHOICES: Final = ("monthly", "daily")
MONTH_CHOICES: Final = tuple(str(month) for month in range(1, 13))


def _number(value: object) -> float | None:
    """The value as a finite number; None for anything else (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def option_problems(options: Mapping[str, object]) -> dict[str, str]:
    """Each numeric option that is wrong, mapped to its error key ("invalid_<field>"); empty when all fit.

    Rules: the spike threshold is above 0 and at most the market cap; the exit price is at least the market
    floor and below the threshold (equal would end a spike at the price that starts it); the minimum hold is
    a whole number of minutes from 1 to 240; the curtailment threshold is within +-100 c/kWh. Options left out
    are not checked (their defaults apply). While the demand charge is on, `demand_problems` applies too.
    """
    problems: dict[str, str] = {}
    threshold = _number(options.get(SPIKE_THRESHOLD, 300.0))
    if threshold is None or not 0 < threshold <= MARKET_CAP:
        problems[SPIKE_THRESHOLD] = "invalid_threshold"
    if SPIKE_EXIT_THRESHOLD in options:
        exit_price = _number(options[SPIKE_EXIT_THRESHOLD])
        if (
            exit_price is None
            or exit_price < MARKET_FLOOR
            or (threshold is not None and exit_price >= threshold)
        ):
            problems[SPIKE_EXIT_THRESHOLD] = "invalid_exit_threshold"
    if SPIKE_MIN_HOLD in options:
        hold = _number(options[SPIKE_MIN_HOLD])
        if hold is None or hold != int(hold) or not 1 <= hold <= MAX_HOLD_MINUTES:
            problems[SPIKE_MIN_HOLD] = "invalid_min_hold"
    if CURTAILMENT_THRESHOLD in options:
        cents = _number(options[CURTAILMENT_THRESHOLD])
        if cents is None or abs(cents) > MAX_FEED_IN_CENTS:
            problems[CURTAILMENT_THRESHOLD] = "invalid_curtailment_threshold"
    if options.get(DEMAND_CHARGE) is True:
        problems.update(demand_problems(options))
    return problems


def half_hour_time(value: object) -> time | None:
    """A window edge as the time it names, when it is "HH:MM" (or "HH:MM:SS", as Home Assistant's time
    selector stores it) on the half hour; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        return None
    if parsed.minute % 30 or parsed.second or parsed.microsecond or parsed.tzinfo is not None:
        return None
    return parsed


def demand_problems(options: Mapping[str, object]) -> dict[str, str]:
    """Each demand-charge option that is wrong, mapped to its error key; checked only while the charge is on.

    Rules: the rate is a number above 0 and at most `MAX_DEMAND_RATE` $/kW; the window's edges are wall-clock
    times on the half hour (the Powerwall's tariff slots; equal edges mean all day); the days are one of the
    choices; at least one month; the cycle is monthly or daily, and a monthly cycle starts on a whole day
    from 1 to 28 (every month has it).
    """
    problems: dict[str, str] = {}
    rate = _number(options.get(DEMAND_RATE))
    if rate is None or not 0 < rate <= MAX_DEMAND_RATE:
        problems[DEMAND_RATE] = "invalid_demand_rate"
    for key in (DEMAND_WINDOW_START, DEMAND_WINDOW_END):
        if half_hour_time(options.get(key)) is None:
            problems[key] = f"invalid_{key}"
    if options.get(DEMAND_DAYS, "every_day") not in DEMAND_DAY_CHOICES:
        problems[DEMAND_DAYS] = "invalid_demand_days"
    months = options.get(DEMAND_MONTHS, list(MONTH_CHOICES))
    if (
        not isinstance(months, list | tuple)
        or not months
        or any(not isinstance(month, str) or month not in MONTH_CHOICES for month in months)
    ):
        problems[DEMAND_MONTHS] = "invalid_demand_months"
    cycle = options.get(DEMAND_CYCLE, "monthly")
    if cycle not in DEMAND_CYCLE_CHOICES:
        problems[DEMAND_CYCLE] = "invalid_demand_cycle"
    day = _number(options.get(DEMAND_CYCLE_DAY, 1))
    if day is None or day != int(day) or not 1 <= day <= MAX_CYCLE_DAY:
        problems[DEMAND_CYCLE_DAY] = "invalid_demand_cycle_day"
    return problems
