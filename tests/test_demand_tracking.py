"""Demand tracking as the owner sees it: the Powerwall's grid power polled over a demand window, the
entities at each step, cycle resets, restarts and gaps, the reset service and what is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import AsyncMock, patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.diagnostics import async_get_config_entry_diagnostics
from custom_components.tesla_amber_sync.writer import PowerwallWriter

from .conftest import utcnow
from .fake_cloud import FakeCloud

SYDNEY = ZoneInfo("Australia/Sydney")
WINDOW = "binary_sensor.home_powerwall_demand_window_active"
PEAK = "sensor.home_powerwall_demand_peak"
HALF_HOUR = "sensor.home_powerwall_demand_current_half_hour"
CHARGE = "sensor.home_powerwall_demand_charge_estimate"
# $12.50 per kW of the month's peak half hour, 15:00-21:00 every day, the cycle starting on the 1st.
DEMAND = {
    "demand_charge": True,
    "demand_rate": 12.5,
    "demand_window_start": "15:00",
    "demand_window_end": "21:00",
    "demand_days": "every_day",
    "demand_cycle": "monthly",
    "demand_cycle_day": 1,
}
# Saturday 21 November 2026 (AEDT, UTC+11).
SATURDAY = datetime(2026, 11, 21, tzinfo=SYDNEY)


def local(hour: int, minute: int = 0, second: int = 0, day: datetime = SATURDAY) -> datetime:
    return day.replace(hour=hour, minute=minute, second=second)


async def set_up(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    at: datetime,
    options: dict[str, Any] | None = None,
    *,
    watts: float,
) -> None:
    """Set the entry up at `at` with the Powerwall importing `watts` (the first poll's sample)."""
    cloud.live_status["grid_power"] = watts
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(at)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, options=DEMAND if options is None else options)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()


async def run_until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud: FakeCloud,
    until: datetime,
    watts: Callable[[datetime], float] | float,
) -> None:
    """Let time run to `until` in 10-second steps, the Powerwall importing `watts` (W, or W by local time,
    as a poll in each step reads it at the step's end); live status polls every 30 seconds."""
    profile = watts if callable(watts) else (lambda _: watts)
    while utcnow() < until:
        step_end = min(utcnow() + timedelta(seconds=10), until)
        cloud.live_status["grid_power"] = profile(step_end.astimezone(SYDNEY))
        freezer.move_to(step_end)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


def attribute(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.attributes.get(name)


def stored_demand(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    demand: dict[str, Any] = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["demand"]
    return demand


async def test_a_window_is_tracked_half_hour_by_half_hour(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """8 kW before the window never counts; 4 kW for 15:00-15:30 is the peak; in the next half hour the
    warning comes on while the import is heading above it and goes off when the import drops."""
    await set_up(hass, cloud, config_entry, freezer, local(14, 40), watts=8000.0)
    await run_until(hass, freezer, cloud, local(14, 50), 8000.0)
    assert state(hass, WINDOW) == "off"
    assert state(hass, HALF_HOUR) == "unknown"
    assert state(hass, PEAK) == "unknown"
    assert state(hass, CHARGE) == "0.0"
    assert attribute(hass, CHARGE, "last_reset") == "2026-11-01T00:00:00+11:00"
    assert attribute(hass, PEAK, "cycle_start") == "2026-11-01"
    assert attribute(hass, PEAK, "half_hour") is None

    await run_until(hass, freezer, cloud, local(15, 15), lambda at: 8000.0 if at.hour < 15 else 4000.0)
    assert state(hass, WINDOW) == "on"
    assert float(state(hass, HALF_HOUR)) == pytest.approx(4.0, abs=0.01)
    assert state(hass, PEAK) == "unknown"

    await run_until(hass, freezer, cloud, local(15, 31), 4000.0)
    assert float(state(hass, PEAK)) == pytest.approx(4.0, abs=0.01)
    assert attribute(hass, PEAK, "half_hour") == "2026-11-21T15:00:00+11:00"
    assert float(state(hass, CHARGE)) == pytest.approx(50.0, abs=0.1)
    assert attribute(hass, PEAK, "unit_of_measurement") == "kW"
    assert attribute(hass, CHARGE, "unit_of_measurement") == "AUD"

    # 15:30-15:45 at 3 kW: no warning; then 7 kW would end the half hour at 5 kW, above the 4 kW peak.
    await run_until(hass, freezer, cloud, local(15, 45), 3000.0)
    assert attribute(hass, HALF_HOUR, "heading_for_new_peak") is False
    await run_until(hass, freezer, cloud, local(15, 46), 7000.0)
    assert attribute(hass, HALF_HOUR, "heading_for_new_peak") is True
    await run_until(hass, freezer, cloud, local(16, 1), 0.0)
    assert attribute(hass, HALF_HOUR, "heading_for_new_peak") is False
    assert float(state(hass, PEAK)) == pytest.approx(4.0, abs=0.01)

    # The window closes at 21:00 on the half hour, between two polls.
    await run_until(hass, freezer, cloud, local(20, 59, 55), 0.0)
    assert state(hass, WINDOW) == "on"
    freezer.move_to(local(21, 0, 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state(hass, WINDOW) == "off"
    assert state(hass, HALF_HOUR) == "unknown"


async def test_the_window_follows_the_powerwalls_time_zone(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A Powerwall in Adelaide (half an hour behind Sydney, where Home Assistant is set): its 15:00 window
    opens at 15:30 Sydney time, and its half hours are Adelaide's."""
    cloud.site_info["installation_time_zone"] = "Australia/Adelaide"
    await set_up(hass, cloud, config_entry, freezer, local(15, 20), watts=5000.0)
    assert state(hass, WINDOW) == "off"
    await run_until(hass, freezer, cloud, local(15, 31), 5000.0)
    assert state(hass, WINDOW) == "on"
    await run_until(hass, freezer, cloud, local(16, 1), 5000.0)
    assert float(state(hass, PEAK)) == pytest.approx(5.0, abs=0.01)
    assert attribute(hass, PEAK, "half_hour") == "2026-11-21T15:00:00+10:30"


@pytest.mark.parametrize(
    ("cycle", "resets"),
    [
        ({"demand_cycle": "monthly", "demand_cycle_day": 28}, True),
        ({"demand_cycle": "daily"}, True),
        ({"demand_cycle": "monthly", "demand_cycle_day": 1}, False),
    ],
    ids=["monthly_on_day_28", "daily", "monthly_on_day_1"],
)
async def test_the_peak_resets_at_the_cycle_start(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    cycle: dict[str, Any],
    resets: bool,
) -> None:
    """A 3 kW peak on the evening of 27 November is cleared at local midnight when a cycle starts on the
    28th (monthly on day 28, or daily), and kept by a cycle that started on the 1st."""
    options = {**DEMAND, "demand_window_start": "20:00", "demand_window_end": "00:00", **cycle}
    evening = SATURDAY.replace(day=27)
    await set_up(hass, cloud, config_entry, freezer, local(20, 0, day=evening), options, watts=3000.0)
    await run_until(hass, freezer, cloud, local(20, 31, day=evening), 3000.0)
    assert float(state(hass, PEAK)) == pytest.approx(3.0, abs=0.01)
    freezer.move_to(local(23, 58, day=evening))
    await run_until(hass, freezer, cloud, local(23, 59, 50, day=evening), 500.0)
    assert float(state(hass, PEAK)) == pytest.approx(3.0, abs=0.01)
    await run_until(hass, freezer, cloud, local(0, 1, day=evening + timedelta(days=1)), 500.0)
    if resets:
        assert state(hass, PEAK) == "unknown"
        assert state(hass, CHARGE) == "0.0"
        assert attribute(hass, PEAK, "cycle_start") == "2026-11-28"
        assert attribute(hass, CHARGE, "last_reset") == "2026-11-28T00:00:00+11:00"
    else:
        assert float(state(hass, PEAK)) == pytest.approx(3.0, abs=0.01)
        assert attribute(hass, PEAK, "cycle_start") == "2026-11-01"


async def test_a_cycle_starts_on_time_while_the_powerwall_is_unreachable(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Live status fails from 23:45 past midnight: the daily cycle still starts at midnight (the peak of the
    day before is not shown as today's), and the window's end is seen on time."""
    options = {
        **DEMAND,
        "demand_window_start": "20:00",
        "demand_window_end": "00:00",
        "demand_cycle": "daily",
    }
    evening = SATURDAY.replace(day=29)
    await set_up(hass, cloud, config_entry, freezer, local(23, 0, day=evening), options, watts=3000.0)
    await run_until(hass, freezer, cloud, local(23, 45, day=evening), 3000.0)
    assert float(state(hass, PEAK)) == pytest.approx(3.0, abs=0.01)
    cloud.fail("/live_status", 503, times=1000)
    await run_until(hass, freezer, cloud, local(23, 59, 50, day=evening), 3000.0)
    assert state(hass, WINDOW) == "on"
    assert float(state(hass, PEAK)) == pytest.approx(3.0, abs=0.01)
    await run_until(hass, freezer, cloud, local(0, 0, 10, day=evening + timedelta(days=1)), 3000.0)
    assert state(hass, WINDOW) == "off"
    assert state(hass, PEAK) == "unknown"
    assert attribute(hass, PEAK, "cycle_start") == "2026-11-30"


async def test_a_reload_mid_half_hour_continues_it(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Ten minutes of 5 kW, a reload (an options change does one), twenty more: the half hour is whole and
    is the peak. Without the stored ten minutes it would have too little to count."""
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=5000.0)
    await run_until(hass, freezer, cloud, local(15, 10), 5000.0)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    stored = stored_demand(hass_storage, config_entry)
    assert stored["half_hour"] == "2026-11-21T15:00:00+11:00"
    assert stored["known_seconds"] == pytest.approx(600, abs=31)
    await run_until(hass, freezer, cloud, local(15, 31), 5000.0)
    assert float(state(hass, PEAK)) == pytest.approx(5.0, abs=0.01)


def _stored_file(entry: MockConfigEntry, demand: dict[str, Any] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"auto_sync": True}
    if demand is not None:
        data["demand"] = demand
    return {"version": 2, "minor_version": 1, "key": f"{DOMAIN}.{entry.entry_id}", "data": data}


async def test_a_restart_mid_half_hour_continues_from_the_store(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant stopped at 15:10 with 10 minutes of 6 kW measured, the cycle's peak 2 kW (yesterday at
    15:00); it is back at 15:10:20: the half hour continues from the store and becomes the new peak."""
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = _stored_file(
        config_entry,
        {
            "version": 1,
            "cycle": "2026-11-01",
            "half_hour": "2026-11-21T15:00:00+11:00",
            "energy_kwh": 1.0,
            "known_seconds": 600,
            "last_at": "2026-11-21T04:10:00+00:00",
            "last_w": 6000.0,
            "peak_kw": 2.0,
            "peak_at": "2026-11-20T15:00:00+11:00",
        },
    )
    await set_up(hass, cloud, config_entry, freezer, local(15, 10, 20), watts=6000.0)
    assert float(state(hass, PEAK)) == pytest.approx(2.0)
    assert attribute(hass, PEAK, "half_hour") == "2026-11-20T15:00:00+11:00"
    assert float(state(hass, HALF_HOUR)) == pytest.approx(6.0, abs=0.01)
    await run_until(hass, freezer, cloud, local(15, 31), 6000.0)
    assert float(state(hass, PEAK)) == pytest.approx(6.0, abs=0.01)
    assert float(state(hass, CHARGE)) == pytest.approx(75.0, abs=0.1)


async def test_the_state_is_written_once_a_minute_not_every_poll(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Polls every 30 seconds do not each write the file: the state is written a minute after it first
    changed (as it is then: up to the last poll), and again a minute after the next change, so a crash
    loses at most about a minute and a half of the half hour in progress."""
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=2000.0)
    key = f"{DOMAIN}.{config_entry.entry_id}"

    def written() -> float:
        demand = hass_storage.get(key, {}).get("data", {}).get("demand", {})
        return float(demand.get("known_seconds", 0))

    # Only the tracker's own writes reach the file here (the controller writes its records on each plan).
    with patch.object(PowerwallWriter, "async_save", AsyncMock()):
        await run_until(hass, freezer, cloud, local(15, 0, 50), 2000.0)
        # Two polls have been taken since set-up; neither was written yet.
        assert written() == 0
        seen: list[float] = []
        for minute in range(1, 6):
            for second in (20, 30, 40, 50, 60, 70):
                until = local(15, minute - 1, 0) + timedelta(seconds=second)
                await run_until(hass, freezer, cloud, until, 2000.0)
                seen.append(written())
            assert written() >= minute * 60 - 90
    # Ten polls in those five minutes, about five writes.
    assert len(set(seen)) <= 6


async def test_a_store_from_before_demand_tracking_starts_afresh(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A file of minor version 1 has no demand record: tracking starts with no peak, keeps the rest of the
    record, and the file is written at minor version 2 with the tracker's state (within a minute)."""
    key = f"{DOMAIN}.{config_entry.entry_id}"
    hass_storage[key] = _stored_file(config_entry, None)
    hass_storage[key]["data"]["profiles"] = {"Summer": {"content": {"code": "X"}}}
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=1000.0)
    assert state(hass, PEAK) == "unknown"
    await run_until(hass, freezer, cloud, local(15, 2), 1000.0)
    stored = hass_storage[key]
    assert stored["minor_version"] == 2
    assert stored["data"]["profiles"] == {"Summer": {"content": {"code": "X"}}}
    assert stored["data"]["demand"]["half_hour"] == "2026-11-21T15:00:00+11:00"
    assert stored["data"]["demand"]["peak_kw"] is None


async def test_a_gap_never_invents_a_peak(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant was down from 15:05 to 15:45 while 9 kW was imported: neither half hour was seen
    enough to bill on, so no peak; the next whole half hour is the peak."""
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = _stored_file(
        config_entry,
        {
            "version": 1,
            "cycle": "2026-11-01",
            "half_hour": "2026-11-21T15:00:00+11:00",
            "energy_kwh": 0.75,
            "known_seconds": 300,
            "last_at": "2026-11-21T04:05:00+00:00",
            "last_w": 9000.0,
            "peak_kw": None,
            "peak_at": None,
        },
    )
    await set_up(hass, cloud, config_entry, freezer, local(15, 45), watts=9000.0)
    await run_until(hass, freezer, cloud, local(16, 1), 9000.0)
    assert state(hass, PEAK) == "unknown"
    assert state(hass, CHARGE) == "0.0"
    await run_until(hass, freezer, cloud, local(16, 31), 9000.0)
    assert float(state(hass, PEAK)) == pytest.approx(9.0, abs=0.01)
    assert attribute(hass, PEAK, "half_hour") == "2026-11-21T16:00:00+11:00"


async def test_failed_polls_are_unknown_time_not_import(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The Powerwall stops answering at 15:10 for ten minutes of a 9 kW half hour: that time is unknown,
    so only 20 of its 30 minutes are known and it is not billed on."""
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=9000.0)
    await run_until(hass, freezer, cloud, local(15, 10), 9000.0)
    cloud.fail("/live_status", 503, times=40)
    await run_until(hass, freezer, cloud, local(15, 20), 9000.0)
    cloud.failures.clear()
    await run_until(hass, freezer, cloud, local(15, 31), 9000.0)
    assert state(hass, PEAK) == "unknown"


async def test_the_reset_service_starts_a_new_cycle_now(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The owner's bill started today: the peak is cleared and written down at once, the charge restarts
    from now, and the next half hour is the new peak."""
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=4000.0)
    await run_until(hass, freezer, cloud, local(15, 31), 4000.0)
    assert float(state(hass, PEAK)) == pytest.approx(4.0, abs=0.01)
    await hass.services.async_call(DOMAIN, "reset_demand_peak", {}, blocking=True)
    assert state(hass, PEAK) == "unknown"
    assert state(hass, CHARGE) == "0.0"
    assert attribute(hass, CHARGE, "last_reset") == "2026-11-21T15:31:00+11:00"
    assert attribute(hass, PEAK, "cycle_start") == "2026-11-21"
    stored = stored_demand(hass_storage, config_entry)
    assert stored["peak_kw"] is None
    assert stored["reset_at"] == "2026-11-21T04:31:00+00:00"
    await run_until(hass, freezer, cloud, local(16, 1), 2000.0)
    # 15:30-15:31 was before the reset; after it, the 4 kW read at 15:31 until the next poll and then 2 kW
    # count, over the whole half hour.
    assert float(state(hass, PEAK)) == pytest.approx((0.5 * 4 + 28.5 * 2) / 30, abs=0.001)
    assert attribute(hass, PEAK, "half_hour") == "2026-11-21T15:30:00+11:00"
    await run_until(hass, freezer, cloud, local(16, 31), 2000.0)
    assert float(state(hass, PEAK)) == pytest.approx(2.0, abs=0.01)
    assert float(state(hass, CHARGE)) == pytest.approx(25.0, abs=0.1)


async def test_without_a_demand_charge_nothing_is_tracked(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No demand charge set: no demand entities, and the reset service says why it cannot act."""
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), {}, watts=0.0)
    for entity_id in (WINDOW, PEAK, HALF_HOUR, CHARGE):
        assert hass.states.get(entity_id) is None
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "reset_demand_peak", {}, blocking=True)
    assert raised.value.translation_key == "no_demand_charge"
    assert raised.value.translation_placeholders == {"title": "Home Powerwall"}
    assert str(raised.value) == (
        "Home Powerwall has no demand charge set: set one in the integration's options first"
    )


async def test_turning_the_demand_charge_off_removes_its_entities(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """The owner turns the demand charge off (the options flow reloads the entry): its four entities go,
    instead of lingering as unavailable; turned on again, they come back."""
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=1000.0)
    for entity_id in (WINDOW, PEAK, HALF_HOUR, CHARGE):
        assert entity_registry.async_get(entity_id) is not None
    hass.config_entries.async_update_entry(config_entry, options={"demand_charge": False})
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    for entity_id in (WINDOW, PEAK, HALF_HOUR, CHARGE):
        assert entity_registry.async_get(entity_id) is None
        assert hass.states.get(entity_id) is None
    hass.config_entries.async_update_entry(config_entry, options=DEMAND)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, WINDOW) == "on"


async def test_diagnostics_show_the_demand_cycle(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, cloud, config_entry, freezer, local(15, 0), watts=4000.0)
    await run_until(hass, freezer, cloud, local(15, 31), 4000.0)
    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    demand = diagnostics["demand"]
    assert demand["time_zone"] == "Australia/Sydney"
    assert demand["window_active"] is True
    assert demand["charge_estimate"] == pytest.approx(50.0, abs=0.1)
    assert demand["state"]["peak_at"] == "2026-11-21T15:00:00+11:00"
    assert diagnostics["persisted"]["demand"] == demand["state"]
