"""Time travel through Amber's aligned polling: boundaries, follow-ups, confirmation, 429s and outages."""

from __future__ import annotations

from datetime import datetime, timedelta
import itertools

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_amber_sync.control.amber_polling import CUT_OFF, MAX_POLLS_PER_BLOCK

from .conftest import START
from .fake_cloud import FakeCloud

SYNC_STATUS = "sensor.home_powerwall_sync_status"


async def setup_five_minute_site(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    confirm_after: timedelta | None,
) -> None:
    """A 5-minute Amber site set up 2 minutes into an interval (its price long confirmed)."""
    cloud.amber_sites[0]["intervalLength"] = 5
    cloud.confirm_after = confirm_after
    # Amber's prices move every 5 minutes, so each interval changes the slot in progress.
    cloud.general_price = lambda _: 30.0 + (dt_util.utcnow() - START) // timedelta(minutes=5)
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START + timedelta(minutes=2))
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()


async def run_until(hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: datetime) -> None:
    """Move the clock a second at a time, letting every timer that falls due run."""
    while (now := datetime.now(START.tzinfo)) < until:
        freezer.tick(min(timedelta(seconds=1), until - now))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def price_polls(cloud: FakeCloud, since: datetime) -> list[timedelta]:
    """When Amber was asked for prices after `since`, as offsets from `since`."""
    return [r.at - since for r in cloud.requests_to("/prices/current") if r.at >= since]


def pushes_after(cloud: FakeCloud, since: datetime) -> list[timedelta]:
    """When tariffs were written after `since`, as offsets from `since`."""
    return [r.at - since for r in cloud.requests_to("/time_of_use_settings") if r.at >= since]


async def test_polls_follow_the_boundary_and_push_once_the_price_is_confirmed(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """First poll ~15 s after the boundary, follow-ups every 5 s, one push right after the confirmation."""
    await setup_five_minute_site(hass, cloud, config_entry, freezer, timedelta(seconds=22))
    boundary = START + timedelta(minutes=5)
    await run_until(hass, freezer, boundary + timedelta(minutes=5))
    polls = [p for p in price_polls(cloud, boundary) if p < timedelta(minutes=5)]
    assert [round(p.total_seconds()) for p in polls] == [15, 20, 25]
    (push,) = [p for p in pushes_after(cloud, boundary) if p < timedelta(minutes=5)]
    assert timedelta(seconds=22) <= push <= timedelta(seconds=27)
    assert hass.states.get(SYNC_STATUS).state == "synced"
    # The next interval: the first poll has learned the delay and moved later.
    nxt = boundary + timedelta(minutes=5)
    await run_until(hass, freezer, nxt + timedelta(minutes=1))
    assert len(price_polls(cloud, nxt)) <= 3
    assert len(pushes_after(cloud, nxt)) == 1


async def test_a_confirmation_that_never_comes_pushes_the_estimate_at_the_cut_off(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Chased to the cut-off, then the estimate is pushed; later intervals are looked at twice, not chased."""
    await setup_five_minute_site(hass, cloud, config_entry, freezer, None)
    boundary = START + timedelta(minutes=5)
    await run_until(hass, freezer, boundary + timedelta(minutes=5))
    polls = price_polls(cloud, boundary)
    assert len(polls) <= MAX_POLLS_PER_BLOCK
    assert all(p <= CUT_OFF + timedelta(seconds=1) for p in polls)
    (push,) = pushes_after(cloud, boundary)
    assert push >= polls[-1]
    await run_until(hass, freezer, boundary + timedelta(minutes=20))
    later = boundary + timedelta(minutes=15)
    assert len(price_polls(cloud, later)) == 2
    # Still one write per interval at most, and the status is not stale.
    assert len(pushes_after(cloud, boundary)) <= 4
    assert hass.states.get(SYNC_STATUS).state == "synced"


async def test_a_429_mid_follow_up_waits_for_retry_after_then_catches_the_confirmation(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber's Retry-After is honoured to the second; the confirmed price still reaches the Powerwall."""
    await setup_five_minute_site(hass, cloud, config_entry, freezer, timedelta(seconds=22))
    boundary = START + timedelta(minutes=5)
    await run_until(hass, freezer, boundary + timedelta(seconds=16))
    assert len(price_polls(cloud, boundary)) == 1
    cloud.fail("/prices/current", 429, {"Retry-After": "12"})
    await run_until(hass, freezer, boundary + timedelta(minutes=1))
    polls = price_polls(cloud, boundary)
    # 15 s: estimate; 20 s: the 429; then nothing before 32 s.
    assert [round(p.total_seconds()) for p in polls[:2]] == [15, 20]
    assert polls[2] >= timedelta(seconds=32)
    (push,) = pushes_after(cloud, boundary)
    assert push >= polls[2]
    assert hass.states.get(SYNC_STATUS).state == "synced"


async def test_a_boundary_during_an_outage_backs_off_then_pushes_when_amber_is_back(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Amber down over a boundary: a few tries with back-off, upstream_unavailable, nothing pushed from old
    data; the next boundary's poll brings the confirmed price and one push."""
    await setup_five_minute_site(hass, cloud, config_entry, freezer, timedelta(seconds=0))
    pushed = len(cloud.tariff_pushes())
    boundary = START + timedelta(minutes=5)
    cloud.fail("/prices/current", 503, times=4)
    await run_until(hass, freezer, boundary + timedelta(minutes=4))
    failed = price_polls(cloud, boundary)
    assert 2 <= len(failed) <= 4
    gaps = [b - a for a, b in itertools.pairwise(failed)]
    assert gaps == sorted(gaps)
    assert hass.states.get(SYNC_STATUS).state == "upstream_unavailable"
    assert len(cloud.tariff_pushes()) == pushed
    nxt = boundary + timedelta(minutes=5)
    await run_until(hass, freezer, nxt + timedelta(minutes=1))
    assert hass.states.get(SYNC_STATUS).state == "synced"
    assert len(pushes_after(cloud, nxt)) == 1


async def test_rate_limit_headers_low_skip_follow_ups_until_the_reset(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """RateLimit-Remaining at the reserve: no follow-up, and the next poll waits for RateLimit-Reset."""
    cloud.amber_headers = {"RateLimit-Limit": "50", "RateLimit-Remaining": "3", "RateLimit-Reset": "400"}
    await setup_five_minute_site(hass, cloud, config_entry, freezer, timedelta(seconds=22))
    start = datetime.now(START.tzinfo)
    await run_until(hass, freezer, start + timedelta(minutes=8))
    polls = price_polls(cloud, start + timedelta(seconds=1))
    assert len(polls) == 1
    assert polls[0] >= timedelta(seconds=399)
