"""Which zone the tariff and the daily energy follow: the Powerwall's own, else Home Assistant's."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import START
from .fake_cloud import FakeCloud

UNKNOWN_ZONE_WARNING = "which this system does not know"


async def _set_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    *,
    home_zone: str,
    powerwall_zone: str,
) -> None:
    await hass.config.async_set_time_zone(home_zone)
    cloud.site_info["installation_time_zone"] = powerwall_zone
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()


def _first_slot_start(hass: HomeAssistant) -> str:
    slots = hass.states.get("sensor.home_powerwall_tariff").attributes["slots"]
    return str(min(slots, key=lambda slot: slot["start"][11:16])["start"])


async def test_the_powerwalls_zone_wins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """A Powerwall in Perth under a Home Assistant set to Sydney: slots and energy days are Perth's."""
    await _set_up(
        hass, freezer, cloud, config_entry, home_zone="Australia/Sydney", powerwall_zone="Australia/Perth"
    )
    assert _first_slot_start(hass).endswith("T00:00:00+08:00")
    assert cloud.requests_to("/calendar_history")[-1].url.query["time_zone"] == "Australia/Perth"


async def test_no_zone_means_home_assistants(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """Some Powerwalls report an empty zone: Home Assistant's is used, without a warning."""
    await _set_up(hass, freezer, cloud, config_entry, home_zone="Australia/Brisbane", powerwall_zone="")
    assert _first_slot_start(hass).endswith("T00:00:00+10:00")
    assert cloud.requests_to("/calendar_history")[-1].url.query["time_zone"] == "Australia/Brisbane"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd"])
async def test_an_unknown_zone_warns_once_and_uses_home_assistants(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    zone: str,
) -> None:
    """A zone this system does not know: one warning however often site info says it, and Home
    Assistant's zone for the tariff and the energy days meanwhile."""
    caplog.set_level(logging.WARNING)
    await _set_up(hass, freezer, cloud, config_entry, home_zone="Australia/Adelaide", powerwall_zone=zone)
    # An hour of site info refreshes, each naming the same zone.
    site_info_reads = len(cloud.requests_to("/site_info"))
    for _ in range(12):
        freezer.tick(timedelta(minutes=5))
        async_fire_time_changed(hass)
        # Coordinators refresh in background tasks: let the ones this tick started finish.
        await hass.async_block_till_done(wait_background_tasks=True)
    assert len(cloud.requests_to("/site_info")) >= site_info_reads + 6
    warnings = [record for record in caplog.records if UNKNOWN_ZONE_WARNING in record.getMessage()]
    assert len(warnings) == 1
    assert zone in warnings[0].getMessage()
    assert _first_slot_start(hass).endswith("T00:00:00+10:30")
    assert cloud.requests_to("/calendar_history")[-1].url.query["time_zone"] == "Australia/Adelaide"


async def test_a_changed_zone_is_followed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """The installer corrects the Powerwall's zone: the next site info brings it into use."""
    await _set_up(
        hass, freezer, cloud, config_entry, home_zone="Australia/Sydney", powerwall_zone="Australia/Sydney"
    )
    cloud.site_info["installation_time_zone"] = "Australia/Perth"
    for _ in range(3):
        freezer.tick(timedelta(minutes=5))
        async_fire_time_changed(hass)
        # Coordinators refresh in background tasks: let the ones this tick started finish.
        await hass.async_block_till_done(wait_background_tasks=True)
    assert cloud.requests_to("/calendar_history")[-1].url.query["time_zone"] == "Australia/Perth"
