"""Opening a form of the options flow through its menu, as the owner does."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType


async def open_options_form(
    hass: HomeAssistant, entry_id: str, step: str = "spike_curtailment"
) -> ConfigFlowResult:
    """Start the options flow and choose `step` from its menu; returns the form."""
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["spike_curtailment", "demand_charge"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"next_step_id": step})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return result
