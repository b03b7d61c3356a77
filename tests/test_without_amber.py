"""An entry for another retailer (no Amber): its first schedule on the Powerwall, no Amber anywhere (requests,
device, entities), spike response and curtailment on the schedule, status, services, restarts, reauth and
reconfigure."""

from __future__ import annotations

import copy
from datetime import timedelta
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_amber_sync import PLATFORMS
from custom_components.tesla_amber_sync.const import (
    CONF_ENERGY_SITE_ID,
    CONF_FLEET_BASE_URL,
    CONF_POWERWALL_ROUTE,
    CONF_TESLEMETRY_API_TOKEN,
    DOMAIN,
)
from custom_components.tesla_amber_sync.diagnostics import async_get_config_entry_diagnostics
from custom_components.tesla_amber_sync.tariff import DayTariff, decode_tariff, encode_tariff
from tests.options_helpers import open_options_form

from .conftest import START, TESLEMETRY_TOKEN, past_first_poll
from .fake_cloud import ENERGY_SITE_ID, FakeCloud, load_fixture
from .test_fleet import FLEET_HOST, _token
from .test_spike_response import price_from, tick, writes
from .test_writer import continue_fix, start_fix

SELECT = "select.home_powerwall_tariff"
STATUS = "sensor.home_powerwall_sync_status"
TARIFF = "sensor.home_powerwall_tariff"
EXPORT_RULE = "sensor.home_powerwall_export_rule"
NAME = "Ausgrid EA116"
# The config flow's first schedule (as tests/test_own_schedule_flow.py builds it), and its golden body.
SCHEDULE: dict[str, Any] = {
    "name": NAME,
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
                {"name": "Peak", "days": "weekdays", "from": "15:00", "to": "21:00", "buy": 0.55,
                 "sell": 0.05},
                {"name": "Off-peak", "days": "every_day", "from": "21:00", "to": "15:00", "buy": 0.2,
                 "sell": 0.05},
                {"name": "Weekend", "days": "weekends", "from": "15:00", "to": "21:00", "buy": 0.25,
                 "sell": 0.04},
            ],
        }
    ],
}  # fmt: skip
# A plan that pays nothing for export at midday on weekends (START is Saturday 13:10 in Sydney).
SOLAR_SOAK: dict[str, Any] = {
    "name": "Solar soak",
    "retailer": "Some retailer",
    "daily_supply_charge": 1.0,
    "seasons": [
        {
            "name": "All year",
            "from_month": 1,
            "from_day": 1,
            "to_month": 12,
            "to_day": 31,
            "periods": [
                {"name": "Soak", "days": "every_day", "from": "10:00", "to": "15:00", "buy": 0.1,
                 "sell": 0.0},
                {"name": "Rest", "days": "every_day", "from": "15:00", "to": "10:00", "buy": 0.3,
                 "sell": 0.06},
            ],
        }
    ],
}  # fmt: skip
# The owner's own tariff before Tesla Sync: what "My tariff before Tesla Sync" gives back.
OWNERS_TARIFF = encode_tariff(
    DayTariff.from_rates([0.31] * 48, [0.07] * 48), code="OWNER_PLAN", name="Owner's plan", utility="Origin"
)
# The owner's tariff as they changed it in the Tesla app.
EDITED_IN_THE_APP = encode_tariff(
    DayTariff.from_rates([0.33] * 48, [0.07] * 48), code="APP_EDIT", name="Edited", utility="Origin"
)
BASELINE = "My tariff before Tesla Sync"


def own_entry(schedule: dict[str, Any] = SCHEDULE, **data: Any) -> MockConfigEntry:
    """An entry as the config flow's "Another retailer" path creates it: no Amber, one schedule."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Home Powerwall",
        unique_id=str(ENERGY_SITE_ID),
        data={CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN, CONF_ENERGY_SITE_ID: ENERGY_SITE_ID, **data},
        subentries_data=[
            {
                "data": copy.deepcopy(schedule),
                "subentry_type": "tariff_schedule",
                "title": schedule["name"],
                "unique_id": None,
            }
        ],
        version=1,
        minor_version=2,
    )


async def set_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    *,
    zone: str = "Australia/Sydney",
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    await hass.config.async_set_time_zone(zone)
    freezer.move_to(START)
    entry.add_to_hass(hass)
    if options:
        hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)
    return entry


def amber_requests(cloud: FakeCloud) -> list[str]:
    return [str(request.url) for request in cloud.requests if request.url.host == "api.amber.com.au"]


async def test_the_first_schedule_is_written_and_amber_is_never_asked(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Setup writes exactly the schedule's `time_of_use_settings` once, holds it, and over an hour of
    polling no request goes to Amber; the status says synced (the Powerwall holds it, time-based control)."""
    entry = await set_up(hass, freezer, own_entry())
    (write,) = cloud.requests_to("/time_of_use_settings")
    assert write.json == load_fixture("own_schedule_tou_settings.json")
    mark = len(cloud.requests)
    await tick(hass, freezer, 60)
    assert amber_requests(cloud) == []
    assert writes(cloud, mark) == []
    assert cloud.requests_to("/site_info")[-1].at > START + timedelta(minutes=50)
    assert hass.states.get(SELECT).state == NAME
    assert hass.states.get(SELECT).attributes["options"] == [NAME]
    assert hass.states.get(TARIFF).attributes["source"] == "schedule"
    assert hass.states.get(STATUS).state == "synced"
    assert entry.runtime_data.amber is None


async def test_status_is_truthful_without_amber(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Never "upstream unavailable" for Amber's absence; pending while the Powerwall does not show the
    schedule; not in time-based control when the Powerwall ignores its tariff."""
    cloud.apply_writes = False
    await set_up(hass, freezer, own_entry())
    assert hass.states.get(STATUS).state == "not_applied"
    cloud.apply_writes = True
    await tick(hass, freezer, 6)
    assert hass.states.get(STATUS).state == "synced"
    cloud.site_info["default_real_mode"] = "self_consumption"
    await tick(hass, freezer, 5)
    assert hass.states.get(STATUS).state == "not_in_time_based_control"
    cloud.fail("/site_info", 503, times=2)
    await tick(hass, freezer, 5)
    assert hass.states.get(STATUS).state == "upstream_unavailable"


async def test_a_schedule_ignored_outside_time_based_control_raises_the_repair(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The chosen schedule does nothing in Self-Powered mode: the repair says so, and its fix switches the
    mode through the writer (read back), after which the schedule is what the Powerwall follows."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    entry = await set_up(hass, freezer, own_entry())
    assert hass.states.get(STATUS).state == "not_in_time_based_control"
    issue_id = f"not_in_time_based_control_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flow = await start_fix(hass, issue_id)
    assert (await continue_fix(hass, flow, {"next_step_id": "switch"}))["type"] == "create_entry"
    assert [r.json for r in cloud.requests_to("/operation")] == [{"default_real_mode": "autonomous"}]
    assert hass.states.get(STATUS).state == "synced"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", list(PLATFORMS))
async def test_entity_snapshots(
    hass: HomeAssistant,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of every platform, as the registry holds it and with its state."""
    with patch("custom_components.tesla_amber_sync.PLATFORMS", [platform]):
        entry = await set_up(hass, freezer, own_entry())
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_entities_and_devices_have_nothing_of_amber(
    hass: HomeAssistant,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """No Amber device, no price sensors, no auto-sync switch, no last-sync sensor: the Powerwall is the
    only device."""
    entry = await set_up(hass, freezer, own_entry())
    entity_ids = {e.entity_id for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)}
    assert not {entity_id for entity_id in entity_ids if "amber" in entity_id}
    assert "switch.home_powerwall_auto_sync" not in entity_ids
    assert "sensor.home_powerwall_last_sync" not in entity_ids
    assert {
        "switch.home_powerwall_spike_detection",
        "switch.home_powerwall_solar_curtailment",
        SELECT,
    } <= entity_ids
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert [(device.manufacturer, device.name) for device in devices] == [("Tesla", "Home Powerwall")]


async def test_the_region_follows_the_powerwalls_time_zone(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A Sydney Powerwall watches NSW1 (AEMO polled), and the options flow offers it preselected."""
    entry = await set_up(hass, freezer, own_entry())
    assert hass.states.get("sensor.home_powerwall_aemo_price").attributes["region"] == "NSW1"
    assert cloud.requests_to("/ELEC_NEM_SUMMARY")
    result = await open_options_form(hass, entry.entry_id)
    suggested = {str(key): key.description["suggested_value"] for key in result["data_schema"].schema}
    assert suggested["aemo_region"] == "nsw1"
    assert suggested["spike_detection"] is False


async def test_a_site_outside_the_nem_has_no_spike_response(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A Perth Powerwall: outside the NEM, AEMO is never asked, its price is unavailable, spike response is
    off, and the options flow says so; curtailment and the schedule work as anywhere."""
    cloud.site_info["installation_time_zone"] = "Australia/Perth"
    entry = await set_up(hass, freezer, own_entry(), zone="Australia/Perth")
    await tick(hass, freezer, 10)
    assert cloud.requests_to("/ELEC_NEM_SUMMARY") == []
    assert hass.states.get("sensor.home_powerwall_aemo_price").state == STATE_UNAVAILABLE
    assert hass.states.get("switch.home_powerwall_spike_detection").state == STATE_OFF
    result = await open_options_form(hass, entry.entry_id)
    suggested = {str(key): key.description["suggested_value"] for key in result["data_schema"].schema}
    assert suggested["aemo_region"] == "none"
    assert hass.states.get(SELECT).state == NAME
    assert hass.states.get(STATUS).state == "synced"


async def test_a_spike_lays_over_the_schedule_and_gives_it_back(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """With spike response on, an AEMO spike puts the spike tariff over the schedule's own rates (outside
    the spike window the schedule's prices stay), then the schedule comes back."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    options = {"spike_detection": True, "spike_threshold": 300.0, "spike_exit_threshold": 240.0}
    await set_up(hass, freezer, own_entry(), options=options)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"
    now = START + timedelta(seconds=20)
    cloud.aemo_price = price_from(now, 5000.0)
    await tick(hass, freezer, 6)
    held = cloud.site_info["tariff_content_v2"]
    assert held["code"] == "TESLA_SYNC:SPIKE"
    assert cloud.site_info["default_real_mode"] == "autonomous"
    assert hass.states.get(STATUS).state == "overridden"
    # Saturday evening (20:00) is far from the spike window: the schedule's weekend rate.
    saturday = decode_tariff(held).day_tariff(START.date())
    assert saturday is not None
    assert (saturday.slots[40].buy, saturday.slots[40].sell) == (0.25, 0.04)
    cloud.aemo_price = price_from(now, 100.0)
    await tick(hass, freezer, 15)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    assert hass.states.get(SELECT).state == NAME


async def test_curtailment_reads_the_schedules_sell_rate(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Feed-in pays nothing from 10:00 to 15:00: export stops at once (13:10), and the owner's rule comes
    back once a whole half-hour has paid again (15:30), not at 15:00."""
    await set_up(hass, freezer, own_entry(SOLAR_SOAK), options={"solar_curtailment": True})
    assert [r.json for r in cloud.requests_to("/grid_import_export")] == [
        {"customer_preferred_export_rule": "never"}
    ]
    assert hass.states.get("binary_sensor.home_powerwall_export_curtailed").state == "on"
    assert hass.states.get(EXPORT_RULE).state == "never"
    # 15:00:20 to 15:29:20: the first half-hour that pays is not yet whole.
    await tick(hass, freezer, 139)
    assert len(cloud.requests_to("/grid_import_export")) == 1
    await tick(hass, freezer, 2)
    assert [r.json for r in cloud.requests_to("/grid_import_export")][1:] == [
        {"customer_preferred_export_rule": "pv_only"}
    ]
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "pv_only"
    assert hass.states.get("binary_sensor.home_powerwall_export_curtailed").state == "off"


async def test_the_choice_survives_reload_and_restart(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """A reload keeps the schedule without writing it again; the owner's later choice (their own tariff)
    is what a restart keeps, not the first schedule."""
    cloud.site_info["tariff_content_v2"] = copy.deepcopy(OWNERS_TARIFF)
    entry = await set_up(hass, freezer, own_entry())
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"
    mark = len(cloud.requests)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, 2)
    assert writes(cloud, mark) == []
    assert hass.states.get(SELECT).state == NAME
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": SELECT, "option": BASELINE},
        blocking=True,
    )
    assert cloud.site_info["tariff_content_v2"] == OWNERS_TARIFF
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    assert stored["chosen_schedule"] is None
    assert stored["auto_sync"] is False
    await hass.config_entries.async_unload(entry.entry_id)
    mark = len(cloud.requests)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, 2)
    assert writes(cloud, mark) == []
    assert hass.states.get(SELECT).state == BASELINE
    assert hass.states.get(STATUS).state == "disabled"


async def test_sync_now_puts_the_schedule_back_and_forecasts_are_amber_s(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The owner changed the tariff in the Tesla app: sync_now reads the Powerwall and writes the schedule
    back (verified). The forecast service says the entry has no Amber; with nothing chosen, sync_now says
    so too."""
    cloud.site_info["tariff_content_v2"] = copy.deepcopy(OWNERS_TARIFF)
    await set_up(hass, freezer, own_entry())
    # A minute on: the cloud has had time to show the first write, so a second one is no duplicate.
    await tick(hass, freezer, 1)
    cloud.site_info["tariff_content_v2"] = copy.deepcopy(EDITED_IN_THE_APP)
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "sync_now", {}, blocking=True)
    assert [endpoint for endpoint, _ in writes(cloud, mark)] == ["time_of_use_settings"]
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "sync_tou_schedule", {}, blocking=True)
    assert writes(cloud, mark) == []
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "get_price_forecast", {}, blocking=True, return_response=True)
    assert raised.value.translation_key == "no_amber"
    assert raised.value.translation_placeholders == {"title": "Home Powerwall"}
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": SELECT, "option": BASELINE},
        blocking=True,
    )
    with pytest.raises(HomeAssistantError) as raised_again:
        await hass.services.async_call(DOMAIN, "sync_now", {}, blocking=True)
    assert raised_again.value.translation_key == "no_tariff_chosen"


async def test_sync_now_says_when_the_powerwall_does_not_take_it(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, freezer, own_entry())
    await tick(hass, freezer, 1)
    cloud.site_info["tariff_content_v2"] = copy.deepcopy(OWNERS_TARIFF)
    cloud.apply_writes = False
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_now", {}, blocking=True)
    assert raised.value.translation_key == "not_applied"
    assert hass.states.get(STATUS).state == "not_applied"


async def test_a_second_schedule_and_amber_cannot_be_chosen(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """set_custom_tariff adds a schedule the select offers and writes; turning Amber on is refused."""
    entry = await set_up(hass, freezer, own_entry())
    await hass.services.async_call(DOMAIN, "set_custom_tariff", copy.deepcopy(SOLAR_SOAK), blocking=True)
    assert hass.states.get(SELECT).state == "Solar soak"
    assert hass.states.get(SELECT).attributes["options"] == ["Ausgrid EA116", "Solar soak"]
    assert cloud.site_info["tariff_content_v2"]["name"] == "Solar soak"
    with pytest.raises(ServiceValidationError) as raised:
        await entry.runtime_data.controller.async_choose_tariff("Amber (rolling)")
    assert raised.value.translation_key == "no_amber"


async def test_diagnostics_without_amber(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, freezer, own_entry())
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["has_amber"] is False
    assert diagnostics["amber_site"] is None
    assert diagnostics["entry"]["data"] == {
        CONF_TESLEMETRY_API_TOKEN: "**REDACTED**",
        CONF_ENERGY_SITE_ID: "**REDACTED**",
    }
    assert diagnostics["sync"]["status"] == "synced"
    assert TESLEMETRY_TOKEN not in json.dumps(diagnostics, default=str)


async def test_reauth_asks_only_for_the_route(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Without Amber, Teslemetry's token is the only one to renew; no Amber check is made."""
    entry = own_entry()
    entry.add_to_hass(hass)
    with patch("custom_components.tesla_amber_sync.async_setup_entry", return_value=True):
        result = await entry.start_reauth_flow(hass)
        assert result["step_id"] == "reauth_teslemetry"
        assert [str(key) for key in result["data_schema"].schema] == [CONF_TESLEMETRY_API_TOKEN]
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: "renewed"}
        )
        await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TESLEMETRY_API_TOKEN] == "renewed"
    assert amber_requests(cloud) == []


async def test_reauth_of_a_fleet_entry_signs_in_again(hass: HomeAssistant, cloud: FakeCloud) -> None:
    entry = own_entry(
        **{
            CONF_POWERWALL_ROUTE: "fleet",
            CONF_FLEET_BASE_URL: FLEET_HOST,
            "auth_implementation": DOMAIN,
            "token": _token("fleet_access_1"),
        }
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_fleet"
    assert amber_requests(cloud) == []


async def test_reauth_names_a_rejected_fleet_fallback(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """A Teslemetry entry with a Fleet API sign-in as its fallback: Teslemetry's token still works, the
    sign-in does not (its developer application is gone), so signing in again is what is asked for."""
    entry = own_entry(
        **{CONF_FLEET_BASE_URL: FLEET_HOST, "auth_implementation": DOMAIN, "token": _token("fleet_access_1")}
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_fleet"
    assert cloud.requests_to("/products")[0].headers["Authorization"] == f"Bearer {TESLEMETRY_TOKEN}"


async def test_reconfigure_never_asks_for_amber(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The tokens form has the Teslemetry token and the addresses (without Amber's); a token for another
    account is refused, a good one is stored and the entry reloads holding the same schedule."""
    entry = await set_up(hass, freezer, own_entry())
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["reconfigure_powerwall", "reconfigure_fleet"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_powerwall"}
    )
    assert result["step_id"] == "reconfigure_powerwall"
    assert [str(key) for key in result["data_schema"].schema] == [CONF_TESLEMETRY_API_TOKEN, "api_addresses"]
    (section,) = [value for key, value in result["data_schema"].schema.items() if str(key) == "api_addresses"]
    assert "amber_base_url" not in [str(key) for key in section.schema.schema]
    products = cloud.products
    cloud.products = {"response": [{"energy_site_id": 999, "resource_type": "battery", "components": {}}]}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: "other"}
    )
    assert result["errors"] == {"base": "energy_site_missing"}
    cloud.products = products
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: "rotated"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_TESLEMETRY_API_TOKEN: "rotated", CONF_ENERGY_SITE_ID: ENERGY_SITE_ID}
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(SELECT).state == NAME
    assert amber_requests(cloud) == []


async def test_sync_now_during_a_spike_says_the_spike_holds_the_tariff(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, freezer, own_entry())
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 10}, blocking=True)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SPIKE"
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_now", {}, blocking=True)
    assert raised.value.translation_key == "spike_active"
    await tick(hass, freezer, 11)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"


async def test_the_options_offer_outside_the_nem_only_without_amber(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory, config_entry: MockConfigEntry
) -> None:
    """An Amber site is always in the NEM: its entry's region list is the five NEM regions."""
    entry = await set_up(hass, freezer, own_entry())
    config_entry.add_to_hass(hass)

    async def regions(of: MockConfigEntry) -> list[str]:
        result = await open_options_form(hass, of.entry_id)
        (selector,) = [value for key, value in result["data_schema"].schema.items() if key == "aemo_region"]
        return list(selector.config["options"])

    assert await regions(entry) == ["nsw1", "qld1", "vic1", "sa1", "tas1", "none"]
    assert await regions(config_entry) == ["nsw1", "qld1", "vic1", "sa1", "tas1"]
