"""The single writer: bounded restores, loud failures, removal, the baseline, repairs and rate limits."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.control.restore import MAX_ATTEMPTS
from custom_components.tesla_amber_sync.tariff import DayTariff, encode_tariff

from .conftest import START, past_first_poll
from .fake_cloud import FakeCloud, load_fixture
from .test_spike_response import tick, writes
from .test_sync import period_rates

SYNC_STATUS = "sensor.home_powerwall_sync_status"
TARIFF = "sensor.home_powerwall_tariff"
SPIKE = "binary_sensor.home_powerwall_price_spike"
OWNER_TARIFF = encode_tariff(
    DayTariff.from_rates([0.25] * 48, [0.05] * 48), code="OWNER", name="My plan", utility="Origin"
)


async def setup_entry(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    *,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Set the entry up at START in Sydney."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    if options:
        hass.config_entries.async_update_entry(config_entry, options=options)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)
    return config_entry


async def start_fix(hass: HomeAssistant, issue_id: str) -> Any:
    """Start the repair's fix flow, as the repairs dashboard does."""
    assert await async_setup_component(hass, "repairs", {})
    manager = hass.data["repairs"]["flow_manager"]
    return await manager.async_init(DOMAIN, data={"issue_id": issue_id})


async def continue_fix(hass: HomeAssistant, flow: Any, user_input: dict[str, Any]) -> Any:
    """Answer the fix flow's step."""
    result = await hass.data["repairs"]["flow_manager"].async_configure(flow["flow_id"], user_input)
    await hass.async_block_till_done()
    return result


@pytest.fixture
def self_powered(cloud: FakeCloud) -> FakeCloud:
    """An owner who runs the Powerwall Self-Powered with their own retailer's plan."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    cloud.site_info["tariff_content_v2"] = OWNER_TARIFF
    return cloud


async def test_a_restore_that_keeps_failing_stops_at_the_bound_and_raises_a_repair(
    hass: HomeAssistant,
    self_powered: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each failed restore waits longer (1, 2, 4, 8 minutes); then a repair says what the owner had,
    a later attempt that works clears it."""
    cloud = self_powered
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 1}, blocking=True)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    cloud.fail("/operation", 503, times=100)
    times: list[Any] = []
    for minute in range(1, 40):
        before = len(cloud.requests_to("/operation"))
        await tick(hass, freezer, 1)
        if len(cloud.requests_to("/operation")) > before:
            times.append(minute)
    assert len(times) == MAX_ATTEMPTS
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert gaps == [1, 2, 4, 8]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"restore_failed_{config_entry.entry_id}")
    assert issue is not None
    assert "Self-Powered" in issue.translation_placeholders["owner"]
    assert "Time-Based Control" in issue.translation_placeholders["different"]
    assert cloud.site_info["default_real_mode"] == "autonomous"

    # The owner asks to try again once Teslemetry works: the mode comes back and the repair goes.
    cloud.failures.clear()
    flow = await start_fix(hass, issue.issue_id)
    assert flow["type"] == "form"
    assert (await continue_fix(hass, flow, {}))["type"] == "create_entry"
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def test_simulate_spike_that_cannot_be_written_raises_and_leaves_nothing_behind(
    hass: HomeAssistant,
    self_powered: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The mode goes through, the spike tariff fails: the service raises, the spike and mode are undone."""
    cloud = self_powered
    await setup_entry(hass, config_entry, freezer)
    cloud.fail("/time_of_use_settings", 500)
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000}, blocking=True)
    assert raised.value.translation_key == "service_unavailable"
    assert hass.states.get(SPIKE).state == "off"
    assert [r.json for r in cloud.requests_to("/operation")] == [
        {"default_real_mode": "autonomous"},
        {"default_real_mode": "self_consumption"},
    ]
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    # Amber holds the tariff again (auto sync is on).
    assert set(period_rates(cloud.site_info["tariff_content_v2"]).values()) == {0.3}


async def test_end_spike_and_switches_raise_when_the_powerwall_write_fails(
    hass: HomeAssistant,
    self_powered: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """end_spike and a switch that cannot give the owner's settings back say so; the restore goes on."""
    cloud = self_powered
    await setup_entry(hass, config_entry, freezer, options={"solar_curtailment": True})
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 30}, blocking=True)
    cloud.fail("/operation", 500)
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "end_spike", blocking=True)
    assert raised.value.translation_key == "service_unavailable"
    await tick(hass, freezer, 1)
    assert cloud.site_info["default_real_mode"] == "self_consumption"

    cloud.feed_in_price = lambda _: 2.0
    await tick(hass, freezer, 5)
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "never"
    cloud.fail("/grid_import_export", 500)
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "switch",
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: "switch.home_powerwall_solar_curtailment"},
            blocking=True,
        )
    await tick(hass, freezer, 1)
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "pv_only"


async def test_removal_mid_spike_gives_the_owners_settings_back(
    hass: HomeAssistant,
    self_powered: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Removing the entry during a spike writes back the owner's mode and their own plan, byte for byte."""
    cloud = self_powered
    await setup_entry(hass, config_entry, freezer)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 30}, blocking=True)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    mark = len(cloud.requests)
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert writes(cloud, mark) == [
        ("operation", {"default_real_mode": "self_consumption"}),
        ("time_of_use_settings", {"tou_settings": {"tariff_content_v2": OWNER_TARIFF}}),
    ]
    assert cloud.site_info["tariff_content_v2"] == OWNER_TARIFF
    assert hass.states.async_all("persistent_notification") == []


async def test_removal_mid_curtailment_when_the_powerwall_is_unreachable_lists_what_the_owner_had(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Teslemetry down at removal: a notification lists the owner's export rule and tariff."""
    cloud.site_info["tariff_content_v2"] = OWNER_TARIFF
    await setup_entry(hass, config_entry, freezer, options={"solar_curtailment": True})
    cloud.feed_in_price = lambda _: 2.0
    await tick(hass, freezer, 5)
    assert cloud.site_info["components"]["customer_preferred_export_rule"] == "never"
    cloud.fail("/site_info", 503, times=5)
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    listed = persistent_notification._async_get_or_create_notifications(hass)
    (notification,) = listed.values()
    assert "Export: solar only" in notification["message"]
    assert "Tariff: My plan (Origin), buy 0.2500 $/kWh" in notification["message"]


async def test_the_owners_tariff_is_recorded_before_the_first_amber_push_and_comes_back(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The owner's own plan is in the Store before Amber's first push; auto sync off gives it back."""
    cloud.site_info["tariff_content_v2"] = OWNER_TARIFF
    await setup_entry(hass, config_entry, freezer)
    stored = hass_storage[f"{DOMAIN}.{config_entry.entry_id}"]
    assert stored["version"] == 2
    assert stored["data"]["baseline"]["tariff"] == OWNER_TARIFF
    assert set(period_rates(cloud.site_info["tariff_content_v2"]).values()) == {0.3}
    assert hass.states.get(TARIFF).attributes["source"] == "amber"
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.home_powerwall_auto_sync"}, blocking=True
    )
    assert cloud.tariff_pushes()[-1] == OWNER_TARIFF
    assert cloud.site_info["tariff_content_v2"] == OWNER_TARIFF
    assert hass.states.get(TARIFF).attributes["source"] == "owner"
    assert float(hass.states.get(TARIFF).state) == 0.25


async def test_status_follows_the_facts(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Synced, then upstream_unavailable through an Amber 500 and a Teslemetry 401, overridden in a spike."""
    await setup_entry(hass, config_entry, freezer)
    assert hass.states.get(SYNC_STATUS).state == "synced"
    cloud.fail("/prices/current", 500)
    await tick(hass, freezer, 5)
    assert hass.states.get(SYNC_STATUS).state == "upstream_unavailable"
    await tick(hass, freezer, 5)
    assert hass.states.get(SYNC_STATUS).state == "synced"
    cloud.fail("/site_info", 401)
    await tick(hass, freezer, 5)
    assert hass.states.get(SYNC_STATUS).state == "upstream_unavailable"
    await tick(hass, freezer, 5)
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 3000, "duration": 10}, blocking=True)
    assert hass.states.get(SYNC_STATUS).state == "overridden"
    tariff = hass.states.get(TARIFF)
    assert tariff.attributes["source"] == "spike"
    assert float(tariff.state) == 3.0
    # The Amber build stays beside it for comparison.
    assert {slot["buy"] for slot in tariff.attributes["amber_build"]} == {0.3}


async def test_not_in_time_based_control_repair_and_its_fix(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Self-Powered with auto sync on: the status and a repair say the tariff does nothing; the fix switches
    the mode through the writer, and removing the entry puts Self-Powered back."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    await setup_entry(hass, config_entry, freezer)
    assert hass.states.get(SYNC_STATUS).state == "not_in_time_based_control"
    issue_id = f"not_in_time_based_control_{config_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flow = await start_fix(hass, issue_id)
    assert flow["type"] == "menu"
    assert (await continue_fix(hass, flow, {"next_step_id": "switch"}))["type"] == "create_entry"
    assert [r.json for r in cloud.requests_to("/operation")] == [{"default_real_mode": "autonomous"}]
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert cloud.site_info["default_real_mode"] == "self_consumption"


async def test_dismissing_the_time_based_control_repair(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The owner keeps their mode: nothing is written and the repair stays away."""
    cloud.site_info["default_real_mode"] = "self_consumption"
    await setup_entry(hass, config_entry, freezer)
    issue_id = f"not_in_time_based_control_{config_entry.entry_id}"
    flow = await start_fix(hass, issue_id)
    await continue_fix(hass, flow, {"next_step_id": "dismiss"})
    await tick(hass, freezer, 10)
    assert cloud.requests_to("/operation") == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get(SYNC_STATUS).state == "not_in_time_based_control"


async def test_rate_limit_during_spike_start_and_restore(
    hass: HomeAssistant,
    self_powered: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 with Retry-After: no write of any kind until it expires, at spike start and at restore."""
    cloud = self_powered
    await setup_entry(hass, config_entry, freezer, options={"spike_detection": True})
    cloud.fail("/operation", 429, {"Retry-After": "900"})
    cloud.aemo_price = lambda _: 900.0
    await tick(hass, freezer, 5)
    first = len(cloud.requests_to("/operation"))
    assert first == 1
    posts = len([r for r in cloud.requests if r.method == "POST"])
    await tick(hass, freezer, 9)
    assert len([r for r in cloud.requests if r.method == "POST"]) == posts
    await tick(hass, freezer, 7)
    assert cloud.site_info["default_real_mode"] == "autonomous"
    # The spike ends; the restore meets a 429 in turn and no write goes out before its Retry-After.
    cloud.aemo_price = lambda _: 50.0
    cloud.fail("/operation", 429, {"Retry-After": "300"})
    before = len(cloud.requests_to("/operation"))
    for _ in range(30):
        await tick(hass, freezer, 1)
        if len(cloud.requests_to("/operation")) > before:
            break
    limited_at = [r for r in cloud.requests if r.method == "POST"]
    assert cloud.site_info["default_real_mode"] == "autonomous"
    await tick(hass, freezer, 4)
    assert [r for r in cloud.requests if r.method == "POST"] == limited_at
    await tick(hass, freezer, 2)
    assert cloud.site_info["default_real_mode"] == "self_consumption"


@pytest.mark.parametrize(("simulated", "minutes"), [(False, 61), (True, 10)])
async def test_an_aemo_outage_does_not_keep_a_spike_forever(
    hass: HomeAssistant,
    self_powered: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    simulated: bool,
    minutes: int,
) -> None:
    """AEMO silent: a real spike ends at the no-data limit (an hour), a simulated one at its duration."""
    cloud = self_powered
    await setup_entry(hass, config_entry, freezer, options={"spike_detection": True})
    if simulated:
        await hass.services.async_call(
            DOMAIN, "simulate_spike", {"price": 3000, "duration": 10}, blocking=True
        )
    else:
        cloud.aemo_price = lambda _: 900.0
        await tick(hass, freezer, 5)
    assert hass.states.get(SPIKE).state == "on"
    cloud.fail("/ELEC_NEM_SUMMARY", 503, times=1000)
    await tick(hass, freezer, minutes - 2)
    assert hass.states.get(SPIKE).state == "on"
    await tick(hass, freezer, 3)
    assert hass.states.get(SPIKE).state == "off"
    assert cloud.site_info["default_real_mode"] == "self_consumption"


async def test_store_version_1_is_migrated_and_its_restore_completes(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A version 1 file written just after a spike ended (HA stopped before the restore): it becomes typed
    version 2 records, and the owner's mode and own plan come back at start-up."""
    stored = load_fixture("store_v1.json")
    key = f"{DOMAIN}.{config_entry.entry_id}"
    stored["key"] = key
    stored["data"]["baseline"]["tariff_content_v2"] = OWNER_TARIFF
    hass_storage[key] = stored
    cloud.site_info["default_real_mode"] = "autonomous"
    spike_tariff = encode_tariff(
        DayTariff.from_rates([3.0] * 48, [3.0] * 48),
        code="TESLA_SYNC:SPIKE",
        name="Tesla Sync (price spike)",
        utility="Amber Electric",
    )
    cloud.site_info["tariff_content_v2"] = spike_tariff
    await setup_entry(hass, config_entry, freezer)
    assert writes(cloud) == [
        ("operation", {"default_real_mode": "self_consumption"}),
        ("time_of_use_settings", {"tou_settings": {"tariff_content_v2": OWNER_TARIFF}}),
    ]
    migrated = hass_storage[key]
    assert migrated["version"] == 2
    assert migrated["data"]["baseline"]["operation_mode"] == "self_consumption"
    assert migrated["data"]["baseline"]["tariff"] == OWNER_TARIFF
    assert migrated["data"]["ours"] == []
    assert migrated["data"]["auto_sync"] is False
    assert migrated["data"]["last_push"]["fingerprint"] == "0f3c2a9b8d7e6f51"


async def test_a_record_that_lost_the_owners_mode_asks_which_to_return_to(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A version 1 record saved the owner's mode as `unknown` (a partial reply): nothing is guessed, and no
    write fails over and over; a repair asks for the mode, and the chosen one is written and checked."""
    stored = load_fixture("store_v1.json")
    key = f"{DOMAIN}.{config_entry.entry_id}"
    stored["key"] = key
    stored["data"]["baseline"] = {"operation_mode": "unknown", "captured_at": "2026-11-21T01:55:00+00:00"}
    hass_storage[key] = stored
    await setup_entry(hass, config_entry, freezer)
    await tick(hass, freezer, 10)
    assert cloud.requests_to("/operation") == []
    issue_id = f"choose_mode_{config_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    flow = await start_fix(hass, issue_id)
    assert flow["step_id"] == "choose"
    result = await continue_fix(hass, flow, {"mode": "self_consumption"})
    assert result["type"] == "create_entry"
    assert [r.json for r in cloud.requests_to("/operation")] == [{"default_real_mode": "self_consumption"}]
    assert cloud.site_info["default_real_mode"] == "self_consumption"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass_storage[key]["data"]["mode_to_choose"] is False
