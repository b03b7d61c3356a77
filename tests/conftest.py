"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from unittest.mock import PropertyMock, patch

from aioresponses import aioresponses
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Import our package before the test plugin's own `custom_components` shadows it ("Integration not found").
import custom_components.tesla_amber_sync  # noqa: F401
from custom_components.tesla_amber_sync.const import (
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    CONF_TESLEMETRY_API_TOKEN,
    DOMAIN,
)

from .aioresponses_compat import patch_aioresponses
from .fake_cloud import AMBER_SITE_ID, ENERGY_SITE_ID, FakeCloud

AMBER_TOKEN = "psk_secret_amber_token_123"
TESLEMETRY_TOKEN = "teslemetry_secret_token_456"
# 13:10 in Sydney (AEDT): mid-afternoon, an ordinary day.
START = datetime.fromisoformat("2026-11-21T02:10:00+00:00")
# Where the fixture leaves the clock after setup: past the first poll after START's boundary.
AFTER_BOUNDARY_POLL = timedelta(seconds=20)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load custom_components/tesla_amber_sync, in the tests that run Home Assistant.

    The pure tests (api/, tariff/, control/) never ask for `hass`, so none is started for them.
    """
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Every entity enabled, also those off by default, as Home Assistant core's fixture of that name does."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's extension, which masks ids and timestamps that change per run."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Generator[FakeCloud]:
    """The fake upstreams, with a flat day of prices around START."""
    patch_aioresponses(monkeypatch)
    with aioresponses() as mock:
        fake = FakeCloud(mock)
        fake.install()
        yield fake


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """An entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Home Powerwall",
        unique_id=str(ENERGY_SITE_ID),
        data={
            CONF_AMBER_API_TOKEN: AMBER_TOKEN,
            CONF_AMBER_SITE_ID: AMBER_SITE_ID,
            CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN,
            CONF_ENERGY_SITE_ID: ENERGY_SITE_ID,
        },
        version=1,
        minor_version=2,
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, cloud: FakeCloud, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The integration set up at START with the fake cloud."""
    await hass.config.async_set_time_zone("Australia/Sydney")
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await past_first_poll(hass, freezer)
    return config_entry


async def past_first_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move just past the first Amber poll after the boundary: 5-minute steps then land after each poll."""
    freezer.tick(AFTER_BOUNDARY_POLL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def utcnow() -> datetime:
    """Home Assistant's clock (frozen in tests)."""
    return dt_util.utcnow()
