"""What the owner sees: every platform's entities, availability, daily energy and the forecast service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_amber_sync.const import DOMAIN

from .conftest import START
from .fake_cloud import FakeCloud

TODAY = {
    "solar_energy_exported": 12000.0,
    "grid_energy_imported": 3000.0,
    "grid_energy_exported_from_solar": 4000.0,
    "grid_energy_exported_from_battery": 500.0,
    "battery_energy_exported": 6000.0,
    "battery_energy_imported_from_solar": 5000.0,
    "battery_energy_imported_from_grid": 1000.0,
    "consumer_energy_imported_from_grid": 2000.0,
    "consumer_energy_imported_from_solar": 3000.0,
    "consumer_energy_imported_from_battery": 5500.0,
}


async def _set_up(hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory) -> None:
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]
)
async def test_platform_snapshots(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of every platform: registry entry (class, units, translation key) and state."""
    cloud.energy_by_day["2026-11-21"] = TODAY
    with patch("custom_components.tesla_amber_sync.PLATFORMS", [platform]):
        await _set_up(hass, config_entry, freezer)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


async def test_demand_entity_snapshots(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """With a demand charge set ($12.50/kW, 15:00-21:00 every day, monthly from the 1st), its entities join
    the Powerwall's: registry entry (class, unit, state class, translation key) and state before the
    window opens."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        options={
            "demand_charge": True,
            "demand_rate": 12.5,
            "demand_window_start": "15:00",
            "demand_window_end": "21:00",
            "demand_days": "every_day",
            "demand_cycle": "monthly",
            "demand_cycle_day": 1,
        },
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    demand_entries = sorted(
        (
            entry
            for entry in er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
            if (entry.translation_key or "").startswith("demand_")
        ),
        key=lambda entry: entry.entity_id,
    )
    assert [entry.translation_key for entry in demand_entries] == [
        "demand_window_active",
        "demand_charge_estimate",
        "demand_current_half_hour",
        "demand_peak",
    ]
    for entry in demand_entries:
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        assert hass.states.get(entry.entity_id) == snapshot(name=f"{entry.entity_id}-state")


async def test_settings_diagnostics_and_rarely_used_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Switches are settings, sync bookkeeping and firmware are diagnostics, and the stored-energy
    sensors start disabled (the battery level says the same): registered, but without a state."""
    categories = {
        entry.entity_id: entry.entity_category
        for entry in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
        if entry.entity_category is not None
    }
    assert categories == {
        "switch.home_powerwall_auto_sync": er.EntityCategory.CONFIG,
        "switch.home_powerwall_spike_detection": er.EntityCategory.CONFIG,
        "switch.home_powerwall_solar_curtailment": er.EntityCategory.CONFIG,
        "sensor.home_powerwall_sync_status": er.EntityCategory.DIAGNOSTIC,
        "sensor.home_powerwall_last_sync": er.EntityCategory.DIAGNOSTIC,
        "sensor.home_powerwall_firmware_version": er.EntityCategory.DIAGNOSTIC,
        "sensor.home_powerwall_powerwall_route": er.EntityCategory.DIAGNOSTIC,
    }
    for entity_id in ("sensor.home_powerwall_energy_left", "sensor.home_powerwall_total_pack_energy"):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entity_id) is None
    assert hass.states.get("sensor.home_powerwall_sync_status").state == "synced"


async def test_values_follow_tesla_and_amber_conventions(
    hass: HomeAssistant, cloud: FakeCloud, init_integration: MockConfigEntry
) -> None:
    """Feed-in is positive when the owner earns; grid + importing; absent export-rule keys have meaning."""
    assert hass.states.get("sensor.amber_electric_general_price").state == "0.3"
    assert hass.states.get("sensor.amber_electric_feed_in_price").state == "0.08"
    assert hass.states.get("sensor.amber_electric_controlled_load_price") is None  # no such channel
    assert hass.states.get("sensor.home_powerwall_grid_power").state == "-0.2"  # kW, exporting
    assert hass.states.get("sensor.home_powerwall_export_rule").state == "pv_only"
    assert hass.states.get("sensor.home_powerwall_grid_charging").state == "allowed"
    assert hass.states.get("binary_sensor.home_powerwall_grid_status").state == "on"


async def test_entities_go_unavailable_and_come_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing source makes its entities unavailable, logged once; they recover, logged once."""
    solar = "sensor.home_powerwall_solar_power"
    price = "sensor.amber_electric_general_price"
    assert hass.states.get(solar).state == "3.2"
    cloud.fail("/live_status", 500, times=3)
    cloud.fail("/prices/current", 503)
    caplog.set_level(logging.INFO)
    for _ in range(3):
        freezer.tick(timedelta(seconds=30))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(solar).state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.home_powerwall_grid_status").state == STATE_UNAVAILABLE
    freezer.tick(timedelta(minutes=4))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(price).state == STATE_UNAVAILABLE
    # The tariff on the Powerwall is untouched while prices are missing.
    assert len(cloud.tariff_pushes()) == 1
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(solar).state == "3.2"
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(price).state == "0.3"
    lost = [r for r in caplog.records if "Error fetching Powerwall live status" in r.getMessage()]
    back = [r for r in caplog.records if "Fetching Powerwall live status data recovered" in r.getMessage()]
    assert (len(lost), len(back)) == (1, 1)
    assert "teslemetry_secret" not in caplog.text
    assert "psk_secret" not in caplog.text


async def test_daily_energy_resets_at_local_midnight_on_a_dst_day(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Across Sydney's midnight before clocks go forward: yesterday's final total, then today's from zero."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    # 23:57 AEST on 3 October 2026; the next local day is 23 hours long.
    freezer.move_to(datetime(2026, 10, 3, 13, 57, tzinfo=UTC))
    cloud.energy_by_day["2026-10-03"] = {"solar_energy_exported": 20000.0}
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    solar = "sensor.home_powerwall_solar_energy"
    assert hass.states.get(solar).state == "20.0"
    assert hass.states.get(solar).attributes["state_class"] == "total_increasing"
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            seen.append(event.data["new_state"].state) if event.data["entity_id"] == solar else None
        ),
    )
    cloud.energy_by_day["2026-10-03"] = {"solar_energy_exported": 20100.0}  # the last minutes of the day
    cloud.energy_by_day["2026-10-04"] = {"solar_energy_exported": 0.0}
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert seen == ["20.1", "0.0"]
    today = cloud.requests_to("/calendar_history")[-1].url.query
    assert today["start_date"] == "2026-10-04T00:00:00+10:00"
    assert today["end_date"] == "2026-10-04T23:59:59+11:00"
    assert today["time_zone"] == "Australia/Sydney"


async def test_get_price_forecast(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The forecast service returns the coming hours of a channel in dollars, owner's sign."""
    cloud.set_prices(lambda start: 25.0 + start.hour, lambda _: -6.0)
    await hass.services.async_call(DOMAIN, "sync_now", blocking=True)
    response: Any = await hass.services.async_call(
        DOMAIN, "get_price_forecast", {"hours": 2}, blocking=True, return_response=True
    )
    forecasts = response["forecasts"]
    # Behaviour change (issue 10): exactly two hours from the interval in progress, on the boundary (Amber's
    # one-second offset removed), in the site's own time.
    assert [entry["start"] for entry in forecasts] == [
        "2026-11-21T13:00:00+11:00",
        "2026-11-21T13:30:00+11:00",
        "2026-11-21T14:00:00+11:00",
        "2026-11-21T14:30:00+11:00",
    ]
    assert forecasts[0] == {
        "start": "2026-11-21T13:00:00+11:00",
        "end": "2026-11-21T13:30:00+11:00",
        "price": 0.27,
        "descriptor": "neutral",
        "spike_status": "none",
    }
    for hours in (1, 5, 24):
        answer: Any = await hass.services.async_call(
            DOMAIN, "get_price_forecast", {"hours": hours}, blocking=True, return_response=True
        )
        assert len(answer["forecasts"]) == hours * 2
    feed_in: Any = await hass.services.async_call(
        DOMAIN, "get_price_forecast", {"channel": "feed_in", "hours": 1}, blocking=True, return_response=True
    )
    assert {entry["price"] for entry in feed_in["forecasts"]} == {0.06}
    with pytest.raises(ServiceValidationError) as invalid:
        await hass.services.async_call(
            DOMAIN, "get_price_forecast", {"hours": 0}, blocking=True, return_response=True
        )
    assert invalid.value.translation_key == "invalid_hours"
    with pytest.raises(ServiceValidationError) as invalid:
        await hass.services.async_call(
            DOMAIN, "get_price_forecast", {"channel": "controlled_load"}, blocking=True, return_response=True
        )
    assert invalid.value.translation_key == "channel_not_available"
    cloud.fail("/prices/current", 500)
    # sync_now never syncs from stale prices and calls it done: it says the refresh failed.
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(DOMAIN, "sync_now", blocking=True)
    assert failed.value.translation_key == "refresh_failed"
    with pytest.raises(Exception, match="unavailable") as raised:
        await hass.services.async_call(DOMAIN, "get_price_forecast", blocking=True, return_response=True)
    assert raised.value.translation_key == "prices_unavailable"  # type: ignore[attr-defined]
