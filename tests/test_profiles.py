"""Saved tariff profiles and the Tariff select: save what the Powerwall holds, put it back byte for byte."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.tariff import DayTariff, encode_tariff

from .fake_cloud import FakeCloud
from .test_spike_response import tick, writes
from .test_writer import OWNER_TARIFF, setup_entry

SELECT = "select.home_powerwall_tariff"
TARIFF = "sensor.home_powerwall_tariff"
WINTER = encode_tariff(
    DayTariff.from_rates([0.28] * 24 + [0.45] * 24, [0.06] * 48),
    code="WINTER",
    name="Winter",
    utility="Origin",
)


async def test_save_then_apply_a_profile_byte_for_byte(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The owner's plan is always a choice; a plan saved from the Powerwall comes back exactly."""
    cloud.site_info["tariff_content_v2"] = OWNER_TARIFF
    await setup_entry(hass, config_entry, freezer)
    state = hass.states.get(SELECT)
    assert state.state == "Amber (rolling)"
    assert state.attributes["options"] == ["Amber (rolling)", "My tariff before Tesla Sync"]
    # The owner puts another plan on in the Tesla app, saves it, then goes back to Amber.
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": SELECT, "option": "My tariff before Tesla Sync"},
        blocking=True,
    )
    assert cloud.site_info["tariff_content_v2"] == OWNER_TARIFF
    cloud.site_info["tariff_content_v2"] = WINTER
    await hass.services.async_call(DOMAIN, "save_tariff_profile", {"name": "Winter"}, blocking=True)
    key = f"{DOMAIN}.{config_entry.entry_id}"
    assert hass_storage[key]["data"]["profiles"]["Winter"]["tariff_content_v2"] == WINTER
    await hass.services.async_call(
        "select", "select_option", {"entity_id": SELECT, "option": "Amber (rolling)"}, blocking=True
    )
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:AMBER"
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "apply_tariff_profile", {"name": "Winter"}, blocking=True)
    assert writes(cloud, mark) == [("time_of_use_settings", {"tou_settings": {"tariff_content_v2": WINTER}})]
    assert hass.states.get(SELECT).state == "Winter"
    assert hass.states.get(TARIFF).attributes["source"] == "profile"
    assert hass.states.get("switch.home_powerwall_auto_sync").state == "off"
    # Amber's refreshes no longer write.
    mark = len(cloud.requests)
    await tick(hass, freezer, 10)
    assert writes(cloud, mark) == []
    # Restart: the choice stays.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SELECT).state == "Winter"


async def test_a_spike_over_a_profile_gives_the_profile_back(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, config_entry, freezer)
    cloud.site_info["tariff_content_v2"] = WINTER
    await hass.services.async_call(DOMAIN, "save_tariff_profile", {"name": "Winter"}, blocking=True)
    await hass.services.async_call(DOMAIN, "apply_tariff_profile", {"name": "Winter"}, blocking=True)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 10}, blocking=True)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SPIKE"
    await tick(hass, freezer, 11)
    assert cloud.site_info["tariff_content_v2"] == WINTER


async def test_deleting_profiles(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The chosen profile deleted: the owner's own tariff comes back. The baseline cannot be deleted."""
    cloud.site_info["tariff_content_v2"] = OWNER_TARIFF
    await setup_entry(hass, config_entry, freezer)
    cloud.site_info["tariff_content_v2"] = WINTER
    await hass.services.async_call(DOMAIN, "save_tariff_profile", {"name": "Winter"}, blocking=True)
    await hass.services.async_call(DOMAIN, "apply_tariff_profile", {"name": "Winter"}, blocking=True)
    await hass.services.async_call(DOMAIN, "delete_tariff_profile", {"name": "Winter"}, blocking=True)
    assert cloud.site_info["tariff_content_v2"] == OWNER_TARIFF
    assert hass.states.get(SELECT).state == "My tariff before Tesla Sync"
    for name, key in (
        ("My tariff before Tesla Sync", "baseline_profile_kept"),
        ("Nope", "unknown_profile"),
    ):
        with pytest.raises(ServiceValidationError) as raised:
            await hass.services.async_call(DOMAIN, "delete_tariff_profile", {"name": name}, blocking=True)
        assert raised.value.translation_key == key
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "save_tariff_profile", {"name": "  "}, blocking=True)
    assert raised.value.translation_key == "invalid_profile_name"
