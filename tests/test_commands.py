"""Battery commands through the writer: every write in order, their ends, restarts, spikes and failures."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN

from .fake_cloud import FakeCloud
from .test_spike_response import tick, writes
from .test_sync import period_rates
from .test_writer import setup_entry

COMMAND = "sensor.home_powerwall_battery_command"
SYNC_STATUS = "sensor.home_powerwall_sync_status"


def tariff_codes(cloud: FakeCloud, since: int) -> list[str]:
    return [
        body["tou_settings"]["tariff_content_v2"]["code"]
        for endpoint, body in writes(cloud, since)
        if endpoint == "time_of_use_settings"
    ]


async def test_force_charge_writes_its_plan_then_gives_everything_back_at_its_time(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A charge to 70 %: a tariff with now at 0, the reserve at 70; after 30 minutes Amber's tariff and the
    owner's 20 % reserve come back, in that order."""
    await setup_entry(hass, config_entry, freezer)
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "force_charge", {"duration": 30, "target": 70}, blocking=True)
    (tariff, reserve) = writes(cloud, mark)
    assert tariff[0] == "time_of_use_settings"
    content = tariff[1]["tou_settings"]["tariff_content_v2"]
    assert content["code"] == "TESLA_SYNC:COMMAND"
    buy = period_rates(content)
    assert {name for name, rate in buy.items() if rate == 0.0} == {"PERIOD_13_00", "PERIOD_13_30"}
    assert {rate for rate in buy.values() if rate != 0.0} == {0.3}
    assert reserve == ("backup", {"backup_reserve_percent": 70})
    state = hass.states.get(COMMAND)
    assert state.state == "charging"
    assert state.attributes["target"] == 70
    assert state.attributes["restores"] == {"backup_reserve": 20}
    assert hass.states.get(SYNC_STATUS).state == "overridden"
    assert hass.states.get("sensor.home_powerwall_tariff").attributes["source"] == "command"
    mark = len(cloud.requests)
    await tick(hass, freezer, 29)
    assert all(endpoint != "backup" for endpoint, _ in writes(cloud, mark))
    await tick(hass, freezer, 1)
    assert hass.states.get(COMMAND).state == "none"
    restore = writes(cloud, mark)
    assert [endpoint for endpoint, _ in restore][-2:] == ["time_of_use_settings", "backup"]
    assert restore[-1] == ("backup", {"backup_reserve_percent": 20})
    assert tariff_codes(cloud, mark)[-1] == "TESLA_SYNC:AMBER"
    assert cloud.site_info["backup_reserve_percent"] == 20
    assert hass.states.get(SYNC_STATUS).state == "synced"


async def test_a_charge_ends_early_at_its_target(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "force_charge", {"duration": 120, "target": 70}, blocking=True)
    cloud.live_status["percentage_charged"] = 70.2
    await tick(hass, freezer, 1)
    assert hass.states.get(COMMAND).state == "none"
    assert cloud.site_info["backup_reserve_percent"] == 20


async def test_force_discharge_and_hold(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A discharge prices now high (buy = sell) and lowers the reserve to its floor; a hold replaces it
    cleanly (Amber's tariff back, reserve at the charge); end_command gives back the owner's 20 %."""
    await setup_entry(hass, config_entry, freezer)
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "force_discharge", {"duration": 30, "target": 10}, blocking=True)
    ((_, body), reserve) = writes(cloud, mark)
    buy = period_rates(body["tou_settings"]["tariff_content_v2"])
    sell = period_rates(body["tou_settings"]["tariff_content_v2"], sell=True)
    assert buy["PERIOD_13_00"] == sell["PERIOD_13_00"] == 5.0
    assert reserve == ("backup", {"backup_reserve_percent": 10})
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "hold_charge", {"duration": 60}, blocking=True)
    assert hass.states.get(COMMAND).state == "holding"
    assert tariff_codes(cloud, mark) == ["TESLA_SYNC:AMBER"]
    assert writes(cloud, mark)[-1] == ("backup", {"backup_reserve_percent": 62})
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "end_command", blocking=True)
    assert writes(cloud, mark) == [("backup", {"backup_reserve_percent": 20})]
    assert hass.states.get(COMMAND).state == "none"


async def test_a_restart_mid_command_resumes_then_restores(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "hold_charge", {"duration": 30}, blocking=True)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(COMMAND).state == "holding"
    assert cloud.site_info["backup_reserve_percent"] == 62
    await tick(hass, freezer, 31)
    assert hass.states.get(COMMAND).state == "none"
    assert cloud.site_info["backup_reserve_percent"] == 20


async def test_a_spike_outranks_a_command_which_resumes_after_it(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """During a spike the spike's tariff holds and the command's reserve gives way; after the spike the
    command's plan comes back for the time it has left."""
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "force_charge", {"duration": 60, "target": 70}, blocking=True)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 10}, blocking=True)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SPIKE"
    assert cloud.site_info["backup_reserve_percent"] == 20
    await tick(hass, freezer, 11)
    assert hass.states.get(COMMAND).state == "charging"
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:COMMAND"
    assert cloud.site_info["backup_reserve_percent"] == 70


async def test_a_failed_write_rolls_the_command_back(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The tariff goes through, the reserve fails: a translated error, and the tariff is Amber's again."""
    await setup_entry(hass, config_entry, freezer)
    cloud.fail("/backup", 500)
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "force_charge", {"duration": 30, "target": 70}, blocking=True)
    assert raised.value.translation_key == "service_unavailable"
    assert hass.states.get(COMMAND).state == "none"
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:AMBER"
    assert cloud.site_info["backup_reserve_percent"] == 20


async def test_bad_command_data_never_reaches_the_powerwall(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, config_entry, freezer)
    mark = len(cloud.requests)
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "force_charge", {"duration": 1000}, blocking=True)
    assert raised.value.translation_key == "invalid_command_duration"
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "force_charge", {"duration": 30, "target": 50}, blocking=True)
    assert raised.value.translation_key == "invalid_command_target"
    assert writes(cloud, mark) == []


async def test_a_charge_the_powerwall_ignores_raises_a_repair(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, config_entry, freezer)
    cloud.live_status["battery_power"] = 0
    await hass.services.async_call(DOMAIN, "force_charge", {"duration": 60, "target": 90}, blocking=True)
    issue_id = f"command_not_followed_{config_entry.entry_id}"
    await tick(hass, freezer, 9)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await tick(hass, freezer, 2)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert "Backup reserve: 100 %" in issue.translation_placeholders["sent"]
    assert "battery 0" in issue.translation_placeholders["reported"]
    await hass.services.async_call(DOMAIN, "end_command", blocking=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_the_dashboard_buttons_start_and_end_commands(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A tap charges for an hour (to 100 %: a full reserve), another ends it and the owner's 20 % is back."""
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.home_powerwall_charge_for_an_hour"}, blocking=True
    )
    state = hass.states.get(COMMAND)
    assert state.state == "charging"
    assert state.attributes["target"] == 100
    assert cloud.site_info["backup_reserve_percent"] == 100
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.home_powerwall_end_battery_command"}, blocking=True
    )
    assert hass.states.get(COMMAND).state == "none"
    assert cloud.site_info["backup_reserve_percent"] == 20
