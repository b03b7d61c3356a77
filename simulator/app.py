"""The aiohttp application: routes of the upstreams (Amber, Teslemetry, Tesla's Fleet API and its sign-in
server, AEMO) plus the control API, and one middleware that counts each upstream request, checks its bearer
token and applies any injected fault."""

from __future__ import annotations

import asyncio
import json
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from . import aemo, amber, control, fleet, teslemetry
from .config import SimulatorConfig
from .faults import Fault, FaultKind
from .responses import SIMULATOR_KEY, aemo_error, amber_error, tesla_error
from .state import RecordedRequest, Simulator

MALFORMED_BODY: Final = '{"response": {"broken": '


def create_app(config: SimulatorConfig | None = None) -> web.Application:
    """Build the simulator application (the caller runs it, on 127.0.0.1)."""
    app = web.Application(middlewares=[upstream_middleware])
    app[SIMULATOR_KEY] = Simulator(config or SimulatorConfig())
    amber.add_routes(app)
    teslemetry.add_routes(app)
    fleet.add_routes(app)
    aemo.add_routes(app)
    control.add_routes(app)
    return app


def _service(endpoint: str) -> str:
    return endpoint.split(".", 1)[0]


async def _record(sim: Simulator, endpoint: str, request: web.Request) -> None:
    body: object = None
    if request.can_read_body:
        raw = await request.read()
        if request.content_type == "application/x-www-form-urlencoded":
            # The sign-in server's forms carry secrets: the log shows which fields came, not their values.
            form = await request.post()
            body = {
                key: "<redacted>" if key in fleet.SECRET_FIELDS else str(value) for key, value in form.items()
            }
        else:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
    sim.record(
        RecordedRequest(
            endpoint=endpoint,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=body,
            at=sim.now(),
        )
    )


def _unauthorised(service: str, sim: Simulator, request: web.Request) -> web.Response | None:
    header = request.headers.get("Authorization", "")
    if service == "fleet":
        # An access token the sign-in server issued, not expired nor revoked.
        if header.startswith("Bearer ") and sim.fleet_auth.access_valid(header.removeprefix("Bearer ")):
            return None
        return tesla_error(401, "invalid_token", "The bearer token is missing, invalid or expired")
    expected = {"amber": sim.config.amber_token, "teslemetry": sim.config.teslemetry_token}.get(service)
    if expected is None:
        return None  # AEMO's report and the sign-in server need no bearer token.
    if header == f"Bearer {expected}":
        return None
    if service == "amber":
        return amber_error(401, "Unauthorized")
    return tesla_error(401, "invalid_token", "The bearer token is missing, invalid or expired")


async def _fault_response(service: str, fault: Fault, sim: Simulator) -> web.Response | None:
    """The reply a fault replaces the normal one with, or None to go on with the normal reply."""
    if fault.kind is FaultKind.TIMEOUT:
        # Hold the reply past the client's timeout; a client that waits anyway gets the normal answer.
        await asyncio.sleep(fault.delay if fault.delay is not None else sim.config.timeout_delay)
        return None
    if fault.kind is FaultKind.MALFORMED:
        return web.Response(status=200, text=MALFORMED_BODY, content_type="application/json")
    if fault.kind is FaultKind.NOT_APPLIED:
        return None
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(round(fault.retry_after))
    message = "Too many requests" if fault.status == 429 else f"Injected failure ({fault.status})"
    if service == "amber":
        return amber_error(fault.status, message, headers)
    if service in {"teslemetry", "fleet"}:
        return tesla_error(fault.status, "injected", message, headers)
    if service == "oauth":
        return web.json_response(
            {"error": "injected", "error_description": message}, status=fault.status, headers=headers
        )
    return aemo_error(fault.status, message, headers)


@web.middleware
async def upstream_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count, authenticate and (when asked) break upstream requests; `/_sim` passes straight through."""
    endpoint = request.match_info.route.name
    if endpoint is None or endpoint.startswith("sim."):
        return await handler(request)
    sim = request.app[SIMULATOR_KEY]
    service = _service(endpoint)
    await _record(sim, endpoint, request)
    if (refused := _unauthorised(service, sim, request)) is not None:
        return refused
    fault = sim.faults.take(endpoint, is_write=request.method == "POST")
    if fault is not None:
        if (replaced := await _fault_response(service, fault, sim)) is not None:
            return replaced
        if fault.kind is FaultKind.NOT_APPLIED:
            request[teslemetry.APPLY_WRITES] = False
    return await handler(request)
