"""Any `tariff_content_v2` a Powerwall may hold, read into a schedule that answers "what rate, when"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
import math
from types import MappingProxyType
from typing import Final

from .content import ALL, LAST_DAY_OF_WEEK, TESLA_DAYS_OF_WEEK
from .model import MINUTES_PER_DAY, SLOTS_PER_DAY, DailyCharge, DayTariff, SlotPrice, slot_start

_MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
# Decoded schedules by the repr of their content, oldest first (see decode_tariff).
_RECENTLY_DECODED: Final[dict[str, TariffSchedule]] = {}
_RECENTLY_DECODED_SIZE: Final = 4

type _Rates = Mapping[tuple[str, str], float]


class TariffDecodeError(ValueError):
    """The content is not a `tariff_content_v2` we can read; the message says where."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SlotRates:
    """The rates in force at one moment: buy and sell in $/kWh, demand in $/kW (None when none)."""

    buy: float
    sell: float
    period: str
    season: str
    sell_period: str | None = None
    demand: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PeriodWindow:
    """One stretch of a period in minutes of the week (0 = Monday 00:00); `end` may pass the week end."""

    period: str
    start: int
    end: int

    def contains(self, minute_of_week: int) -> bool:
        """Return whether the window covers `minute_of_week`, also when it wraps past Sunday midnight."""
        return (
            self.start <= minute_of_week < self.end
            or self.start <= minute_of_week + _MINUTES_PER_WEEK < self.end
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Season:
    """A date range of the year (inclusive, may wrap past New Year) and its periods."""

    name: str
    from_month: int
    from_day: int
    to_month: int
    to_day: int
    windows: tuple[PeriodWindow, ...]
    # For each day of the week, the windows that reach into it (content order kept): a lookup reads a
    # seventh of them. Worked out from `windows`, so not compared.
    _by_weekday: tuple[tuple[PeriodWindow, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Sort the windows by the days of the week they reach into."""
        days = len(TESLA_DAYS_OF_WEEK)
        by_weekday: list[list[PeriodWindow]] = [[] for _ in range(days)]
        for window in self.windows:
            # Past the week's end a window reaches into the first days of the week.
            first, last = window.start // MINUTES_PER_DAY, (window.end - 1) // MINUTES_PER_DAY
            for weekday in sorted({day % days for day in range(first, min(last, first + days - 1) + 1)}):
                by_weekday[weekday].append(window)
        object.__setattr__(self, "_by_weekday", tuple(tuple(bucket) for bucket in by_weekday))

    def covers(self, day: date) -> bool:
        """Return whether `day` falls inside the season."""
        start = (self.from_month, self.from_day)
        end = (self.to_month, self.to_day)
        today = (day.month, day.day)
        if start <= end:
            return start <= today <= end
        return today >= start or today <= end

    def period_at(self, minute_of_week: int) -> str | None:
        """Return the first period (in content order) whose window covers `minute_of_week`."""
        for window in self._by_weekday[minute_of_week // MINUTES_PER_DAY % len(TESLA_DAYS_OF_WEEK)]:
            if window.contains(minute_of_week):
                return window.period
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class TariffSide:
    """The buy side or the sell side of a tariff: its seasons and its rates per (season, period)."""

    seasons: tuple[Season, ...]
    energy_rates: _Rates
    demand_rates: _Rates

    def period_at(self, day: date, minute_of_week: int) -> tuple[str, str] | None:
        """Return (season, period) in force, taking the first season (in content order) covering `day`."""
        for season in self.seasons:
            if season.covers(day):
                period = season.period_at(minute_of_week)
                return None if period is None else (season.name, period)
        return None


def _rate_of(rates: _Rates, season: str, period: str) -> float | None:
    # A season-wide "ALL" rate stands for periods without their own. The top-level "ALL" block is
    # Tesla's placeholder (always 0 in practice): using it would read a missing rate as $0.
    rate = rates.get((season, period))
    return rates.get((season, ALL)) if rate is None else rate


@dataclass(frozen=True, kw_only=True, slots=True)
class TariffSchedule:
    """A decoded `tariff_content_v2`: seasons, periods and rates for every day of the year.

    `sell` is None when the content has no `sell_tariff` (export then earns 0).
    """

    code: str | None
    name: str | None
    utility: str | None
    currency: str | None
    buy: TariffSide
    sell: TariffSide | None
    daily_charges: tuple[DailyCharge, ...] = ()
    # The days already read, so that reading one again costs nothing.
    _days: dict[date, DayTariff | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    def rates_at(self, local_dt: datetime) -> SlotRates | None:
        """Return the rates at a wall-clock time of the site (its fields are read as given; tzinfo ignored).

        None when no season or period covers it, or the period has no rate on either side.
        """
        day = local_dt.date()
        minute_of_week = local_dt.weekday() * MINUTES_PER_DAY + local_dt.hour * 60 + local_dt.minute
        buy_match = self.buy.period_at(day, minute_of_week)
        if buy_match is None:
            return None
        season, period = buy_match
        buy = _rate_of(self.buy.energy_rates, season, period)
        if buy is None:
            return None
        sell = 0.0
        sell_period: str | None = None
        if self.sell is not None:
            sell_match = self.sell.period_at(day, minute_of_week)
            sell_rate = None if sell_match is None else _rate_of(self.sell.energy_rates, *sell_match)
            if sell_match is None or sell_rate is None:
                return None
            sell, sell_period = sell_rate, sell_match[1]
        return SlotRates(
            buy=buy,
            sell=sell,
            period=period,
            season=season,
            sell_period=sell_period,
            demand=_rate_of(self.buy.demand_rates, season, period),
        )

    def day_tariff(self, day: date) -> DayTariff | None:
        """Return the 48 half-hour rates of `day`, each read at its slot's start; None if any has no rate.

        Rates are as stored: Tesla's rules are not applied, so a foreign tariff is shown as it is.
        """
        if day not in self._days:
            self._days[day] = self._read_day(day)
        return self._days[day]

    def _read_day(self, day: date) -> DayTariff | None:
        rates: list[SlotRates] = []
        for index in range(SLOTS_PER_DAY):
            slot_rates = self.rates_at(datetime.combine(day, slot_start(index)))
            if slot_rates is None:
                return None
            rates.append(slot_rates)
        demand = tuple(slot.demand for slot in rates)
        return DayTariff(
            slots=tuple(SlotPrice(buy=slot.buy, sell=slot.sell) for slot in rates),
            demand_rates=()
            if all(rate is None for rate in demand)
            else tuple(rate or 0.0 for rate in demand),
            daily_charges=self.daily_charges,
        )


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TariffDecodeError(f"{where} is {type(value).__name__}, expected an object")
    return value


def _integer(
    container: Mapping[str, object], key: str, default: int, *, low: int, high: int, where: str
) -> int:
    value = container.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TariffDecodeError(f"{where}.{key} is {value!r}, expected a whole number {low}..{high}")
    return value


def _rate(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TariffDecodeError(f"{where} is {value!r}, expected a finite number")
    return float(value)


def _text(content: Mapping[str, object], key: str) -> str | None:
    value = content.get(key)
    if value is not None and not isinstance(value, str):
        raise TariffDecodeError(f"{key} is {value!r}, expected text")
    return value


def _windows(period: str, entry: Mapping[str, object], where: str) -> list[PeriodWindow]:
    """Return the weekly windows of one `periods[]` entry, applying the wire format's omitted defaults."""
    from_dow = _integer(entry, "fromDayOfWeek", 0, low=0, high=LAST_DAY_OF_WEEK, where=where)
    to_dow = _integer(entry, "toDayOfWeek", LAST_DAY_OF_WEEK, low=0, high=LAST_DAY_OF_WEEK, where=where)
    start = _integer(entry, "fromHour", 0, low=0, high=24, where=where) * 60 + _integer(
        entry, "fromMinute", 0, low=0, high=60, where=where
    )
    end = _integer(entry, "toHour", 0, low=0, high=24, where=where) * 60 + _integer(
        entry, "toMinute", 0, low=0, high=60, where=where
    )
    if start > MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise TariffDecodeError(f"{where} runs past midnight ({start} to {end} minutes)")
    # 24:00 as a start is the next midnight, i.e. the start of the day.
    start %= MINUTES_PER_DAY
    if from_dow <= to_dow:
        days = range(from_dow, to_dow + 1)
    else:
        # A range across the week end, e.g. 4 -> 0 is Friday, Saturday, Sunday, Monday.
        days = range(from_dow, to_dow + len(TESLA_DAYS_OF_WEEK) + 1)
    windows: list[PeriodWindow] = []
    for tesla_day in days:
        base = TESLA_DAYS_OF_WEEK[tesla_day % len(TESLA_DAYS_OF_WEEK)] * MINUTES_PER_DAY
        # An end at or before the start runs into the next day (21:00 -> 16:00); equal ends mean all day.
        length = (end - start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        windows.append(PeriodWindow(period=period, start=base + start, end=base + start + length))
    return windows


def _season(name: str, raw: Mapping[str, object], where: str) -> Season | None:
    """Return the season, or None for one that prices nothing (real tariffs carry empty `{}` seasons)."""
    raw_periods = raw.get("tou_periods")
    if not raw_periods:
        return None
    windows: list[PeriodWindow] = []
    for period, raw_period in _mapping(raw_periods, f"{where}.tou_periods").items():
        period_where = f"{where}.tou_periods.{period}"
        entries = _mapping(raw_period, period_where).get("periods", [])
        if not isinstance(entries, list):
            raise TariffDecodeError(f"{period_where}.periods is {type(entries).__name__}, expected a list")
        for position, entry in enumerate(entries):
            entry_where = f"{period_where}.periods[{position}]"
            windows.extend(_windows(period, _mapping(entry, entry_where), entry_where))
    return Season(
        name=name,
        # An omitted bound is the open end of the year.
        from_month=_integer(raw, "fromMonth", 1, low=1, high=12, where=where),
        from_day=_integer(raw, "fromDay", 1, low=1, high=31, where=where),
        to_month=_integer(raw, "toMonth", 12, low=1, high=12, where=where),
        to_day=_integer(raw, "toDay", 31, low=1, high=31, where=where),
        windows=tuple(windows),
    )


def _seasons(raw: object, where: str) -> tuple[Season, ...]:
    seasons: list[Season] = []
    for name, raw_season in _mapping(raw, where).items():
        season = _season(name, _mapping(raw_season, f"{where}.{name}"), f"{where}.{name}")
        if season is not None:
            seasons.append(season)
    return tuple(seasons)


def _charges(raw: object, where: str) -> _Rates:
    """Return {(season, period): rate} from an `energy_charges` or `demand_charges` block (read-only)."""
    rates: dict[tuple[str, str], float] = {}
    for season, raw_block in _mapping(raw, where).items():
        if season == ALL:
            continue
        block = _mapping(raw_block, f"{where}.{season}")
        # Older tariffs put the rates straight in the season block, without the "rates" level.
        raw_rates = block.get("rates", block)
        for period, value in _mapping(raw_rates, f"{where}.{season}.rates").items():
            rates[season, period] = _rate(value, f"{where}.{season}.rates.{period}")
    # Read-only: a decoded schedule is shared by every caller that decodes the same content.
    return MappingProxyType(rates)


def _side(raw: Mapping[str, object], where: str, buy: tuple[object, tuple[Season, ...]] | None) -> TariffSide:
    """Read one side; `buy` is the buy side's raw and read seasons, when this is the sell side."""
    if "energy_charges" not in raw:
        raise TariffDecodeError(f"{where}energy_charges is missing")
    raw_seasons = raw.get("seasons")
    # A sell tariff without seasons of its own shares the buy tariff's periods, and so does one whose
    # seasons are written out the same (ours are): a repr tells 1 from 1.0 and true, where == does not.
    if buy is not None and (raw_seasons is None or repr(raw_seasons) == repr(buy[0])):
        seasons = buy[1]
    else:
        seasons = _seasons(raw_seasons, f"{where}seasons")
    return TariffSide(
        seasons=seasons,
        energy_rates=_charges(raw["energy_charges"], f"{where}energy_charges"),
        demand_rates=_charges(raw.get("demand_charges") or {}, f"{where}demand_charges"),
    )


def _daily_charges(raw: object) -> tuple[DailyCharge, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TariffDecodeError(f"daily_charges is {type(raw).__name__}, expected a list")
    charges: list[DailyCharge] = []
    for position, raw_charge in enumerate(raw):
        charge = _mapping(raw_charge, f"daily_charges[{position}]")
        # A charge without an amount is the placeholder Tesla's own tariffs carry: it costs nothing.
        if "amount" in charge:
            name = charge.get("name", "")
            charges.append(
                DailyCharge(
                    name=name if isinstance(name, str) else str(name),
                    amount=_rate(charge["amount"], f"daily_charges[{position}].amount"),
                )
            )
    return tuple(charges)


def decode_tariff(content: Mapping[str, object]) -> TariffSchedule:
    """Read a `tariff_content_v2` (the bare object, not the site_info envelope) into a `TariffSchedule`.

    Accepts every shape seen on Powerwalls: several seasons, month, hour and day-of-week wraps, `toHour 24`
    and `toMinute 60`, empty seasons, omitted default fields and a missing `sell_tariff`. Raises
    `TariffDecodeError` for content that is not a tariff or has values of the wrong type or range.

    Decoding content equal to one of the last few decoded gives back the same schedule, without reading
    it again: the Powerwall sends the same tariff back at every refresh, and a sync reads it more than
    once. The schedule is immutable; its `day_tariff` remembers the days it has read.
    """
    # repr, not ==, decides "equal": it tells 1 from 1.0 and true, and a tuple from a list.
    key = repr(content)
    schedule = _RECENTLY_DECODED.pop(key, None)
    if schedule is None:
        schedule = _decode(content)
    _RECENTLY_DECODED[key] = schedule
    while len(_RECENTLY_DECODED) > _RECENTLY_DECODED_SIZE:
        del _RECENTLY_DECODED[next(iter(_RECENTLY_DECODED))]
    return schedule


def day_tariff_of(content: object, day: date) -> DayTariff | None:
    """Return the rates a `tariff_content_v2` charges on `day`.

    None when the content is missing (not an object), cannot be decoded, or leaves a slot without a rate.
    Asking again for content equal to one recently read costs one `repr` of it (see `decode_tariff`).
    """
    if not isinstance(content, Mapping):
        return None
    try:
        return decode_tariff(content).day_tariff(day)
    except TariffDecodeError:
        return None


def _decode(content: Mapping[str, object]) -> TariffSchedule:
    content = _mapping(content, "tariff_content_v2")
    if "seasons" not in content:
        raise TariffDecodeError("seasons is missing")
    buy = _side(content, "", None)
    raw_sell = content.get("sell_tariff")
    sell = (
        None
        if raw_sell is None
        else _side(_mapping(raw_sell, "sell_tariff"), "sell_tariff.", (content["seasons"], buy.seasons))
    )
    return TariffSchedule(
        code=_text(content, "code"),
        name=_text(content, "name"),
        utility=_text(content, "utility"),
        currency=_text(content, "currency"),
        buy=buy,
        sell=sell,
        daily_charges=_daily_charges(content.get("daily_charges")),
    )
