"""What the owner's options may hold: every number finite and in a range that makes sense.

Pure: the options flow refuses what breaks these rules with an error per field, and an entry whose stored
options break them (saved by an older version) has each bad value put back to its default on load.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    are not checked (their defaults apply).
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
    return problems
