"""Application Credentials: the owner's own Tesla developer application signs in to Tesla's Fleet API."""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer
from homeassistant.core import HomeAssistant

from .api.routes import FLEET_AUTHORIZE_URL, FLEET_TOKEN_URL


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Tesla's OAuth2 server for third-party applications."""
    return AuthorizationServer(authorize_url=FLEET_AUTHORIZE_URL, token_url=FLEET_TOKEN_URL)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Where Tesla must send the owner back to, for the developer application's settings."""
    return {"redirect_uri": "https://my.home-assistant.io/redirect/oauth"}
