"""The config flow's "Another retailer" path: the route to the Powerwall, the Powerwall, then the first
time-of-use schedule (the same steps as the schedule subentry flow), and an entry created without Amber."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.api.routes import FLEET_TOKEN_URL
from custom_components.tesla_amber_sync.const import (
    CONF_ENERGY_SITE_ID,
    CONF_FLEET_BASE_URL,
    CONF_POWERWALL_ROUTE,
    CONF_TESLEMETRY_API_TOKEN,
    DOMAIN,
)

from .conftest import START, TESLEMETRY_TOKEN
from .fake_cloud import ENERGY_SITE_ID, FakeCloud, load_fixture
from .test_fleet import REDIRECT, _token, credentials  # noqa: F401 - the fixture
from .test_schedule_flow import DETAILS, OFF_PEAK, PEAK, SIMPLE, WEEKEND

PACKAGE = Path(__file__).parents[1] / "custom_components" / "tesla_amber_sync"
ALL_YEAR = {"name": "All year", "from_month": "1", "from_day": 1, "to_month": "12", "to_day": 31}
SCHEDULE_TITLE = DETAILS["name"]
HALF_A_SHOULDER = {key: value for key, value in SIMPLE.items() if key != "shoulder_to"}
# What the menu path below stores: the subentry flow's plain data.
MENU_SCHEDULE = {
    "name": "Ausgrid EA116",
    "retailer": "Origin",
    "daily_supply_charge": 1.1,
    "seasons": [
        {
            "name": "All year",
            "from_month": 1,
            "from_day": 1,
            "to_month": 12,
            "to_day": 31,
            "periods": [
                {**PEAK},
                {**OFF_PEAK},
                {**WEEKEND},
            ],
        }
    ],
}


async def _configure(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], data))


async def _menu(hass: HomeAssistant, result: dict[str, Any], option: str) -> dict[str, Any]:
    assert result["type"] is FlowResultType.MENU, result
    assert option in result["menu_options"]
    return await _configure(hass, result, {"next_step_id": option})


async def _to_the_powerwall_route(hass: HomeAssistant, **addresses: str) -> dict[str, Any]:
    """Open the flow, choose another retailer, and pass its form (API addresses only)."""
    result = dict(await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER}))
    assert result["step_id"] == "user"
    result = await _menu(hass, result, "own_schedule")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "own_schedule"
    return await _configure(hass, result, {"api_addresses": addresses} if addresses else {})


async def _to_the_schedule(hass: HomeAssistant) -> dict[str, Any]:
    """Through Teslemetry to the first schedule's details form."""
    result = await _to_the_powerwall_route(hass)
    result = await _menu(hass, result, "teslemetry")
    result = await _configure(hass, result, {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "schedule_details"
    return result


async def _build_by_menu(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    """Details, a season, three periods: every step of the menu path, to the menu offering Finish."""
    result = await _configure(hass, result, DETAILS)
    assert result["step_id"] == "schedule"
    assert result["menu_options"] == ["add_season", "simple"]
    result = await _menu(hass, result, "add_season")
    assert result["step_id"] == "add_season"
    result = await _configure(hass, result, ALL_YEAR)
    for period in (PEAK, OFF_PEAK, WEEKEND):
        assert "finish" not in result["menu_options"]
        result = await _menu(hass, result, "add_period")
        assert result["step_id"] == "add_period"
        result = await _configure(hass, result, period)
    assert result["step_id"] == "schedule"
    assert result["menu_options"][-1] == "finish"
    return result


async def test_another_retailer_creates_the_entry_with_its_schedule_held_on_the_powerwall(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Every step of the path, then the entry is set up: the schedule is its subentry, the Tariff select has
    it chosen, and the Powerwall got exactly its `time_of_use_settings`, with no request to Amber."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    result = await _build_by_menu(hass, await _to_the_schedule(hass))
    result = await _menu(hass, result, "finish")
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home Powerwall"
    assert result["data"] == {
        CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN,
        CONF_ENERGY_SITE_ID: ENERGY_SITE_ID,
    }
    entry = result["result"]
    assert entry.unique_id == str(ENERGY_SITE_ID)
    (subentry,) = entry.subentries.values()
    assert (subentry.subentry_type, subentry.title) == ("tariff_schedule", SCHEDULE_TITLE)
    assert dict(subentry.data) == MENU_SCHEDULE
    assert entry.state is ConfigEntryState.LOADED

    select = hass.states.get("select.home_powerwall_tariff")
    assert select.state == SCHEDULE_TITLE
    assert select.attributes["options"] == [SCHEDULE_TITLE]
    ((write,),) = [[r for r in cloud.requests if r.method == "POST"]]
    assert write.path.endswith("/time_of_use_settings")
    # The schedule's own seasons and period names, in Tesla's places, sell rates beside (a golden body).
    assert write.json == load_fixture("own_schedule_tou_settings.json")
    assert not [r for r in cloud.requests if r.url.host == "api.amber.com.au"]
    assert hass.states.get("sensor.home_powerwall_sync_status").state == "synced"


async def test_the_simple_shortcut_makes_the_first_schedule(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """The shortcut's form is offered in the config flow too, and its whole-year schedule is the subentry."""
    result = await _configure(hass, await _to_the_schedule(hass), DETAILS)
    result = await _menu(hass, result, "simple")
    assert result["step_id"] == "simple"
    result = await _configure(hass, result, SIMPLE)
    result = await _menu(hass, result, "finish")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = result["result"].subentries.values()
    seasons = subentry.data["seasons"]
    assert [(s["name"], s["from_month"], s["to_month"]) for s in seasons] == [("All year", 1, 12)]
    assert {"Peak", "Shoulder", "Off-peak"} <= {p["name"] for p in seasons[0]["periods"]}


async def test_start_over_and_an_unfinished_schedule(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Finish is offered only for a whole schedule; starting over keeps the details, drops the seasons."""
    result = await _configure(hass, await _to_the_schedule(hass), DETAILS)
    result = await _menu(hass, result, "add_season")
    result = await _configure(hass, result, ALL_YEAR)
    assert "finish" not in result["menu_options"]
    assert "Season All year has no period." in result["description_placeholders"]["problems"]
    result = await _menu(hass, result, "start_over")
    assert result["menu_options"] == ["add_season", "simple"]
    assert result["description_placeholders"]["name"] == SCHEDULE_TITLE
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.parametrize(
    ("step", "data", "field", "error"),
    [
        ("schedule_details", {**DETAILS, "name": "  "}, "name", "schedule_name_missing"),
        ("schedule_details", {**DETAILS, "daily_supply_charge": 1.12345}, "daily_supply_charge",
         "rate_too_precise"),
        ("add_season", {**ALL_YEAR, "to_month": "2", "to_day": 30}, "to_day", "date_invalid"),
        ("add_period", {**PEAK, "sell": 0.6}, "sell", "sell_above_buy"),
        ("add_period", {**PEAK, "buy": 0.123456}, "buy", "rate_too_precise"),
        ("simple", HALF_A_SHOULDER, "shoulder_to", "window_incomplete"),
    ],
)  # fmt: skip
async def test_each_problem_is_shown_on_its_field_in_the_owners_words(
    hass: HomeAssistant, cloud: FakeCloud, step: str, data: dict[str, Any], field: str, error: str
) -> None:
    """The config flow's schedule steps refuse what the subentry flow refuses, on the same field, with a
    message the config flow's own translations carry."""
    result = await _to_the_schedule(hass)
    if step != "schedule_details":
        result = await _configure(hass, result, DETAILS)
        if step == "add_period":
            result = await _menu(hass, result, "add_season")
            result = await _configure(hass, result, ALL_YEAR)
        result = await _menu(hass, result, step)
    result = await _configure(hass, result, data)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    assert result["errors"] == {field: error}
    translations = await async_get_translations(hass, "en", "config", [DOMAIN])
    message = translations[f"component.{DOMAIN}.config.error.{error}"]
    assert message.format(**result["description_placeholders"])


async def test_the_first_schedule_steps_read_as_the_subentry_flows() -> None:
    """The config flow carries the schedule steps' and problems' texts: the same words as the subentry
    flow's (they cannot drift apart), every one of its problems included."""
    strings = json.loads((PACKAGE / "strings.json").read_text())
    config, schedule = strings["config"], strings["config_subentries"]["tariff_schedule"]
    for step in ("schedule", "add_season", "add_period", "simple"):
        assert config["step"][step] == schedule["step"][step], step
    assert config["step"]["schedule_details"]["data"] == schedule["step"]["user"]["data"]
    for key, message in schedule["error"].items():
        if key != "name_taken":  # an entry's first schedule has no other to clash with
            assert config["error"][key] == message, key
    assert "amber_base_url" not in config["step"]["own_schedule"]["sections"]["api_addresses"]["data"]


async def test_the_addresses_asked_point_the_route_elsewhere(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """The other retailer's form has the API addresses, without Amber's; the Powerwall is then read there."""
    result = dict(await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER}))
    result = await _menu(hass, result, "own_schedule")
    ((key, section),) = result["data_schema"].schema.items()
    assert str(key) == "api_addresses"
    assert section.options == {"collapsed": True}
    assert [str(field) for field in section.schema.schema] == [
        "teslemetry_base_url",
        "aemo_base_url",
        "fleet_region_url",
        "fleet_auth_url",
    ]
    local = "http://127.0.0.1:8080/teslemetry"
    cloud.mock.get(f"{local}/api/1/products", payload=load_fixture("teslemetry_products.json"))
    result = await _configure(hass, result, {"api_addresses": {"teslemetry_base_url": local}})
    result = await _menu(hass, result, "teslemetry")
    result = await _configure(hass, result, {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN})
    assert result["step_id"] == "schedule_details"
    assert cloud.requests_to("/products") == []
    result = await _menu(hass, await _configure(hass, result, DETAILS), "simple")
    result = await _menu(hass, await _configure(hass, result, SIMPLE), "finish")
    assert result["data"]["teslemetry_base_url"] == local


async def test_teslemetry_errors_and_an_existing_powerwall(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """A rejected token shows Teslemetry's error; a Powerwall already set up (here with Amber) is refused
    before any schedule is asked for."""
    result = await _menu(hass, await _to_the_powerwall_route(hass), "teslemetry")
    cloud.fail("/products", 401)
    result = await _configure(hass, result, {CONF_TESLEMETRY_API_TOKEN: "bad"})
    assert result["errors"] == {"base": "teslemetry_invalid_auth"}
    config_entry.add_to_hass(hass)
    result = await _configure(hass, result, {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_choice_of_powerwalls_is_asked_before_the_schedule(
    hass: HomeAssistant, cloud: FakeCloud
) -> None:
    cloud.products["response"].append(
        {"energy_site_id": 555, "resource_type": "battery", "site_name": "Beach House", "components": {}}
    )
    result = await _menu(hass, await _to_the_powerwall_route(hass), "teslemetry")
    result = await _configure(hass, result, {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN})
    assert result["step_id"] == "energy_site"
    result = await _configure(hass, result, {CONF_ENERGY_SITE_ID: "555"})
    assert result["step_id"] == "schedule_details"
    result = await _menu(hass, await _configure(hass, result, DETAILS), "simple")
    result = await _menu(hass, await _configure(hass, result, SIMPLE), "finish")
    assert result["title"] == "Beach House"
    assert result["result"].unique_id == "555"


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_another_retailer_over_the_fleet_api(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Signing in to Tesla instead of a Teslemetry token: the schedule follows the sign-in."""
    result = await _menu(hass, await _to_the_powerwall_route(hass), "fleet")
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    cloud.mock.post(FLEET_TOKEN_URL, payload=_token("fleet_access_1"))
    await hass.config_entries.flow.async_configure(
        result["flow_id"], {"code": "abcd", "state": {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}}
    )
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    assert result["step_id"] == "schedule_details"
    result = await _menu(hass, await _configure(hass, result, DETAILS), "simple")
    result = await _menu(hass, await _configure(hass, result, SIMPLE), "finish")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data[CONF_POWERWALL_ROUTE] == "fleet"
    assert data[CONF_FLEET_BASE_URL] == "https://fleet-api.prd.na.vn.cloud.tesla.com"
    assert "amber_api_token" not in data
    assert CONF_TESLEMETRY_API_TOKEN not in data
    assert [s.title for s in result["result"].subentries.values()] == [SCHEDULE_TITLE]
