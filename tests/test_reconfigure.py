"""Reconfiguring an entry: rotate a token early, change the Amber site, or move the API addresses.

The Powerwall is the entry's identity (its unique id) and is never asked for again.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import (
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_SITE_ID,
    CONF_TESLEMETRY_API_TOKEN,
    DOMAIN,
)

from .conftest import AMBER_TOKEN, TESLEMETRY_TOKEN
from .fake_cloud import AMBER_SITE_ID, ENERGY_SITE_ID, FakeCloud, load_fixture

OTHER_SITE_ID = "01HAMBERSITECLOSED0000000"


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, answer: dict[str, Any]) -> dict[str, Any]:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["reconfigure_tokens", "reconfigure_fleet"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_tokens"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_tokens"
    # The Powerwall is not asked for: the form has the two tokens and the API addresses only.
    assert [str(key) for key in result["data_schema"].schema] == [
        CONF_AMBER_API_TOKEN,
        CONF_TESLEMETRY_API_TOKEN,
        "api_addresses",
    ]
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], answer))


async def test_rotate_the_teslemetry_token(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """A new Teslemetry token is checked against this Powerwall, stored, and used after the reload."""
    result = await _reconfigure(hass, init_integration, {CONF_TESLEMETRY_API_TOKEN: "rotated_token"})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_TESLEMETRY_API_TOKEN] == "rotated_token"
    assert init_integration.data[CONF_AMBER_API_TOKEN] == AMBER_TOKEN
    assert init_integration.unique_id == str(ENERGY_SITE_ID)
    assert init_integration.state is ConfigEntryState.LOADED
    assert cloud.requests_to("/site_info")[-1].headers["Authorization"] == "Bearer rotated_token"


async def test_change_the_amber_site(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """With two active sites the owner chooses (the current one preselected); the entry then prices the
    Powerwall from the new site, and the old site's device goes."""
    cloud.amber_sites[1]["status"] = "active"
    registry = dr.async_get(hass)
    assert (
        registry.async_get_device_by_identifier((DOMAIN, f"amber_{AMBER_SITE_ID}"), init_integration.entry_id)
        is not None
    )
    result = await _reconfigure(hass, init_integration, {})
    assert result["step_id"] == "reconfigure_amber_site"
    (site_key,) = result["data_schema"].schema
    assert site_key.default() == AMBER_SITE_ID
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_AMBER_SITE_ID: OTHER_SITE_ID})
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_AMBER_SITE_ID] == OTHER_SITE_ID
    assert init_integration.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN
    assert cloud.requests_to("/prices/current")[-1].path.endswith(f"/sites/{OTHER_SITE_ID}/prices/current")
    assert (
        registry.async_get_device_by_identifier((DOMAIN, f"amber_{AMBER_SITE_ID}"), init_integration.entry_id)
        is None
    )
    amber = registry.async_get_device_by_identifier(
        (DOMAIN, f"amber_{OTHER_SITE_ID}"), init_integration.entry_id
    )
    assert amber is not None
    assert amber.serial_number == "4102000002"
    assert hass.states.get("sensor.amber_electric_general_price").state == "0.3"


async def test_move_the_api_addresses_and_back(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """Addresses typed in are stored and used; set back to the public ones, they are forgotten."""
    cloud.mock.get("http://127.0.0.1:8099/amber/v1/sites", payload=load_fixture("amber_sites.json"))
    result = await _reconfigure(
        hass,
        init_integration,
        {"api_addresses": {"amber_base_url": "http://127.0.0.1:8099/amber/v1/"}},
    )
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data["amber_base_url"] == "http://127.0.0.1:8099/amber/v1"
    await hass.async_block_till_done()
    result = await _reconfigure(
        hass, init_integration, {"api_addresses": {"amber_base_url": "https://api.amber.com.au/v1"}}
    )
    assert result["reason"] == "reconfigure_successful"
    assert "amber_base_url" not in init_integration.data
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    # Left out of the answer, the addresses stay as they are.
    init_integration_data = {**init_integration.data, "aemo_base_url": "http://127.0.0.1:8099/aemo/x"}
    hass.config_entries.async_update_entry(init_integration, data=init_integration_data)
    result = await _reconfigure(hass, init_integration, {CONF_AMBER_API_TOKEN: "psk_rotated"})
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data["aemo_base_url"] == "http://127.0.0.1:8099/aemo/x"
    assert init_integration.data[CONF_AMBER_API_TOKEN] == "psk_rotated"
    await hass.async_block_till_done()


async def test_a_rejected_or_foreign_token_changes_nothing(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """A token Amber rejects, or a Teslemetry token without this Powerwall, is refused on the form."""
    cloud.fail("/v1/sites", 401)
    result = await _reconfigure(hass, init_integration, {CONF_AMBER_API_TOKEN: "psk_revoked"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "amber_invalid_auth"}
    cloud.products["response"] = [
        {"energy_site_id": 999, "resource_type": "battery", "components": {"battery": True}}
    ]
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: "other_account"}
        )
    )
    assert result["errors"] == {"base": "energy_site_missing"}
    assert init_integration.data[CONF_AMBER_API_TOKEN] == AMBER_TOKEN
    assert init_integration.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN
