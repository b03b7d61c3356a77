"""The owner's own changes win: a setting changed in the Tesla app during an override stays the owner's."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.tariff import DayTariff, encode_tariff

from .fake_cloud import FakeCloud
from .test_spike_response import tick, writes
from .test_writer import OWNER_TARIFF, setup_entry

SPIKE = "binary_sensor.home_powerwall_price_spike"
CURTAILED = "binary_sensor.home_powerwall_export_curtailed"
NEW_PLAN = encode_tariff(
    DayTariff.from_rates([0.33] * 48, [0.07] * 48), code="NEWPLAN", name="New plan", utility="Red"
)


async def owner_sets(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, cloud: FakeCloud, **changes: Any
) -> None:
    """The owner changes the Powerwall in the Tesla app; Home Assistant sees it at its next read."""
    for key, value in changes.items():
        if key == "export_rule":
            cloud.site_info["components"]["customer_preferred_export_rule"] = value
        else:
            cloud.site_info[key] = value
    await tick(hass, freezer, 5)


async def test_backup_chosen_during_a_spike_stays_after_it(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Self-Powered, a spike takes time-based control, the owner picks Backup: at the end Backup stays."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 20}, blocking=True)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    await owner_sets(hass, freezer, cloud, default_real_mode="backup")
    state = hass.states.get(SPIKE)
    assert state.state == "on"
    assert state.attributes["left_to_owner"] == ["operation_mode"]
    stored = hass_storage[f"{DOMAIN}.{config_entry.entry_id}"]["data"]
    assert stored["baseline"]["operation_mode"] == "backup"
    mark = len(cloud.requests)
    await tick(hass, freezer, 20)
    assert hass.states.get(SPIKE).state == "off"
    assert all(endpoint != "operation" for endpoint, _ in writes(cloud, mark))
    assert cloud.site_info["default_real_mode"] == "backup"
    # The spike's tariff went; Amber's came back (auto sync is on).
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:AMBER"


async def test_a_new_plan_installed_during_a_spike_is_not_overwritten(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Auto sync off: the owner installs a new plan and picks Backup during a spike; both stay at the end."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    cloud.site_info["tariff_content_v2"] = OWNER_TARIFF
    key = f"{DOMAIN}.{config_entry.entry_id}"
    hass_storage[key] = {"version": 2, "minor_version": 1, "key": key, "data": {"auto_sync": False}}
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 20}, blocking=True)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SPIKE"
    await owner_sets(hass, freezer, cloud, tariff_content_v2=NEW_PLAN, default_real_mode="backup")
    assert sorted(hass.states.get(SPIKE).attributes["left_to_owner"]) == ["operation_mode", "tariff"]
    mark = len(cloud.requests)
    await tick(hass, freezer, 20)
    assert hass.states.get(SPIKE).state == "off"
    assert writes(cloud, mark) == []
    assert cloud.site_info["tariff_content_v2"] == NEW_PLAN
    assert cloud.site_info["default_real_mode"] == "backup"
    assert hass_storage[key]["data"]["baseline"]["tariff"] == NEW_PLAN


async def test_an_export_rule_chosen_during_curtailment_stays(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Curtailment holds `never`; the owner picks battery_ok: it is not fought, and it stays at the end."""
    await setup_entry(hass, config_entry, freezer, options={"solar_curtailment": True})
    cloud.feed_in_price = lambda _: 2.0
    await tick(hass, freezer, 5)
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "never"
    await owner_sets(hass, freezer, cloud, export_rule="battery_ok")
    assert hass.states.get(CURTAILED).attributes["left_to_owner"] == ["export_rule"]
    mark = len(cloud.requests)
    await tick(hass, freezer, 10)
    assert all(endpoint != "grid_import_export" for endpoint, _ in writes(cloud, mark))
    cloud.feed_in_price = lambda _: -9.0
    await tick(hass, freezer, 15)
    assert all(endpoint != "grid_import_export" for endpoint, _ in writes(cloud, mark))
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "battery_ok"


async def test_back_to_back_spike_calls_write_the_spike_tariff_once(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Two identical simulate_spike calls in the same second: one spike tariff write."""
    await setup_entry(hass, config_entry, freezer)
    mark = len(cloud.requests)
    for _ in range(2):
        await hass.services.async_call(
            DOMAIN, "simulate_spike", {"price": 3000, "duration": 20}, blocking=True
        )
    assert [endpoint for endpoint, _ in writes(cloud, mark)] == ["time_of_use_settings"]
