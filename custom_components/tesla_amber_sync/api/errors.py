"""The small family of errors every API client raises. Messages never contain tokens."""

from __future__ import annotations


class ApiError(Exception):
    """Base class of every error raised by the API clients."""


class AuthenticationError(ApiError):
    """The upstream rejected the token (401 or 403)."""


class RateLimitedError(ApiError):
    """The upstream asked us to slow down (429).

    `retry_after` is the number of seconds to wait, from `Retry-After` or Amber's `RateLimit-Reset`,
    or None when the reply did not say.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailableError(ApiError):
    """The upstream could not be reached or failed (5xx, timeout, connection error)."""


class InvalidResponseError(ApiError):
    """The upstream answered with something we cannot parse or that lacks required data."""


class CommandRejectedError(ApiError):
    """A write was answered but not accepted (an `error` key, `result: false`, or a 4xx other than auth).

    `message` is the upstream's own explanation, safe to show to the owner.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
