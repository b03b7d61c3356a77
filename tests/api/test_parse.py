"""The lenient coercion helpers the parsers share, and the no-Home-Assistant rule for api/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from custom_components.tesla_amber_sync.api import _parse
from custom_components.tesla_amber_sync.api._parse import (
    NEM_TIME_ZONE,
    as_bool,
    as_float,
    as_int,
    as_list,
    as_str,
    parse_date,
    parse_datetime,
    parse_enum,
)
from custom_components.tesla_amber_sync.api.models import ChannelType


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (-2.5, -2.5),
        ("3.25", 3.25),
        (" 4 ", 4.0),
        ("abc", None),
        (True, None),
        (None, None),
        (float("nan"), None),
        ("inf", None),
        (10**400, None),
        ([1], None),
    ],
)
def test_as_float(value: object, expected: float | None) -> None:
    assert as_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1689484658412121999, 1689484658412121999),
        ("1689484658412121999", 1689484658412121999),
        (30.0, 30),
        ("30.0", 30),
        (2.5, None),
        (False, None),
        (None, None),
    ],
)
def test_as_int(value: object, expected: int | None) -> None:
    result = as_int(value)

    assert result == expected
    assert result is None or type(result) is int


def test_as_str_as_bool_as_list() -> None:
    assert as_str("  x ") == "x"
    assert as_str("   ") is None
    assert as_str(5) is None
    assert as_bool(False) is False
    assert as_bool(0) is None
    assert as_list(None) == []
    assert as_list({"a": 1}) == []


def test_parse_enum() -> None:
    assert parse_enum(ChannelType, "feedIn", ChannelType.UNKNOWN) is ChannelType.FEED_IN
    assert parse_enum(ChannelType, "FEEDIN", ChannelType.UNKNOWN) is ChannelType.UNKNOWN
    assert parse_enum(ChannelType, None, ChannelType.UNKNOWN) is ChannelType.UNKNOWN


def test_parse_datetime() -> None:
    assert parse_datetime("2024-09-04T14:00:01Z") == datetime(2024, 9, 4, 14, 0, 1, tzinfo=UTC)
    assert parse_datetime("2024-09-04T14:00:01") is None
    assert parse_datetime("2024-09-05T00:00:00", naive_zone=NEM_TIME_ZONE) == datetime(
        2024, 9, 4, 14, tzinfo=UTC
    )
    assert parse_datetime("not a time", naive_zone=UTC) is None
    assert parse_datetime(1725458401) is None
    assert NEM_TIME_ZONE.utcoffset(None) == timedelta(hours=10)


def test_parse_date() -> None:
    assert parse_date("2024-01-31") == date(2024, 1, 31)
    assert parse_date("2024-02-31") is None
    assert parse_date(None) is None


def test_api_package_does_not_import_home_assistant() -> None:
    package = Path(_parse.__file__).parent
    offenders = [
        path.name
        for path in sorted(package.glob("*.py"))
        if "import homeassistant" in (text := path.read_text(encoding="utf-8"))
        or "from homeassistant" in text
    ]

    assert offenders == []
