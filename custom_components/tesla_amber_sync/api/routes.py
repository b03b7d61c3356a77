"""The two routes to a Powerwall's energy endpoints: Teslemetry's relay and Tesla's own Fleet API.

Both serve the same paths and bodies under `/api/1/...`; a route is only where to send them and which
bearer token to send. Fleet API tokens expire hourly, so a route's token can be a coroutine function that
returns a valid one (refreshing it first when needed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from ._http import DEFAULT_TIMEOUT, HttpTransport
from ._parse import as_dict, as_str
from .errors import InvalidResponseError

if TYPE_CHECKING:
    import aiohttp

type TokenProvider = Callable[[], Awaitable[str]]
"""Returns a bearer token that is valid now; raises AuthenticationError when none can be had."""

TESLEMETRY_BASE_URL: Final = "https://api.teslemetry.com"
# North America and Asia-Pacific share one host; Europe, the Middle East and Africa have the other.
FLEET_NA_BASE_URL: Final = "https://fleet-api.prd.na.vn.cloud.tesla.com"
FLEET_EU_BASE_URL: Final = "https://fleet-api.prd.eu.vn.cloud.tesla.com"
FLEET_BASE_URLS: Final = {"na": FLEET_NA_BASE_URL, "eu": FLEET_EU_BASE_URL}
# Tesla's OAuth2 server for third-party (Fleet API) applications: `authorize` and `token` live under it.
FLEET_AUTH_BASE_URL: Final = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3"
FLEET_AUTHORIZE_URL: Final = f"{FLEET_AUTH_BASE_URL}/authorize"
FLEET_TOKEN_URL: Final = f"{FLEET_AUTH_BASE_URL}/token"
FLEET_SCOPES: Final = ("energy_device_data", "energy_cmds", "offline_access")


class RouteKind(StrEnum):
    """Which service a route goes through."""

    TESLEMETRY = "teslemetry"
    FLEET = "fleet"


# What errors, logs and the owner call each route.
SERVICE_NAMES: Final = {RouteKind.TESLEMETRY: "Teslemetry", RouteKind.FLEET: "Tesla Fleet API"}


@dataclass(frozen=True, slots=True)
class EnergyRoute:
    """Where the energy endpoints live and how to authenticate there."""

    kind: RouteKind
    base_url: str
    token: str | TokenProvider

    @classmethod
    def teslemetry(cls, token: str, base_url: str = TESLEMETRY_BASE_URL) -> EnergyRoute:
        """Teslemetry's relay, with the owner's Teslemetry access token."""
        return cls(RouteKind.TESLEMETRY, base_url, token)

    @classmethod
    def fleet(cls, token: str | TokenProvider, base_url: str = FLEET_NA_BASE_URL) -> EnergyRoute:
        """Tesla's Fleet API at the account's regional host, with an OAuth2 access token."""
        return cls(RouteKind.FLEET, base_url, token)

    @property
    def service(self) -> str:
        """The name errors and logs use for this route."""
        return SERVICE_NAMES[self.kind]

    def transport(self, session: aiohttp.ClientSession, *, timeout: float = DEFAULT_TIMEOUT) -> HttpTransport:
        """An HTTP transport that sends this route's token to this route's host."""
        return HttpTransport(
            session, service=self.service, base_url=self.base_url, token=self.token, timeout=timeout
        )


async def find_fleet_base_url(
    session: aiohttp.ClientSession,
    token: str | TokenProvider,
    *,
    base_url: str = FLEET_NA_BASE_URL,
) -> str:
    """Ask Tesla which regional Fleet API host serves this account (`GET /api/1/users/region`).

    Any regional host answers; the reply names the account's own (`fleet_api_base_url`), else its `region`.
    A named host must use https, unless it is on the very host asked (a local simulator or proxy).
    """
    transport = EnergyRoute.fleet(token, base_url).transport(session)
    body = as_dict(await transport.get_json("/api/1/users/region"))
    response = as_dict((body or {}).get("response")) or {}
    url = as_str(response.get("fleet_api_base_url"))
    if url is not None and (url.startswith("https://") or _same_origin(url, base_url)):
        return url.rstrip("/")
    region = (as_str(response.get("region")) or "").lower()
    if region in FLEET_BASE_URLS:
        return FLEET_BASE_URLS[region]
    raise InvalidResponseError("Tesla's region reply names no Fleet API host")


def _same_origin(url: str, other: str) -> bool:
    """Whether two URLs have the same scheme, host and port."""
    first, second = urlsplit(url), urlsplit(other)
    return (first.scheme, first.netloc) == (second.scheme, second.netloc) and bool(first.netloc)
