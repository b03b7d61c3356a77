"""Reading a Tesla `tariff_content_v2` the way the Powerwall does: which rate applies at a local time.

The simulator needs this to decide what the battery does and to report the tariff in force; it also checks
that a written tariff is well formed, as Tesla refuses one that is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

type Json = dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class RateInForce:
    """The buy and sell rates ($/kWh) of the period containing one local instant."""

    season: str | None
    period: str | None
    buy: float | None
    sell: float | None


def tariff_problems(content: object) -> list[str]:
    """Why Tesla would refuse `content` as a `tariff_content_v2` (empty when acceptable)."""
    if not isinstance(content, dict):
        return ["tariff_content_v2 is not an object"]
    problems: list[str] = []
    for side_name, side in (("buy", content), ("sell", content.get("sell_tariff"))):
        if side is None and side_name == "sell":
            continue
        if not isinstance(side, dict):
            problems.append(f"{side_name} tariff is not an object")
            continue
        problems.extend(_side_problems(side_name, side))
    return problems


def _side_problems(side_name: str, side: Json) -> list[str]:
    seasons = side.get("seasons")
    charges = side.get("energy_charges")
    if not isinstance(seasons, dict) or not isinstance(charges, dict):
        return [f"{side_name} tariff needs seasons and energy_charges objects"]
    problems: list[str] = []
    for season_name, season in seasons.items():
        if not isinstance(season, dict) or not season:
            continue  # An empty season object is legal and unused.
        periods = season.get("tou_periods")
        if not isinstance(periods, dict):
            problems.append(f"{side_name} season {season_name} has no tou_periods")
            continue
        rates = (charges.get(season_name) or {}).get("rates")
        for period_name in periods:
            rate = rates.get(period_name) if isinstance(rates, dict) else None
            if isinstance(rate, bool) or not isinstance(rate, int | float):
                problems.append(f"{side_name} {season_name}/{period_name} has no numeric rate")
            elif rate < 0:
                problems.append(f"{side_name} {season_name}/{period_name} has a negative rate")
    return problems


def rate_at(content: Json | None, local: datetime) -> RateInForce:
    """The buy and sell rate in force at the local wall-clock time `local`."""
    if content is None:
        return RateInForce(season=None, period=None, buy=None, sell=None)
    season, period, buy = _side_rate(content, local)
    sell_side = content.get("sell_tariff")
    sell = _side_rate(sell_side, local)[2] if isinstance(sell_side, dict) else None
    return RateInForce(season=season, period=period, buy=buy, sell=sell)


def _side_rate(side: Json, local: datetime) -> tuple[str | None, str | None, float | None]:
    charges = side.get("energy_charges")
    charges = charges if isinstance(charges, dict) else {}
    seasons = side.get("seasons")
    for season_name, season in (seasons if isinstance(seasons, dict) else {}).items():
        if not isinstance(season, dict) or not season or not _season_contains(season, local):
            continue
        for period_name, period in (season.get("tou_periods") or {}).items():
            if _period_contains(period, local):
                rates = (charges.get(season_name) or {}).get("rates") or {}
                rate = rates.get(period_name)
                if isinstance(rate, int | float):
                    return season_name, period_name, float(rate)
        # Seasons may overlap: the first one (in content order) that covers the date decides alone, as
        # the integration's decoder reads it; a later season must not fill the hours it leaves unpriced.
        break
    # No period matched: Tesla falls back to the flat "ALL" rate.
    flat = ((charges.get("ALL") or {}).get("rates") or {}).get("ALL")
    return None, None, float(flat) if isinstance(flat, int | float) else None


def _season_contains(season: Json, local: datetime) -> bool:
    start = (int(season.get("fromMonth", 1)), int(season.get("fromDay", 1)))
    end = (int(season.get("toMonth", 12)), int(season.get("toDay", 31)))
    today = (local.month, local.day)
    if start <= end:
        return start <= today <= end
    return today >= start or today <= end  # The season wraps over new year.


def _period_contains(period: object, local: datetime) -> bool:
    windows = period.get("periods") if isinstance(period, dict) else None
    for window in windows if isinstance(windows, list) else []:
        if isinstance(window, dict) and _window_contains(window, local):
            return True
    return False


def _window_contains(window: Json, local: datetime) -> bool:
    # Tesla's wire format omits zero fields; missing "to" day means Sunday (6).
    from_day = int(window.get("fromDayOfWeek", 0))
    to_day = int(window.get("toDayOfWeek", 6))
    weekday = local.weekday()
    day_ok = from_day <= weekday <= to_day if from_day <= to_day else weekday >= from_day or weekday <= to_day
    if not day_ok:
        return False
    start = int(window.get("fromHour", 0)) * 60 + int(window.get("fromMinute", 0))
    end = int(window.get("toHour", 0)) * 60 + int(window.get("toMinute", 0))
    minute = local.hour * 60 + local.minute
    if start == end:
        return True  # 00:00 to 00:00 is the whole day.
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # The window wraps over midnight.


def round_rates(content: Json) -> Json:
    """A copy of `content` with every rate rounded to 4 decimals, as the Powerwall stores them."""
    return {key: _rounded(value, in_rates=key == "rates") for key, value in content.items()}


def _rounded(value: object, *, in_rates: bool) -> Any:
    if isinstance(value, dict):
        # A rates object's own members are the rates; anything else only passes the flag to "rates".
        return {key: _rounded(item, in_rates=in_rates or key == "rates") for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item, in_rates=False) for item in value]
    if in_rates and isinstance(value, float):
        return round(value, 4)
    return value
