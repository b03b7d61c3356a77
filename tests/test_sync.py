"""Amber prices to the Powerwall: what is pushed, when, and what happens when it does not stick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.const import DOMAIN

from .conftest import START
from .fake_cloud import FakeCloud

SYDNEY = ZoneInfo("Australia/Sydney")
SYNC_STATUS = "sensor.home_powerwall_sync_status"
LAST_SYNC = "sensor.home_powerwall_last_sync"
TARIFF = "sensor.home_powerwall_tariff"
AUTO_SYNC = "switch.home_powerwall_auto_sync"


def period_rates(content: dict[str, Any], *, sell: bool = False) -> dict[str, float]:
    """The per-period rates of the single season we push."""
    side = content["sell_tariff"] if sell else content
    (season,) = [name for name, value in side["seasons"].items() if value]
    rates: dict[str, float] = side["energy_charges"][season]["rates"]
    return rates


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock and let every timer that fell due run."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_setup_pushes_the_rolling_tariff_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """Auto sync is on by default: setup pushes one verified tariff with Tesla's signs and shape."""
    (body,) = [r.json for r in cloud.requests_to("/time_of_use_settings")]
    assert list(body) == ["tou_settings"]
    content = body["tou_settings"]["tariff_content_v2"]
    assert content["currency"] == "AUD"
    buy = period_rates(content)
    sell = period_rates(content, sell=True)
    assert len(buy) == len(sell) == 48
    assert set(buy.values()) == {0.3}
    assert set(sell.values()) == {0.08}
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert hass.states.get(LAST_SYNC).state == START.isoformat()
    tariff = hass.states.get(TARIFF)
    assert float(tariff.state) == 0.3
    slots = tariff.attributes["slots"]
    assert len(slots) == 48
    assert slots[0]["start"] == "2026-11-22T00:00:00+11:00"  # 00:00 has passed today: tomorrow's
    assert slots[26] == {"start": "2026-11-21T13:00:00+11:00", "buy": 0.3, "sell": 0.08, "source": "forecast"}
    assert tariff.attributes["forecast_slots"] == 48
    assert hass.states.get(AUTO_SYNC).state == "on"


async def test_unchanged_prices_are_not_pushed_again_until_reassert(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Same tariff: no push on later refreshes, then one re-assertion after two hours."""
    for _ in range(23):
        await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 1
    for _ in range(2):
        await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 2


async def test_a_real_change_is_pushed_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """New prices: exactly one push with exactly the new rates."""
    evening_peak = lambda start: 95.0 if start.astimezone(SYDNEY).hour in (17, 18) else 30.0  # noqa: E731
    cloud.set_prices(evening_peak, lambda _: -8.0)
    await advance(hass, freezer, timedelta(minutes=5))
    await advance(hass, freezer, timedelta(minutes=5))
    pushes = cloud.tariff_pushes()
    assert len(pushes) == 2
    buy = period_rates(pushes[-1])
    assert {name: rate for name, rate in buy.items() if rate != 0.3} == {
        "PERIOD_17_00": 0.95,
        "PERIOD_17_30": 0.95,
        "PERIOD_18_00": 0.95,
        "PERIOD_18_30": 0.95,
    }


async def test_incomplete_forecast_is_never_pushed(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A 3-hour forecast with no history leaves holes: nothing is pushed, the last good tariff stays."""
    cloud.set_prices(lambda _: 55.0, lambda _: -8.0, max_hours_back=0, max_hours_ahead=3)
    await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 1
    assert hass.states.get(SYNC_STATUS).state == "incomplete_forecast"
    assert set(period_rates(cloud.site_info["tariff_content_v2"]).values()) == {0.3}
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    assert raised.value.translation_key == "incomplete_forecast"
    assert len(cloud.tariff_pushes()) == 1


async def test_short_forecast_falls_back_to_yesterday(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A 3-hour forecast with a day of history: the rest comes from the same slots of the last 24 h."""
    now = START + timedelta(minutes=5)
    cloud.set_prices(
        lambda start: 40.0 if start >= now - timedelta(minutes=35) else 20.0,
        lambda _: -5.0,
        max_hours_ahead=3,
    )
    await advance(hass, freezer, timedelta(minutes=5))
    (_, body) = cloud.tariff_pushes()
    assert hass.states.get(TARIFF).attributes["fallback_slots"] > 0
    buy = period_rates(body)
    assert buy["PERIOD_13_00"] == 0.4  # the current slot, from Amber
    assert buy["PERIOD_15_30"] == 0.4  # inside the 3-hour forecast
    assert buy["PERIOD_20_00"] == 0.2  # yesterday's 20:00


async def test_readback_mismatch_is_retried(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Accepted but not applied: status not_applied, pushed again on the next cycle, then synced."""
    cloud.apply_writes = False
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert len(cloud.tariff_pushes()) == 1
    assert hass.states.get(SYNC_STATUS).state == "not_applied"
    assert hass.states.get(LAST_SYNC).state == "unknown"
    cloud.apply_writes = True
    await advance(hass, freezer, timedelta(minutes=5))
    pushes = cloud.tariff_pushes()
    assert len(pushes) == 2
    assert pushes[0] == pushes[1]
    assert hass.states.get(SYNC_STATUS).state == "synced"
    stored = hass_storage[f"{DOMAIN}.{config_entry.entry_id}"]["data"]
    assert stored["last_push"]["verified"] is True


async def test_rate_limited_push_waits_for_retry_after(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A 429 on the write: no write before its Retry-After, then one write."""
    cloud.fail("/time_of_use_settings", 429, {"Retry-After": "900"})
    cloud.set_prices(lambda _: 31.0, lambda _: -8.0)
    await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 2  # the rejected attempt
    assert hass.states.get(SYNC_STATUS).state == "rate_limited"
    await advance(hass, freezer, timedelta(minutes=5))
    await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 2
    await advance(hass, freezer, timedelta(minutes=5, seconds=1))
    assert len(cloud.tariff_pushes()) == 3
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert set(period_rates(cloud.site_info["tariff_content_v2"]).values()) == {0.31}


async def test_rejected_tariff_raises_a_repair_issue(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Tesla's own message reaches the owner as a repair issue, cleared by the next good push."""
    cloud.write_reply = {"response": None, "error": "Tariff invalid: overlapping periods"}
    cloud.set_prices(lambda _: 33.0, lambda _: -8.0)
    await advance(hass, freezer, timedelta(minutes=5))
    assert hass.states.get(SYNC_STATUS).state == "rejected"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"tariff_rejected_{init_integration.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["message"] == "Tariff invalid: overlapping periods"
    cloud.write_reply = {"response": {"code": 201, "message": "Updated"}}
    await advance(hass, freezer, timedelta(minutes=5))
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"tariff_rejected_{init_integration.entry_id}") is None


async def test_auto_sync_switch(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: FakeCloud,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Off: no pushes and status disabled, kept across a reload; on: syncs at once."""
    await hass.services.async_call("switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: AUTO_SYNC}, blocking=True)
    assert hass.states.get(SYNC_STATUS).state == "disabled"
    assert hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["data"]["auto_sync"] is False
    cloud.set_prices(lambda _: 44.0, lambda _: -8.0)
    await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 1
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(AUTO_SYNC).state == "off"
    assert hass.states.get(SYNC_STATUS).state == "disabled"
    assert len(cloud.tariff_pushes()) == 1
    await hass.services.async_call("switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: AUTO_SYNC}, blocking=True)
    assert len(cloud.tariff_pushes()) == 2
    assert set(period_rates(cloud.tariff_pushes()[-1]).values()) == {0.44}
    assert hass.states.get(SYNC_STATUS).state == "synced"


async def test_sync_tou_schedule_pushes_even_unchanged(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """The service pushes now, with or without an entry id when there is one entry."""
    await hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True)
    await hass.services.async_call(
        DOMAIN, "sync_tou_schedule", {ATTR_CONFIG_ENTRY_ID: init_integration.entry_id}, blocking=True
    )
    pushes = cloud.tariff_pushes()
    assert len(pushes) == 3
    assert pushes[0] == pushes[1] == pushes[2]


async def test_sync_now_refreshes_everything_then_syncs(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """sync_now asks every API again and pushes the new prices."""
    before = {
        path: len(cloud.requests_to(path)) for path in ("/prices/current", "/live_status", "/site_info")
    }
    cloud.set_prices(lambda _: 36.0, lambda _: -8.0)
    await hass.services.async_call(DOMAIN, "sync_now", blocking=True)
    for path, count in before.items():
        assert len(cloud.requests_to(path)) > count, path
    assert set(period_rates(cloud.tariff_pushes()[-1]).values()) == {0.36}


async def test_service_validation(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """Unknown, unloaded or ambiguous entries are refused with translated errors, and nothing is pushed."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "sync_tou_schedule", {ATTR_CONFIG_ENTRY_ID: "nope"}, blocking=True
        )
    assert raised.value.translation_key == "config_entry_not_found"
    other = MockConfigEntry(domain=DOMAIN, unique_id="999", title="Other")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "sync_now", blocking=True)
    assert raised.value.translation_key == "config_entry_required"
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "sync_now", {ATTR_CONFIG_ENTRY_ID: other.entry_id}, blocking=True
        )
    assert raised.value.translation_key == "config_entry_not_loaded"
    assert len(cloud.tariff_pushes()) == 1


def _half_hour_index_price(start: datetime) -> float:
    """A price that names its own UTC half-hour, so every slot's source instant can be checked."""
    return float(start.astimezone(UTC).hour * 2 + start.astimezone(UTC).minute // 30 + 10)


@pytest.mark.parametrize(
    ("now", "missing_today"),
    [
        # 01:10 AEST on the morning clocks go forward: 02:00 and 02:30 do not exist today.
        (datetime(2026, 10, 3, 15, 10, tzinfo=UTC), {"PERIOD_02_00", "PERIOD_02_30"}),
        # 01:10 AEDT on the morning clocks go back: 02:00-02:30 happen twice.
        (datetime(2026, 4, 4, 14, 10, tzinfo=UTC), set()),
    ],
)
async def test_slots_across_a_dst_change(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    now: datetime,
    missing_today: set[str],
) -> None:
    """Every slot holds the price of its own local half-hour, on the DST days of Sydney."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(now)
    cloud.set_prices(_half_hour_index_price, lambda _: -1.0)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    (content,) = cloud.tariff_pushes()
    buy = period_rates(content)
    local_now = now.astimezone(SYDNEY)
    for name, rate in buy.items():
        hour, minute = int(name[7:9]), int(name[10:12])
        day = (
            local_now.date()
            if (hour, minute) >= (local_now.hour, local_now.minute // 30 * 30)
            else local_now.date() + timedelta(days=1)
        )
        if name in missing_today and day == local_now.date():
            day += timedelta(days=1)  # no such wall-clock time today: next seen tomorrow
        instants = sorted(
            {
                instant
                for fold in (0, 1)
                if (
                    instant := datetime(
                        day.year, day.month, day.day, hour, minute, tzinfo=SYDNEY, fold=fold
                    ).astimezone(UTC)
                )
                .astimezone(SYDNEY)
                .replace(tzinfo=None)
                == datetime(day.year, day.month, day.day, hour, minute)
            }
        )
        expected = sum(_half_hour_index_price(instant) for instant in instants) / len(instants)
        assert rate == pytest.approx(expected / 100, abs=1e-4), name


async def test_tariff_replaced_on_the_powerwall_is_written_back(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The owner's app (or a Powerwall reset) replaced our tariff: the next cycle writes it back."""
    ours = cloud.site_info["tariff_content_v2"]
    cloud.site_info["tariff_content_v2"] = None
    await advance(hass, freezer, timedelta(minutes=5))
    await advance(hass, freezer, timedelta(minutes=5))
    pushes = cloud.tariff_pushes()
    assert len(pushes) == 2
    assert pushes[-1] == ours
    assert hass.states.get(SYNC_STATUS).state == "synced"


async def test_writes_never_applied_raise_a_repair_and_slow_down(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Accepted but never applied: after 3 tries a repair says so and retries slow to every 30 minutes;
    when the Powerwall applies one, the repair goes."""
    cloud.apply_writes = False
    cloud.set_prices(lambda _: 41.0, lambda _: -8.0)
    issue_id = f"tariff_not_applied_{init_integration.entry_id}"
    for _ in range(3):
        await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 4  # the first push at setup, then three that never applied
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    for _ in range(5):
        await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 4
    cloud.apply_writes = True
    await advance(hass, freezer, timedelta(minutes=5))
    assert len(cloud.tariff_pushes()) == 5
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_auto_sync_turned_off_during_a_push_says_disabled(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: FakeCloud
) -> None:
    """A push in flight when the owner turns auto sync off: the status ends `disabled`, not `synced`."""
    push = hass.async_create_task(hass.services.async_call(DOMAIN, "sync_tou_schedule", blocking=True))
    await hass.services.async_call("switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: AUTO_SYNC}, blocking=True)
    await push
    await hass.async_block_till_done()
    assert len(cloud.tariff_pushes()) == 2
    assert hass.states.get(SYNC_STATUS).state == "disabled"
