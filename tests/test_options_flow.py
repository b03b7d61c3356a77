"""The options flow: spike response and curtailment settings, validated with translated errors."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN

VALID: dict[str, Any] = {
    "aemo_region": "vic1",
    "spike_detection": True,
    "spike_threshold": 500,
    "spike_exit_threshold": 400,
    "spike_min_hold_minutes": 15,
    "solar_curtailment": True,
    "curtailment_threshold": 1.5,
}


async def test_defaults_come_from_the_site(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The form starts from the defaults, with the region read from the Amber site's NMI (4… = NSW)."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {
        "aemo_region": "nsw1",
        "spike_detection": False,
        "spike_threshold": 300.0,
        "spike_exit_threshold": 240.0,
        "spike_min_hold_minutes": 10,
        "solar_curtailment": False,
        "curtailment_threshold": 0.0,
    }


async def test_saving_options_reloads_the_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Valid options are stored as given."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], VALID)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_integration.options) == {
        **VALID,
        "spike_threshold": 500.0,
        "spike_exit_threshold": 400.0,
        "curtailment_threshold": 1.5,
    }


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"spike_exit_threshold": 600}, "spike_exit_threshold", "invalid_exit_threshold"),
        ({"spike_exit_threshold": 500.5}, "spike_exit_threshold", "invalid_exit_threshold"),
    ],
)
async def test_invalid_options_are_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, changes: dict[str, Any], field: str, error: str
) -> None:
    """Settings that would flap or never end get a translated error on the field, and nothing is saved."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {**VALID, **changes})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert dict(init_integration.options) == {}
    # The message states the range allowed, in $/MWh like the field.
    translations = await async_get_translations(hass, "en", "options", [DOMAIN])
    message = translations[f"component.{DOMAIN}.options.error.{error}"].format(
        **result["description_placeholders"]
    )
    assert message.endswith("enter -20000 to 500 $/MWh.")


@pytest.mark.parametrize(
    "changes",
    [{"spike_threshold": 0}, {"spike_min_hold_minutes": 0}, {"aemo_region": "wa1"}, {"aemo_region": "NSW1"}],
)
async def test_out_of_range_values_never_reach_the_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, changes: dict[str, Any]
) -> None:
    """The form's own ranges refuse a zero threshold or hold and an unknown region."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {**VALID, **changes})
    assert dict(init_integration.options) == {}
