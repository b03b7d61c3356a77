"""Runtime data and one data update coordinator per upstream cadence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, ClassVar, cast
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api.aemo import AemoClient
from .api.amber import AmberClient
from .api.errors import ApiError
from .api.models import (
    AemoRegionPrice,
    AmberSite,
    ChannelType,
    EnergyHistory,
    LiveStatus,
    PriceInterval,
    RateLimitInfo,
    SiteInfo,
    SiteStatus,
)
from .api.prices import PriceIntervals
from .api.routes import SERVICE_NAMES
from .api.teslemetry import TeslemetryClient
from .const import (
    AEMO_UPDATE_INTERVAL,
    AMBER_HOURS_AHEAD,
    AMBER_UPDATE_INTERVAL,
    ENERGY_HISTORY_UPDATE_INTERVAL,
    LIVE_STATUS_UPDATE_INTERVAL,
    LOGGER,
    SITE_INFO_UPDATE_INTERVAL,
)
from .control.amber_polling import PollPlan, PollState, next_poll, observe_error, observe_reply
from .control.regions import NEM_REGIONS, OUTSIDE_NEM, region_for_nmi, region_for_time_zone
from .helpers import raise_update_failed
from .options import DEFAULT_REGION
from .tariff.wall_clock import history_hours

if TYPE_CHECKING:
    from .controller import PowerwallController
    from .demand_tracking import DemandTracker

# A poll is never planned closer than this to the previous one.
MIN_POLL_GAP = timedelta(seconds=1)

AEMO = "AEMO"
AMBER = "Amber"


@dataclass(kw_only=True)
class AmberRuntime:
    """Amber's side of an entry: its client, the Amber site that prices the Powerwall, and its prices."""

    client: AmberClient
    site_id: str
    prices: AmberPricesCoordinator


@dataclass(kw_only=True)
class TeslaSyncRuntimeData:
    """Everything one config entry runs on."""

    # None for an entry without Amber (another retailer): no Amber client, polling, device or entities.
    amber: AmberRuntime | None
    teslemetry_client: TeslemetryClient
    energy_site_id: int
    live_status: LiveStatusCoordinator
    site_info: SiteInfoCoordinator
    energy: EnergyHistoryCoordinator
    aemo: AemoPriceCoordinator
    controller: PowerwallController
    # None when the entry has no demand charge set: nothing is tracked and there are no demand entities.
    demand: DemandTracker | None = None

    @property
    def default_region(self) -> str:
        """The NEM region the entry's options default to."""
        return default_region(None if self.amber is None else self.amber.prices, self.site_info.time_zone)


type TeslaSyncConfigEntry = ConfigEntry[TeslaSyncRuntimeData]


def default_region(prices: AmberPricesCoordinator | None, time_zone: ZoneInfo) -> str:
    """The NEM region an entry is in: the one its Amber site's NMI names (NSW1 when the NMI does not say or
    Amber has not answered yet), or without Amber (`prices` None) the one of the Powerwall's time zone
    (outside the NEM in WA, the NT or abroad)."""
    if prices is not None:
        data = prices.data
        return region_for_nmi(None if data is None else data.site.nmi) or DEFAULT_REGION
    return region_for_time_zone(time_zone.key) or OUTSIDE_NEM


@dataclass(frozen=True, kw_only=True, slots=True)
class AmberPrices:
    """One Amber refresh: the site and its intervals (a day back and a day ahead, every channel)."""

    site: AmberSite
    # Each made in full only when read: the tariff reads only the price points it needs.
    intervals: PriceIntervals
    # When this data was fetched: how fresh the prices are (the status says `stale` when too old).
    fetched_at: datetime

    @property
    def has_feed_in(self) -> bool:
        """Whether the site exports on an Amber feed-in channel (a site without one earns nothing)."""
        return any(
            channel.type is ChannelType.FEED_IN for channel in self.site.channels
        ) or self.intervals.has_channel(ChannelType.FEED_IN)

    def current(self, channel: ChannelType) -> PriceInterval | None:
        """The channel's interval in progress, if Amber sent one."""
        return self.intervals.current(channel)


class AmberPricesCoordinator(DataUpdateCoordinator[AmberPrices | None]):
    """Amber's prices, polled on the 5-minute boundaries until each interval's price is confirmed.

    `control.amber_polling` decides when the next request goes (from the replies' times, their `estimate`
    flag and Amber's rate-limit headers); this class carries its state and sets `update_interval` to reach
    it. Errors still go through `raise_update_failed`, so a 429's retry-after overrides the plan.
    """

    config_entry: TeslaSyncConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        client: AmberClient,
        site_id: str,
        *,
        time_zone: Callable[[], ZoneInfo],
    ) -> None:
        """Poll one Amber site; `time_zone` gives the site's zone (the Powerwall's, once it is read)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{AMBER} prices",
            update_interval=AMBER_UPDATE_INTERVAL,
        )
        self.client = client
        self.site_id = site_id
        self._time_zone = time_zone
        self.site: AmberSite | None = None
        self.polling = PollState()
        self.poll_plan: PollPlan | None = None

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        """Amber's `RateLimit-*` headers of the latest reply."""
        return self.client.last_rate_limit

    def awaiting_confirmation(self, now: datetime) -> bool:
        """Whether the current interval's confirmed price is still chased: a build now is of an estimate."""
        return self.poll_plan is not None and self.poll_plan.awaiting_confirmation(now)

    def _plan_next_poll(self, now: datetime) -> None:
        self.poll_plan = next_poll(self.polling, now, rate_limit=self.client.last_rate_limit)
        self.update_interval = max(self.poll_plan.at - now, MIN_POLL_GAP)

    @property
    def _interval_length(self) -> int:
        return self.site.interval_length if self.site is not None else 30

    async def _async_update_data(self) -> AmberPrices:
        try:
            if self.site is None:
                sites = await self.client.get_sites()
                self.site = next((site for site in sites if site.id == self.site_id), None)
                if self.site is None:
                    LOGGER.warning("Amber site %s is no longer on this account", self.site_id)
                    self.site = AmberSite(id=self.site_id, nmi="", status=SiteStatus.UNKNOWN)
            zone = self._time_zone()
            hours_back = history_hours(zone, dt_util.utcnow().astimezone(zone).date())
            intervals = await self.client.get_current_prices(
                self.site_id,
                previous=hours_back * 60 // self.site.interval_length,
                next=AMBER_HOURS_AHEAD * 60 // self.site.interval_length,
            )
        except ApiError as err:
            now = dt_util.utcnow()
            self.polling = observe_error(self.polling, now, interval_length=self._interval_length)
            self._plan_next_poll(now)
            raise_update_failed(err, AMBER)
        now = dt_util.utcnow()
        current = intervals.current(ChannelType.GENERAL)
        self.polling = observe_reply(
            self.polling,
            now,
            confirmed=current is not None and current.estimate is False,
            interval_length=self.site.interval_length,
        )
        self._plan_next_poll(now)
        return AmberPrices(site=self.site, intervals=intervals, fetched_at=now)


class _PowerwallCoordinator[T](DataUpdateCoordinator[T]):
    """Shared set-up of the coordinators that read one Powerwall site; each names its data and cadence."""

    config_entry: TeslaSyncConfigEntry
    data_name: ClassVar[str]
    cadence: ClassVar[timedelta]

    def __init__(
        self, hass: HomeAssistant, entry: TeslaSyncConfigEntry, client: TeslemetryClient, energy_site_id: int
    ) -> None:
        """Poll one Powerwall site."""
        super().__init__(hass, LOGGER, config_entry=entry, name=self.data_name, update_interval=self.cadence)
        self.client = client
        self.energy_site_id = energy_site_id

    @property
    def service(self) -> str:
        """The route in use (the fallback while the primary is down), as errors name it."""
        return SERVICE_NAMES[self.client.route]


class LiveStatusCoordinator(_PowerwallCoordinator[LiveStatus]):
    """Powerwall power flows and charge, every 30 seconds."""

    data_name = "Powerwall live status"
    cadence = LIVE_STATUS_UPDATE_INTERVAL

    async def _async_update_data(self) -> LiveStatus:
        try:
            return await self.client.get_live_status(self.energy_site_id)
        except ApiError as err:
            raise_update_failed(err, self.service)


async def _async_zone(name: str) -> ZoneInfo | None:
    """The zone called `name`, read off the event loop the first time; None when there is no such zone."""
    try:
        return await dt_util.async_get_time_zone(name)
    except ValueError:
        # Not a zone name at all (say a path); ZoneInfo refuses those with ValueError.
        return None


class SiteInfoCoordinator(_PowerwallCoordinator[SiteInfo]):
    """Powerwall settings (mode, reserve, tariff, export rule), every 5 minutes and after each write."""

    data_name = "Powerwall site info"
    cadence = SITE_INFO_UPDATE_INTERVAL

    def __init__(
        self, hass: HomeAssistant, entry: TeslaSyncConfigEntry, client: TeslemetryClient, energy_site_id: int
    ) -> None:
        """Poll one Powerwall site; its time zone is resolved as each site info arrives."""
        super().__init__(hass, entry, client, energy_site_id)
        # The zone name the Powerwall last reported and what it resolved to (None: none, or unknown).
        self._zone_name: str | None = None
        self._site_zone: ZoneInfo | None = None
        self._unknown_zones: set[str] = set()

    @property
    def time_zone(self) -> ZoneInfo:
        """The Powerwall's own zone, which its tariff slots follow; Home Assistant's when it reports none."""
        # Home Assistant holds its own zone as a ZoneInfo: it resolves it with async_get_time_zone too.
        return self._site_zone or cast("ZoneInfo", dt_util.get_default_time_zone())

    read_at: datetime | None = None

    async def _async_update_data(self) -> SiteInfo:
        try:
            info = await self.client.get_site_info(self.energy_site_id)
        except ApiError as err:
            raise_update_failed(err, self.service)
        self.read_at = dt_util.utcnow()
        if info.installation_time_zone != self._zone_name:
            # Resolved again only when the name changes: the refresh then never waits on it.
            self._site_zone = await self._async_site_zone(info.installation_time_zone)
            self._zone_name = info.installation_time_zone
        return info

    async def _async_site_zone(self, name: str | None) -> ZoneInfo | None:
        """The zone the Powerwall reports, resolved off the event loop; None when it names none we know."""
        if not name:
            return None
        zone = await _async_zone(name)
        if zone is None and name not in self._unknown_zones:
            # Once per zone name: the Powerwall reports it again every few minutes.
            self._unknown_zones.add(name)
            LOGGER.warning(
                "The Powerwall reports the time zone %r, which this system does not know; "
                "using Home Assistant's (%s) for the tariff",
                name,
                self.hass.config.time_zone,
            )
        return zone


@dataclass(frozen=True, kw_only=True, slots=True)
class DailyEnergy:
    """Energy totals (Wh) of one local day of the site, from `calendar_history`."""

    day: date
    solar: float
    home: float
    grid_import: float
    grid_export: float
    battery_charge: float
    battery_discharge: float

    @classmethod
    def from_history(cls, day: date, history: EnergyHistory) -> DailyEnergy:
        """Add up every interval of the day."""
        entries = history.entries
        return cls(
            day=day,
            solar=sum(e.solar_energy_exported for e in entries),
            home=sum(
                e.consumer_energy_imported_from_grid
                + e.consumer_energy_imported_from_solar
                + e.consumer_energy_imported_from_battery
                + e.consumer_energy_imported_from_generator
                for e in entries
            ),
            grid_import=sum(e.grid_energy_imported for e in entries),
            grid_export=sum(
                e.grid_energy_exported_from_solar
                + e.grid_energy_exported_from_battery
                + e.grid_energy_exported_from_generator
                for e in entries
            ),
            battery_charge=sum(
                e.battery_energy_imported_from_grid
                + e.battery_energy_imported_from_solar
                + e.battery_energy_imported_from_generator
                for e in entries
            ),
            battery_discharge=sum(e.battery_energy_exported for e in entries),
        )


class EnergyHistoryCoordinator(_PowerwallCoordinator[DailyEnergy]):
    """Today's energy totals, every 5 minutes (the most Teslemetry allows for history)."""

    data_name = "Powerwall energy history"
    cadence = ENERGY_HISTORY_UPDATE_INTERVAL

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        client: TeslemetryClient,
        energy_site_id: int,
        site_info: SiteInfoCoordinator,
    ) -> None:
        """Poll one Powerwall's energy history in the site's own day, whose zone site info knows."""
        super().__init__(hass, entry, client, energy_site_id)
        self._site_info = site_info

    async def _day_totals(self, day: date, time_zone: ZoneInfo) -> DailyEnergy:
        start = datetime.combine(day, time.min, time_zone)
        end = datetime.combine(day + timedelta(days=1), time.min, time_zone) - timedelta(seconds=1)
        history = await self.client.get_energy_history(
            self.energy_site_id, period="day", time_zone=str(time_zone), start=start, end=end
        )
        return DailyEnergy.from_history(day, history)

    async def _async_update_data(self) -> DailyEnergy:
        time_zone = self._site_info.time_zone
        today = dt_util.now(time_zone).date()
        try:
            previous = self.data
            if previous is not None and previous.day < today:
                # Publish the final total of the day that just ended before the counters reset at local
                # midnight, so the Energy dashboard keeps the last minutes of yesterday.
                self.async_set_updated_data(await self._day_totals(previous.day, time_zone))
            return await self._day_totals(today, time_zone)
        except ApiError as err:
            raise_update_failed(err, self.service)


class AemoPriceCoordinator(DataUpdateCoordinator[AemoRegionPrice | None]):
    """The region's latest 5-minute dispatch price, every minute (the aemo_price sensor always shows it).

    A site outside the NEM has no AEMO price: AEMO is never asked, and the price stays None.
    """

    config_entry: TeslaSyncConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: TeslaSyncConfigEntry, client: AemoClient, region: str
    ) -> None:
        """Poll AEMO's NEM summary for one region."""
        in_nem = region in NEM_REGIONS
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name="AEMO price",
            update_interval=AEMO_UPDATE_INTERVAL if in_nem else None,
        )
        self.client = client
        self.region = region

    async def _async_update_data(self) -> AemoRegionPrice | None:
        if self.region not in NEM_REGIONS:
            return None
        try:
            prices = await self.client.get_region_prices()
        except ApiError as err:
            raise_update_failed(err, AEMO)
        return prices.get(self.region)
