"""The spike tariff: the coming hour at the spike price, the rest of the day untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.tesla_amber_sync.tariff import (
    DEFAULT_SPIKE_WINDOW,
    SLOTS_PER_DAY,
    DailyCharge,
    DayTariff,
    aemo_dollars_per_kwh,
    apply_tesla_rules,
    build_spike_tariff,
    slot_index,
    spike_window_slots,
    tariff_problems,
)

SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = [
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Hobart",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Perth",
    "Australia/Darwin",
    "Australia/Lord_Howe",  # a half-hour DST shift
]
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# An ordinary day: 20 c to buy, 5 c for export, a demand charge in the evening.
NORMAL = DayTariff.from_rates(
    [0.2] * SLOTS_PER_DAY,
    [0.05] * SLOTS_PER_DAY,
    demand_rates=tuple(10.0 if 34 <= index < 42 else 0.0 for index in range(SLOTS_PER_DAY)),
    daily_charges=(DailyCharge(name="Supply", amount=1.1),),
)


def sydney(
    hour: int, minute: int, second: int = 0, *, day: int = 15, month: int = 1, fold: int = 0
) -> datetime:
    return datetime(2026, month, day, hour, minute, second, fold=fold, tzinfo=SYDNEY)


def test_aemo_prices_are_per_megawatt_hour() -> None:
    assert aemo_dollars_per_kwh(1500.0) == 1.5
    assert aemo_dollars_per_kwh(-1000.0) == -1.0
    assert timedelta(hours=1) == DEFAULT_SPIKE_WINDOW


@pytest.mark.parametrize(
    ("now", "window", "expected"),
    [
        # 13:10: the current slot and the two that take the hour to 14:10.
        (sydney(13, 10), DEFAULT_SPIKE_WINDOW, (26, 27, 28)),
        # On a slot boundary the next hour is exactly two slots.
        (sydney(13, 0), DEFAULT_SPIKE_WINDOW, (26, 27)),
        (sydney(13, 29, 59), DEFAULT_SPIKE_WINDOW, (26, 27, 28)),
        (sydney(13, 0), timedelta(minutes=30), (26,)),
        (sydney(13, 0), timedelta(minutes=31), (26, 27)),
        (sydney(13, 0), timedelta(seconds=1), (26,)),
        # Past midnight the window wraps to the start of the day: tomorrow's slots.
        (sydney(23, 40), DEFAULT_SPIKE_WINDOW, (47, 0, 1)),
        (sydney(23, 30), DEFAULT_SPIKE_WINDOW, (47, 0)),
        # 2026-04-05 03:00 daylight time becomes 02:00: the hour from 02:10 daylight ends at 02:10 standard.
        (sydney(2, 10, day=5, month=4), DEFAULT_SPIKE_WINDOW, (4, 5)),
        # 2026-10-04 02:00 standard time becomes 03:00: the hour from 01:40 ends at 03:40 daylight.
        (sydney(1, 40, day=4, month=10), DEFAULT_SPIKE_WINDOW, (3, 6, 7)),
    ],
)
def test_the_window_is_the_slots_covering_the_next_hour(
    now: datetime, window: timedelta, expected: tuple[int, ...]
) -> None:
    assert spike_window_slots(now=now, time_zone="Australia/Sydney", window=window) == expected
    # The same instant given in UTC, and the zone as a ZoneInfo, give the same slots.
    assert spike_window_slots(now=now.astimezone(UTC), time_zone=SYDNEY, window=window) == expected


def test_a_window_of_a_day_or_more_covers_every_slot() -> None:
    for window in (timedelta(days=1), timedelta(days=3)):
        slots = spike_window_slots(now=sydney(13, 10), time_zone=SYDNEY, window=window)
        assert sorted(slots) == list(range(SLOTS_PER_DAY))
        assert slots[0] == 26


def test_impossible_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        spike_window_slots(now=datetime(2026, 1, 1, 13), time_zone=SYDNEY)
    with pytest.raises(ValueError, match="positive"):
        spike_window_slots(now=sydney(13, 0), time_zone=SYDNEY, window=timedelta(0))
    with pytest.raises(ValueError, match="finite"):
        build_spike_tariff(NORMAL, spike_price_per_mwh=math.nan, now=sydney(13, 0), time_zone=SYDNEY)


def test_the_window_is_priced_at_the_spike_and_the_rest_is_untouched() -> None:
    tariff = build_spike_tariff(
        NORMAL, spike_price_per_mwh=12_345.678, now=sydney(13, 10), time_zone="Australia/Sydney"
    )
    assert tariff_problems(tariff) == ()
    for index, slot in enumerate(tariff.slots):
        if index in {26, 27, 28}:
            assert (slot.buy, slot.sell) == (12.3457, 12.3457)
        else:
            assert (slot.buy, slot.sell) == (0.2, 0.05)
    assert tariff.demand_rates == NORMAL.demand_rates
    assert tariff.daily_charges == NORMAL.daily_charges


def test_a_negative_spike_price_prices_the_window_at_zero() -> None:
    tariff = build_spike_tariff(NORMAL, spike_price_per_mwh=-1000.0, now=sydney(9, 0), time_zone=SYDNEY)
    assert [(tariff.slots[index].buy, tariff.slots[index].sell) for index in (18, 19)] == [(0.0, 0.0)] * 2
    assert tariff_problems(tariff) == ()


def test_an_owners_tariff_that_breaks_teslas_rules_is_cleaned_outside_the_window() -> None:
    # Decoded tariffs keep what the Powerwall holds, which may have sell above buy or 5 decimals.
    owners = DayTariff.from_rates([0.123456] * SLOTS_PER_DAY, [0.3] * SLOTS_PER_DAY)
    tariff = build_spike_tariff(owners, spike_price_per_mwh=500.0, now=sydney(18, 0), time_zone=SYDNEY)
    assert tariff_problems(tariff) == ()
    assert (tariff.slots[0].buy, tariff.slots[0].sell) == (0.1235, 0.1235)
    assert (tariff.slots[36].buy, tariff.slots[36].sell) == (0.5, 0.5)


# --- properties ---------------------------------------------------------------------------------------

raw_rates = st.floats(min_value=-2.0, max_value=20.0, allow_nan=False)


@st.composite
def normal_tariffs(draw: st.DrawFn) -> DayTariff:
    rates = st.lists(raw_rates, min_size=SLOTS_PER_DAY, max_size=SLOTS_PER_DAY)
    demand = draw(st.one_of(st.just([]), st.lists(raw_rates, min_size=SLOTS_PER_DAY, max_size=SLOTS_PER_DAY)))
    return DayTariff.from_rates(draw(rates), draw(rates), demand_rates=tuple(demand))


# Around the DST changes of 2026 as well as ordinary days.
instants = st.builds(
    lambda base, minutes, seconds: base + timedelta(minutes=minutes, seconds=seconds),
    st.sampled_from(
        [
            datetime(2026, 4, 4, tzinfo=UTC),
            datetime(2026, 10, 3, tzinfo=UTC),
            datetime(2026, 7, 1, tzinfo=UTC),
        ]
    ),
    st.integers(0, 2 * 24 * 60),
    st.floats(min_value=0.0, max_value=59.999),
)


@PROPERTY
@given(
    normal_tariffs(),
    st.floats(min_value=-1000.0, max_value=20_000.0, allow_nan=False),
    instants,
    st.sampled_from(ZONES),
    st.integers(1, 240).map(lambda minutes: timedelta(minutes=minutes)),
)
def test_any_spike_tariff_is_valid_covers_its_window_and_leaves_the_rest(
    normal: DayTariff, price: float, now: datetime, zone_name: str, window: timedelta
) -> None:
    zone = ZoneInfo(zone_name)
    tariff = build_spike_tariff(
        normal, spike_price_per_mwh=price, now=now, time_zone=zone_name, window=window
    )
    window_slots = spike_window_slots(now=now, time_zone=zone, window=window)

    assert tariff_problems(tariff) == ()
    for slot in tariff.slots:
        assert slot.buy >= slot.sell >= 0
        assert round(slot.buy, 4) == slot.buy
        assert round(slot.sell, 4) == slot.sell
    # Every instant of the window is in a spiked slot, the current one first.
    assert window_slots[0] == slot_index(now.astimezone(zone).time())
    moment = now
    while moment < now + window:
        assert slot_index(moment.astimezone(zone).time()) in window_slots
        moment += timedelta(minutes=7)
    assert slot_index((now + window - timedelta(microseconds=1)).astimezone(zone).time()) in window_slots
    # No more slots than the window can touch.
    assert len(window_slots) <= math.ceil(window / timedelta(minutes=30)) + 1
    spike_rate = max(round(price / 1000, 4), 0.0)
    cleaned = apply_tesla_rules(normal)
    for index, slot in enumerate(tariff.slots):
        if index in window_slots:
            assert (slot.buy, slot.sell) == (spike_rate, spike_rate)
        else:
            assert slot == cleaned.slots[index]
    assert tariff.demand_rates == cleaned.demand_rates
