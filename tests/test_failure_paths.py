"""The ways a write or a read can go wrong, and what the owner sees then."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.store import PersistedState, PushRecord
from custom_components.tesla_amber_sync.tariff import DayTariff, encode_tariff
from custom_components.tesla_amber_sync.writer import TariffReader

from .conftest import START
from .fake_cloud import FakeCloud
from .test_sync import period_rates

SYNC_STATUS = "sensor.home_powerwall_sync_status"


async def _refresh(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int = 5) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_push_with_a_revoked_token_asks_for_reauthentication(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """A 401 on the write: not applied, and the reauth flow starts; the service says why."""
    cloud.fail("/time_of_use_settings", 401)
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    assert raised.value.translation_key == "authentication_failed"
    assert hass.states.get(SYNC_STATUS).state == "not_applied"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_push_during_an_outage_is_retried(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A 5xx on the write: not applied now, pushed on a later cycle."""
    cloud.fail("/time_of_use_settings", 502)
    cloud.set_prices(lambda _: 41.0, lambda _: -8.0)
    await _refresh(hass, freezer)
    assert hass.states.get(SYNC_STATUS).state == "not_applied"
    await _refresh(hass, freezer)
    await _refresh(hass, freezer)
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert len(cloud.tariff_pushes()) == 3


async def test_an_unreadable_tariff_on_the_powerwall_is_not_verified(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """If the read-back cannot be decoded, the push does not count as applied."""
    cloud.apply_writes = False
    cloud.site_info["tariff_content_v2"] = {"seasons": "garbage"}
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    assert raised.value.translation_key == "not_applied"


async def test_amber_sync_waits_while_a_spike_holds_the_tariff(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """A manual push during a spike is refused with a translated reason."""
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 2000}, blocking=True)
    pushes = len(cloud.tariff_pushes())
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    assert raised.value.translation_key == "spike_active"
    assert len(cloud.tariff_pushes()) == pushes


async def test_spike_restore_retried_after_a_failed_write(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The owner's mode is written again until it sticks; Tesla Sync holds the mode until then."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    await _refresh(hass, freezer, 5)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 2000, "duration": 1}, blocking=True)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    cloud.fail("/operation", 500)
    await _refresh(hass, freezer, 1)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    state = init_integration.runtime_data.controller.state
    assert "operation_mode" in {setting.value for setting in state.ours}
    await _refresh(hass, freezer, 1)
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    assert "operation_mode" not in {setting.value for setting in state.ours}


async def test_spike_waits_for_a_readable_baseline(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Nothing is changed until the owner's settings could be read afresh; the owner is told, nothing sticks.

    Behaviour change (the single writer): the service raises instead of reporting success, and the spike it
    asked for is not left half-started.
    """
    cloud.site_info["default_real_mode"] = "self_consumption"
    await _refresh(hass, freezer, 5)
    await _refresh(hass, freezer, 1)  # the last read is no longer fresh
    cloud.fail("/site_info", 503)
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "simulate_spike", {"price": 2000, "duration": 30}, blocking=True
        )
    assert raised.value.translation_key == "powerwall_unreadable"
    assert cloud.requests_to("/operation") == []
    assert hass.states.get("binary_sensor.home_powerwall_price_spike").state == "off"
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 2000, "duration": 30}, blocking=True)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    assert await hass.config_entries.async_unload(init_integration.entry_id)


async def test_spike_without_any_tariff_pushes_a_spike_tariff_once(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Auto sync off and no tariff on the Powerwall: the spike lays its window on a flat day at the last
    known price, pushed once, with the mode written once; at the end the mode comes back.

    Behaviour change (issue 9): a spike without a tariff to start from used to change only the mode, which
    had no effect and rewrote the mode every minute.
    """
    cloud.site_info["default_real_mode"] = "self_consumption"
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    key = f"{DOMAIN}.{config_entry.entry_id}"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"auto_sync": False}}
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 2000, "duration": 20}, blocking=True)
    (content,) = cloud.tariff_pushes()
    buy = period_rates(content)
    assert {name for name, rate in buy.items() if rate == 2.0} == {
        "PERIOD_13_00",
        "PERIOD_13_30",
        "PERIOD_14_00",
    }
    assert {rate for rate in buy.values() if rate != 2.0} == {0.3}
    for _ in range(15):
        await _refresh(hass, freezer, 1)
    assert len(cloud.tariff_pushes()) == 1
    assert [r.json for r in cloud.requests_to("/operation")] == [{"default_real_mode": "autonomous"}]
    for _ in range(6):
        await _refresh(hass, freezer, 1)
    assert [r.json for r in cloud.requests_to("/operation")] == [
        {"default_real_mode": "autonomous"},
        {"default_real_mode": "self_consumption"},
    ]
    assert cloud.site_info["default_real_mode"] == "self_consumption"


@pytest.mark.parametrize(
    ("status", "expected"), [("Active", "on"), ("Inactive", "off"), ("Unknown", "unknown")]
)
async def test_grid_status(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    status: str,
    expected: str,
) -> None:
    """Tesla's three grid states, including solar-only sites that report Unknown."""
    cloud.live_status["grid_status"] = status
    await _refresh(hass, freezer, 1)
    assert hass.states.get("binary_sensor.home_powerwall_grid_status").state == expected


async def test_malformed_upstream_keeps_last_good_state(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """An Amber reply that is not a list: prices unavailable with a translated reason, nothing pushed."""
    cloud.amber_sites = {"not": "a list"}  # type: ignore[assignment]
    amber = init_integration.runtime_data.amber
    assert amber is not None
    prices = amber.prices
    prices.site = None  # make the next refresh read the sites again
    await _refresh(hass, freezer)
    assert prices.last_exception is not None
    assert prices.last_exception.translation_key == "invalid_response"  # type: ignore[attr-defined]
    assert len(cloud.tariff_pushes()) == 1


def test_same_tariff_compares_rates_not_bytes() -> None:
    """Read-back comparison of the owner's tariff: by rates when both decode, else by equality."""
    day = date(2026, 11, 21)
    _same_tariff = TariffReader().same
    flat = encode_tariff(DayTariff.from_rates([0.2] * 48, [0.1] * 48), code="A", name="a", utility="u")
    renamed = {**flat, "name": "Renamed by Tesla"}
    dearer = encode_tariff(DayTariff.from_rates([0.3] * 48, [0.1] * 48), code="A", name="a", utility="u")
    assert _same_tariff(flat, renamed, day)
    assert not _same_tariff(flat, dearer, day)
    assert _same_tariff(None, None, day)
    assert not _same_tariff(flat, None, day)
    assert not _same_tariff({"seasons": 1}, flat, day)
    assert _same_tariff({"seasons": {}}, {"seasons": {}}, day)


def test_persisted_state_tolerates_damage() -> None:
    """An unreadable push record is no record; missing keys take their defaults."""
    state = PersistedState.from_dict({"last_push": {"fingerprint": 3}, "overrides": None})
    assert state.last_push is None
    assert state.auto_sync is True
    assert state.overrides == {}
    record = PushRecord(fingerprint="abc", pushed_at=START, verified=True)
    assert PersistedState.from_dict(PersistedState(last_push=record).as_dict()).last_push == record
