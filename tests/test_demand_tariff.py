"""Demand charges in the tariffs Tesla Sync writes: the exact `demand_charges` block of the Amber rolling
tariff and of the spike tariff laid over it, read-back verification that covers them, the options flow's
reload, and the repair issue when the window disagrees with Amber's flags."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import DOMAIN
from tests.options_helpers import open_options_form

from .conftest import START, past_first_poll
from .fake_cloud import FakeCloud
from .test_sync import advance
from .test_without_amber import SCHEDULE, own_entry, set_up as set_up_without_amber
from .test_writer import continue_fix, start_fix

SYDNEY = ZoneInfo("Australia/Sydney")
STATUS = "sensor.home_powerwall_sync_status"
# Every day 15:00-21:00 at 12.5 $/kW, billed monthly.
EVENINGS: dict[str, Any] = {
    "demand_charge": True,
    "demand_rate": 12.5,
    "demand_window_start": "15:00",
    "demand_window_end": "21:00",
    "demand_days": "every_day",
    "demand_months": [str(month) for month in range(1, 13)],
    "demand_cycle": "monthly",
    "demand_cycle_day": 1,
    "demand_applies_to_amber": True,
}
PERIODS = [f"PERIOD_{hour:02d}_{minute:02d}" for hour in range(24) for minute in (0, 30)]
# What Tesla's `demand_charges` holds for the EVENINGS window: 12.5 from 15:00 to 20:30, 0 elsewhere.
EVENINGS_BLOCK = {
    "ALL": {"rates": {"ALL": 0}},
    "Summer": {
        "rates": {period: 12.5 if "PERIOD_15_00" <= period <= "PERIOD_20_30" else 0.0 for period in PERIODS}
    },
    "Winter": {},
}
NO_DEMAND_BLOCK = {"ALL": {"rates": {"ALL": 0}}, "Summer": {}, "Winter": {}}


async def set_up(
    hass: HomeAssistant,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    options: dict[str, Any],
) -> MockConfigEntry:
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)
    return entry


def test_the_expected_block_has_twelve_half_hours_at_the_rate() -> None:
    """The golden block itself: 15:00, 15:30, ... 20:30 carry the rate, nothing else does."""
    rates = EVENINGS_BLOCK["Summer"]["rates"]
    assert [period for period, rate in rates.items() if rate] == [
        "PERIOD_15_00", "PERIOD_15_30", "PERIOD_16_00", "PERIOD_16_30", "PERIOD_17_00", "PERIOD_17_30",
        "PERIOD_18_00", "PERIOD_18_30", "PERIOD_19_00", "PERIOD_19_30", "PERIOD_20_00", "PERIOD_20_30",
    ]  # fmt: skip
    assert len(rates) == 48


async def test_the_amber_tariff_carries_the_demand_window(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The pushed rolling tariff carries the rate in the window's half hours (import side only), it is
    verified by reading it back, and it still does after the window has passed into tomorrow's slots."""
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    (pushed,) = cloud.tariff_pushes()
    assert pushed["demand_charges"] == EVENINGS_BLOCK
    assert pushed["sell_tariff"]["demand_charges"] == NO_DEMAND_BLOCK
    assert hass.states.get(STATUS).state == "synced"
    # 21:10: the window's slots now stand for tomorrow's evening, which is in the window too.
    await advance(hass, freezer, timedelta(hours=8))
    assert cloud.tariff_pushes()[-1]["demand_charges"] == EVENINGS_BLOCK


@pytest.mark.parametrize(
    "changes",
    [{"demand_applies_to_amber": False}, {"demand_months": ["6", "7", "8"]}, {"demand_charge": False}],
    ids=["not_for_amber", "winter_only", "off"],
)
async def test_no_demand_charges_when_the_charge_does_not_apply(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    changes: dict[str, Any],
) -> None:
    """Not for Amber, a window of winter months in November, or no charge: the tariff has none."""
    await set_up(hass, cloud, freezer, config_entry, {**EVENINGS, **changes})
    (pushed,) = cloud.tariff_pushes()
    assert pushed["demand_charges"] == NO_DEMAND_BLOCK


async def test_the_spike_tariff_keeps_the_demand_charges(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A spike replaces the prices of the coming hour; the demand charges stay exactly as they were."""
    await set_up(hass, cloud, freezer, config_entry, {**EVENINGS, "spike_detection": True})
    await hass.services.async_call(DOMAIN, "simulate_spike", {"price": 2000}, blocking=True)
    spike = cloud.tariff_pushes()[-1]
    assert spike["code"] == "TESLA_SYNC:SPIKE"
    assert spike["energy_charges"]["Summer"]["rates"]["PERIOD_13_00"] == 2.0
    assert spike["demand_charges"] == EVENINGS_BLOCK
    assert spike["sell_tariff"]["demand_charges"] == NO_DEMAND_BLOCK


async def test_a_battery_command_tariff_keeps_the_demand_charges(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A forced charge prices now at 0; the demand charges of the Amber tariff it replaces stay."""
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    await hass.services.async_call(DOMAIN, "force_charge", {"duration": 30, "target": 70}, blocking=True)
    command = cloud.tariff_pushes()[-1]
    assert command["code"] == "TESLA_SYNC:COMMAND"
    assert command["energy_charges"]["Summer"]["rates"]["PERIOD_13_00"] == 0.0
    assert command["demand_charges"] == EVENINGS_BLOCK


async def test_a_powerwall_that_drops_the_demand_charges_is_not_verified(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Powerwall takes the prices but not the demand charges: the push is not verified, the status
    does not say synced, and a manual sync says it was not applied."""
    apply = cloud._apply

    def drop_demand(endpoint: str, body: dict[str, Any]) -> None:
        apply(endpoint, body)
        if endpoint == "time_of_use_settings":
            cloud.site_info["tariff_content_v2"]["demand_charges"] = NO_DEMAND_BLOCK

    monkeypatch.setattr(cloud, "_apply", drop_demand)
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    assert cloud.tariff_pushes()[0]["demand_charges"] == EVENINGS_BLOCK
    assert hass.states.get(STATUS).state != "synced"
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    assert raised.value.translation_key == "not_applied"


async def test_saving_a_demand_charge_reloads_and_pushes_it(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Set in the options flow, the charge reaches the Powerwall at once: the entry reloads and the next
    tariff carries it; turned off again, the next tariff has none."""
    await set_up(hass, cloud, freezer, config_entry, {})
    assert cloud.tariff_pushes()[-1]["demand_charges"] == NO_DEMAND_BLOCK
    result = await open_options_form(hass, config_entry.entry_id, "demand_charge")
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**EVENINGS, "demand_window_start": "15:00:00", "demand_window_end": "21:00:00"}
    )
    await hass.async_block_till_done()
    assert cloud.tariff_pushes()[-1]["demand_charges"] == EVENINGS_BLOCK
    assert hass.states.get(STATUS).state == "synced"
    result = await open_options_form(hass, config_entry.entry_id, "demand_charge")
    await hass.config_entries.options.async_configure(result["flow_id"], {"demand_charge": False})
    await hass.async_block_till_done()
    assert cloud.tariff_pushes()[-1]["demand_charges"] == NO_DEMAND_BLOCK


async def test_a_window_that_disagrees_with_amber_raises_a_repair_until_it_agrees(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber flags 16:00-20:00 for the whole of Saturday while the owner set 15:00-21:00: a repair issue
    names both. When Amber's flags come to match (the network's window as the owner set it), it goes."""
    cloud.demand_window = lambda start: 16 <= start.astimezone(SYDNEY).hour < 20
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    issue_id = f"demand_window_mismatch_{config_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "demand_window_mismatch"
    assert issue.translation_placeholders == {
        "title": "Home Powerwall",
        "day": "2026-11-21",
        "amber": "16:00-20:00",
        "configured": "15:00-21:00",
        "proposal": "16:00-20:00, every day",
    }
    cloud.demand_window = lambda start: 15 <= start.astimezone(SYDNEY).hour < 21
    await advance(hass, freezer, timedelta(minutes=5))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_the_repair_s_fix_uses_amber_s_window_and_days(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber flags 16:00-20:00 on Friday and nothing on Saturday; the owner set 15:00-21:00 every day. The
    fix offers 16:00-20:00 on weekdays: confirmed, the options hold it (rate and cycle as they were), the
    entry reloads, the next tariff carries the new window and the issue goes."""
    cloud.demand_window = lambda start: (
        start.astimezone(SYDNEY).weekday() < 5 and 16 <= start.astimezone(SYDNEY).hour < 20
    )
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    issue_id = f"demand_window_mismatch_{config_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders["proposal"] == "16:00-20:00, weekdays"
    flow = await start_fix(hass, issue_id)
    assert (flow["type"], flow["step_id"]) == ("form", "confirm")
    assert (await continue_fix(hass, flow, {}))["type"] == "create_entry"
    await hass.async_block_till_done()
    assert {key: config_entry.options[key] for key in ("demand_window_start", "demand_window_end")} == {
        "demand_window_start": "16:00",
        "demand_window_end": "20:00",
    }
    assert config_entry.options == {
        **EVENINGS,
        "demand_window_start": "16:00",
        "demand_window_end": "20:00",
        "demand_days": "weekdays",
    }
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Saturday: the rolling tariff's slots stand for Saturday evening and Monday's; none in a weekday window
    # until the slots already past today stand for Sunday, so the block is the weekday evening's or none.
    await advance(hass, freezer, timedelta(minutes=5))
    rates = cloud.tariff_pushes()[-1]["demand_charges"]["Summer"].get("rates", {})
    assert not any(rate for period, rate in rates.items() if not "PERIOD_16_00" <= period <= "PERIOD_19_30")


async def test_the_repair_s_fix_without_one_window_points_to_the_options(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber flags two runs a day (07:00-09:00 and 17:00-20:00): there is no one window to offer, so the fix
    says to correct it in the options and changes nothing."""
    cloud.demand_window = lambda start: start.astimezone(SYDNEY).hour in {7, 8, 17, 18, 19}
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    issue_id = f"demand_window_mismatch_{config_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["proposal"] == ""
    flow = await start_fix(hass, issue_id)
    assert (flow["type"], flow["reason"]) == ("abort", "no_proposal")
    assert config_entry.options == EVENINGS


async def test_no_repair_without_flags_or_without_a_charge(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber without flags decides nothing; flags without a charge are only offered in the options."""
    await set_up(hass, cloud, freezer, config_entry, EVENINGS)
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"demand_window_mismatch_{config_entry.entry_id}") is None
    )
    cloud.demand_window = lambda start: 16 <= start.astimezone(SYDNEY).hour < 20
    hass.config_entries.async_update_entry(config_entry, options={"demand_charge": False})
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, timedelta(minutes=5))
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"demand_window_mismatch_{config_entry.entry_id}") is None
    )


async def test_a_custom_schedule_without_demand_rates_gets_the_entry_s_window(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The first schedule (weekday Peak and weekend Weekend 15:00-21:00, Off-peak otherwise) with the
    every-day 15:00-21:00 charge: the periods inside the window carry the rate under their "(demand)" names,
    the rest none; the read-back verifies it."""
    entry = await set_up_without_amber(hass, freezer, own_entry(), options=EVENINGS)
    pushed = cloud.tariff_pushes()[-1]
    assert pushed["code"] == "TESLA_SYNC:SCHEDULE"
    assert pushed["demand_charges"] == {
        "ALL": {"rates": {"ALL": 0}},
        "All year": {"rates": {"Peak (demand)": 12.5, "Weekend (demand)": 12.5}},
        "Winter": {},
    }
    assert pushed["energy_charges"]["All year"] == {
        "rates": {"Peak (demand)": 0.55, "Off-peak": 0.2, "Weekend (demand)": 0.25}
    }
    assert pushed["seasons"]["All year"]["tou_periods"]["Peak (demand)"] == {
        "periods": [
            {
                "fromDayOfWeek": 0,
                "toDayOfWeek": 4,
                "fromHour": 15,
                "fromMinute": 0,
                "toHour": 21,
                "toMinute": 0,
            }
        ]
    }
    assert pushed["sell_tariff"]["demand_charges"] == {"ALL": {"rates": {"ALL": 0}}}
    assert hass.states.get(STATUS).state == "synced"
    assert entry.options["demand_rate"] == 12.5


async def test_a_schedule_s_own_demand_rates_win(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A schedule with a demand rate on its Peak keeps exactly that; the entry's window is not laid over."""
    schedule = copy.deepcopy(SCHEDULE)
    schedule["seasons"][0]["periods"][0]["demand"] = 0.3
    await set_up_without_amber(hass, freezer, own_entry(schedule), options=EVENINGS)
    pushed = cloud.tariff_pushes()[-1]
    assert pushed["demand_charges"] == {
        "ALL": {"rates": {"ALL": 0}},
        "All year": {"rates": {"Peak": 0.3}},
        "Winter": {},
    }
    assert set(pushed["seasons"]["All year"]["tou_periods"]) == {"Peak", "Off-peak", "Weekend"}
