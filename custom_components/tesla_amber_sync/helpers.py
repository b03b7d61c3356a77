"""The one place where API errors become Home Assistant errors."""

from __future__ import annotations

from typing import NoReturn

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api.errors import (
    ApiError,
    AuthenticationError,
    CommandRejectedError,
    InvalidResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)
from .const import DOMAIN


def _translation_key(err: ApiError) -> str:
    match err:
        case RateLimitedError():
            return "rate_limited"
        case ServiceUnavailableError():
            return "service_unavailable"
        case InvalidResponseError():
            return "invalid_response"
        case CommandRejectedError():
            return "command_rejected"
        case _:
            return "unknown_error"


def raise_update_failed(err: ApiError, service: str) -> NoReturn:
    """Raise what a coordinator should raise for an API error from `service` (a display name)."""
    if isinstance(err, AuthenticationError):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders={"service": service},
        ) from err
    raise UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=_translation_key(err),
        translation_placeholders={"service": service, "error": str(err)},
        retry_after=err.retry_after if isinstance(err, RateLimitedError) else None,
    ) from err
