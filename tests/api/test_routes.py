"""One client, two routes: the same recorded bodies through Teslemetry and through Tesla's Fleet API;
the regional Fleet host; tokens refreshed per request; and failover between the routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from custom_components.tesla_amber_sync.api.errors import (
    AuthenticationError,
    InvalidResponseError,
    ServiceUnavailableError,
)
from custom_components.tesla_amber_sync.api.models import OperationMode
from custom_components.tesla_amber_sync.api.routes import (
    FLEET_EU_BASE_URL,
    FLEET_NA_BASE_URL,
    TESLEMETRY_BASE_URL,
    EnergyRoute,
    RouteKind,
    find_fleet_base_url,
)
from custom_components.tesla_amber_sync.api.teslemetry import EnergySiteClient, TeslemetryClient

from .conftest import load_fixture, sent

if TYPE_CHECKING:
    import aiohttp
    from aioresponses import aioresponses

SITE_ID = 1689484658412121
TESLEMETRY_TOKEN = "tslm_secret_0123456789"
FLEET_TOKEN = "fleet_access_token_abcdef"

ROUTES = {
    "teslemetry": (EnergyRoute.teslemetry(TESLEMETRY_TOKEN), TESLEMETRY_BASE_URL, TESLEMETRY_TOKEN),
    "fleet_na": (EnergyRoute.fleet(FLEET_TOKEN), FLEET_NA_BASE_URL, FLEET_TOKEN),
    "fleet_eu": (EnergyRoute.fleet(FLEET_TOKEN, FLEET_EU_BASE_URL), FLEET_EU_BASE_URL, FLEET_TOKEN),
}


def test_the_old_name_is_the_same_client() -> None:
    assert TeslemetryClient is EnergySiteClient


@pytest.mark.parametrize("name", list(ROUTES))
async def test_reads_and_writes_are_the_same_on_every_route(
    session: aiohttp.ClientSession, mock_http: aioresponses, name: str
) -> None:
    """Same paths, same recorded bodies, same parsed values: only the host and the bearer token differ."""
    route, base, token = ROUTES[name]
    client = EnergySiteClient(session, route)
    site = f"{base}/api/1/energy_sites/{SITE_ID}"
    mock_http.get(f"{site}/site_info", payload=load_fixture("teslemetry_site_info.json"))
    mock_http.post(f"{site}/operation", payload={"response": {"code": 201, "message": "Updated"}})
    info = await client.get_site_info(SITE_ID)
    await client.set_operation_mode(SITE_ID, OperationMode.AUTONOMOUS)
    assert info.energy_site_id == SITE_ID
    assert client.route is route.kind
    read = sent(mock_http, "GET", f"{site}/site_info")
    write = sent(mock_http, "POST", f"{site}/operation")
    assert read.kwargs["headers"]["Authorization"] == f"Bearer {token}"
    assert write.kwargs["json"] == {"default_real_mode": "autonomous"}


async def test_a_token_provider_is_asked_for_every_request(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    """An OAuth2 access token that expires mid-cycle: the next request carries the refreshed one."""
    tokens = iter(["first_access_token", "refreshed_access_token"])

    async def provider() -> str:
        return next(tokens)

    client = EnergySiteClient(session, EnergyRoute.fleet(provider))
    url = f"{FLEET_NA_BASE_URL}/api/1/energy_sites/{SITE_ID}/live_status"
    mock_http.get(url, payload=load_fixture("teslemetry_live_status.json"))
    mock_http.get(url, status=500, payload={"error": "down for refreshed_access_token"})
    await client.get_live_status(SITE_ID)
    assert sent(mock_http, "GET", url).kwargs["headers"]["Authorization"] == "Bearer first_access_token"
    with pytest.raises(ServiceUnavailableError) as raised:
        await client.get_live_status(SITE_ID)
    # The refreshed token went out, and never comes back in an error message.
    assert sent(mock_http, "GET", url).kwargs["headers"]["Authorization"] == "Bearer refreshed_access_token"
    assert "refreshed_access_token" not in str(raised.value)


async def test_a_revoked_sign_in_is_an_authentication_error(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    async def provider() -> str:
        raise AuthenticationError("Tesla no longer accepts the sign-in")

    client = EnergySiteClient(session, EnergyRoute.fleet(provider))
    with pytest.raises(AuthenticationError):
        await client.get_live_status(SITE_ID)
    assert not mock_http.requests


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"response": {"region": "eu", "fleet_api_base_url": f"{FLEET_EU_BASE_URL}/"}}, FLEET_EU_BASE_URL),
        ({"response": {"region": "NA"}}, FLEET_NA_BASE_URL),
        ({"response": {"region": "eu", "fleet_api_base_url": "http://evil"}}, FLEET_EU_BASE_URL),
    ],
)
async def test_the_region_endpoint_names_the_regional_host(
    session: aiohttp.ClientSession, mock_http: aioresponses, reply: dict[str, object], expected: str
) -> None:
    mock_http.get(f"{FLEET_NA_BASE_URL}/api/1/users/region", payload=reply)
    assert await find_fleet_base_url(session, FLEET_TOKEN) == expected
    request = sent(mock_http, "GET", f"{FLEET_NA_BASE_URL}/api/1/users/region")
    assert request.kwargs["headers"]["Authorization"] == f"Bearer {FLEET_TOKEN}"


LOCAL_LOOKUP = "http://127.0.0.1:8099/fleet"


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        # A plain-http host is used only on the very scheme, host and port the region was asked at (the
        # simulator, a local proxy) ...
        ("http://127.0.0.1:8099/fleet/", LOCAL_LOOKUP),
        # ... not on another port or another host: then the reply's region picks Tesla's public host.
        ("http://127.0.0.1:9000/fleet", FLEET_EU_BASE_URL),
        ("http://localhost:8099/fleet", FLEET_EU_BASE_URL),
        # https is accepted wherever it is.
        ("https://proxy.example/fleet", "https://proxy.example/fleet"),
    ],
)
async def test_a_plain_http_host_only_on_the_lookup_address(
    session: aiohttp.ClientSession, mock_http: aioresponses, named: str, expected: str
) -> None:
    mock_http.get(
        f"{LOCAL_LOOKUP}/api/1/users/region",
        payload={"response": {"region": "eu", "fleet_api_base_url": named}},
    )
    assert await find_fleet_base_url(session, FLEET_TOKEN, base_url=LOCAL_LOOKUP) == expected


async def test_a_region_reply_without_a_host_is_invalid(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.get(f"{FLEET_NA_BASE_URL}/api/1/users/region", payload={"response": {"region": "cn"}})
    with pytest.raises(InvalidResponseError):
        await find_fleet_base_url(session, FLEET_TOKEN)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 10, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_failover_moves_reads_and_writes_and_comes_back(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    """Primary down: the read is answered by the fallback, the failed write is not re-sent anywhere, the
    next write goes to the fallback only; five minutes later a read finds the primary back."""
    clock = Clock()
    client = EnergySiteClient(
        session,
        EnergyRoute.teslemetry(TESLEMETRY_TOKEN),
        fallback=EnergyRoute.fleet(FLEET_TOKEN),
        clock=clock,
    )
    relay = f"{TESLEMETRY_BASE_URL}/api/1/energy_sites/{SITE_ID}"
    fleet = f"{FLEET_NA_BASE_URL}/api/1/energy_sites/{SITE_ID}"
    live = load_fixture("teslemetry_live_status.json")
    updated = {"response": {"code": 201, "message": "Updated"}}
    assert client.primary_route is RouteKind.TESLEMETRY
    assert client.fallback_route is RouteKind.FLEET

    mock_http.post(f"{relay}/backup", status=503)
    with pytest.raises(ServiceUnavailableError):
        await client.set_backup_reserve(SITE_ID, 20)
    assert client.route is RouteKind.FLEET
    assert client.primary_down_since == clock.now
    assert not any(url.host == "fleet-api.prd.na.vn.cloud.tesla.com" for _, url in mock_http.requests)

    mock_http.post(f"{fleet}/backup", payload=updated)
    mock_http.get(f"{fleet}/live_status", payload=live)
    clock.now += timedelta(minutes=1)
    await client.set_backup_reserve(SITE_ID, 20)
    await client.get_live_status(SITE_ID)
    assert len(mock_http.requests[("POST", _url(f"{relay}/backup"))]) == 1
    assert len(mock_http.requests[("POST", _url(f"{fleet}/backup"))]) == 1

    clock.now += timedelta(minutes=5)
    mock_http.get(f"{relay}/live_status", payload=live)
    await client.get_live_status(SITE_ID)
    assert client.route is RouteKind.TESLEMETRY
    assert client.primary_down_since is None


async def test_a_read_during_an_outage_is_answered_by_the_fallback(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    client = EnergySiteClient(session, EnergyRoute.fleet(FLEET_TOKEN), fallback=EnergyRoute.teslemetry("t"))
    mock_http.get(f"{FLEET_NA_BASE_URL}/api/1/energy_sites/{SITE_ID}/live_status", exception=TimeoutError())
    mock_http.get(
        f"{TESLEMETRY_BASE_URL}/api/1/energy_sites/{SITE_ID}/live_status",
        payload=load_fixture("teslemetry_live_status.json"),
    )
    status = await client.get_live_status(SITE_ID)
    assert status.battery_power is not None
    assert client.route is RouteKind.TESLEMETRY


async def test_without_a_fallback_an_outage_is_raised(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    client = EnergySiteClient(session, EnergyRoute.fleet(FLEET_TOKEN))
    mock_http.get(f"{FLEET_NA_BASE_URL}/api/1/energy_sites/{SITE_ID}/live_status", status=502)
    with pytest.raises(ServiceUnavailableError):
        await client.get_live_status(SITE_ID)
    assert client.route is RouteKind.FLEET
    assert client.fallback_route is None


def _url(text: str) -> object:
    from aioresponses.compat import normalize_url
    from yarl import URL

    return normalize_url(URL(text))
