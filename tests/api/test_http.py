"""The shared HTTP helper: headers, timeout, and how every failure maps onto the error family."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import json
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.tesla_amber_sync.api import USER_AGENT
from custom_components.tesla_amber_sync.api._http import (
    DEFAULT_TIMEOUT,
    HttpTransport,
    decode_json,
    parse_retry_after,
    upstream_message,
)
from custom_components.tesla_amber_sync.api.errors import (
    ApiError,
    AuthenticationError,
    CommandRejectedError,
    InvalidResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)

from .conftest import sent

if TYPE_CHECKING:
    from aioresponses import aioresponses

BASE = "https://upstream.test/v1"
URL = f"{BASE}/thing"
TOKEN = "psk_secret_token_0123456789"


def transport(session: aiohttp.ClientSession, **kwargs: Any) -> HttpTransport:
    kwargs.setdefault("token", TOKEN)
    return HttpTransport(session, service="Upstream", base_url=f"{BASE}/", **kwargs)


def assert_token_hidden(err: BaseException) -> None:
    assert TOKEN not in str(err)
    assert TOKEN not in repr(err)
    assert "Authorization" not in str(err)


async def test_get_sends_user_agent_token_and_timeout(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.get(f"{URL}?a=1", payload={"ok": True})

    assert await transport(session).get_json("/thing", params={"a": "1"}) == {"ok": True}

    call = sent(mock_http, "GET", f"{URL}?a=1")
    assert call.kwargs["headers"]["User-Agent"] == USER_AGENT
    assert call.kwargs["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=DEFAULT_TIMEOUT)
    assert DEFAULT_TIMEOUT == 20.0


async def test_timeout_is_configurable_and_token_optional(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.get(URL, payload=[])

    await transport(session, token=None, timeout=5).get_json("/thing")

    call = sent(mock_http, "GET", URL)
    assert call.kwargs["timeout"] == aiohttp.ClientTimeout(total=5)
    assert "Authorization" not in call.kwargs["headers"]


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_rejects_a_timeout_that_is_not_positive(session: aiohttp.ClientSession, timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        transport(session, timeout=timeout)


async def test_post_sends_exact_json(session: aiohttp.ClientSession, mock_http: aioresponses) -> None:
    mock_http.post(URL, payload={"response": "Updated"})

    reply = await transport(session).post_json("/thing", {"a": [1, 2], "b": None})

    assert reply == {"response": "Updated"}
    assert sent(mock_http, "POST", URL).kwargs["json"] == {"a": [1, 2], "b": None}


async def test_empty_body_decodes_to_none(session: aiohttp.ClientSession, mock_http: aioresponses) -> None:
    mock_http.post(URL, status=204, body=b"")

    assert await transport(session).post_json("/thing", {}) is None


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failures(session: aiohttp.ClientSession, mock_http: aioresponses, status: int) -> None:
    # An upstream that echoes the token back must not leak it through our message.
    mock_http.get(URL, status=status, payload={"error": "invalid_token", "message": f"bad token {TOKEN}"})

    with pytest.raises(AuthenticationError, match=f"HTTP {status}") as caught:
        await transport(session).get_json("/thing")

    assert "invalid_token" in str(caught.value)
    assert "**REDACTED**" in str(caught.value)
    assert_token_hidden(caught.value)


async def test_auth_failure_on_write_is_still_auth(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.post(URL, status=401)

    with pytest.raises(AuthenticationError):
        await transport(session).post_json("/thing", {})


async def test_403_without_a_token_is_unavailable_not_auth(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.get(URL, status=403, body="<html>Forbidden</html>")

    with pytest.raises(ServiceUnavailableError, match=r"refused the request \(HTTP 403\)$"):
        await transport(session, token=None).get_json("/thing")


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"RateLimit-Reset": "45"}, 45.0),
        ({"Retry-After": "soon", "RateLimit-Reset": "45"}, 45.0),
        ({"Retry-After": "-3"}, None),
        (
            {"Retry-After": "Wed, 04 Sep 2024 14:01:30 GMT", "Date": "Wed, 04 Sep 2024 14:00:00 GMT"},
            90.0,
        ),
        ({}, None),
    ],
)
async def test_rate_limited(
    session: aiohttp.ClientSession,
    mock_http: aioresponses,
    headers: dict[str, str],
    retry_after: float | None,
) -> None:
    mock_http.get(URL, status=429, headers=headers, payload={"message": "slow down"})

    with pytest.raises(RateLimitedError, match="HTTP 429") as caught:
        await transport(session).get_json("/thing")

    assert caught.value.retry_after == retry_after
    assert_token_hidden(caught.value)


def test_retry_after_http_date_is_measured_against_our_clock_without_a_date_header() -> None:
    future = datetime.now(UTC) + timedelta(hours=1)

    seconds = parse_retry_after({"Retry-After": format_datetime(future, usegmt=True)})

    assert seconds is not None
    assert 3500 < seconds <= 3600


def test_retry_after_http_date_in_the_past_means_now() -> None:
    # "-0000" parses to a naive datetime; it still means UTC.
    assert parse_retry_after({"Retry-After": "Wed, 04 Sep 2024 14:00:00 -0000"}) == 0.0


def test_retry_after_with_an_unreadable_date_header_uses_our_clock() -> None:
    headers = {"Retry-After": "Wed, 04 Sep 2024 14:00:00 GMT", "Date": "yesterday"}

    assert parse_retry_after(headers) == 0.0


@pytest.mark.parametrize("status", [500, 502, 503, 408])
async def test_server_failures_are_unavailable(
    session: aiohttp.ClientSession, mock_http: aioresponses, status: int
) -> None:
    mock_http.get(URL, status=status, body="<html>oops</html>")

    with pytest.raises(ServiceUnavailableError, match=rf"unavailable \(HTTP {status}\)$"):
        await transport(session).get_json("/thing")


async def test_server_failure_on_write_is_unavailable_not_rejected(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.post(URL, status=503, payload={"error": "upstream down"})

    with pytest.raises(ServiceUnavailableError, match="upstream down"):
        await transport(session).post_json("/thing", {})


async def test_timeout_is_unavailable(session: aiohttp.ClientSession, mock_http: aioresponses) -> None:
    mock_http.get(URL, exception=TimeoutError())

    with pytest.raises(ServiceUnavailableError, match="did not answer within 20 s"):
        await transport(session).get_json("/thing")


@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ClientConnectionError(f"refused for token {TOKEN}"),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("truncated"),
    ],
)
async def test_connection_errors_are_unavailable(
    session: aiohttp.ClientSession, mock_http: aioresponses, error: Exception
) -> None:
    mock_http.get(URL, exception=error)

    with pytest.raises(ServiceUnavailableError, match="Cannot reach Upstream") as caught:
        await transport(session).get_json("/thing")

    assert_token_hidden(caught.value)
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    "body",
    [
        b'[{"perKwh": 20.5, "type": "ActualInterval"}, null, 1e400]',
        b'{"price": NaN, "big": 123456789012345678901234567890}',
        b'["\\ud800"]',
        b"  ",
    ],
)
def test_json_decodes_as_the_standard_library_does(body: bytes) -> None:
    # orjson does most of the work, but what it refuses the standard library still gets to read.
    expected = json.loads(body) if body.strip() else None
    decoded = decode_json(body)

    assert json.dumps(decoded) == json.dumps(expected)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"<html></html>"])
async def test_undecodable_json_is_invalid(
    session: aiohttp.ClientSession, mock_http: aioresponses, body: bytes
) -> None:
    mock_http.get(URL, body=body)

    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        await transport(session).get_json("/thing")


async def test_other_4xx_on_read_is_a_plain_api_error(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.get(URL, status=404, payload={"message": "Site not found"})

    with pytest.raises(ApiError, match=r"refused the request \(HTTP 404\): Site not found") as caught:
        await transport(session).get_json("/thing")

    assert type(caught.value) is ApiError


async def test_other_4xx_on_write_is_rejected_with_upstream_text(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.post(
        URL,
        status=400,
        payload={"response": None, "error": "invalid_field", "error_description": "tariff is invalid"},
    )

    with pytest.raises(CommandRejectedError) as caught:
        await transport(session).post_json("/thing", {})

    assert caught.value.message == "invalid_field: tariff is invalid"


async def test_other_4xx_on_write_without_readable_text(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    mock_http.post(URL, status=422, body="<html>" + "x" * 5000 + "</html>")

    with pytest.raises(CommandRejectedError) as caught:
        await transport(session).post_json("/thing", {})

    assert caught.value.message == "Upstream rejected the command (HTTP 422)"


async def test_long_upstream_text_is_bounded(session: aiohttp.ClientSession, mock_http: aioresponses) -> None:
    mock_http.post(URL, status=400, payload={"error": "x" * 5000})

    with pytest.raises(CommandRejectedError) as caught:
        await transport(session).post_json("/thing", {})

    assert len(caught.value.message) == 300


async def test_headers_callback_sees_every_reply(
    session: aiohttp.ClientSession, mock_http: aioresponses
) -> None:
    seen: list[str | None] = []
    client = transport(session, on_headers=lambda headers: seen.append(headers.get("X-Seq")))
    mock_http.get(URL, headers={"X-Seq": "1"}, payload={})
    mock_http.get(URL, status=500, headers={"X-Seq": "2"})

    await client.get_json("/thing")
    with pytest.raises(ServiceUnavailableError):
        await client.get_json("/thing")

    assert seen == ["1", "2"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"error": "invalid_command", "error_description": "Site is offline"},
            "invalid_command: Site is offline",
        ),
        ({"message": "Bad request"}, "Bad request"),
        ({"response": {"result": False, "reason": "Busy"}}, "Busy"),
        ({"response": {"Code": 400, "Message": "Bad tariff"}}, "Bad tariff"),
        ({"error": "same", "message": "same"}, "same"),
        ({"response": None, "txid": "abc"}, None),
        ({"error": "   "}, None),
        ("plain text reason", "plain text reason"),
        (["a list"], None),
        (None, None),
    ],
)
def test_upstream_message(payload: object, message: str | None) -> None:
    assert upstream_message(payload) == message
