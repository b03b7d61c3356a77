"""What Tesla accepts in a tariff, applied in one place and checked before any push."""

from __future__ import annotations

import math
from typing import Final

from .model import DailyCharge, DayTariff, SlotPrice

# Tesla stores rates with 4 decimals; rounding ourselves keeps read-back comparisons exact.
RATE_DECIMALS: Final = 4


class TariffRuleError(ValueError):
    """A tariff breaks one of Tesla's rules; `problems` lists every broken rule."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        """Keep the problems for diagnostics and say the first few in the message."""
        super().__init__("; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""))
        self.problems = problems


def _clean_rate(value: float, what: str) -> float:
    """Return `value` as a plain float with 4 decimals, negatives made 0."""
    rate = float(value)
    if not math.isfinite(rate):
        # No safe price exists for a non-finite input: guessing one could cost the owner money.
        raise ValueError(f"{what} is not a finite number: {value!r}")
    rate = round(rate, RATE_DECIMALS)
    # `> 0` also turns -0.0 into 0.0, which would otherwise survive into the JSON as "-0.0".
    return rate if rate > 0 else 0.0


def apply_tesla_rules(tariff: DayTariff) -> DayTariff:
    """Return `tariff` made acceptable to Tesla.

    Every rate becomes a plain float rounded to 4 decimals, negative rates become 0, and the sell rate is
    capped at the buy rate in every slot (Tesla would otherwise overwrite buy with sell). Raises
    `ValueError` for a non-finite rate.
    """
    slots: list[SlotPrice] = []
    for index, slot in enumerate(tariff.slots):
        buy = _clean_rate(slot.buy, f"buy rate of slot {index}")
        sell = _clean_rate(slot.sell, f"sell rate of slot {index}")
        slots.append(SlotPrice(buy=buy, sell=min(sell, buy)))
    return DayTariff(
        slots=tuple(slots),
        demand_rates=tuple(
            _clean_rate(rate, f"demand rate of slot {index}")
            for index, rate in enumerate(tariff.demand_rates)
        ),
        daily_charges=tuple(
            DailyCharge(name=charge.name, amount=_clean_rate(charge.amount, f"daily charge {charge.name!r}"))
            for charge in tariff.daily_charges
        ),
    )


def _rate_problem(value: object, what: str) -> str | None:
    if type(value) is not float:
        return f"{what} is {type(value).__name__}, not a plain float"
    if not math.isfinite(value):
        return f"{what} is not finite"
    if value < 0:
        return f"{what} is negative"
    if round(value, RATE_DECIMALS) != value:
        return f"{what} has more than {RATE_DECIMALS} decimals"
    return None


def tariff_problems(tariff: DayTariff) -> tuple[str, ...]:
    """Return every way `tariff` breaks Tesla's rules (empty when it may be pushed)."""
    # Coverage needs no check here: DayTariff cannot hold other than one price per slot.
    problems: list[str | None] = []
    for index, slot in enumerate(tariff.slots):
        problems.append(_rate_problem(slot.buy, f"buy rate of slot {index}"))
        problems.append(_rate_problem(slot.sell, f"sell rate of slot {index}"))
        if slot.sell > slot.buy:
            problems.append(f"sell rate of slot {index} is above its buy rate")
    for index, rate in enumerate(tariff.demand_rates):
        problems.append(_rate_problem(rate, f"demand rate of slot {index}"))
    for charge in tariff.daily_charges:
        if not charge.name:
            problems.append("a daily charge has no name")
        problems.append(_rate_problem(charge.amount, f"daily charge {charge.name!r}"))
    return tuple(problem for problem in problems if problem is not None)


def validate_tariff(tariff: DayTariff) -> None:
    """Raise `TariffRuleError` unless `tariff` follows every one of Tesla's rules."""
    if problems := tariff_problems(tariff):
        raise TariffRuleError(problems)
