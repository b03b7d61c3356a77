"""aioresponses 0.7.x with aiohttp >= 3.14, two fixes until a release catches up.

- aioresponses builds `ClientResponse(...)` without the `stream_writer` aiohttp now requires
  (pnuckowski/aioresponses#289). With `writer=None` aiohttp only reads `stream_writer.output_size`,
  so a stand-in is enough.
- It feeds the whole body into a 64 KiB stream reader whose protocol (a mock loop) cannot pause, so a
  large body (a day of 5-minute Amber prices) fails an assertion. The reader gets room for any body.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.streams import StreamReader
import pytest
from yarl import URL


class CompatClientResponse(aiohttp.ClientResponse):
    """A `ClientResponse` that tolerates aioresponses leaving out `stream_writer`."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def _roomy_stream_reader(loop: asyncio.AbstractEventLoop | None = None) -> StreamReader:
    return StreamReader(ResponseHandler(loop=loop), limit=2**30, loop=loop)  # type: ignore[arg-type]


def patch_aioresponses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make aioresponses build compatible responses for the rest of the test."""
    monkeypatch.setattr("aioresponses.core.ClientResponse", CompatClientResponse)
    monkeypatch.setattr("aioresponses.core.stream_reader_factory", _roomy_stream_reader)
