"""Whether a fresh tariff differs from the Powerwall's enough to be worth a write.

A write costs a cloud call and makes the Powerwall re-plan; a later slot moving by a fraction of a cent does
not change what the battery does. The slot in progress and the next one are what the battery acts on now, so
they must always be exact: any change there is written.
"""

from __future__ import annotations

from typing import Final

from .model import RATE_TOLERANCE, SLOTS_PER_DAY, DayTariff

# $/kWh. Chosen with the freshness benchmark (see the README): at 0.5 c the volatile day's writes fall to
# the ones the current and next slot force anyway, while the largest gap between the Powerwall and the
# freshest build stays below a cent, far inside what the battery's plan reacts to.
MATERIALITY_MARGIN: Final = 0.005


def largest_difference(a: DayTariff, b: DayTariff) -> float:
    """The largest buy or sell difference between two days' slots, $/kWh."""
    return max(max(abs(x.buy - y.buy), abs(x.sell - y.sell)) for x, y in zip(a.slots, b.slots, strict=True))


def materially_different(
    held: DayTariff | None, fresh: DayTariff, *, current_slot: int, margin: float = MATERIALITY_MARGIN
) -> bool:
    """Whether `fresh` should replace `held` (what the Powerwall holds for today).

    True when nothing readable is held, when the current or the next slot differs at all (beyond Tesla's
    4-decimal storage), or when any other slot differs by more than `margin`.
    """
    if held is None or held.demand_rates != fresh.demand_rates:
        return True
    exact = RATE_TOLERANCE * (1 + 1e-9)
    limit = max(margin, exact)
    now_slots = {current_slot % SLOTS_PER_DAY, (current_slot + 1) % SLOTS_PER_DAY}
    for index, (was, new) in enumerate(zip(held.slots, fresh.slots, strict=True)):
        allowed = exact if index in now_slots else limit
        if abs(was.buy - new.buy) > allowed or abs(was.sell - new.sell) > allowed:
            return True
    return False
