"""Fixtures for the simulator tests: the app on a real loopback socket, its clock frozen at START."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from simulator import SimulatorConfig, create_app
from simulator.config import DEFAULT_AMBER_TOKEN, DEFAULT_TESLEMETRY_TOKEN

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

# 12:10 in Sydney (AEST, winter): the middle of the solar soak.
START = datetime.fromisoformat("2026-07-15T02:10:00+00:00")
AMBER = {"Authorization": f"Bearer {DEFAULT_AMBER_TOKEN}"}
TESLA = {"Authorization": f"Bearer {DEFAULT_TESLEMETRY_TOKEN}"}
SITE = "/teslemetry/api/1/energy_sites/2252150123456789"


@pytest.fixture
def config() -> SimulatorConfig:
    """A frozen clock at START, so every price is known."""
    return SimulatorConfig(speed=0.0, start=START, timeout_delay=2.0)


@pytest.fixture
async def client(
    aiohttp_client: ClientSessionGenerator, socket_enabled: None, config: SimulatorConfig
) -> TestClient[Any, Any]:
    """A test client on the simulator, served on 127.0.0.1 (pytest-socket is lifted for these tests)."""
    return await aiohttp_client(create_app(config))
