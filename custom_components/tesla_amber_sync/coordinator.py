"""Runtime data and one data update coordinator per upstream cadence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api.amber import AmberClient
from .api.errors import ApiError
from .api.models import (
    AmberSite,
    ChannelType,
    IntervalType,
    LiveStatus,
    PriceInterval,
    SiteInfo,
    SiteStatus,
)
from .api.teslemetry import TeslemetryClient
from .const import (
    AMBER_HOURS_EACH_WAY,
    AMBER_UPDATE_INTERVAL,
    LIVE_STATUS_UPDATE_INTERVAL,
    LOGGER,
    SITE_INFO_UPDATE_INTERVAL,
)
from .helpers import raise_update_failed

if TYPE_CHECKING:
    from .controller import PowerwallController

AMBER = "Amber"
TESLEMETRY = "Teslemetry"


@dataclass(kw_only=True)
class TeslaSyncRuntimeData:
    """Everything one config entry runs on."""

    amber_client: AmberClient
    teslemetry_client: TeslemetryClient
    energy_site_id: int
    amber_site_id: str
    prices: AmberPricesCoordinator
    live_status: LiveStatusCoordinator
    site_info: SiteInfoCoordinator
    controller: PowerwallController


type TeslaSyncConfigEntry = ConfigEntry[TeslaSyncRuntimeData]


@dataclass(frozen=True, kw_only=True, slots=True)
class AmberPrices:
    """One Amber refresh: the site and its intervals (a day back and a day ahead, every channel)."""

    site: AmberSite
    intervals: tuple[PriceInterval, ...]

    def current(self, channel: ChannelType) -> PriceInterval | None:
        """The channel's interval in progress, if Amber sent one."""
        return next(
            (
                interval
                for interval in self.intervals
                if interval.channel_type is channel and interval.type is IntervalType.CURRENT
            ),
            None,
        )


class AmberPricesCoordinator(DataUpdateCoordinator[AmberPrices]):
    """Amber's prices, every 5 minutes."""

    config_entry: TeslaSyncConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: TeslaSyncConfigEntry, client: AmberClient, site_id: str
    ) -> None:
        """Poll one Amber site."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{AMBER} prices",
            update_interval=AMBER_UPDATE_INTERVAL,
        )
        self.client = client
        self.site_id = site_id
        self.site: AmberSite | None = None

    async def _async_update_data(self) -> AmberPrices:
        try:
            if self.site is None:
                sites = await self.client.get_sites()
                self.site = next((site for site in sites if site.id == self.site_id), None)
                if self.site is None:
                    LOGGER.warning("Amber site %s is no longer on this account", self.site_id)
                    self.site = AmberSite(id=self.site_id, nmi="", status=SiteStatus.UNKNOWN)
            intervals_each_way = AMBER_HOURS_EACH_WAY * 60 // self.site.interval_length
            intervals = await self.client.get_current_prices(
                self.site_id, previous=intervals_each_way, next=intervals_each_way
            )
        except ApiError as err:
            raise_update_failed(err, AMBER)
        return AmberPrices(site=self.site, intervals=intervals)


class _PowerwallCoordinator[T](DataUpdateCoordinator[T]):
    """Shared set-up of the coordinators that read one Powerwall site."""

    config_entry: TeslaSyncConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        client: TeslemetryClient,
        energy_site_id: int,
        *,
        name: str,
        update_interval: timedelta,
    ) -> None:
        super().__init__(
            hass, LOGGER, config_entry=entry, name=name, update_interval=update_interval
        )
        self.client = client
        self.energy_site_id = energy_site_id


class LiveStatusCoordinator(_PowerwallCoordinator[LiveStatus]):
    """Powerwall power flows and charge, every 30 seconds."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        client: TeslemetryClient,
        energy_site_id: int,
    ) -> None:
        """Poll one Powerwall's live status."""
        super().__init__(
            hass,
            entry,
            client,
            energy_site_id,
            name="Powerwall live status",
            update_interval=LIVE_STATUS_UPDATE_INTERVAL,
        )

    async def _async_update_data(self) -> LiveStatus:
        try:
            return await self.client.get_live_status(self.energy_site_id)
        except ApiError as err:
            raise_update_failed(err, TESLEMETRY)


class SiteInfoCoordinator(_PowerwallCoordinator[SiteInfo]):
    """Powerwall settings (mode, reserve, tariff, export rule), every 5 minutes and after each write."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        client: TeslemetryClient,
        energy_site_id: int,
    ) -> None:
        """Poll one Powerwall's site info."""
        super().__init__(
            hass,
            entry,
            client,
            energy_site_id,
            name="Powerwall site info",
            update_interval=SITE_INFO_UPDATE_INTERVAL,
        )

    async def _async_update_data(self) -> SiteInfo:
        try:
            return await self.client.get_site_info(self.energy_site_id)
        except ApiError as err:
            raise_update_failed(err, TESLEMETRY)
