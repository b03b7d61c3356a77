"""The options flow: a menu of the spike response and curtailment form and the demand-charge form, each
validated with translated errors."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from tests.options_helpers import open_options_form

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
    result = await open_options_form(hass, init_integration.entry_id)
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
    result = await open_options_form(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], VALID)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(init_integration.options) == {
        **VALID,
        "spike_threshold": 500.0,
        "spike_exit_threshold": 400.0,
        "curtailment_threshold": 1.5,
        "demand_charge": False,
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
    result = await open_options_form(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {**VALID, **changes})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert dict(init_integration.options) == {}
    # The message states the range allowed, in $/MWh like the field.
    translations = await async_get_translations(hass, "en", "options", [DOMAIN])
    message = translations[f"component.{DOMAIN}.options.error.{error}"].format(
        **result["description_placeholders"]
    )
    assert message.endswith(
        "from -1000 $/MWh (the market floor) up to, but below, the spike threshold (500 $/MWh)."
    )


@pytest.mark.parametrize(
    "changes",
    [{"spike_threshold": 0}, {"spike_min_hold_minutes": 0}, {"aemo_region": "wa1"}, {"aemo_region": "NSW1"}],
)
async def test_out_of_range_values_never_reach_the_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, changes: dict[str, Any]
) -> None:
    """The form's own ranges refuse a zero threshold or hold and an unknown region."""
    result = await open_options_form(hass, init_integration.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {**VALID, **changes})
    assert dict(init_integration.options) == {}


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"curtailment_threshold": float("nan")}, "curtailment_threshold", "invalid_curtailment_threshold"),
        ({"spike_exit_threshold": float("nan")}, "spike_exit_threshold", "invalid_exit_threshold"),
        ({"spike_min_hold_minutes": float("nan")}, "spike_min_hold_minutes", "invalid_min_hold"),
    ],
)
async def test_not_a_number_is_refused_by_name(
    hass: HomeAssistant, init_integration: MockConfigEntry, changes: dict[str, Any], field: str, error: str
) -> None:
    """NaN passes the form's ranges (every comparison with it is false): the rules refuse it by field."""
    result = await open_options_form(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {**VALID, **changes})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert dict(init_integration.options) == {}


async def test_stored_options_that_cannot_work_are_repaired_on_load(
    hass: HomeAssistant, cloud: Any, config_entry: MockConfigEntry, freezer: Any
) -> None:
    """An exit price of -20000 $/MWh (a spike that never ends) and a NaN threshold saved by an older version:
    both go back to their defaults at load, and a repair issue names them."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        options={**VALID, "spike_exit_threshold": -20000.0, "curtailment_threshold": float("nan")},
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert "spike_exit_threshold" not in config_entry.options
    assert "curtailment_threshold" not in config_entry.options
    assert config_entry.options["spike_threshold"] == 500
    issue = ir.async_get(hass).async_get_issue(
        "tesla_amber_sync", f"options_repaired_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["fields"] == "curtailment_threshold, spike_exit_threshold"
    state = hass.states.get("switch.home_powerwall_solar_curtailment")
    assert state is not None
    assert state.state == "on"
