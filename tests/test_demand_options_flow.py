"""The options flow's demand-charge form: stored as the owner sets it (keeping the spike and curtailment
options), refused with a translated error per field, pre-filled from Amber's demand-window flags, and
repaired on load when a stored value cannot work."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from tests.options_helpers import open_options_form

from .conftest import START, past_first_poll
from .fake_cloud import FakeCloud
from .test_without_amber import own_entry, set_up

SYDNEY = ZoneInfo("Australia/Sydney")
# Weekday evenings in summer, billed monthly from the 7th, as a network might publish it.
DEMAND: dict[str, Any] = {
    "demand_charge": True,
    "demand_rate": 12.5,
    "demand_window_start": "15:00:00",
    "demand_window_end": "21:00:00",
    "demand_days": "weekdays",
    "demand_months": ["11", "12", "1", "2", "3"],
    "demand_cycle": "monthly",
    "demand_cycle_day": 7,
    "demand_applies_to_amber": True,
}
STORED_DEMAND = {
    **DEMAND,
    "demand_window_start": "15:00",
    "demand_window_end": "21:00",
    "demand_months": ["1", "2", "3", "11", "12"],
}
SPIKE_OPTIONS = {"spike_detection": True, "spike_threshold": 500.0, "spike_exit_threshold": 400.0}


def suggested(result: Any) -> dict[str, Any]:
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


def fields(result: Any) -> list[str]:
    return [str(key) for key in result["data_schema"].schema]


async def test_the_demand_charge_is_stored_and_the_spike_options_are_kept(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The demand form stores its fields (times as HH:MM, months in order) over the spike options; saving
    the spike form afterwards keeps the demand charge."""
    hass.config_entries.async_update_entry(init_integration, options=SPIKE_OPTIONS)
    await hass.async_block_till_done()
    result = await open_options_form(hass, init_integration.entry_id, "demand_charge")
    result = await hass.config_entries.options.async_configure(result["flow_id"], DEMAND)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = dict(init_integration.options)
    assert {key: options[key] for key in STORED_DEMAND} == STORED_DEMAND
    assert {key: options[key] for key in SPIKE_OPTIONS} == SPIKE_OPTIONS

    result = await open_options_form(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**suggested(result), "spike_threshold": 600}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options["spike_threshold"] == 600
    assert {key: init_integration.options[key] for key in STORED_DEMAND} == STORED_DEMAND

    # Opened again, the form shows what is stored.
    result = await open_options_form(hass, init_integration.entry_id, "demand_charge")
    assert suggested(result) == STORED_DEMAND


async def test_turning_the_charge_off_stores_only_off(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(init_integration, options={**SPIKE_OPTIONS, **STORED_DEMAND})
    await hass.async_block_till_done()
    result = await open_options_form(hass, init_integration.entry_id, "demand_charge")
    # Off: the other fields are not checked (a half-typed rate does not hold the owner up).
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEMAND, "demand_charge": False, "demand_rate": 0}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options["demand_charge"] is False
    assert [key for key in init_integration.options if key.startswith("demand")] == ["demand_charge"]
    assert init_integration.options["spike_threshold"] == 500.0


@pytest.mark.parametrize(
    ("changes", "field", "error", "message"),
    [
        ({"demand_rate": 0}, "demand_rate", "invalid_demand_rate", "above 0 and at most 100 $/kW."),
        ({"demand_rate": float("nan")}, "demand_rate", "invalid_demand_rate", "at most 100 $/kW."),
        ({"demand_rate": None}, "demand_rate", "invalid_demand_rate", "at most 100 $/kW."),
        (
            {"demand_window_start": "15:15:00"},
            "demand_window_start",
            "invalid_demand_window_start",
            "15:30).",
        ),
        ({"demand_window_end": "20:59"}, "demand_window_end", "invalid_demand_window_end", "21:30)."),
        ({"demand_window_start": None}, "demand_window_start", "invalid_demand_window_start", "15:30)."),
        ({"demand_months": []}, "demand_months", "invalid_demand_months", "applies in."),
        ({"demand_cycle_day": 2.5}, "demand_cycle_day", "invalid_demand_cycle_day", "from 1 to 28."),
    ],
)
async def test_every_demand_problem_is_refused_by_name(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, Any],
    field: str,
    error: str,
    message: str,
) -> None:
    """Each problem gets its translated error on its own field (naming what is allowed), and nothing is
    saved."""
    result = await open_options_form(hass, init_integration.entry_id, "demand_charge")
    answer = {key: value for key, value in {**DEMAND, **changes}.items() if value is not None}
    result = await hass.config_entries.options.async_configure(result["flow_id"], answer)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert dict(init_integration.options) == {}
    translations = await async_get_translations(hass, "en", "options", [DOMAIN])
    text = translations[f"component.{DOMAIN}.options.error.{error}"].format(
        **result["description_placeholders"]
    )
    assert text.endswith(message)


@pytest.mark.parametrize(
    "changes",
    [
        {"demand_rate": 250},
        {"demand_days": "fortnightly"},
        {"demand_cycle": "weekly"},
        {"demand_months": ["13"]},
        {"demand_cycle_day": 29},
    ],
)
async def test_choices_outside_the_form_never_reach_the_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, changes: dict[str, Any]
) -> None:
    result = await open_options_form(hass, init_integration.entry_id, "demand_charge")
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {**DEMAND, **changes})
    assert dict(init_integration.options) == {}


async def test_amber_s_flagged_window_is_offered_when_none_is_set(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber flags 16:00-20:00 (Sydney) every day: the form offers that window while none is set, and says
    so; once a window is set, the form shows the owner's own."""
    cloud.demand_window = lambda start: 16 <= start.astimezone(SYDNEY).hour < 20
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)

    result = await open_options_form(hass, config_entry.entry_id, "demand_charge")
    assert result["description_placeholders"]["amber_window"] == "16:00-20:00"
    assert suggested(result) == {
        "demand_charge": False,
        "demand_window_start": "16:00",
        "demand_window_end": "20:00",
        "demand_days": "every_day",
        "demand_months": [str(month) for month in range(1, 13)],
        "demand_cycle": "monthly",
        "demand_cycle_day": 1,
        "demand_applies_to_amber": True,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**suggested(result), "demand_charge": True, "demand_rate": 9.0}
    )
    await hass.async_block_till_done()
    assert config_entry.options["demand_window_start"] == "16:00"
    assert config_entry.options["demand_window_end"] == "20:00"

    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, "demand_window_start": "17:00"}
    )
    result = await open_options_form(hass, config_entry.entry_id, "demand_charge")
    assert suggested(result)["demand_window_start"] == "17:00"
    assert result["description_placeholders"]["amber_window"] == "-"


async def test_amber_s_weekday_window_is_offered_on_weekdays(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Saturday 13:10 (Sydney): Amber's intervals reach back over Friday, flagged 16:00-20:00, and ahead
    over Saturday evening, not flagged; the form offers the window on weekdays, so accepting it does not
    disagree with Amber every weekend."""
    cloud.demand_window = lambda start: (
        start.astimezone(SYDNEY).weekday() < 5 and 16 <= start.astimezone(SYDNEY).hour < 20
    )
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)

    result = await open_options_form(hass, config_entry.entry_id, "demand_charge")
    assert result["description_placeholders"]["amber_window"] == "16:00-20:00"
    assert suggested(result)["demand_days"] == "weekdays"


async def test_without_amber_the_form_does_not_ask_about_amber(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, freezer, own_entry())
    result = await open_options_form(hass, entry.entry_id, "demand_charge")
    assert "demand_applies_to_amber" not in fields(result)
    assert result["description_placeholders"]["amber_window"] == "-"
    answer = {key: value for key, value in DEMAND.items() if key != "demand_applies_to_amber"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["demand_rate"] == 12.5
    assert entry.options["demand_applies_to_amber"] is True


async def test_stored_demand_options_that_cannot_work_are_repaired_on_load(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A rate of 0 and a window edge off the half hour: the charge is turned off (it has no default rate or
    window), the cycle day of 31 goes back to the 1st, and a repair issue names them; loading again finds
    nothing more to repair."""
    freezer.move_to(START)
    await hass.config.async_set_time_zone("Australia/Sydney")
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        options={**STORED_DEMAND, "demand_rate": 0.0, "demand_window_end": "20:45", "demand_cycle_day": 31},
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.options["demand_charge"] is False
    assert "demand_rate" not in config_entry.options
    assert "demand_cycle_day" not in config_entry.options
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"options_repaired_{config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["fields"] == "demand_cycle_day, demand_rate, demand_window_end"
    ir.async_get(hass).async_delete(DOMAIN, f"options_repaired_{config_entry.entry_id}")
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"options_repaired_{config_entry.entry_id}") is None


def test_start_is_on_a_saturday() -> None:
    """The fixtures' START (13:10 Sydney) is a Saturday: the weekday/weekend cases above rely on it."""
    assert datetime.fromisoformat(START.isoformat()).astimezone(SYDNEY).weekday() == 5
