"""The entry's route(s) to the Powerwall, built from its data: Teslemetry, Tesla's Fleet API, or both."""

from __future__ import annotations

from aiohttp import ClientError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    ImplementationUnavailableError,
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .api.errors import AuthenticationError, ServiceUnavailableError
from .api.routes import FLEET_NA_BASE_URL, EnergyRoute, RouteKind, TokenProvider
from .api.teslemetry import TESLEMETRY_BASE_URL, EnergySiteClient
from .application_credentials import at_auth_server
from .const import (
    CONF_FLEET_AUTH_URL,
    CONF_FLEET_BASE_URL,
    CONF_POWERWALL_ROUTE,
    CONF_TESLEMETRY_API_TOKEN,
    CONF_TESLEMETRY_BASE_URL,
    DOMAIN,
)
from .coordinator import TeslaSyncConfigEntry


async def async_energy_client(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> EnergySiteClient:
    """The one client for the entry's Powerwall: its chosen route first, the other (if set up) as fallback."""
    teslemetry = (
        EnergyRoute.teslemetry(
            entry.data[CONF_TESLEMETRY_API_TOKEN],
            entry.data.get(CONF_TESLEMETRY_BASE_URL, TESLEMETRY_BASE_URL),
        )
        if entry.data.get(CONF_TESLEMETRY_API_TOKEN)
        else None
    )
    fleet = (
        EnergyRoute.fleet(
            await async_fleet_token_provider(hass, entry),
            entry.data.get(CONF_FLEET_BASE_URL, FLEET_NA_BASE_URL),
        )
        if "token" in entry.data
        else None
    )
    if entry.data.get(CONF_POWERWALL_ROUTE) == RouteKind.FLEET and fleet is not None:
        primary, fallback = fleet, teslemetry
    elif teslemetry is not None:
        primary, fallback = teslemetry, fleet
    else:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="no_route")
    return EnergySiteClient(async_get_clientsession(hass), primary, fallback=fallback, clock=dt_util.utcnow)


async def async_fleet_token_provider(hass: HomeAssistant, entry: TeslaSyncConfigEntry) -> TokenProvider:
    """A valid Fleet API access token on demand, refreshed through Home Assistant's OAuth2 session.

    A refresh token Tesla no longer accepts becomes AuthenticationError (Home Assistant starts the
    re-authentication); a sign-in server that cannot be reached is an outage like any other.
    """
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(hass, entry)
    except ImplementationUnavailableError as err:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="oauth_unavailable") from err
    implementation = at_auth_server(implementation, entry.data.get(CONF_FLEET_AUTH_URL))
    session = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)

    async def access_token() -> str:
        try:
            await session.async_ensure_token_valid()
        except OAuth2TokenRequestReauthError as err:
            raise AuthenticationError("Tesla no longer accepts the sign-in; sign in again") from err
        except (OAuth2TokenRequestError, ClientError, TimeoutError) as err:
            raise ServiceUnavailableError("Cannot renew the Tesla sign-in now") from err
        return str(session.token["access_token"])

    return access_token
