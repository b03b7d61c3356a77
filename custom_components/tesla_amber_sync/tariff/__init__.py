"""The pure tariff core: Amber prices to a rolling day tariff, Tesla's rules, and `tariff_content_v2`.

Standard library only (plus our own API models): no Home Assistant, no I/O, no clock reads. `now` and the
site's time zone are always parameters.
"""

from __future__ import annotations

from .amber import (
    BuiltSlot,
    ForecastPrice,
    MissingReason,
    MissingSlot,
    PriceOrigin,
    SlotSource,
    TariffBuild,
    TariffChannel,
    build_rolling_tariff,
)
from .decode import (
    PeriodWindow,
    Season,
    SlotRates,
    TariffDecodeError,
    TariffSchedule,
    TariffSide,
    day_tariff_of,
    decode_tariff,
)
from .encode import encode_tariff
from .fingerprint import tariff_fingerprint
from .model import (
    MINUTES_PER_DAY,
    RATE_TOLERANCE,
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    DailyCharge,
    DayTariff,
    SlotPrice,
    rates_match,
    slot_index,
    slot_name,
    slot_start,
)
from .rules import TariffRuleError, apply_tesla_rules, tariff_problems, validate_tariff

__all__ = [
    "MINUTES_PER_DAY",
    "RATE_TOLERANCE",
    "SLOTS_PER_DAY",
    "SLOT_MINUTES",
    "BuiltSlot",
    "DailyCharge",
    "DayTariff",
    "ForecastPrice",
    "MissingReason",
    "MissingSlot",
    "PeriodWindow",
    "PriceOrigin",
    "Season",
    "SlotPrice",
    "SlotRates",
    "SlotSource",
    "TariffBuild",
    "TariffChannel",
    "TariffDecodeError",
    "TariffRuleError",
    "TariffSchedule",
    "TariffSide",
    "apply_tesla_rules",
    "build_rolling_tariff",
    "day_tariff_of",
    "decode_tariff",
    "encode_tariff",
    "rates_match",
    "slot_index",
    "slot_name",
    "slot_start",
    "tariff_fingerprint",
    "tariff_problems",
    "validate_tariff",
]

# The spike tariff (issue #5), kept at the end so that it stays clear of concurrent edits above.
from .spike import DEFAULT_SPIKE_WINDOW, aemo_dollars_per_kwh, build_spike_tariff, spike_window_slots

__all__ += ["DEFAULT_SPIKE_WINDOW", "aemo_dollars_per_kwh", "build_spike_tariff", "spike_window_slots"]
