"""The integration's own API clients parse every simulator endpoint: proof that the shapes are faithful."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.tesla_amber_sync.api.aemo import AemoClient
from custom_components.tesla_amber_sync.api.amber import AmberClient
from custom_components.tesla_amber_sync.api.errors import (
    AuthenticationError,
    InvalidResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)
from custom_components.tesla_amber_sync.api.models import (
    ChannelType,
    ExportRule,
    IntervalType,
    OperationMode,
    SiteStatus,
    SpikeStatus,
)
from custom_components.tesla_amber_sync.api.teslemetry import TeslemetryClient
from simulator.config import DEFAULT_AMBER_TOKEN, DEFAULT_TESLEMETRY_TOKEN
from simulator.state import AMBER_SITE_ID, ENERGY_SITE_ID

from .conftest import START
from .test_teslemetry_endpoints import tariff

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.test_utils import TestClient


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """The session the clients use (as Home Assistant's shared one would be)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def base(client: TestClient[Any, Any], path: str) -> str:
    return str(client.make_url(path))


async def test_amber_client(client: TestClient[Any, Any], session: aiohttp.ClientSession) -> None:
    amber = AmberClient(session, DEFAULT_AMBER_TOKEN, base_url=base(client, "/amber/v1"))
    (site,) = await amber.get_sites()
    assert site.id == AMBER_SITE_ID
    assert site.status is SiteStatus.ACTIVE
    assert site.interval_length == 30
    assert {c.type for c in site.channels} == {ChannelType.GENERAL, ChannelType.FEED_IN}
    intervals = await amber.get_current_prices(site.id, previous=50, next=50)
    # Nothing skipped as malformed: 101 intervals on each of two channels.
    assert len(intervals) == 202
    current = [i for i in intervals if i.type is IntervalType.CURRENT]
    assert [i.channel_type for i in current] == [ChannelType.GENERAL, ChannelType.FEED_IN]
    assert current[0].start_time == datetime(2026, 7, 15, 2, 0, 1, tzinfo=UTC)
    assert current[0].duration_minutes == 30
    assert current[0].estimate is True
    assert current[0].advanced_price is not None
    assert current[0].spike_status is SpikeStatus.NONE
    assert amber.last_rate_limit is not None
    assert amber.last_rate_limit.limit == 50
    five = await amber.get_current_prices(site.id, next=12, resolution=5)
    assert {i.duration_minutes for i in five} == {5}


async def test_teslemetry_client_reads_and_writes(
    client: TestClient[Any, Any], session: aiohttp.ClientSession
) -> None:
    tesla = TeslemetryClient(session, DEFAULT_TESLEMETRY_TOKEN, base_url=base(client, "/teslemetry"))
    (product,) = await tesla.get_energy_sites()
    assert product.energy_site_id == ENERGY_SITE_ID
    assert product.has_battery
    assert product.has_solar
    info = await tesla.get_site_info(ENERGY_SITE_ID)
    assert info.installation_time_zone == "Australia/Sydney"
    assert info.export_rule is ExportRule.BATTERY_OK
    assert info.grid_charging_allowed is True
    assert info.operation_mode is OperationMode.AUTONOMOUS
    assert info.firmware_version
    assert info.model == "Powerwall 2"
    live = await tesla.get_live_status(ENERGY_SITE_ID)
    assert live.percentage_charged is not None
    assert live.timestamp is not None
    assert live.solar_power is not None
    assert live.solar_power > 0
    history = await tesla.get_energy_history(
        ENERGY_SITE_ID, time_zone="Australia/Sydney", start=START - timedelta(hours=1), end=START
    )
    assert len(history.entries) == 1
    assert history.entries[0].timestamp.utcoffset() == timedelta(hours=10)

    await tesla.set_time_of_use_settings(ENERGY_SITE_ID, tariff())
    await tesla.set_operation_mode(ENERGY_SITE_ID, OperationMode.AUTONOMOUS)
    await tesla.set_grid_import_export(
        ENERGY_SITE_ID, export_rule=ExportRule.NEVER, grid_charging_allowed=False
    )
    await tesla.set_backup_reserve(ENERGY_SITE_ID, 30)
    info = await tesla.get_site_info(ENERGY_SITE_ID)
    assert info.operation_mode is OperationMode.AUTONOMOUS
    assert info.export_rule is ExportRule.NEVER
    assert info.grid_charging_allowed is False
    assert info.backup_reserve_percent == 30
    assert info.tariff_content_v2 is not None
    assert info.tariff_content_v2["code"] == "TEST"


async def test_aemo_client(client: TestClient[Any, Any], session: aiohttp.ClientSession) -> None:
    aemo = AemoClient(session, base_url=base(client, "/aemo/ELEC_NEM_SUMMARY"))
    prices = await aemo.get_region_prices()
    assert set(prices) == {"NSW1", "QLD1", "SA1", "TAS1", "VIC1"}
    assert prices["NSW1"].settlement_time == START


async def test_clients_map_simulated_failures(
    client: TestClient[Any, Any], session: aiohttp.ClientSession
) -> None:
    amber = AmberClient(session, "psk_wrong", base_url=base(client, "/amber/v1"))
    with pytest.raises(AuthenticationError):
        await amber.get_sites()
    tesla = TeslemetryClient(
        session, DEFAULT_TESLEMETRY_TOKEN, base_url=base(client, "/teslemetry"), timeout=0.2
    )
    faults = [
        {"endpoint": "teslemetry.site_info", "kind": "status", "status": 429, "retry_after": 60},
        {"endpoint": "teslemetry.site_info", "kind": "status", "status": 502},
        {"endpoint": "teslemetry.site_info", "kind": "malformed"},
        {"endpoint": "teslemetry.site_info", "kind": "timeout", "delay": 1.0},
    ]
    for fault in faults:
        await client.post("/_sim/faults", json=fault)
    with pytest.raises(RateLimitedError) as rate_limited:
        await tesla.get_site_info(ENERGY_SITE_ID)
    assert rate_limited.value.retry_after == 60
    with pytest.raises(ServiceUnavailableError):
        await tesla.get_site_info(ENERGY_SITE_ID)
    with pytest.raises(InvalidResponseError):
        await tesla.get_site_info(ENERGY_SITE_ID)
    with pytest.raises(ServiceUnavailableError, match="did not answer"):
        await tesla.get_site_info(ENERGY_SITE_ID)
