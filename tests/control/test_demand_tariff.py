"""Demand rates per slot, Amber's demand-window flags, and the option rules of the demand charge."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from custom_components.tesla_amber_sync.api.models import (
    ChannelType,
    IntervalType,
    PriceInterval,
    TariffInformation,
)
from custom_components.tesla_amber_sync.control.demand import DemandDays, DemandSettings, DemandWindow
from custom_components.tesla_amber_sync.control.demand_tariff import (
    amber_days,
    amber_demand_flags,
    amber_proposal,
    amber_window,
    demand_rates_for_slots,
    flags_label,
    whole_day,
    window_disagrees,
    window_from_flags,
)
from custom_components.tesla_amber_sync.control.option_rules import (
    MAX_DEMAND_RATE,
    demand_problems,
    option_problems,
)
from custom_components.tesla_amber_sync.options import demand_from_mapping
from custom_components.tesla_amber_sync.tariff import build_rolling_tariff

# Every Australian zone, with and without daylight saving (Lord Howe shifts by half an hour).
AUSTRALIAN_ZONES = [
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Hobart",
    "Australia/Adelaide",
    "Australia/Broken_Hill",
    "Australia/Lord_Howe",
    "Australia/Brisbane",
    "Australia/Darwin",
    "Australia/Perth",
    "Australia/Eucla",
]
half_hours = st.integers(min_value=0, max_value=47).map(lambda index: time(index // 2, 30 * (index % 2)))
windows = st.builds(
    DemandWindow,
    start=half_hours,
    end=half_hours,
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    months=st.frozensets(st.integers(min_value=1, max_value=12), min_size=1),
)
rates = st.floats(min_value=0.01, max_value=MAX_DEMAND_RATE)
# Days around every clock change of the years the tests cover, and any other day.
moments = st.one_of(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    st.sampled_from([datetime(2026, 4, 4, 12), datetime(2026, 10, 3, 12), datetime(2026, 4, 5, 1)]).flatmap(
        lambda base: st.integers(min_value=0, max_value=96).map(
            lambda step: base + timedelta(minutes=30 * step)
        )
    ),
)


def interval(start: datetime, flag: bool | None, channel: ChannelType = ChannelType.GENERAL) -> PriceInterval:
    return PriceInterval(
        type=IntervalType.FORECAST,
        channel_type=channel,
        start_time=start,
        end_time=start + timedelta(minutes=30),
        duration_minutes=30,
        per_kwh=30.0,
        tariff_information=None if flag is None else TariffInformation(demand_window=flag),
    )


def day_of_intervals(zone: ZoneInfo, day: date, flagged: Any, minutes: int = 30) -> list[PriceInterval]:
    """Every interval of a local day (second past the boundary, as Amber's), flagged by `flagged(local)`."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    found = []
    while start < end:
        found.append(interval(start + timedelta(seconds=1), flagged(start.astimezone(zone))))
        start += timedelta(minutes=minutes)
    return found


@given(window=windows, rate=rates, zone=st.sampled_from(AUSTRALIAN_ZONES), at=moments)
def test_the_rate_goes_exactly_where_the_window_is(
    window: DemandWindow, rate: float, zone: str, at: datetime
) -> None:
    """Over the rolling tariff of any moment (DST days too, in every Australian zone): each slot carries the
    rate exactly when the half hour it stands for (its date's wall clock) is inside the window, else 0."""
    site = ZoneInfo(zone)
    now = at.replace(tzinfo=site)
    build = build_rolling_tariff([], now=now, time_zone=site)
    settings = DemandSettings(rate=rate, window=window)
    found = demand_rates_for_slots(settings, [slot.start for slot in build.slots])
    expected = [rate if window.contains(slot.start) else 0.0 for slot in build.slots]
    assert found == (tuple(expected) if any(expected) else ())
    for slot, value in zip(build.slots, found or (0.0,) * 48, strict=True):
        assert value in {0.0, rate}
        assert (value == rate) is window.contains(slot.start)


def test_tomorrow_s_slots_follow_tomorrow_s_day() -> None:
    """Saturday 13:10 in Sydney with a weekday 06:00-09:00 window: the morning slots stand for Sunday and
    carry nothing; on Sunday afternoon they stand for Monday and carry the rate."""
    zone = ZoneInfo("Australia/Sydney")
    settings = DemandSettings(
        rate=10.0, window=DemandWindow(start=time(6), end=time(9), days=frozenset(range(5)))
    )
    saturday = build_rolling_tariff([], now=datetime(2026, 11, 21, 13, 10, tzinfo=zone), time_zone=zone)
    assert demand_rates_for_slots(settings, [slot.start for slot in saturday.slots]) == ()
    sunday = build_rolling_tariff([], now=datetime(2026, 11, 22, 13, 10, tzinfo=zone), time_zone=zone)
    found = demand_rates_for_slots(settings, [slot.start for slot in sunday.slots])
    assert [index for index, rate in enumerate(found) if rate] == list(range(12, 18))
    assert demand_rates_for_slots(None, [slot.start for slot in sunday.slots]) == ()


def test_a_month_outside_the_charge_carries_nothing() -> None:
    """On 30 November at 22:00 with a December-only window 15:00-21:00: tomorrow's slots (1 December) are in
    the window, today's are not."""
    zone = ZoneInfo("Australia/Melbourne")
    window = DemandWindow(start=time(15), end=time(21), months=frozenset({12}))
    build = build_rolling_tariff([], now=datetime(2026, 11, 30, 22, 0, tzinfo=zone), time_zone=zone)
    found = demand_rates_for_slots(DemandSettings(rate=5.0, window=window), [s.start for s in build.slots])
    assert [index for index, rate in enumerate(found) if rate] == list(range(30, 42))


@given(start=st.integers(min_value=0, max_value=47), length=st.integers(min_value=1, max_value=47))
def test_a_flagged_run_is_read_back_as_its_window(start: int, length: int) -> None:
    """Any one run of flagged half hours (wrapping midnight or not) is the window from its first half hour
    to the one after its last."""
    flagged = {(start + step) % 48 for step in range(length)}
    window = window_from_flags({index: index in flagged for index in range(48)})
    assert window == (
        time(start // 2, 30 * (start % 2)),
        time(((start + length) % 48) // 2, 30 * ((start + length) % 2)),
    )
    # Read as a window, it flags the same half hours.
    assert window is not None
    every_day = DemandWindow(start=window[0], end=window[1])
    day = date(2026, 6, 10)
    inside = {i for i in range(48) if every_day.contains(datetime.combine(day, time(i // 2, 30 * (i % 2))))}
    assert inside == flagged


def test_no_window_from_no_flags_or_two_runs() -> None:
    assert window_from_flags({}) is None
    assert window_from_flags(dict.fromkeys(range(48), False)) is None
    assert window_from_flags({index: index in {10, 11, 30} for index in range(48)}) is None
    assert window_from_flags(dict.fromkeys(range(48), True)) == (time(0), time(0))


def test_amber_s_flags_by_day_and_half_hour() -> None:
    """5-minute intervals a second past their boundary, general channel only; a half hour is flagged when
    any of its intervals is; intervals that do not say are left out."""
    zone = ZoneInfo("Australia/Brisbane")
    day = date(2026, 7, 1)
    intervals = day_of_intervals(
        zone, day, lambda local: 16 <= local.hour < 20 and local.minute != 5, minutes=5
    )
    intervals.append(interval(datetime(2026, 7, 1, 7, tzinfo=UTC), flag=True, channel=ChannelType.FEED_IN))
    intervals.append(interval(datetime(2026, 7, 2, 7, tzinfo=UTC), flag=None))
    flags = amber_demand_flags(intervals, zone)
    assert list(flags) == [day]
    assert [index for index, flag in sorted(flags[day].items()) if flag] == list(range(32, 40))
    assert amber_window(amber_demand_flags(intervals, zone), zone) == (time(16), time(20))
    assert flags_label(flags[day]) == "16:00-20:00"
    assert flags_label({}) == "none"
    assert flags_label({46: True, 47: True, 0: True}) == "00:00-00:30, 23:00-24:00"


def test_the_first_day_with_a_window_is_offered() -> None:
    """A weekday window is not flagged on Saturday: Monday's flags are offered."""
    zone = ZoneInfo("Australia/Sydney")
    weekday_evenings = lambda local: local.weekday() < 5 and 15 <= local.hour < 21  # noqa: E731
    intervals = day_of_intervals(zone, date(2026, 11, 21), weekday_evenings)
    intervals += day_of_intervals(zone, date(2026, 11, 23), weekday_evenings)
    assert amber_window(amber_demand_flags(intervals, zone), zone) == (time(15), time(21))
    assert (
        amber_window(
            amber_demand_flags(day_of_intervals(zone, date(2026, 11, 21), weekday_evenings), zone), zone
        )
        is None
    )


def test_a_window_is_told_from_whole_days_or_a_run_seen_from_end_to_end() -> None:
    """A whole day of two runs: no one window. A day seen from 12:00 tells of 16:00-20:00 (seen before and
    after) but not of a run that starts before what was seen."""
    zone = ZoneInfo("Australia/Sydney")
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)

    def from_noon(flagged: Any) -> list[PriceInterval]:
        return [
            item
            for item in day_of_intervals(zone, friday, flagged)
            if item.start_time.astimezone(zone).hour >= 12
        ]

    evenings = lambda local: 16 <= local.hour < 20  # noqa: E731
    assert amber_window(amber_demand_flags(from_noon(evenings), zone), zone) == (time(16), time(20))
    assert amber_window(amber_demand_flags(from_noon(lambda local: local.hour < 14), zone), zone) is None
    two_runs = lambda local: local.hour in {7, 8, 17, 18, 19}  # noqa: E731
    assert (
        amber_window(
            amber_demand_flags(from_noon(two_runs) + day_of_intervals(zone, saturday, two_runs), zone), zone
        )
        is None
    )


def test_amber_s_proposal_corrects_only_what_differs() -> None:
    zone = ZoneInfo("Australia/Sydney")
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    weekday_evenings = lambda local: local.weekday() < 5 and 16 <= local.hour < 20  # noqa: E731
    intervals = day_of_intervals(zone, friday, weekday_evenings) + day_of_intervals(
        zone, saturday, weekday_evenings
    )
    mine = DemandWindow(start=time(15), end=time(21))
    assert amber_proposal(amber_demand_flags(intervals, zone), zone, mine) == (
        time(16),
        time(20),
        DemandDays.WEEKDAYS,
    )
    same = DemandWindow(start=time(16), end=time(20), days=DemandDays.WEEKDAYS.weekdays)
    assert amber_proposal(amber_demand_flags(intervals, zone), zone, same) is None
    # Friday alone cannot tell the days: the owner's own are kept.
    weekends = DemandWindow(start=time(15), end=time(21), days=DemandDays.WEEKENDS.weekdays)
    fridays = day_of_intervals(zone, friday, weekday_evenings)
    assert amber_proposal(amber_demand_flags(fridays, zone), zone, weekends) == (
        time(16),
        time(20),
        DemandDays.WEEKENDS,
    )


def test_the_days_amber_flags_the_window_on() -> None:
    """Friday and Saturday (Sydney) told apart: a weekday window, a weekend one, an every-day one; only
    Friday's flags cannot tell; a window past midnight is judged on the evening it starts."""
    zone = ZoneInfo("Australia/Sydney")
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    evening = (time(15), time(21))

    def days(flagged: Any, *on: date, window: tuple[time, time] = evening) -> object:
        intervals = [item for day in on for item in day_of_intervals(zone, day, flagged)]
        return amber_days(amber_demand_flags(intervals, zone), zone, window)

    assert days(lambda local: local.weekday() < 5 and 15 <= local.hour < 21, friday, saturday) == (
        DemandDays.WEEKDAYS
    )
    assert days(lambda local: local.weekday() >= 5 and 15 <= local.hour < 21, friday, saturday) == (
        DemandDays.WEEKENDS
    )
    assert days(lambda local: 15 <= local.hour < 21, friday, saturday) == DemandDays.EVERY_DAY
    assert days(lambda local: 15 <= local.hour < 21, friday) is None

    # Friday 22:00 to Saturday 02:00 is Friday's window: Saturday's early hours say nothing of Saturday.
    def fridays_night(local: datetime) -> bool:
        return (local.weekday() == 4 and local.hour >= 22) or (local.weekday() == 5 and local.hour < 2)

    assert days(fridays_night, friday, saturday, window=(time(22), time(2))) == DemandDays.WEEKDAYS
    # Saturday's intervals only up to 18:00: they do not cover the window, so the weekend is not told.
    partial = [
        item
        for item in day_of_intervals(zone, saturday, lambda local: False)
        if item.start_time.astimezone(zone).hour < 18
    ]
    intervals = day_of_intervals(zone, friday, lambda local: 15 <= local.hour < 21) + partial
    assert amber_days(amber_demand_flags(intervals, zone), zone, evening) is None


@given(
    zone=st.sampled_from(AUSTRALIAN_ZONES),
    day=st.sampled_from([date(2026, 4, 5), date(2026, 10, 4), date(2026, 7, 15)]),
)
def test_a_window_that_matches_amber_agrees_and_one_that_does_not_disagrees(zone: str, day: date) -> None:
    """Over whole days (clock-change days included), the window Amber flags agrees; moved by half an hour
    it disagrees; a day Amber covers only in part decides nothing."""
    site = ZoneInfo(zone)
    flags = amber_demand_flags(day_of_intervals(site, day, lambda local: 15 <= local.hour < 21), site)[day]
    assert whole_day(site, day, flags)
    assert window_disagrees(DemandWindow(start=time(15), end=time(21)), site, day, flags) is False
    assert window_disagrees(DemandWindow(start=time(15, 30), end=time(21)), site, day, flags) is True
    # Amber flags weekends too: a weekday window disagrees on a Sunday (5 April and 4 October 2026).
    weekdays = DemandWindow(start=time(15), end=time(21), days=frozenset(range(5)))
    assert window_disagrees(weekdays, site, day, flags) is (day.weekday() >= 5)
    partial = {index: flag for index, flag in flags.items() if index >= 20}
    assert window_disagrees(DemandWindow(start=time(1), end=time(2)), site, day, partial) is None


@given(
    rate=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(), st.text(max_size=3)
    ),
    start=st.one_of(st.text(max_size=8), st.none(), half_hours.map(lambda t: t.strftime("%H:%M"))),
    end=st.one_of(st.sampled_from(["21:00", "21:00:00", "21:15", "25:00", "9pm", "21:00:30"]), st.none()),
    months=st.one_of(
        st.lists(st.sampled_from([*map(str, range(1, 13)), "0", "13", 1]), max_size=3), st.none()
    ),
    day=st.one_of(st.integers(min_value=-2, max_value=40), st.floats(allow_nan=True)),
    days=st.sampled_from(["every_day", "weekdays", "weekends", "fortnightly", None]),
    cycle=st.sampled_from(["monthly", "daily", "weekly", None]),
)
def test_accepted_demand_options_can_be_read_and_refused_ones_name_their_field(
    rate: Any, start: Any, end: Any, months: Any, day: Any, days: Any, cycle: Any
) -> None:
    """Whatever is given: each problem names its field, and what is accepted is a charge the tracker and the
    tariff can use (a finite rate in range, half-hour edges, months of the year, a cycle day 1-28)."""
    options = {
        "demand_charge": True,
        "demand_rate": rate,
        "demand_window_start": start,
        "demand_window_end": end,
        "demand_months": months,
        "demand_cycle_day": day,
        "demand_days": days,
        "demand_cycle": cycle,
    }
    problems = demand_problems(options)
    assert problems == option_problems(options)
    assert all(value == f"invalid_{key}" for key, value in problems.items())
    if "demand_rate" not in problems:
        assert isinstance(rate, float)
        assert math.isfinite(rate)
        assert 0 < rate <= MAX_DEMAND_RATE
    for key, value in (("demand_window_start", start), ("demand_window_end", end)):
        if key not in problems:
            parsed = time.fromisoformat(value)
            assert parsed.minute in {0, 30}
            assert parsed.second == 0
    if "demand_months" not in problems:
        assert months
        assert all(1 <= int(month) <= 12 for month in months)
    if "demand_cycle_day" not in problems:
        assert day == int(day)
        assert 1 <= day <= 28
    assert ("demand_days" in problems) is (days not in {"every_day", "weekdays", "weekends"})
    assert ("demand_cycle" in problems) is (cycle not in {"monthly", "daily"})
    if not problems:
        # Accepted whole: the options read into the charge the tracker and the tariff use.
        demand = demand_from_mapping(options)
        assert demand is not None
        assert demand.rate == rate
    # Off, nothing of the charge is checked.
    assert option_problems({**options, "demand_charge": False}) == {}
