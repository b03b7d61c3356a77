"""Negative feed-in: stop export, then restore the owner's own export rule, without flapping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.const import DOMAIN

from .conftest import START, past_first_poll
from .fake_cloud import FakeCloud

CURTAILED = "binary_sensor.home_powerwall_export_curtailed"


def rule_writes(cloud: FakeCloud) -> list[dict[str, Any]]:
    """Bodies sent to grid_import_export, in order."""
    return [request.json for request in cloud.requests_to("/grid_import_export")]


async def five_minutes(hass: HomeAssistant, freezer: FrozenDateTimeFactory, times: int = 1) -> None:
    """Let `times` Amber refreshes happen."""
    for _ in range(times):
        freezer.tick(timedelta(minutes=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def feed_in_from(moment: datetime, cents: float, before: float = -8.0) -> Any:
    """Amber feed-in (billing sign) that becomes `cents` for intervals starting at or after `moment`."""
    return lambda start: cents if start >= moment else before


@pytest.fixture
async def curtail_entry(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """An owner with export rule pv_only and curtailment on, set up at START (13:10 Sydney)."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options={"solar_curtailment": True})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)
    return config_entry


async def test_curtail_and_restore_a_pv_only_owner(
    hass: HomeAssistant,
    curtail_entry: MockConfigEntry,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Feed-in that costs money stops export; a whole interval paying again brings back pv_only."""
    assert rule_writes(cloud) == []
    assert hass.states.get(CURTAILED).state == STATE_OFF
    # From 13:30 exporting costs 4 c/kWh (Amber feed-in +4 in billing sign).
    cloud.feed_in_price = feed_in_from(datetime.fromisoformat("2026-11-21T02:30:00+00:00"), 4.0)
    await five_minutes(hass, freezer, 4)
    assert rule_writes(cloud) == [{"customer_preferred_export_rule": "never"}]
    state = hass.states.get(CURTAILED)
    assert state.state == STATE_ON
    assert state.attributes["rule_to_restore"] == "pv_only"
    assert state.attributes["rule_in_force"] == "never"
    assert state.attributes["feed_in_price"] == -4.0
    stored = hass_storage[f"{DOMAIN}.{curtail_entry.entry_id}"]["data"]["overrides"]["curtailment"]
    assert stored["curtailment"]["rule_to_restore"] == "pv_only"
    # From 14:00 the owner earns again; restore waits for a whole interval above the threshold.
    cloud.feed_in_price = feed_in_from(datetime.fromisoformat("2026-11-21T03:00:00+00:00"), -6.0, before=4.0)
    await five_minutes(hass, freezer, 6)
    assert rule_writes(cloud) == [{"customer_preferred_export_rule": "never"}]
    await five_minutes(hass, freezer, 6)
    assert rule_writes(cloud) == [
        {"customer_preferred_export_rule": "never"},
        {"customer_preferred_export_rule": "pv_only"},
    ]
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "pv_only"
    await five_minutes(hass, freezer, 2)
    assert hass.states.get(CURTAILED).state == STATE_OFF
    assert len(rule_writes(cloud)) == 2


async def test_no_flapping_around_the_threshold(
    hass: HomeAssistant, curtail_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Feed-in alternating just below and just above zero every interval curtails once and stays."""
    cloud.feed_in_price = lambda start: 0.1 if start.minute < 30 else -0.1
    await five_minutes(hass, freezer, 36)
    assert rule_writes(cloud) == [{"customer_preferred_export_rule": "never"}]
    assert hass.states.get(CURTAILED).state == STATE_ON


async def test_a_write_that_did_not_stick_is_retried(
    hass: HomeAssistant, curtail_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A failed write, then a write accepted but not applied: both are written again."""
    cloud.fail("/grid_import_export", 500)
    cloud.feed_in_price = lambda _: 2.0
    await five_minutes(hass, freezer)
    assert len(rule_writes(cloud)) == 1
    cloud.apply_writes = False
    await five_minutes(hass, freezer)
    cloud.apply_writes = True
    await five_minutes(hass, freezer, 2)
    assert rule_writes(cloud)[-1] == {"customer_preferred_export_rule": "never"}
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "never"
    writes = len(rule_writes(cloud))
    await five_minutes(hass, freezer, 3)
    assert len(rule_writes(cloud)) == writes


async def test_turning_curtailment_off_restores(
    hass: HomeAssistant, curtail_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The switch off ends the override and writes the owner's rule back."""
    cloud.feed_in_price = lambda _: 2.0
    await five_minutes(hass, freezer)
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "never"
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.home_powerwall_solar_curtailment"}, blocking=True
    )
    assert rule_writes(cloud)[-1] == {"customer_preferred_export_rule": "pv_only"}
    assert curtail_entry.options["solar_curtailment"] is False
    await five_minutes(hass, freezer)
    assert hass.states.get(CURTAILED).state == STATE_OFF


async def test_absent_rule_means_battery_ok_and_survives_a_restart(
    hass: HomeAssistant, curtail_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """An owner with no rule set (battery_ok) gets battery_ok back, even after a reload mid-curtailment."""
    del cloud.site_info["components"]["customer_preferred_export_rule"]
    await hass.services.async_call(DOMAIN, "sync_now", blocking=True)
    cloud.feed_in_price = lambda _: 3.0
    await five_minutes(hass, freezer)
    assert hass.states.get(CURTAILED).attributes["rule_to_restore"] == "battery_ok"
    assert await hass.config_entries.async_reload(curtail_entry.entry_id)
    await hass.async_block_till_done()
    cloud.feed_in_price = lambda _: -9.0
    await five_minutes(hass, freezer, 14)
    assert rule_writes(cloud)[-1] == {"customer_preferred_export_rule": "battery_ok"}


async def test_a_curtailment_that_ended_while_home_assistant_was_down_ends_at_start_up(
    hass: HomeAssistant, curtail_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Down for an hour while feed-in paid again: Amber's settled intervals show it, so pv_only comes back
    at start-up, not at the next interval."""
    cloud.feed_in_price = lambda _: 2.0
    await five_minutes(hass, freezer)
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "never"
    assert await hass.config_entries.async_unload(curtail_entry.entry_id)
    cloud.feed_in_price = lambda _: -9.0
    freezer.tick(timedelta(hours=1))
    mark = len(rule_writes(cloud))
    assert await hass.config_entries.async_setup(curtail_entry.entry_id)
    await hass.async_block_till_done()
    assert rule_writes(cloud)[mark:] == [{"customer_preferred_export_rule": "pv_only"}]
    assert hass.states.get(CURTAILED).state == STATE_OFF
