"""Application Credentials: the owner's own Tesla developer application signs in to Tesla's Fleet API."""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2Implementation,
    LocalOAuth2Implementation,
)

from .api.routes import FLEET_AUTH_BASE_URL, FLEET_AUTHORIZE_URL, FLEET_TOKEN_URL


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Tesla's OAuth2 server for third-party applications."""
    return AuthorizationServer(authorize_url=FLEET_AUTHORIZE_URL, token_url=FLEET_TOKEN_URL)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Where Tesla must send the owner back to, for the developer application's settings."""
    return {"redirect_uri": "https://my.home-assistant.io/redirect/oauth"}


def at_auth_server(
    implementation: AbstractOAuth2Implementation, auth_base_url: str | None
) -> AbstractOAuth2Implementation:
    """The same developer application signing in at another OAuth2 server (`authorize` and `token` under
    `auth_base_url`, say a local simulator), or `implementation` itself for Tesla's own."""
    if (
        not auth_base_url
        or auth_base_url.rstrip("/") == FLEET_AUTH_BASE_URL
        or not isinstance(implementation, LocalOAuth2Implementation)
    ):
        return implementation
    base = auth_base_url.rstrip("/")
    return LocalOAuth2Implementation(
        implementation.hass,
        implementation.domain,
        implementation.client_id,
        implementation.client_secret,
        f"{base}/authorize",
        f"{base}/token",
    )
