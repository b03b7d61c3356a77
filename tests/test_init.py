"""Setting an entry up and tearing it down, and how upstream failures reach Home Assistant."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.const import DOMAIN
from tests.options_helpers import open_options_form

from .conftest import AFTER_BOUNDARY_POLL, AMBER_TOKEN, START, TESLEMETRY_TOKEN
from .fake_cloud import AMBER_SITE_ID, ENERGY_SITE_ID, FakeCloud


async def test_setup_creates_both_devices(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """The Powerwall (Tesla, model, firmware) and the Amber site (a service) become devices."""
    assert init_integration.state is ConfigEntryState.LOADED
    registry = dr.async_get(hass)
    powerwall = registry.async_get_device_by_identifier(
        (DOMAIN, str(ENERGY_SITE_ID)), init_integration.entry_id
    )
    assert powerwall is not None
    assert (powerwall.manufacturer, powerwall.name, powerwall.sw_version, powerwall.serial_number) == (
        "Tesla",
        "Home Powerwall",
        "25.10.1",
        "GW1234567890",
    )
    assert powerwall.model == "Powerwall"
    amber = registry.async_get_device_by_identifier(
        (DOMAIN, f"amber_{AMBER_SITE_ID}"), init_integration.entry_id
    )
    assert amber is not None
    assert amber.entry_type is dr.DeviceEntryType.SERVICE
    assert (amber.name, amber.model, amber.serial_number) == (
        "Amber Electric",
        "Electricity site",
        "4102000001",
    )
    # The first refreshes asked each API once, with its own token.
    (prices,) = cloud.requests_to("/prices/current")
    assert prices.headers["Authorization"] == f"Bearer {AMBER_TOKEN}"
    assert prices.url.query["previous"] == prices.url.query["next"] == "50"
    (site_info_first, *_) = cloud.requests_to("/site_info")
    assert site_info_first.headers["Authorization"] == f"Bearer {TESLEMETRY_TOKEN}"
    assert len(cloud.requests_to("/live_status")) == 1


async def test_five_minute_site_asks_for_a_day_of_five_minute_intervals(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The look-back and look-ahead follow the site's billing interval length."""
    cloud.amber_sites[0]["intervalLength"] = 5
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    (prices,) = cloud.requests_to("/prices/current")
    assert prices.url.query["previous"] == prices.url.query["next"] == "300"


async def test_the_day_clocks_go_forward_asks_for_two_days_of_history(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """On the day Sydney skips 02:00-03:00, the skipped slots last occurred the day before: the look-back
    grows by a day so the rolling tariff can fall back to them (the look-ahead stays a day and an hour)."""
    cloud.amber_sites[0]["intervalLength"] = 5
    # Home Assistant's own zone has no daylight saving: the Powerwall site's zone (Sydney) is the one read.
    await hass.config.async_set_time_zone("Australia/Brisbane")
    # 20:00 on Sunday 4 October 2026, Sydney daylight time.
    freezer.move_to(datetime.fromisoformat("2026-10-04T20:00:00+11:00"))
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    # The first request goes out beside the Powerwall's first read, by Home Assistant's zone; the next
    # ones by the site's (the next one soon after the next 5-minute boundary).
    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    prices = cloud.requests_to("/prices/current")[-1]
    assert (prices.url.query["previous"], prices.url.query["next"]) == (str(49 * 12), "300")
    # Two days later the look-back is a day and an hour again.
    freezer.move_to(datetime.fromisoformat("2026-10-06T20:00:00+11:00"))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    prices = cloud.requests_to("/prices/current")[-1]
    assert (prices.url.query["previous"], prices.url.query["next"]) == ("300", "300")


@pytest.mark.parametrize(
    ("path", "status", "expected_state"),
    [
        ("/live_status", 500, ConfigEntryState.SETUP_RETRY),
        ("/site_info", 429, ConfigEntryState.SETUP_RETRY),
        ("/site_info", 403, ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_setup_failures(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    path: str,
    status: int,
    expected_state: ConfigEntryState,
) -> None:
    """A Powerwall outage retries setup later; a rejected token stops it and asks the owner to reauthenticate.

    Behaviour change (issue 9): Amber failing at load no longer takes the entry down (see below).
    """
    cloud.fail(path, status)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is expected_state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    reauth = [flow for flow in flows if flow["context"]["source"] == SOURCE_REAUTH]
    assert bool(reauth) is (expected_state is ConfigEntryState.SETUP_ERROR)


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """After unloading, no timer polls any API again."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    made = len(cloud.requests)
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(cloud.requests) == made


async def test_coordinators_poll_at_their_cadence(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Live status every 30 s; prices and site info every 5 minutes."""
    prices = len(cloud.requests_to("/prices/current"))
    live = len(cloud.requests_to("/live_status"))
    site_info = len(cloud.requests_to("/site_info"))
    for _ in range(10):
        freezer.tick(timedelta(seconds=30))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert len(cloud.requests_to("/live_status")) == live + 10
    assert len(cloud.requests_to("/prices/current")) == prices + 1
    assert len(cloud.requests_to("/site_info")) == site_info + 1


async def test_auth_failure_while_running_starts_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A token revoked later starts the reauthentication flow."""
    cloud.fail("/live_status", 401)
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_rate_limit_while_running_waits_for_retry_after(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A 429 from Amber postpones the next poll by its RateLimit-Reset, not the usual 5 minutes."""
    amber = init_integration.runtime_data.amber
    assert amber is not None
    prices = amber.prices
    cloud.fail("/prices/current", 429, {"RateLimit-Reset": "900"})
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not prices.last_update_success
    asked = len(cloud.requests_to("/prices/current"))
    for _ in range(2):
        freezer.tick(timedelta(minutes=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert len(cloud.requests_to("/prices/current")) == asked
    freezer.tick(timedelta(minutes=5, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert len(cloud.requests_to("/prices/current")) == asked + 1
    assert prices.last_update_success


@pytest.mark.parametrize(("status", "reauth"), [(401, True), (503, False)])
async def test_amber_failing_at_load_leaves_the_powerwall_working(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    status: int,
    reauth: bool,
) -> None:
    """Amber down or rejecting its token at load: the Powerwall's entities work, Amber's are unavailable,
    nothing is pushed; a rejected token asks for Amber's token again. When Amber answers again, prices show
    and the tariff is pushed."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    cloud.fail("/prices/current", status)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.home_powerwall_battery_level").state == "62.5"
    assert hass.states.get("sensor.home_powerwall_grid_power").state not in ("unavailable", "unknown")
    assert hass.states.get("sensor.amber_electric_general_price").state == "unavailable"
    assert hass.states.get("sensor.home_powerwall_sync_status").state == "upstream_unavailable"
    assert cloud.tariff_pushes() == []
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ([SOURCE_REAUTH] if reauth else [])
    # The next try is the next boundary's aligned poll.
    freezer.tick(timedelta(minutes=5) + AFTER_BOUNDARY_POLL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.amber_electric_general_price").state == "0.3"
    assert len(cloud.tariff_pushes()) == 1


async def test_an_older_entry_without_options_is_migrated(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """An entry from 1.1 whose options were never saved only moves to 1.2."""
    old = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data=dict(config_entry.data),
        version=1,
        minor_version=1,
    )
    freezer.move_to(START)
    old.add_to_hass(hass)
    assert await hass.config_entries.async_setup(old.entry_id)
    await hass.async_block_till_done()
    assert (old.version, old.minor_version, dict(old.options)) == (1, 2, {})
    assert hass.states.get("sensor.home_powerwall_aemo_price").attributes["region"] == "NSW1"


async def test_upper_case_region_of_an_older_entry_is_migrated(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """An entry from before 1.2 stored the region as AEMO spells it; it keeps working, in lower case."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home Powerwall",
        unique_id=str(ENERGY_SITE_ID),
        data={
            "amber_api_token": AMBER_TOKEN,
            "amber_site_id": AMBER_SITE_ID,
            "teslemetry_api_token": TESLEMETRY_TOKEN,
            "energy_site_id": ENERGY_SITE_ID,
        },
        options={"aemo_region": "VIC1", "spike_detection": False},
        version=1,
        minor_version=1,
    )
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.options == {"aemo_region": "vic1", "spike_detection": False}
    # The AEMO price shown is Victoria's, the region the owner chose.
    assert hass.states.get("sensor.home_powerwall_aemo_price").attributes["region"] == "VIC1"
    result = await open_options_form(hass, entry.entry_id)
    suggested = {str(key): key.description["suggested_value"] for key in result["data_schema"].schema}
    assert suggested["aemo_region"] == "vic1"


async def test_an_entry_from_a_newer_version_is_not_loaded(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """A downgrade cannot read what a newer Tesla Sync stored: the entry stays unloaded, untouched."""
    newer = MockConfigEntry(
        domain=DOMAIN,
        unique_id=config_entry.unique_id,
        data=dict(config_entry.data),
        options={"aemo_region": "nsw1"},
        version=2,
        minor_version=1,
    )
    newer.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(newer.entry_id)
    assert newer.state is ConfigEntryState.MIGRATION_ERROR
    assert newer.options == {"aemo_region": "nsw1"}
    assert cloud.requests == []
