"""Custom time-of-use schedules on the Powerwall: the exact body, the select, and overrides over them."""

from __future__ import annotations

import copy
from datetime import date
from types import MappingProxyType
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.tariff import decode_tariff

from .fake_cloud import FakeCloud
from .test_spike_response import tick, writes
from .test_writer import setup_entry

SELECT = "select.home_powerwall_tariff"
TARIFF = "sensor.home_powerwall_tariff"
TWO_SEASONS: dict[str, Any] = {
    "name": "Two seasons",
    "retailer": "Origin",
    "daily_supply_charge": 1.1,
    "seasons": [
        {
            "name": "Summer",
            "from_month": 11,
            "from_day": 1,
            "to_month": 3,
            "to_day": 31,
            "periods": [
                {
                    "name": "Peak",
                    "days": "weekdays",
                    "from": "15:00",
                    "to": "21:00",
                    "buy": 0.55,
                    "sell": 0.05,
                },
                {
                    "name": "Off-peak",
                    "days": "weekdays",
                    "from": "00:00",
                    "to": "15:00",
                    "buy": 0.2,
                    "sell": 0.05,
                },
                {
                    "name": "Off-peak",
                    "days": "weekdays",
                    "from": "21:00",
                    "to": "00:00",
                    "buy": 0.2,
                    "sell": 0.05,
                },
                {
                    "name": "Weekend",
                    "days": "weekends",
                    "from": "00:00",
                    "to": "00:00",
                    "buy": 0.25,
                    "sell": 0.05,
                },
            ],
        },
        {
            "name": "Winter",
            "from_month": 4,
            "from_day": 1,
            "to_month": 10,
            "to_day": 31,
            "periods": [
                {
                    "name": "Flat",
                    "days": "every_day",
                    "from": "00:00",
                    "to": "00:00",
                    "buy": 0.3,
                    "sell": 0.04,
                }
            ],
        },
    ],
}


async def test_a_two_season_schedule_reaches_the_powerwall_as_named_seasons_and_periods(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """set_custom_tariff adds the schedule as a subentry, writes it once, and the select shows it chosen."""
    await setup_entry(hass, config_entry, freezer)
    mark = len(cloud.requests)
    await hass.services.async_call(DOMAIN, "set_custom_tariff", copy.deepcopy(TWO_SEASONS), blocking=True)
    ((endpoint, body),) = writes(cloud, mark)
    assert endpoint == "time_of_use_settings"
    content = body["tou_settings"]["tariff_content_v2"]
    assert content["code"] == "TESLA_SYNC:SCHEDULE"
    assert set(content["seasons"]) == {"Summer", "Winter"}
    assert set(content["energy_charges"]["Summer"]["rates"]) == {"Peak", "Off-peak", "Weekend"}
    assert content["energy_charges"]["Summer"]["rates"]["Peak"] == 0.55
    assert content["sell_tariff"]["energy_charges"]["Winter"]["rates"]["Flat"] == 0.04
    peak = content["seasons"]["Summer"]["tou_periods"]["Peak"]
    windows = peak["periods"] if isinstance(peak, dict) else peak
    assert {(w["fromDayOfWeek"], w["toDayOfWeek"], w["fromHour"], w["toHour"]) for w in windows} == {
        (0, 4, 15, 21)
    }
    # Saturday 2026-11-21 13:10 in Sydney: the weekend rate, read back from the Powerwall.
    schedule = decode_tariff(cloud.site_info["tariff_content_v2"])
    saturday = schedule.day_tariff(date(2026, 11, 21))
    assert saturday is not None
    assert saturday.slots[26].buy == 0.25
    state = hass.states.get(SELECT)
    assert state.state == "Two seasons"
    assert "Two seasons" in state.attributes["options"]
    assert hass.states.get(TARIFF).attributes["source"] == "schedule"
    (subentry,) = [s for s in config_entry.subentries.values() if s.subentry_type == "tariff_schedule"]
    assert subentry.title == "Two seasons"


async def test_a_spike_over_a_schedule_gives_the_schedule_back(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "set_custom_tariff", copy.deepcopy(TWO_SEASONS), blocking=True)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 10}, blocking=True)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SPIKE"
    await tick(hass, freezer, 11)
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"
    assert hass.states.get(SELECT).state == "Two seasons"


async def test_choosing_amber_again_and_a_bad_schedule(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The select goes back to Amber; a schedule with a hole is refused naming the hole, nothing written."""
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "set_custom_tariff", copy.deepcopy(TWO_SEASONS), blocking=True)
    await hass.services.async_call(
        "select", "select_option", {"entity_id": SELECT, "option": "Amber (rolling)"}, blocking=True
    )
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:AMBER"
    holey = copy.deepcopy(TWO_SEASONS)
    holey["seasons"][0]["periods"].pop(2)
    mark = len(cloud.requests)
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "set_custom_tariff", holey, blocking=True)
    assert raised.value.translation_key == "invalid_schedule"
    assert "not covered" in raised.value.translation_placeholders["problems"]
    assert writes(cloud, mark) == []


async def test_a_schedule_added_in_the_settings_is_offered_and_written_when_chosen(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A schedule saved by the subentry flow is a choice of the Tariff select; choosing it writes it."""
    await setup_entry(hass, config_entry, freezer)
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, "tariff_schedule"), context={"source": "user"}
    )
    assert result["type"] == "form"
    hass.config_entries.async_add_subentry(
        config_entry,
        ConfigSubentry(
            data=MappingProxyType(copy.deepcopy(TWO_SEASONS)),
            subentry_type="tariff_schedule",
            title="Two seasons",
            unique_id=None,
        ),
    )
    await hass.async_block_till_done()
    await tick(hass, freezer, 1)
    assert "Two seasons" in hass.states.get(SELECT).attributes["options"]
    mark = len(cloud.requests)
    await hass.services.async_call(
        "select", "select_option", {"entity_id": SELECT, "option": "Two seasons"}, blocking=True
    )
    assert [endpoint for endpoint, _ in writes(cloud, mark)] == ["time_of_use_settings"]
    assert cloud.site_info["tariff_content_v2"]["code"] == "TESLA_SYNC:SCHEDULE"
