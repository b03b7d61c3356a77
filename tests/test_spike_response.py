"""AEMO price spikes: enter, hold, exit and restore exactly what the owner had, across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.tariff import DayTariff, encode_tariff

from .conftest import START
from .fake_cloud import FakeCloud
from .test_sync import period_rates

SPIKE = "binary_sensor.home_powerwall_price_spike"
OPTIONS = {"spike_detection": True, "spike_threshold": 300.0, "spike_exit_threshold": 240.0}


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float = 1) -> None:
    """Advance the clock by whole minutes, firing every timer on the way."""
    for _ in range(int(minutes)):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def writes(cloud: FakeCloud, since: int = 0) -> list[tuple[str, Any]]:
    """The writes made (endpoint, body), in order, from request number `since`."""
    return [
        (request.path.rsplit("/", 1)[-1], request.json)
        for request in cloud.requests[since:]
        if request.method == "POST"
    ]


def price_from(moment: datetime, price: float, before: float = 85.0) -> Any:
    """An AEMO price that becomes `price` for settlements after `moment`."""
    return lambda settlement: price if settlement > moment else before


@pytest.fixture
async def spike_entry(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """An entry with spike detection on, set up at START (13:10 Sydney) with Amber owning the tariff.

    The owner runs the Powerwall Self-Powered, so a spike has the mode to change and give back.
    """
    cloud.site_info["default_real_mode"] = "self_consumption"
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options=OPTIONS)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


async def test_enter_hold_through_a_dip_exit_and_restore(
    hass: HomeAssistant,
    spike_entry: MockConfigEntry,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The full cycle, asserting every write and its order."""
    assert hass.states.get(SPIKE).state == STATE_OFF
    assert len(writes(cloud)) == 1  # the Amber tariff pushed at setup
    mark = len(cloud.requests)
    cloud.aemo_price = price_from(START, 1200.0)
    await tick(hass, freezer, 5)
    (mode, tariff) = writes(cloud, mark)
    assert mode == ("operation", {"default_real_mode": "autonomous"})
    assert tariff[0] == "time_of_use_settings"
    buy = period_rates(tariff[1]["tou_settings"]["tariff_content_v2"])
    sell = period_rates(tariff[1]["tou_settings"]["tariff_content_v2"], sell=True)
    spiked = {name for name, rate in buy.items() if rate == 1.2}
    # 13:15 now: the 13:00 to 14:00 slots cover the next hour, everything else is Amber's.
    assert spiked == {"PERIOD_13_00", "PERIOD_13_30", "PERIOD_14_00"}
    assert all(sell[name] == 1.2 for name in spiked)
    assert {rate for name, rate in buy.items() if name not in spiked} == {0.3}
    state = hass.states.get(SPIKE)
    assert state.state == STATE_ON
    assert state.attributes["region"] == "NSW1"
    assert state.attributes["peak_price"] == 1200.0
    assert state.attributes["threshold"] == 300.0
    stored = hass_storage[f"{DOMAIN}.{spike_entry.entry_id}"]["data"]
    assert stored["baseline"]["operation_mode"] == "self_consumption"
    assert stored["overrides"]["spike"]["spike"]["peak_price"] == 1200.0
    assert hass.states.get("sensor.home_powerwall_aemo_price").state == "1200.0"

    # A single interval dipping below the exit price does not end it, nor does the Amber sync overwrite it.
    dip_start = datetime.fromisoformat("2026-11-21T02:20:00+00:00")
    cloud.aemo_price = lambda s: 100.0 if dip_start < s <= dip_start + timedelta(minutes=5) else 1200.0
    mark = len(cloud.requests)
    await tick(hass, freezer, 10)
    assert hass.states.get(SPIKE).state == STATE_ON
    assert all(endpoint != "operation" for endpoint, _ in writes(cloud, mark))
    for _, body in writes(cloud, mark):
        assert 1.2 in period_rates(body["tou_settings"]["tariff_content_v2"]).values()

    # The price falls for good: after the hold the mode comes back and Amber's tariff takes over again.
    calm = datetime.fromisoformat("2026-11-21T02:30:00+00:00")
    cloud.aemo_price = lambda s: 50.0 if s > calm else 1200.0
    mark = len(cloud.requests)
    await tick(hass, freezer, 15)
    assert hass.states.get(SPIKE).state == STATE_OFF
    during = writes(cloud, mark)
    # The spike window moved on by a slot while the price fell, then the restore: mode first, then tariff.
    operation_at = during.index(("operation", {"default_real_mode": "self_consumption"}))
    assert all(endpoint == "time_of_use_settings" for endpoint, _ in during[:operation_at])
    restore = during[operation_at:]
    assert restore[1][0] == "time_of_use_settings"
    assert set(period_rates(restore[1][1]["tou_settings"]["tariff_content_v2"]).values()) == {0.3}
    assert len(restore) == 2
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    # Behaviour change (the single writer): the owner's baseline is kept until the entry is removed; the
    # mode is no longer held by Tesla Sync, and the truthful status says the battery ignores the tariff.
    stored = hass_storage[f"{DOMAIN}.{spike_entry.entry_id}"]["data"]
    assert stored["baseline"]["operation_mode"] == "self_consumption"
    assert "operation_mode" not in stored["ours"]
    assert hass.states.get("sensor.home_powerwall_sync_status").state == "not_in_time_based_control"


async def test_restart_mid_spike_then_restore(
    hass: HomeAssistant, spike_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A reload during a spike keeps it (from the Store) and restores when it ends."""
    cloud.aemo_price = price_from(START, 900.0)
    await tick(hass, freezer, 5)
    assert hass.states.get(SPIKE).state == STATE_ON
    assert await hass.config_entries.async_reload(spike_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SPIKE).state == STATE_ON
    assert hass.states.get(SPIKE).attributes["peak_price"] == 900.0
    mark = len(cloud.requests)
    calm = START + timedelta(minutes=6)
    cloud.aemo_price = lambda s: 40.0 if s > calm else 900.0
    await tick(hass, freezer, 20)
    assert hass.states.get(SPIKE).state == STATE_OFF
    assert writes(cloud, mark)[0] == ("operation", {"default_real_mode": "self_consumption"})
    assert cloud.site_info["default_real_mode"] == "self_consumption"


async def test_restart_after_the_spike_ended_restores_at_once(
    hass: HomeAssistant, spike_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant was down while the spike ended: the owner's settings come back at setup."""
    cloud.aemo_price = price_from(START, 900.0)
    await tick(hass, freezer, 5)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    assert await hass.config_entries.async_unload(spike_entry.entry_id)
    cloud.aemo_price = lambda _: 30.0
    freezer.tick(timedelta(hours=1))
    mark = len(cloud.requests)
    assert await hass.config_entries.async_setup(spike_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SPIKE).state == STATE_OFF
    assert ("operation", {"default_real_mode": "self_consumption"}) in writes(cloud, mark)
    assert cloud.site_info["default_real_mode"] == "self_consumption"


async def test_simulated_spike_restores_the_owners_own_tariff(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Without auto sync the owner's own tariff is the normal one, and it comes back byte for byte."""
    owner = encode_tariff(
        DayTariff.from_rates([0.25] * 48, [0.05] * 48), code="OWNER", name="My plan", utility="Origin"
    )
    cloud.site_info["tariff_content_v2"] = owner
    cloud.site_info["default_real_mode"] = "autonomous"
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    key = f"{DOMAIN}.{config_entry.entry_id}"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"auto_sync": False}}
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert writes(cloud) == []
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 5000, "duration": 10}, blocking=True)
    ((endpoint, body),) = writes(cloud)  # already autonomous: only the tariff
    assert endpoint == "time_of_use_settings"
    buy = period_rates(body["tou_settings"]["tariff_content_v2"])
    assert {name for name, rate in buy.items() if rate == 5.0} == {
        "PERIOD_13_00",
        "PERIOD_13_30",
        "PERIOD_14_00",
    }
    assert {rate for rate in buy.values() if rate != 5.0} == {0.25}
    assert hass.states.get(SPIKE).attributes["simulated"] is True
    mark = len(cloud.requests)
    await tick(hass, freezer, 11)
    assert hass.states.get(SPIKE).state == STATE_OFF
    # Behaviour change (the single writer): only what differs is written; the mode never left autonomous.
    assert writes(cloud, mark) == [
        ("time_of_use_settings", {"tou_settings": {"tariff_content_v2": owner}}),
    ]


async def test_end_spike_and_turning_detection_off_restore_now(
    hass: HomeAssistant, spike_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """end_spike ends a simulated spike at once; switching detection off ends a real one."""
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 60}, blocking=True)
    assert hass.states.get(SPIKE).state == STATE_ON
    await hass.services.async_call(DOMAIN, "end_spike", blocking=True)
    assert hass.states.get(SPIKE).state == STATE_OFF
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    cloud.aemo_price = lambda _: 700.0
    await tick(hass, freezer, 5)
    # end_spike disarmed the machine until the market calms: no new spike from the same high prices.
    assert hass.states.get(SPIKE).state == STATE_OFF
    cloud.aemo_price = lambda _: 50.0
    await tick(hass, freezer, 5)
    cloud.aemo_price = lambda _: 700.0
    await tick(hass, freezer, 5)
    assert hass.states.get(SPIKE).state == STATE_ON
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.home_powerwall_spike_detection"}, blocking=True
    )
    assert hass.states.get(SPIKE).state == STATE_OFF
    assert spike_entry.options["spike_detection"] is False
    assert cloud.site_info["default_real_mode"] == "self_consumption"


async def test_failed_write_is_retried(
    hass: HomeAssistant, spike_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A 5xx on the mode change is retried on the next minute, without a second baseline capture."""
    cloud.fail("/operation", 503)
    cloud.aemo_price = price_from(START, 900.0)
    await tick(hass, freezer, 7)
    operations = cloud.requests_to("/operation")
    assert len(operations) == 2
    assert cloud.site_info["default_real_mode"] == "autonomous"


async def test_simulate_spike_validation(hass: HomeAssistant, spike_entry: MockConfigEntry) -> None:
    """Bad service data never reaches the Powerwall."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "simulate_spike", {"price": -5}, blocking=True)
    assert raised.value.translation_key == "invalid_spike_price"
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 500, "duration": 0}, blocking=True)
    assert raised.value.translation_key == "invalid_spike_duration"


async def test_simulate_spike_refuses_booleans_and_takes_fractional_minutes(
    hass: HomeAssistant, spike_entry: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """`price: true` is not 1 $/MWh, and 1.5 minutes is a minute and a half, not one minute."""
    with pytest.raises(probatio.Invalid):
        await hass.services.async_call(DOMAIN, "simulate_spike", {"price": True}, blocking=True)
    assert hass.states.get(SPIKE).state == STATE_OFF
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 1.5}, blocking=True)
    assert hass.states.get(SPIKE).state == STATE_ON
    freezer.tick(timedelta(seconds=80))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(SPIKE).state == STATE_ON
    await tick(hass, freezer, 1)
    assert hass.states.get(SPIKE).state == STATE_OFF
