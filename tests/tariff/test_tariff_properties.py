"""Properties that hold for any input: the day is tiled, rates are clean, encode/decode round-trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import json
import math
import random
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings, strategies as st

from custom_components.tesla_amber_sync.api.models import IntervalType, PriceInterval
from custom_components.tesla_amber_sync.tariff import (
    MINUTES_PER_DAY,
    SLOTS_PER_DAY,
    DailyCharge,
    DayTariff,
    ForecastPrice,
    SlotSource,
    apply_tesla_rules,
    build_rolling_tariff,
    decode_tariff,
    encode_tariff,
    slot_name,
    tariff_problems,
)

from . import oracle
from .helpers import FEED_IN, GENERAL, interval

ZONES = [
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Hobart",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Perth",
    "Australia/Darwin",
    # Clock changes at midnight (Santiago) and splitting a slot (Chatham, 02:45 to 03:45).
    "America/Santiago",
    "Pacific/Chatham",
]
# The plugin's autouse fixtures are function-scoped but hold no state these tests use.
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

rates = st.floats(min_value=-2.0, max_value=20.0, allow_nan=False)
cents = st.floats(min_value=-2000.0, max_value=2000.0, allow_nan=False, allow_infinity=False)
any_date = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


@st.composite
def day_tariffs(draw: st.DrawFn) -> DayTariff:
    buy = draw(st.lists(rates, min_size=SLOTS_PER_DAY, max_size=SLOTS_PER_DAY))
    sell = draw(st.lists(rates, min_size=SLOTS_PER_DAY, max_size=SLOTS_PER_DAY))
    demand = draw(st.one_of(st.just([]), st.lists(rates, min_size=SLOTS_PER_DAY, max_size=SLOTS_PER_DAY)))
    charges = draw(
        st.lists(st.builds(DailyCharge, name=st.text(min_size=1, max_size=8), amount=rates), max_size=2)
    )
    return apply_tesla_rules(
        DayTariff.from_rates(buy, sell, demand_rates=tuple(demand), daily_charges=tuple(charges))
    )


@st.composite
def amber_data(draw: st.DrawFn) -> tuple[list[PriceInterval], datetime, str]:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    # Around the clock changes of 2026 (Australia, Chile, the Chatham Islands) as well as ordinary days.
    base = draw(
        st.sampled_from(
            [
                datetime(2026, 4, 4, tzinfo=UTC),
                datetime(2026, 10, 3, tzinfo=UTC),
                datetime(2026, 7, 1, tzinfo=UTC),
                datetime(2026, 9, 5, tzinfo=UTC),
                datetime(2026, 9, 26, tzinfo=UTC),
            ]
        )
    )
    now = base + timedelta(minutes=draw(st.integers(0, 2 * MINUTES_PER_DAY)))
    local_midnight = datetime.combine(
        now.astimezone(zone).date() - timedelta(days=1), datetime.min.time(), tzinfo=zone
    )
    first = local_midnight.astimezone(UTC)
    minutes = draw(st.sampled_from([5, 30]))
    count = 3 * MINUTES_PER_DAY // minutes + 12
    # Often everything, sometimes holes: complete and incomplete builds both get exercised.
    keep = draw(st.one_of(st.just(1.0), st.floats(0.9, 1.0), st.floats(0.0, 1.0)))
    # One seeded generator for the hundreds of intervals keeps the example small enough to shrink.
    rng = random.Random(draw(st.integers(0, 2**32)))  # noqa: S311 - test data, not secrets
    kinds = list(IntervalType)
    data: list[PriceInterval] = []
    for channel in (GENERAL, FEED_IN):
        base_price = draw(cents)
        for step in range(count):
            if rng.random() > keep:
                continue
            advanced = None
            if rng.random() < 0.5:
                advanced = (rng.uniform(-2000, 2000), rng.uniform(-2000, 2000), rng.uniform(-2000, 2000))
            data.append(
                interval(
                    first + timedelta(minutes=minutes * step),
                    base_price + rng.uniform(-50.0, 50.0),
                    channel=channel,
                    minutes=minutes,
                    kind=rng.choice(kinds),
                    advanced=advanced,
                    spike=rng.random() < 0.1,
                )
            )
    return data, now, zone_name


def tiling_of(content: dict[str, Any]) -> list[int]:
    """Count how many periods cover each minute of the day, on every day of the week."""
    coverage = [0] * (7 * MINUTES_PER_DAY)
    for periods in content["seasons"]["Summer"]["tou_periods"].values():
        for entry in periods["periods"]:
            start = entry["fromHour"] * 60 + entry["fromMinute"]
            end = entry["toHour"] * 60 + entry["toMinute"]
            assert start < end <= MINUTES_PER_DAY
            for day in range(entry["fromDayOfWeek"], entry["toDayOfWeek"] + 1):
                for minute in range(start, end):
                    coverage[day * MINUTES_PER_DAY + minute] += 1
    return coverage


def assert_clean(tariff: DayTariff) -> None:
    assert len(tariff.slots) == SLOTS_PER_DAY
    for slot in tariff.slots:
        for rate in (slot.buy, slot.sell):
            assert type(rate) is float
            assert math.isfinite(rate)
            assert round(rate, 4) == rate
        assert slot.buy >= slot.sell >= 0
    assert tariff_problems(tariff) == ()


@PROPERTY
@given(amber_data(), st.sampled_from(list(ForecastPrice)))
def test_any_amber_data_gives_a_clean_tariff_or_says_what_is_missing(
    sample: tuple[list[PriceInterval], datetime, str], choice: ForecastPrice
) -> None:
    data, now, zone_name = sample
    build = build_rolling_tariff(data, now=now, time_zone=zone_name, forecast_price=choice)
    assert [slot.index for slot in build.slots] == list(range(SLOTS_PER_DAY))
    assert [slot.name for slot in build.slots] == [slot_name(index) for index in range(SLOTS_PER_DAY)]
    missing_slots = {missing.index for missing in build.missing}
    assert build.forecast_slots + build.fallback_slots + len(missing_slots) == SLOTS_PER_DAY
    assert {slot.index for slot in build.slots if slot.source is SlotSource.MISSING} == missing_slots
    event("complete" if build.tariff else "incomplete")
    if build.tariff is None:
        assert build.missing
        return
    assert_clean(build.tariff)
    assert tiling_of(encode_tariff(build.tariff, code="c", name="n", utility="u")) == [1] * (
        7 * MINUTES_PER_DAY
    )


@PROPERTY
@given(amber_data())
def test_every_slot_is_priced_as_an_independent_implementation_prices_it(
    sample: tuple[list[PriceInterval], datetime, str],
) -> None:
    data, now, zone_name = sample
    build = build_rolling_tariff(data, now=now, time_zone=zone_name)
    oracle.assert_matches(build, data, now, ZoneInfo(zone_name))


@PROPERTY
@given(day_tariffs(), any_date)
def test_encode_then_decode_gives_back_the_tariff_on_any_date(tariff: DayTariff, day: date) -> None:
    assert_clean(tariff)
    assert apply_tesla_rules(tariff) == tariff
    content = encode_tariff(tariff, code="c", name="n", utility="u")
    assert json.loads(json.dumps(content)) == content
    assert encode_tariff(tariff, code="c", name="n", utility="u") == content
    assert decode_tariff(content).day_tariff(day) == tariff
    assert decode_tariff(json.loads(json.dumps(content))).day_tariff(day) == tariff


def test_the_encoded_day_is_tiled_exactly_once() -> None:
    tariff = apply_tesla_rules(DayTariff.from_rates([0.3] * SLOTS_PER_DAY, [0.1] * SLOTS_PER_DAY))
    assert tiling_of(encode_tariff(tariff, code="c", name="n", utility="u")) == [1] * (7 * MINUTES_PER_DAY)
