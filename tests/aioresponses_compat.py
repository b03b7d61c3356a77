"""aioresponses 0.7.x with aiohttp >= 3.14: supply the `stream_writer` that aiohttp now requires.

aioresponses builds `ClientResponse(...)` without it (pnuckowski/aioresponses#289, no release yet).
With `writer=None` aiohttp only reads `stream_writer.output_size`, so a stand-in is enough.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from yarl import URL


class CompatClientResponse(aiohttp.ClientResponse):
    """A `ClientResponse` that tolerates aioresponses leaving out `stream_writer`."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def patch_aioresponses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make aioresponses build compatible responses for the rest of the test."""
    monkeypatch.setattr("aioresponses.core.ClientResponse", CompatClientResponse)
