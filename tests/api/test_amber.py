"""AmberClient: requests sent, lenient parsing of sites and intervals, rate-limit headers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.tesla_amber_sync.api import USER_AGENT
from custom_components.tesla_amber_sync.api.amber import AmberClient
from custom_components.tesla_amber_sync.api.errors import (
    AuthenticationError,
    InvalidResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)
from custom_components.tesla_amber_sync.api.models import (
    AdvancedPrice,
    AmberChannel,
    ChannelType,
    IntervalType,
    PriceDescriptor,
    RateLimitInfo,
    SiteStatus,
    SpikeStatus,
    TariffInformation,
)
from custom_components.tesla_amber_sync.api.prices import parse_price_interval, parse_prices

from .conftest import load_fixture, sent

if TYPE_CHECKING:
    from aioresponses import aioresponses

BASE = "https://api.amber.com.au/v1"
TOKEN = "psk_0123456789abcdef"
SITE_ID = "01HSITEAAAAAAAAAAAAAAAAAAA"
PRICES_URL = f"{BASE}/sites/{SITE_ID}/prices/current"


@pytest.fixture
def client(session: aiohttp.ClientSession) -> AmberClient:
    return AmberClient(session, TOKEN)


def interval(**overrides: Any) -> dict[str, Any]:
    """A minimal well-formed 30-minute general interval, with fields replaced or removed (None)."""
    data: dict[str, Any] = {
        "type": "ForecastInterval",
        "duration": 30,
        "perKwh": 20.0,
        "nemTime": "2024-09-05T01:00:00+10:00",
        "startTime": "2024-09-04T14:30:01Z",
        "endTime": "2024-09-04T15:00:00Z",
        "channelType": "general",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# Sites


async def test_get_sites(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(f"{BASE}/sites", payload=load_fixture("amber_sites.json"))

    sites = await client.get_sites()

    headers = sent(mock_http, "GET", f"{BASE}/sites").kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"] == USER_AGENT
    # The site without an id and the string entry are dropped.
    assert [site.id for site in sites] == [SITE_ID, "01HSITEBBBBBBBBBBBBBBBBBBB"]
    first, second = sites
    assert first.nmi == "3052282872"
    assert first.status is SiteStatus.ACTIVE
    assert first.network == "Jemena"
    assert first.interval_length == 5
    assert first.active_from == date(2024, 1, 1)
    assert first.closed_on is None
    assert first.channels == (
        AmberChannel(identifier="E1", type=ChannelType.GENERAL, tariff="A100"),
        AmberChannel(identifier="E2", type=ChannelType.CONTROLLED_LOAD, tariff="A180"),
        AmberChannel(identifier="B1", type=ChannelType.FEED_IN, tariff="A100"),
    )
    # Unknown enums, a bad date, no network and no intervalLength (v1 API) all degrade gracefully.
    assert second.status is SiteStatus.UNKNOWN
    assert second.network is None
    assert second.interval_length == 30
    assert second.active_from is None
    assert second.channels == (AmberChannel(identifier="E1", type=ChannelType.UNKNOWN, tariff=None),)


async def test_get_sites_rejects_a_body_that_is_not_a_list(
    client: AmberClient, mock_http: aioresponses
) -> None:
    mock_http.get(f"{BASE}/sites", payload={"sites": []})

    with pytest.raises(InvalidResponseError, match="not a list"):
        await client.get_sites()


async def test_get_sites_rejects_an_empty_body(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(f"{BASE}/sites", body="")

    with pytest.raises(InvalidResponseError):
        await client.get_sites()


async def test_custom_base_url_and_timeout(session: aiohttp.ClientSession, mock_http: aioresponses) -> None:
    mock_http.get("http://localhost:8080/amber/sites", payload=[])
    client = AmberClient(session, TOKEN, base_url="http://localhost:8080/amber/", timeout=3)

    assert await client.get_sites() == ()
    call = sent(mock_http, "GET", "http://localhost:8080/amber/sites")
    assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=3)


# Current prices: the request


async def test_prices_without_options_send_no_query(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(PRICES_URL, payload=[])

    assert await client.get_current_prices(SITE_ID) == ()

    call = sent(mock_http, "GET", PRICES_URL)
    assert call.kwargs["params"] is None
    assert call.kwargs["headers"]["Authorization"] == f"Bearer {TOKEN}"


async def test_prices_send_previous_next_and_resolution(client: AmberClient, mock_http: aioresponses) -> None:
    url = f"{PRICES_URL}?previous=2&next=48&resolution=30"
    mock_http.get(url, payload=[])

    await client.get_current_prices(SITE_ID, previous=2, next=48, resolution=30)

    assert sent(mock_http, "GET", url).kwargs["params"] == {"previous": "2", "next": "48", "resolution": "30"}


async def test_prices_send_only_the_options_given(client: AmberClient, mock_http: aioresponses) -> None:
    url = f"{PRICES_URL}?next=12"
    mock_http.get(url, payload=[])

    await client.get_current_prices(SITE_ID, next=12)

    assert sent(mock_http, "GET", url).kwargs["params"] == {"next": "12"}


async def test_site_id_is_escaped_in_the_path(client: AmberClient, mock_http: aioresponses) -> None:
    url = f"{BASE}/sites/a%2Fb/prices/current"
    mock_http.get(url, payload=[])

    await client.get_current_prices("a/b")

    assert sent(mock_http, "GET", url)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"previous": -1}, "negative"),
        ({"next": -1}, "negative"),
        ({"previous": 1024, "next": 1025}, "2048"),
        ({"resolution": 15}, "5 or 30"),
    ],
)
async def test_prices_reject_bad_options(client: AmberClient, kwargs: dict[str, int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        await client.get_current_prices(SITE_ID, **kwargs)


# Current prices: parsing


async def test_prices_parse_every_field(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(PRICES_URL, payload=load_fixture("amber_prices_current.json"))

    actual, current, *_ = await client.get_current_prices(SITE_ID)

    assert actual.type is IntervalType.ACTUAL
    assert actual.channel_type is ChannelType.GENERAL
    # Z means UTC; Amber's real start times sit one second past the boundary and are kept as sent.
    assert actual.start_time == datetime(2024, 9, 4, 14, 0, 1, tzinfo=UTC)
    assert actual.end_time == datetime(2024, 9, 4, 14, 30, tzinfo=UTC)
    assert actual.start_time.utcoffset() == timedelta(0)
    assert actual.duration_minutes == 30
    assert actual.per_kwh == 27.5
    assert actual.spot_per_kwh == 8.1
    assert actual.renewables == pytest.approx(21.243)
    assert actual.descriptor is PriceDescriptor.LOW
    assert actual.spike_status is SpikeStatus.NONE
    assert actual.estimate is None
    assert actual.advanced_price is None
    assert actual.tariff_information == TariffInformation(period="offPeak")
    assert actual.range_min is None
    assert actual.range_max is None

    assert current.type is IntervalType.CURRENT
    assert current.estimate is True
    assert current.spot_per_kwh == -1.5
    assert current.descriptor is PriceDescriptor.EXTREMELY_LOW
    assert current.spike_status is SpikeStatus.POTENTIAL
    assert current.advanced_price == AdvancedPrice(low=10.0, predicted=12.0, high=15.5)
    # Extra keys (demandCharges) are ignored.
    assert current.tariff_information == TariffInformation(
        period="peak", season="summer", block=2, demand_window=True
    )
    assert (current.range_min, current.range_max) == (-3.2, 4.5)


async def test_feed_in_keeps_amber_billing_sign(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(PRICES_URL, payload=load_fixture("amber_prices_current.json"))

    feed_in = (await client.get_current_prices(SITE_ID))[2]

    # Negative means the owner is paid; the client does not convert it.
    assert feed_in.channel_type is ChannelType.FEED_IN
    assert feed_in.per_kwh == -8.75
    assert feed_in.advanced_price == AdvancedPrice(low=-10.0, predicted=-9.0, high=-7.5)
    assert feed_in.estimate is False
    assert feed_in.tariff_information is None
    assert feed_in.range_min is None


async def test_missing_start_and_end_come_from_nem_time(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(PRICES_URL, payload=load_fixture("amber_prices_current.json"))

    forecast = (await client.get_current_prices(SITE_ID))[3]

    # nemTime 01:30+10:00 is the END of the interval: 15:30 UTC the day before.
    assert forecast.start_time == datetime(2024, 9, 4, 15, 0, tzinfo=UTC)
    assert forecast.end_time == datetime(2024, 9, 4, 15, 30, tzinfo=UTC)
    assert forecast.start_time.tzinfo is UTC
    assert forecast.spike_status is SpikeStatus.SPIKE
    assert forecast.advanced_price is None
    assert forecast.tariff_information is None
    assert forecast.estimate is None


async def test_malformed_intervals_are_skipped_and_the_rest_kept(
    client: AmberClient, mock_http: aioresponses
) -> None:
    mock_http.get(
        PRICES_URL,
        payload=[
            interval(perKwh=None),
            "not an interval",
            interval(startTime=None, nemTime=None),
            interval(perKwh=31.5),
        ],
    )

    (only,) = await client.get_current_prices(SITE_ID)

    assert only.per_kwh == 31.5


@pytest.mark.parametrize("body", ['{"data": []}', '"oops"', "null", ""])
async def test_prices_reject_a_body_that_is_not_a_list(
    client: AmberClient, mock_http: aioresponses, body: str
) -> None:
    mock_http.get(PRICES_URL, body=body)

    with pytest.raises(InvalidResponseError, match="not a list"):
        await client.get_current_prices(SITE_ID)


@pytest.mark.parametrize(
    "overrides",
    [
        {"perKwh": None},
        {"perKwh": "n/a"},
        {"perKwh": True},
        {"startTime": None, "nemTime": None},
        {"startTime": None, "nemTime": "yesterday"},
        {"startTime": "garbage", "nemTime": None},
        {"duration": None, "endTime": None},
        {"duration": None, "startTime": None},
        {"duration": 0},
        {"duration": None, "endTime": "2024-09-04T14:30:01Z"},
    ],
)
def test_interval_without_price_or_time_is_malformed(overrides: dict[str, Any]) -> None:
    assert parse_price_interval(interval(**overrides)) is None


def test_interval_that_is_not_an_object_is_malformed() -> None:
    assert parse_price_interval(["ActualInterval"]) is None


def test_duration_falls_back_to_end_minus_start() -> None:
    parsed = parse_price_interval(interval(duration=None))

    assert parsed is not None
    assert parsed.duration_minutes == 30


def test_end_falls_back_to_start_plus_duration() -> None:
    parsed = parse_price_interval(interval(endTime=None, duration=5, startTime="2024-09-04T14:30:00Z"))

    assert parsed is not None
    assert parsed.end_time == datetime(2024, 9, 4, 14, 35, tzinfo=UTC)


def test_nem_time_without_offset_means_nem_time() -> None:
    parsed = parse_price_interval(interval(startTime=None, endTime=None, nemTime="2024-09-05T01:00:00"))

    assert parsed is not None
    assert parsed.start_time == datetime(2024, 9, 4, 14, 30, tzinfo=UTC)
    assert parsed.end_time == datetime(2024, 9, 4, 15, 0, tzinfo=UTC)


def test_start_time_with_another_offset_is_converted_to_utc() -> None:
    parsed = parse_price_interval(interval(startTime="2024-09-05T00:30:00+10:00", endTime=None))

    assert parsed is not None
    assert parsed.start_time == datetime(2024, 9, 4, 14, 30, tzinfo=UTC)
    assert parsed.start_time.tzinfo is UTC


def test_unknown_enums_and_odd_optional_fields_degrade_to_defaults() -> None:
    parsed = parse_price_interval(
        interval(
            type="Usage",
            channelType="battery",
            descriptor="negative-ish",
            spikeStatus=7,
            estimate="yes",
            spotPerKwh="12.5",
            renewables=None,
            range={"min": None, "max": "wide"},
            tariffInformation={"period": "", "block": 1.5, "demandWindow": "no", "newThing": 1},
        )
    )

    assert parsed is not None
    assert parsed.type is IntervalType.UNKNOWN
    assert parsed.channel_type is ChannelType.UNKNOWN
    assert parsed.descriptor is PriceDescriptor.UNKNOWN
    assert parsed.spike_status is SpikeStatus.UNKNOWN
    assert parsed.estimate is None
    assert parsed.spot_per_kwh == 12.5
    assert parsed.renewables is None
    assert (parsed.range_min, parsed.range_max) == (None, None)
    assert parsed.tariff_information == TariffInformation()


def test_deprecated_negative_descriptor_is_still_understood() -> None:
    parsed = parse_price_interval(interval(descriptor="negative"))

    assert parsed is not None
    assert parsed.descriptor is PriceDescriptor.NEGATIVE


@pytest.mark.parametrize(
    ("advanced", "expected"),
    [
        ({"low": 1, "predicted": 3, "high": 10}, AdvancedPrice(low=1.0, predicted=3.0, high=10.0)),
        ({"predicted": 3}, AdvancedPrice(low=3.0, predicted=3.0, high=3.0)),
        ({"low": 1, "high": 10}, None),
        ({"low": 1, "predicted": None, "high": 10}, None),
        ("3", None),
    ],
)
def test_advanced_price(advanced: object, expected: AdvancedPrice | None) -> None:
    parsed = parse_price_interval(interval(advancedPrice=advanced))

    assert parsed is not None
    assert parsed.advanced_price == expected


# Rate limits


async def test_rate_limit_headers_are_recorded(client: AmberClient, mock_http: aioresponses) -> None:
    assert client.last_rate_limit is None
    mock_http.get(
        f"{BASE}/sites",
        payload=[],
        headers={
            "RateLimit-Limit": "50",
            "RateLimit-Remaining": "49",
            "RateLimit-Reset": "218",
            "RateLimit-Policy": "50;w=300",
        },
    )

    await client.get_sites()

    assert client.last_rate_limit == RateLimitInfo(limit=50, remaining=49, reset_seconds=218.0)


async def test_rate_limit_is_recorded_on_a_429_too(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(
        f"{BASE}/sites",
        status=429,
        headers={"RateLimit-Limit": "50", "RateLimit-Remaining": "0", "RateLimit-Reset": "37"},
    )

    with pytest.raises(RateLimitedError) as caught:
        await client.get_sites()

    assert caught.value.retry_after == 37.0
    assert client.last_rate_limit == RateLimitInfo(limit=50, remaining=0, reset_seconds=37.0)


async def test_rate_limit_tracks_the_latest_reply(client: AmberClient, mock_http: aioresponses) -> None:
    mock_http.get(f"{BASE}/sites", payload=[], headers={"RateLimit-Remaining": "lots"})
    mock_http.get(f"{BASE}/sites", payload=[])

    await client.get_sites()
    assert client.last_rate_limit == RateLimitInfo()

    await client.get_sites()
    assert client.last_rate_limit is None


# Errors through the client


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (403, AuthenticationError), (500, ServiceUnavailableError)],
)
async def test_errors_never_show_the_token(
    client: AmberClient, mock_http: aioresponses, status: int, error: type[Exception]
) -> None:
    mock_http.get(PRICES_URL, status=status, payload={"message": f"Invalid key {TOKEN}"})

    with pytest.raises(error) as caught:
        await client.get_current_prices(SITE_ID)

    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)


@pytest.mark.parametrize("error", [TimeoutError(), aiohttp.ClientConnectionError("refused")])
async def test_timeout_and_connection_errors(
    client: AmberClient, mock_http: aioresponses, error: Exception
) -> None:
    mock_http.get(PRICES_URL, exception=error)

    with pytest.raises(ServiceUnavailableError, match="Amber"):
        await client.get_current_prices(SITE_ID)


def test_intervals_of_one_reply_share_nothing_they_should_not() -> None:
    # Equal as dictionary keys (True == 1), different as values: each keeps its own reading.
    first, second, third = parse_prices(
        [
            interval(tariffInformation={"block": 1, "demandWindow": 1}),
            interval(tariffInformation={"block": True, "demandWindow": True}),
            interval(tariffInformation={"block": [1], "period": "peak"}),
        ]
    )

    assert first.tariff_information == TariffInformation(block=1)
    assert second.tariff_information == TariffInformation(demand_window=True)
    assert third.tariff_information == TariffInformation(period="peak")


def test_channels_share_their_timestamps_and_tariff_context() -> None:
    general, feed_in = parse_prices(
        [
            interval(tariffInformation={"period": "peak"}),
            interval(channelType="feedIn", tariffInformation={"period": "peak"}),
        ]
    )

    assert general.start_time == feed_in.start_time == datetime(2024, 9, 4, 14, 30, 1, tzinfo=UTC)
    assert general.tariff_information == feed_in.tariff_information == TariffInformation(period="peak")


def test_prices_reply_that_is_not_a_list_is_invalid() -> None:
    with pytest.raises(InvalidResponseError, match="not a list"):
        parse_prices({"data": []})
