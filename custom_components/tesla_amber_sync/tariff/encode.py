"""A day tariff to Tesla's `tariff_content_v2`."""

from __future__ import annotations

from typing import Any, Final

from .content import (
    ALL,
    ALL_YEAR_SEASON,
    CONTENT_VERSION,
    CURRENCY,
    FIRST_DAY_OF_WEEK,
    LAST_DAY_OF_WEEK,
    PLACEHOLDER_DAILY_CHARGE,
    UNUSED_SEASON,
)
from .model import MINUTES_PER_DAY, SLOT_MINUTES, SLOT_NAMES, SLOTS_PER_DAY, DayTariff
from .rules import validate_tariff


def _slot_bounds(index: int) -> tuple[int, int, int, int]:
    start = index * SLOT_MINUTES
    # The last slot ends at toHour 24, toMinute 0 ("next midnight"), not at 00:00.
    end = min(start + SLOT_MINUTES, MINUTES_PER_DAY)
    return start // 60, start % 60, end // 60, end % 60


# (fromHour, fromMinute, toHour, toMinute) of every slot, worked out once.
_SLOT_BOUNDS: Final = tuple(_slot_bounds(index) for index in range(SLOTS_PER_DAY))


def _tou_periods() -> dict[str, Any]:
    """Return one period per slot, every field explicit (Tesla omits defaults; we do not rely on them)."""
    return {
        name: {
            "periods": [
                {
                    "fromDayOfWeek": FIRST_DAY_OF_WEEK,
                    "toDayOfWeek": LAST_DAY_OF_WEEK,
                    "fromHour": from_hour,
                    "fromMinute": from_minute,
                    "toHour": to_hour,
                    "toMinute": to_minute,
                }
            ]
        }
        for name, (from_hour, from_minute, to_hour, to_minute) in zip(SLOT_NAMES, _SLOT_BOUNDS, strict=True)
    }


def _seasons() -> dict[str, Any]:
    return {
        ALL_YEAR_SEASON: {
            "fromDay": 1,
            "toDay": 31,
            "fromMonth": 1,
            "toMonth": 12,
            "tou_periods": _tou_periods(),
        },
        UNUSED_SEASON: {},
    }


def _charges(rates: tuple[float, ...]) -> dict[str, Any]:
    """Return a charges block with one rate per slot, or the empty shape Tesla accepts when none."""
    season: dict[str, Any] = {}
    if rates:
        season = {"rates": dict(zip(SLOT_NAMES, rates, strict=True))}
    return {ALL: {"rates": {ALL: 0}}, ALL_YEAR_SEASON: season, UNUSED_SEASON: {}}


def encode_tariff(tariff: DayTariff, *, code: str, name: str, utility: str) -> dict[str, Any]:
    """Return `tariff` as a JSON-serialisable `tariff_content_v2` for every day of the year.

    One all-year season of 48 half-hour periods (`PERIOD_HH_MM`) on every day of the week, buy rates in
    `energy_charges`, sell rates in `sell_tariff`. The same tariff always gives an identical dict. Raises
    `TariffRuleError` when the tariff breaks Tesla's rules (see `apply_tesla_rules`).
    """
    validate_tariff(tariff)
    daily_charges: list[dict[str, Any]] = [
        {"name": charge.name, "amount": charge.amount} for charge in tariff.daily_charges
    ] or [{"name": PLACEHOLDER_DAILY_CHARGE}]
    return {
        "code": code,
        "name": name,
        "utility": utility,
        "currency": CURRENCY,
        "version": CONTENT_VERSION,
        "daily_charges": daily_charges,
        "demand_charges": _charges(tariff.demand_rates),
        "energy_charges": _charges(tariff.buy_rates),
        "seasons": _seasons(),
        "sell_tariff": {
            "name": name,
            "utility": utility,
            "daily_charges": [],
            # Demand is charged on import only.
            "demand_charges": _charges(()),
            "energy_charges": _charges(tariff.sell_rates),
            "seasons": _seasons(),
        },
    }
