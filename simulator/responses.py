"""Reply helpers in each upstream's own error and success shapes, and the application key."""

from __future__ import annotations

from typing import Any, Final
import uuid

from aiohttp import web

from .state import Simulator

SIMULATOR_KEY: Final = web.AppKey("simulator", Simulator)
WRITE_ACCEPTED: Final = {"response": {"code": 201, "message": "Updated"}}


def amber_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """Amber's error body: a message."""
    return web.json_response({"message": message}, status=status, headers=headers)


def tesla_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Tesla's (and Teslemetry's) error body: a null response with an error code and prose."""
    body = {"response": None, "error": error, "error_description": description, "txid": uuid.uuid4().hex}
    return web.json_response(body, status=status, headers=headers)


def tesla_ok(payload: Any) -> web.Response:
    """A Tesla read: the payload wrapped in `response`."""
    return web.json_response({"response": payload})


def aemo_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """AEMO answers failures with a short JSON message."""
    return web.json_response({"message": message}, status=status, headers=headers)
