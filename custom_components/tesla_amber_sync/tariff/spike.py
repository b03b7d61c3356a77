"""The spike tariff: the coming hour priced at the AEMO spike price, the rest of the day as normal.

With buy = sell = the spike price over the next hour and ordinary prices after it, time-based control sees
that exporting now earns more than any later export and that importing now costs more than any later
import, so it discharges to the grid for the spike and recharges afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Final
from zoneinfo import ZoneInfo

from .model import SLOTS_PER_DAY, DayTariff, SlotPrice, slot_index
from .rules import apply_tesla_rules

# AEMO prices energy per MWh, Tesla per kWh.
KWH_PER_MWH: Final = 1000.0
DEFAULT_SPIKE_WINDOW: Final = timedelta(hours=1)
_ONE_MINUTE: Final = timedelta(minutes=1)
_ONE_DAY: Final = timedelta(days=1)


def aemo_dollars_per_kwh(price_per_mwh: float) -> float:
    """Convert an AEMO dispatch price ($/MWh, ex-GST) to $/kWh."""
    return price_per_mwh / KWH_PER_MWH


def spike_window_slots(
    *, now: datetime, time_zone: str | ZoneInfo, window: timedelta = DEFAULT_SPIKE_WINDOW
) -> tuple[int, ...]:
    """Return the indexes of the slots that cover `[now, now + window)`, the current slot first.

    Slots are the site's local wall-clock half-hours, and the window is absolute time, so on a DST day a
    window across the change covers the hour that really passes (a 23-hour day skips the missing slots,
    a 25-hour day meets the repeated ones once). Past midnight the indexes wrap to the start of the day,
    which under the rolling convention are tomorrow's slots. A window of a day or more covers every slot.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if window <= timedelta(0):
        raise ValueError(f"the spike window must be positive, got {window}")
    zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
    # Every zone's offset is whole minutes, so the slot of an instant is the slot of its minute: one
    # probe per minute from the minute holding `now` to the one holding the window's last instant meets
    # every slot the window touches, whatever the zone's offset and DST shift. Arithmetic is in UTC:
    # adding to a datetime in a DST zone would move its wall clock, not the instant.
    start = now.astimezone(UTC)
    first = start.replace(second=0, microsecond=0)
    last = start + min(window, _ONE_DAY) - timedelta(microseconds=1)
    indexes: list[int] = []
    moment = first
    while moment <= last and len(indexes) < SLOTS_PER_DAY:
        index = slot_index(moment.astimezone(zone).time())
        if index not in indexes:
            indexes.append(index)
        moment += _ONE_MINUTE
    return tuple(indexes)


def build_spike_tariff(
    normal: DayTariff,
    *,
    spike_price_per_mwh: float,
    now: datetime,
    time_zone: str | ZoneInfo,
    window: timedelta = DEFAULT_SPIKE_WINDOW,
) -> DayTariff:
    """Return `normal` with the slots covering `[now, now + window)` priced at the spike price.

    `normal` is whatever the Powerwall should follow outside the spike: the Amber rolling tariff, or the
    owner's own tariff decoded from the baseline (the caller decides). In the window's slots (see
    `spike_window_slots`) buy and sell both become `spike_price_per_mwh / 1000` $/kWh; every other slot,
    the demand rates and the daily charges stay as in `normal`. The result has Tesla's rules applied
    (4 decimals, no negatives, sell <= buy), so a negative spike price prices the window at 0. Raises
    `ValueError` for a non-finite price, a naive `now` or a window that is not positive.

    The window is fixed at the time of the call: rebuild with the current `now` as time passes (the
    result changes only when the window reaches a new slot, so a push policy keyed on the tariff's
    fingerprint pushes only then).
    """
    if not math.isfinite(spike_price_per_mwh):
        raise ValueError(f"the spike price is not a finite number: {spike_price_per_mwh!r}")
    spike_rate = aemo_dollars_per_kwh(spike_price_per_mwh)
    spiked = frozenset(spike_window_slots(now=now, time_zone=time_zone, window=window))
    # Buy = sell: Tesla caps sell at buy, and an equal pair tells the optimiser the energy is worth the
    # same whichever way it flows during the spike.
    spike_slot = SlotPrice(buy=spike_rate, sell=spike_rate)
    return apply_tesla_rules(
        DayTariff(
            slots=tuple(spike_slot if index in spiked else slot for index, slot in enumerate(normal.slots)),
            demand_rates=normal.demand_rates,
            daily_charges=normal.daily_charges,
        )
    )
