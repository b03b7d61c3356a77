"""Demand tracking at run time: the Powerwall's grid power, every live status poll, into the pure tracker.

`control.demand` decides everything (half hours, gaps, the window, cycle resets); this module feeds it one
sample per poll (a failed poll is a sample of nothing known), keeps its state in the entry's `PersistedState`
so the peak and the half hour in progress survive a restart, and tells the demand entities when to look
again: after each sample and when a half hour starts (the window opens or closes on the half hour).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .control.demand import (
    HALF_HOUR,
    DemandSettings,
    DemandState,
    half_hour_of,
    heading_for_new_peak,
    mean_kw,
    reset,
    step,
)
from .coordinator import LiveStatusCoordinator, SiteInfoCoordinator, TeslaSyncConfigEntry
from .writer import PowerwallWriter

# The state is written at most this long after it changed: a crash loses at most this much of the half
# hour in progress (the tracker then counts it as unknown, never as import), and a poll every 30 seconds
# does not write the whole record each time.
SAVE_DELAY: Final = timedelta(seconds=60)


class DemandTracker(DataUpdateCoordinator[DemandState]):
    """The entry's demand charge cycle: the peak so far and the half hour in progress.

    Its data is the tracker's state; it never polls (live status does), so its entities follow each sample.
    """

    config_entry: TeslaSyncConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        *,
        settings: DemandSettings,
        live_status: LiveStatusCoordinator,
        site_info: SiteInfoCoordinator,
        writer: PowerwallWriter,
    ) -> None:
        """Track `settings`' window from live status, in the zone site info reports, persisted by `writer`."""
        super().__init__(hass, LOGGER, config_entry=entry, name="Demand tracking")
        self.settings = settings
        self._live_status = live_status
        self._site_info = site_info
        self._writer = writer
        self._save_due: datetime | None = None
        self._half_hour_unsub: CALLBACK_TYPE | None = None
        self.data = writer.state.demand

    @property
    def time_zone(self) -> ZoneInfo:
        """The site's zone: its half hours, window and cycle are local to it."""
        return self._site_info.time_zone

    @callback
    def async_start(self) -> None:
        """Take the sample of the first poll, then follow every poll and every half hour until unload."""
        entry = self.config_entry
        entry.async_on_unload(self._live_status.async_add_listener(self._async_live_status_updated))
        entry.async_on_unload(self._async_stop_half_hour_timer)
        self._async_live_status_updated()
        self._async_schedule_half_hour(dt_util.utcnow())

    # --- what entities read ---------------------------------------------------------------------------

    def window_active(self, now: datetime) -> bool:
        """Whether the half hour in progress is inside the demand window."""
        return self.settings.window.contains(half_hour_of(now, self.time_zone))

    @property
    def peak_kw(self) -> float | None:
        """The cycle's peak half-hour mean import (kW); None before a known half hour in the window."""
        return self.data.peak_kw

    @property
    def peak_half_hour(self) -> datetime | None:
        """When the peak half hour started (local time)."""
        peak_at = self.data.peak_at
        return None if peak_at is None else peak_at.astimezone(self.time_zone)

    @property
    def cycle_start(self) -> datetime | None:
        """When the cycle began: local midnight of its first day, or the moment the owner reset it."""
        state = self.data
        if state.reset_at is not None:
            return state.reset_at.astimezone(self.time_zone)
        if state.cycle is None:
            return None
        return _local_midnight(state.cycle, self.time_zone)

    def current_half_hour_kw(self, now: datetime) -> float | None:
        """The mean import so far of the half hour in progress, when it is inside the window."""
        state = self.data
        if state.half_hour is None or state.half_hour != half_hour_of(now, self.time_zone):
            return None
        if not self.settings.window.contains(state.half_hour):
            return None
        return mean_kw(state)

    def heading_for_new_peak(self, now: datetime) -> bool:
        """Whether the half hour in progress, at the current import, ends above the cycle's peak."""
        return heading_for_new_peak(self.data, at=now, zone=self.time_zone, window=self.settings.window)

    @property
    def charge_estimate(self) -> float | None:
        """What the cycle's peak costs so far ($); None before tracking began."""
        if self.data.cycle is None:
            return None
        return round(self.settings.charge(self.data.peak_kw), 2)

    # --- what changes it ------------------------------------------------------------------------------

    async def async_reset(self) -> None:
        """The owner's bill started a new cycle now: clear the peak, and write that down at once."""
        now = dt_util.utcnow()
        self._writer.state.demand = reset(self.data, at=now)
        await self._writer.async_save()
        LOGGER.info("Demand peak reset by the owner; a new cycle starts at %s", now.isoformat())
        self.async_set_updated_data(self._writer.state.demand)

    async def async_flush(self) -> None:
        """Write the state now (the entry unloads: the next setup reads the file)."""
        await self._writer.async_save()

    @callback
    def _async_live_status_updated(self) -> None:
        """One sample: the grid power of the poll that just ended, or nothing known when it failed."""
        live = self._live_status
        grid_w = live.data.grid_power if live.last_update_success and live.data is not None else None
        now = dt_util.utcnow()
        state = step(
            self.data,
            at=now,
            grid_w=grid_w,
            zone=self.time_zone,
            window=self.settings.window,
            cycle=self.settings.cycle,
        )
        if state is self.data:
            return
        if state.cycle != self.data.cycle and self.data.cycle is not None:
            LOGGER.debug("Demand cycle %s ended; a new one starts on %s", self.data.cycle, state.cycle)
        self._writer.state.demand = state
        if self._save_due is None or now >= self._save_due:
            self._save_due = now + SAVE_DELAY
        # Every sample aims at the same moment: the write pending is replaced, never put off.
        self._writer.schedule_save(self._save_due - now)
        self.async_set_updated_data(state)

    @callback
    def _async_schedule_half_hour(self, now: datetime) -> None:
        """Look again when the next local half hour starts (the window may open or close then)."""
        next_half_hour = half_hour_of(now, self.time_zone).astimezone(UTC) + HALF_HOUR
        self._half_hour_unsub = async_track_point_in_utc_time(
            self.hass, self._async_half_hour_started, next_half_hour
        )

    @callback
    def _async_half_hour_started(self, now: datetime) -> None:
        if self._live_status.last_update_success:
            # The next poll brings the sample; until then the entities see the new half hour begin.
            self.async_update_listeners()
        else:
            # Live status fails on (its listeners hear only the first failure): a sample of nothing known
            # moves the tracker on, so a new cycle starts on time even while the Powerwall is unreachable.
            self._async_live_status_updated()
        self._async_schedule_half_hour(now)

    @callback
    def _async_stop_half_hour_timer(self) -> None:
        if self._half_hour_unsub is not None:
            self._half_hour_unsub()
            self._half_hour_unsub = None


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)
