"""The one HTTP helper behind every client: headers, timeout, and mapping failures onto typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
import logging
from typing import Any, Final, NoReturn

import aiohttp
import orjson

from . import USER_AGENT
from ._parse import as_dict, as_float, as_str
from .errors import (
    ApiError,
    AuthenticationError,
    CommandRejectedError,
    InvalidResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 20.0
"""Seconds allowed for one whole request (connect, send, read)."""

_REDACTED: Final = "**REDACTED**"
# Upstream text ends up in logs and in the UI; a bound keeps an HTML error page from flooding either.
_MAX_DETAIL_LENGTH: Final = 300
# Keys under which Teslemetry, Tesla and Amber put a human-readable reason, most specific first.
_MESSAGE_KEYS: Final = ("error_description", "reason", "message", "Message", "error")

type HeadersCallback = Callable[[Mapping[str, str]], None]
# A coroutine function returning a bearer token valid now (an OAuth2 access token, refreshed when due).
type TokenSource = str | Callable[[], Awaitable[str]]


class HttpTransport:
    """Sends JSON requests for one upstream service and raises the shared error family.

    The session is injected (Home Assistant owns it) and never closed here. `token`, when given, is sent as
    a bearer token and scrubbed from every error message this class builds. It can be a coroutine function
    that returns a valid token for each request (so an expired OAuth2 token is refreshed first).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        service: str,
        base_url: str,
        token: TokenSource | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        on_headers: HeadersCallback | None = None,
    ) -> None:
        """Prepare a transport; `on_headers` sees the headers of every reply, errors included."""
        if not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        self._session = session
        self._service = service
        self._base_url = base_url.rstrip("/")
        self._token_source = token or None
        # Every token sent so far: each is scrubbed from error messages.
        self._tokens: list[str] = [token] if isinstance(token, str) else []
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._on_headers = on_headers

    async def get_json(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        """GET `path` and return the decoded JSON body (None for an empty body)."""
        return await self._request("GET", path, params=params, body=None, is_write=False)

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST `body` as JSON to `path`; a refused write raises CommandRejectedError."""
        return await self._request("POST", path, params=None, body=body, is_write=True)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        is_write: bool,
    ) -> Any:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        token = await self._current_token()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                json=body,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                if self._on_headers is not None:
                    self._on_headers(response.headers)
                status = response.status
                reply_headers = response.headers
                raw = await response.read()
        except TimeoutError as err:
            raise ServiceUnavailableError(
                f"{self._service} did not answer within {self._timeout.total:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise ServiceUnavailableError(
                self.redact(f"Cannot reach {self._service}: {type(err).__name__}: {err}")
            ) from err

        if status >= 400:
            self._raise_for_status(status, reply_headers, raw, is_write=is_write)
        return self._decode(raw)

    async def _current_token(self) -> str | None:
        if self._token_source is None or isinstance(self._token_source, str):
            return self._token_source
        token = await self._token_source()
        if token not in self._tokens:
            # The latest few are enough: an older one can no longer be in a reply.
            self._tokens = [*self._tokens[-2:], token]
        return token

    def _raise_for_status(
        self, status: int, headers: Mapping[str, str], raw: bytes, *, is_write: bool
    ) -> NoReturn:
        detail = self._detail(raw)
        suffix = f": {detail}" if detail else ""
        if status in {401, 403}:
            if self._token_source is None:
                # Without a token there is nothing to re-authenticate; the service is refusing us for now.
                raise ServiceUnavailableError(f"{self._service} refused the request (HTTP {status}){suffix}")
            raise AuthenticationError(f"{self._service} rejected the credentials (HTTP {status}){suffix}")
        if status == 429:
            retry_after = parse_retry_after(headers)
            raise RateLimitedError(
                f"{self._service} is rate limiting requests (HTTP 429)", retry_after=retry_after
            )
        if status == 408 or status >= 500:
            raise ServiceUnavailableError(f"{self._service} is unavailable (HTTP {status}){suffix}")
        if is_write:
            raise CommandRejectedError(detail or f"{self._service} rejected the command (HTTP {status})")
        raise ApiError(f"{self._service} refused the request (HTTP {status}){suffix}")

    def _decode(self, raw: bytes) -> Any:
        try:
            return decode_json(raw)
        except ValueError as err:
            # ValueError covers both JSONDecodeError and UnicodeDecodeError.
            raise InvalidResponseError(f"{self._service} sent a reply that is not valid JSON") from err

    def _detail(self, raw: bytes) -> str | None:
        try:
            payload = decode_json(raw)
        except ValueError:
            # Not JSON (an HTML error page, say): not worth echoing.
            return None
        message = upstream_message(payload)
        return self.redact(message) if message else None

    def redact(self, text: str) -> str:
        """Bound `text` in length and scrub the token out of it."""
        for token in self._tokens:
            text = text.replace(token, _REDACTED)
        return text[:_MAX_DETAIL_LENGTH]


def decode_json(raw: bytes) -> Any:
    """Return the JSON value of a reply body (None for an empty one); raise ValueError if it is not JSON.

    orjson (a Home Assistant dependency) decodes Amber's day of 5-minute prices several times faster than
    the standard library. Where it is stricter (NaN, integers past 64 bits, lone surrogates) the standard
    library decides, so what is accepted is exactly what `json.loads` accepts.
    """
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def upstream_message(payload: object) -> str | None:
    """Return the upstream's own explanation from an error body, looking inside `response` too.

    Tesla sends `error` (a code) with `error_description` (prose); both are kept when they differ.
    """
    body = as_dict(payload)
    if body is None:
        return as_str(payload)
    parts: list[str] = []
    for source in (body, as_dict(body.get("response")) or {}):
        for key in _MESSAGE_KEYS:
            text = as_str(source.get(key))
            if text is not None and text not in parts:
                parts.append(text)
    return ": ".join(reversed(parts)) or None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or an HTTP date) or else `RateLimit-Reset` (seconds)."""
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        seconds = _delay_seconds(retry_after)
        if seconds is None:
            seconds = _seconds_until_http_date(retry_after, headers.get("Date"))
        if seconds is not None:
            return seconds
    reset = headers.get("RateLimit-Reset")
    return _delay_seconds(reset) if reset is not None else None


def _delay_seconds(text: str) -> float | None:
    seconds = as_float(text.strip())
    return seconds if seconds is not None and seconds >= 0 else None


def _seconds_until_http_date(text: str, server_date: str | None) -> float | None:
    moment = _http_date(text)
    if moment is None:
        return None
    # Measuring against the server's own Date header avoids depending on our clock being right.
    reference = _http_date(server_date) if server_date else None
    if reference is None:
        reference = datetime.now(UTC)
    return max(0.0, (moment - reference).total_seconds())


def _http_date(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except TypeError, ValueError:
        _LOGGER.debug("Ignoring unparseable HTTP date %r", text)
        return None
    # RFC 9110 dates are always GMT; "-0000" parses as naive but still means UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
