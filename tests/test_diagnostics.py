"""Diagnostics are useful and never leak a secret."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_amber_sync.diagnostics import async_get_config_entry_diagnostics

from .conftest import AMBER_TOKEN, TESLEMETRY_TOKEN


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Tokens, NMI, serial numbers and site identifiers are redacted; the sync state is there."""
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    text = json.dumps(diagnostics, default=str)
    for secret in (AMBER_TOKEN, TESLEMETRY_TOKEN, "4102000001", "12345", "Home Powerwall", "GW1234567890"):
        assert secret not in text
    assert diagnostics["sync"]["status"] == "synced"
    assert diagnostics["entry"]["data"]["amber_api_token"] == "**REDACTED**"
    assert diagnostics == snapshot
