"""Shared fixtures for the API client tests: a real aiohttp session with HTTP mocked by aioresponses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aioresponses import aioresponses
from aioresponses.compat import normalize_url
import pytest
from yarl import URL

from tests.aioresponses_compat import patch_aioresponses

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from aioresponses.core import RequestCall

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """Return the decoded JSON fixture `name` from tests/api/fixtures/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sent(mocked: aioresponses, method: str, url: str) -> RequestCall:
    """Return the last request made to `url` (query string included, in any order)."""
    calls = mocked.requests.get((method, normalize_url(URL(url))))
    assert calls, f"no {method} {url}; made: {list(mocked.requests)}"
    return calls[-1]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A real session; aioresponses intercepts its requests."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def mock_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    """Intercept every aiohttp request; unmatched URLs fail with a connection error."""
    patch_aioresponses(monkeypatch)
    with aioresponses() as mocked:
        yield mocked
