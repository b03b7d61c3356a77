"""A short, stable identity of a tariff's rates, for "has this changed since the last push?"."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import DayTariff


def tariff_fingerprint(tariff: DayTariff) -> str:
    """Return a hex digest that changes exactly when a rate, demand rate or daily charge changes.

    It is stored across restarts, so it depends only on values, never on Python's per-process hashing.
    """
    canonical = json.dumps(
        {
            "buy": tariff.buy_rates,
            "sell": tariff.sell_rates,
            "demand": tariff.demand_rates,
            "daily": [(charge.name, charge.amount) for charge in tariff.daily_charges],
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
