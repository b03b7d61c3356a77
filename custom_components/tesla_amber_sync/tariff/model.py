"""The day tariff value objects and the one place that knows how a day is cut into slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Final

SLOTS_PER_DAY: Final = 48
SLOT_MINUTES: Final = 30
MINUTES_PER_DAY: Final = SLOTS_PER_DAY * SLOT_MINUTES

# Rates closer than this are the same rate once Tesla has stored them (it keeps 4 decimals).
RATE_TOLERANCE: Final = 1e-4


def slot_name(index: int) -> str:
    """Return the Tesla period name of a slot, `PERIOD_HH_MM` of its local start."""
    start = slot_start(index)
    return f"PERIOD_{start.hour:02d}_{start.minute:02d}"


def slot_start(index: int) -> time:
    """Return the local wall-clock time at which a slot starts (slot 0 starts at 00:00)."""
    if not 0 <= index < SLOTS_PER_DAY:
        raise ValueError(f"slot index {index} is outside 0..{SLOTS_PER_DAY - 1}")
    hour, minute = divmod(index * SLOT_MINUTES, 60)
    return time(hour, minute)


# Every slot's name, in slot order: the encoder and the builder name all 48 on every call.
SLOT_NAMES: Final = tuple(slot_name(index) for index in range(SLOTS_PER_DAY))


def slot_index(wall_clock: time) -> int:
    """Return the index of the slot containing a local wall-clock time."""
    return (wall_clock.hour * 60 + wall_clock.minute) // SLOT_MINUTES


@dataclass(frozen=True, kw_only=True, slots=True)
class SlotPrice:
    """What one half-hour costs to import (`buy`) and earns when exported (`sell`), in $/kWh."""

    buy: float
    sell: float


@dataclass(frozen=True, kw_only=True, slots=True)
class DailyCharge:
    """A fixed charge per day (for example the supply charge), in $."""

    name: str
    amount: float


@dataclass(frozen=True, kw_only=True, slots=True)
class DayTariff:
    """One local day of prices: exactly `SLOTS_PER_DAY` slots, slot 0 starting at 00:00 wall clock.

    `demand_rates` is empty (no demand charge) or holds one $/kW rate per slot. The model only
    guarantees the shape; whether the values are acceptable to Tesla is `rules.tariff_problems`' job, so
    that a tariff read back from a Powerwall can be represented even when it breaks our rules.
    """

    slots: tuple[SlotPrice, ...]
    demand_rates: tuple[float, ...] = ()
    daily_charges: tuple[DailyCharge, ...] = field(default=())

    def __post_init__(self) -> None:
        """Reject a day that is not cut into exactly one price per slot."""
        # Tuples keep the value hashable even when a caller hands in lists.
        object.__setattr__(self, "slots", tuple(self.slots))
        object.__setattr__(self, "demand_rates", tuple(self.demand_rates))
        object.__setattr__(self, "daily_charges", tuple(self.daily_charges))
        if len(self.slots) != SLOTS_PER_DAY:
            raise ValueError(f"a day has {SLOTS_PER_DAY} slots, got {len(self.slots)}")
        if len(self.demand_rates) not in {0, SLOTS_PER_DAY}:
            raise ValueError(f"demand rates need 0 or {SLOTS_PER_DAY} values, got {len(self.demand_rates)}")

    @classmethod
    def from_rates(
        cls,
        buy: tuple[float, ...] | list[float],
        sell: tuple[float, ...] | list[float],
        *,
        demand_rates: tuple[float, ...] = (),
        daily_charges: tuple[DailyCharge, ...] = (),
    ) -> DayTariff:
        """Build a day from parallel per-slot buy and sell rates."""
        if len(buy) != len(sell):
            raise ValueError(f"{len(buy)} buy rates but {len(sell)} sell rates")
        return cls(
            slots=tuple(SlotPrice(buy=b, sell=s) for b, s in zip(buy, sell, strict=True)),
            demand_rates=demand_rates,
            daily_charges=daily_charges,
        )

    @property
    def buy_rates(self) -> tuple[float, ...]:
        """Return the import rate of every slot, in slot order."""
        return tuple(slot.buy for slot in self.slots)

    @property
    def sell_rates(self) -> tuple[float, ...]:
        """Return the export rate of every slot, in slot order."""
        return tuple(slot.sell for slot in self.slots)


def rates_match(a: DayTariff, b: DayTariff, tolerance: float = RATE_TOLERANCE) -> bool:
    """Return whether two days charge the same buy, sell and demand rates, each within `tolerance`.

    Used to verify a push by reading the tariff back. Daily charges are not compared: they are not
    rates, and the Powerwall does not act on them.
    """
    # A hair of slack so that 0.1235 vs 0.1234 (a 1e-4 step) is not lost to binary rounding.
    limit = tolerance * (1 + 1e-9)
    if len(a.demand_rates) != len(b.demand_rates):
        return False
    pairs = [(x.buy, y.buy) for x, y in zip(a.slots, b.slots, strict=True)]
    pairs += [(x.sell, y.sell) for x, y in zip(a.slots, b.slots, strict=True)]
    pairs += list(zip(a.demand_rates, b.demand_rates, strict=True))
    return all(abs(x - y) <= limit for x, y in pairs)
