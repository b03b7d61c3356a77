"""A prices reply: read exactly as the plain parser reads it, whatever the shape, and used as a sequence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.tesla_amber_sync.api.models import ChannelType, IntervalType
from custom_components.tesla_amber_sync.api.prices import parse_price_interval, parse_prices
from custom_components.tesla_amber_sync.tariff import ForecastPrice, build_rolling_tariff

from .reference_parse import reference_interval

PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BASE = datetime(2026, 10, 3, 12, 0, 1, tzinfo=UTC)

# Odd values Amber (or a proxy) might put anywhere: each must be read as the plain parser reads it.
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
number = st.one_of(
    st.floats(-5000, 5000),
    st.integers(-5000, 5000),
    st.floats(-50, 50).map(str),
    st.just(" 12.5 "),
)


@st.composite
def timestamp(draw: st.DrawFn) -> str:
    # A small pool of instants, so that intervals share timestamps as the channels of a reply do.
    instant = BASE + timedelta(minutes=5 * draw(st.integers(0, 11)))
    form = draw(st.sampled_from(["z", "offset", "naive", "padded", "garbage"]))
    if form == "z":
        return instant.isoformat().replace("+00:00", "Z")
    if form == "offset":
        return instant.astimezone(ZoneInfo("Australia/Brisbane")).isoformat()
    if form == "naive":
        return instant.replace(tzinfo=None).isoformat()
    if form == "padded":
        return f"  {instant.isoformat()} "
    return "2026-13-40T99:00:00Z"


def enum_value(*values: str) -> st.SearchStrategy[object]:
    return st.one_of(st.sampled_from([*values, "", "Spike", "usage"]), odd)


band = st.fixed_dictionaries(
    {}, optional={"low": number | odd, "predicted": number | odd, "high": number | odd}
)
amber_band = st.builds(
    lambda low, spread: {"low": low, "predicted": low + spread, "high": low + 2 * spread},
    st.floats(-500, 500),
    st.floats(0, 50),
)
tariff_information = st.fixed_dictionaries(
    {},
    optional={
        "period": st.sampled_from(["peak", "offPeak", " shoulder "]) | odd,
        "season": st.sampled_from(["summer", "winter"]) | odd,
        "block": st.sampled_from([1, 2, 1.0, 1.5, "2"]) | odd,
        "demandWindow": st.booleans() | odd,
    },
)
interval_fields: dict[str, st.SearchStrategy[Any]] = {
    "type": enum_value("ActualInterval", "CurrentInterval", "ForecastInterval"),
    "channelType": enum_value("general", "feedIn", "controlledLoad"),
    "duration": st.sampled_from([5, 30, 0, -5, 5.0, "30"]) | odd,
    "perKwh": number | odd,
    "spotPerKwh": number | odd,
    "renewables": number | odd,
    "startTime": timestamp() | odd,
    "endTime": timestamp() | odd,
    "nemTime": timestamp() | odd,
    "descriptor": enum_value("negative", "extremelyLow", "low", "neutral", "high", "spike"),
    "spikeStatus": enum_value("none", "potential", "spike"),
    "estimate": st.booleans() | odd,
    "advancedPrice": amber_band | band | odd,
    "tariffInformation": tariff_information | odd,
    "range": st.fixed_dictionaries({}, optional={"min": number | odd, "max": number | odd}) | odd,
}
raw_interval = st.fixed_dictionaries({}, optional=interval_fields)
# Most of a real reply is well formed: every field present and of its usual type.
usual_interval = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["ActualInterval", "CurrentInterval", "ForecastInterval"]),
        "channelType": st.sampled_from(["general", "feedIn"]),
        "duration": st.sampled_from([5, 30]),
        "perKwh": st.floats(-100, 500),
        "startTime": timestamp(),
        "endTime": timestamp(),
        "advancedPrice": amber_band | st.none(),
        "spikeStatus": st.sampled_from(["none", "spike"]),
        "descriptor": st.sampled_from(["low", "spike"]),
        "tariffInformation": tariff_information | st.none(),
        "range": st.none() | st.fixed_dictionaries({"min": st.floats(-10, 0), "max": st.floats(0, 10)}),
        "estimate": st.booleans(),
    }
)
# Weighted towards usual intervals, as a real reply is.
reply = st.lists(st.one_of(usual_interval, usual_interval, usual_interval, raw_interval, odd), max_size=16)


@PROPERTY
@given(st.one_of(raw_interval, usual_interval, odd))
def test_one_interval_is_read_as_the_plain_parser_reads_it(item: object) -> None:
    parsed = parse_price_interval(item)
    assert parsed == reference_interval(item)
    if parsed is not None:
        assert parsed.start_time.tzinfo is UTC
        assert parsed.end_time.tzinfo is UTC


@PROPERTY
@given(reply)
def test_a_reply_is_read_as_the_plain_parser_reads_each_interval(items: list[object]) -> None:
    expected = [parsed for parsed in map(reference_interval, items) if parsed is not None]
    intervals = parse_prices(items)
    # Read in another order than Amber's: each interval comes out the same whenever it is first read.
    assert [intervals[index] for index in reversed(range(len(intervals)))] == expected[::-1]
    assert list(intervals) == expected
    assert intervals.starts == tuple(interval.start_time for interval in expected)


@PROPERTY
@given(reply, st.integers(0, 12), st.sampled_from(list(ForecastPrice)))
def test_the_tariff_reads_a_reply_as_it_reads_its_intervals(
    items: list[object], minutes: int, choice: ForecastPrice
) -> None:
    intervals = parse_prices(items)
    now = BASE + timedelta(minutes=5 * minutes)
    from_points = build_rolling_tariff(
        intervals, now=now, time_zone="Australia/Sydney", forecast_price=choice
    )
    from_intervals = build_rolling_tariff(
        list(intervals), now=now, time_zone="Australia/Sydney", forecast_price=choice
    )
    assert from_points == from_intervals


def interval(**fields: Any) -> dict[str, Any]:
    return {
        "type": "ForecastInterval",
        "duration": 30,
        "perKwh": 20.0,
        "startTime": "2024-09-04T14:30:01Z",
        "endTime": "2024-09-04T15:00:00Z",
        "channelType": "general",
        **fields,
    }


def test_a_reply_is_a_sequence_of_its_usable_intervals() -> None:
    items = [
        interval(type="ActualInterval", perKwh=10.0),
        interval(perKwh=None),
        interval(type="CurrentInterval", perKwh=11.0),
        interval(type="CurrentInterval", channelType="feedIn", perKwh=-5.0),
    ]
    intervals = parse_prices(items)
    expected = tuple(parse_price_interval(item) for item in items if item["perKwh"] is not None)

    assert len(intervals) == 3
    assert intervals == expected
    assert expected == intervals
    assert intervals == list(expected)
    assert intervals != expected[:2]
    assert intervals != "not intervals"
    assert intervals[-1] == expected[-1]
    assert intervals[1:] == expected[1:]
    assert hash(intervals) == hash(expected)
    assert repr(intervals) == f"PriceIntervals{expected!r}"
    assert [interval.per_kwh for interval in intervals] == [10.0, 11.0, -5.0]
    assert intervals.current(ChannelType.FEED_IN) == expected[2]
    assert intervals.current(ChannelType.GENERAL) == expected[1]
    assert intervals.current(ChannelType.CONTROLLED_LOAD) is None
    assert intervals.has_channel(ChannelType.FEED_IN)
    assert not intervals.has_channel(ChannelType.CONTROLLED_LOAD)
    with pytest.raises(IndexError):
        intervals[3]


def test_odd_names_are_read_as_the_plain_parser_reads_them() -> None:
    item = interval(type=["CurrentInterval"], channelType={"feedIn": 1}, descriptor=[], spikeStatus=7)
    (parsed,) = parse_prices([item])

    assert parsed == reference_interval(item)
    assert parsed.type is IntervalType.UNKNOWN
    assert parsed.channel_type is ChannelType.UNKNOWN


@pytest.mark.parametrize(
    "fields",
    [
        {"duration": 10**13},
        {"duration": 10**13, "endTime": None},
        {"startTime": "9999-12-31T23:50:00Z", "endTime": None},
        {"startTime": None, "nemTime": "0001-01-01T00:10:00+10:00"},
    ],
)
def test_times_past_what_a_datetime_holds_are_no_usable_time(fields: dict[str, Any]) -> None:
    item = {key: value for key, value in interval(**fields).items() if value is not None}
    good = interval(perKwh=30.0)

    assert list(parse_prices([item, good])) == [reference_interval(good)]
    assert reference_interval(item) is None
