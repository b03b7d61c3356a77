"""The single writer: the only code that changes anything on the Powerwall.

It serialises every write behind one lock, records what it is about to do in the entry's `Store` before it
acts, and verifies each write by reading `site_info` back.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api.errors import ApiError, AuthenticationError, CommandRejectedError, RateLimitedError
from .const import DOMAIN, LOGGER
from .control.push_policy import PushHistory, PushTrigger, PushVerdict, decide_push
from .store import PersistedState, PushRecord, TeslaSyncStore
from .tariff import (
    DayTariff,
    ForecastPrice,
    TariffBuild,
    TariffDecodeError,
    build_rolling_tariff,
    decode_tariff,
    encode_tariff,
    rates_match,
)
from .tariff.fingerprint import tariff_fingerprint

if TYPE_CHECKING:
    from .api.teslemetry import TeslemetryClient
    from .coordinator import AmberPricesCoordinator, SiteInfoCoordinator, TeslaSyncConfigEntry

# Used when a 429 carries no retry-after.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
TARIFF_CODE = "TESLA_SYNC:AMBER"
TARIFF_NAME = "Tesla Sync (Amber)"
TARIFF_UTILITY = "Amber Electric"


class SyncStatus(StrEnum):
    """What the `sync_status` sensor shows."""

    SYNCED = "synced"
    PENDING = "pending"
    INCOMPLETE_FORECAST = "incomplete_forecast"
    REJECTED = "rejected"
    RATE_LIMITED = "rate_limited"
    NOT_APPLIED = "not_applied"
    DISABLED = "disabled"


class PowerwallController:
    """Owns every write to one Powerwall and the state that decides them."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        *,
        client: TeslemetryClient,
        site_info: SiteInfoCoordinator,
        prices: AmberPricesCoordinator,
        store: TeslaSyncStore,
        state: PersistedState,
    ) -> None:
        """Wire the writer to its clients, coordinators and persisted state."""
        self.hass = hass
        self._entry = entry
        self._client = client
        self._site_info = site_info
        self._prices = prices
        self._store = store
        self._state = state
        self._lock = asyncio.Lock()
        self._listeners: list[CALLBACK_TYPE] = []
        self._retry_unsub: CALLBACK_TYPE | None = None
        self._last_automatic_attempt_at: datetime | None = None
        self._rate_limited_until: datetime | None = None
        self.forecast_price = ForecastPrice.PREDICTED
        self.last_build: TariffBuild | None = None
        self.rejection_message: str | None = None
        self.status = SyncStatus.PENDING if state.auto_sync else SyncStatus.DISABLED

    # --- what entities read -------------------------------------------------------------------------

    @property
    def auto_sync(self) -> bool:
        """Whether Amber prices are pushed automatically."""
        return self._state.auto_sync

    @property
    def last_sync(self) -> datetime | None:
        """When a pushed tariff was last verified on the Powerwall."""
        record = self._state.last_push
        return record.pushed_at if record and record.verified else None

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone the Powerwall's tariff slots follow."""
        return self._site_info.time_zone

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update_callback` whenever the sync state changes; returns the remover."""
        self._listeners.append(update_callback)

        def remove() -> None:
            self._listeners.remove(update_callback)

        return remove

    @callback
    def _notify(self) -> None:
        for update_callback in list(self._listeners):
            update_callback()

    # --- life cycle ---------------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Follow Amber refreshes; everything started here stops when the entry unloads."""
        self._entry.async_on_unload(self._prices.async_add_listener(self._on_prices_updated))
        self._entry.async_on_unload(self._cancel_retry)
        self._on_prices_updated()

    @callback
    def _on_prices_updated(self) -> None:
        if self._state.auto_sync and self._prices.last_update_success:
            self._entry.async_create_task(
                self.hass, self.async_sync(PushTrigger.SCHEDULE), name=f"{DOMAIN} tariff sync"
            )

    @callback
    def _cancel_retry(self) -> None:
        if self._retry_unsub is not None:
            self._retry_unsub()
            self._retry_unsub = None

    @callback
    def _schedule_retry(self, when: datetime) -> None:
        self._cancel_retry()

        @callback
        def retry(_now: datetime) -> None:
            self._retry_unsub = None
            self._on_prices_updated()

        self._retry_unsub = async_track_point_in_utc_time(self.hass, retry, when)

    # --- commands -----------------------------------------------------------------------------------

    async def async_set_auto_sync(self, *, enabled: bool) -> None:
        """Turn automatic sync on (and sync at once) or off."""
        self._state.auto_sync = enabled
        await self._store.async_save_state(self._state)
        if enabled:
            await self.async_sync(PushTrigger.REQUEST)
        else:
            self._cancel_retry()
            self.status = SyncStatus.DISABLED
            self._notify()

    async def async_sync(self, trigger: PushTrigger) -> None:
        """Build the rolling tariff from the latest prices and push it if the policy says so.

        Syncs the owner asked for raise translated errors; scheduled ones report through `status`.
        """
        async with self._lock:
            try:
                await self._sync_locked(trigger)
            finally:
                self._notify()

    async def _sync_locked(self, trigger: PushTrigger) -> None:
        automatic = trigger is PushTrigger.SCHEDULE
        if trigger is not PushTrigger.FORCE and not self._state.auto_sync:
            self.status = SyncStatus.DISABLED
            return
        now = dt_util.utcnow()
        build = build_rolling_tariff(
            self._prices.data.intervals,
            now=now,
            time_zone=self.time_zone,
            forecast_price=self.forecast_price,
            has_feed_in=self._prices.data.has_feed_in,
        )
        self.last_build = build
        if build.tariff is None:
            problem = build.problem or ""
            LOGGER.info("Not pushing an incomplete tariff: %s", problem)
            self.status = SyncStatus.INCOMPLETE_FORECAST
            if not automatic:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="incomplete_forecast",
                    translation_placeholders={"problem": problem},
                )
            return
        fingerprint = tariff_fingerprint(build.tariff)
        decision = decide_push(
            fingerprint=fingerprint, history=self._push_history(), now=now, trigger=trigger
        )
        if decision.verdict is PushVerdict.UNCHANGED:
            self.status = SyncStatus.SYNCED
            return
        if decision.verdict is not PushVerdict.PUSH:
            if decision.verdict is PushVerdict.WAIT_RATE_LIMIT:
                self.status = SyncStatus.RATE_LIMITED
            elif self.status is SyncStatus.SYNCED:
                self.status = SyncStatus.PENDING
            retry_at = decision.retry_at or now
            self._schedule_retry(retry_at)
            self._raise_if_manual(automatic, "rate_limited_until", time=retry_at.isoformat())
            return
        if automatic:
            self._last_automatic_attempt_at = now
        await self._push_tariff(build.tariff, fingerprint, now, automatic=automatic)

    def _push_history(self) -> PushHistory:
        record = self._state.last_push
        verified = record if record and record.verified else None
        return PushHistory(
            verified_fingerprint=verified.fingerprint if verified else None,
            verified_at=verified.pushed_at if verified else None,
            last_automatic_attempt_at=self._last_automatic_attempt_at,
            rate_limited_until=self._rate_limited_until,
        )

    async def _push_tariff(
        self, tariff: DayTariff, fingerprint: str, now: datetime, *, automatic: bool
    ) -> None:
        content = encode_tariff(tariff, code=TARIFF_CODE, name=TARIFF_NAME, utility=TARIFF_UTILITY)
        site_id = self._site_info.energy_site_id
        try:
            await self._client.set_time_of_use_settings(site_id, content)
        except RateLimitedError as err:
            wait = timedelta(seconds=err.retry_after) if err.retry_after else DEFAULT_RATE_LIMIT_WAIT
            self._rate_limited_until = now + wait
            LOGGER.info("Teslemetry rate limit: next tariff push after %s", self._rate_limited_until)
            self.status = SyncStatus.RATE_LIMITED
            self._schedule_retry(self._rate_limited_until)
            self._raise_if_manual(automatic, "rate_limited_until", time=self._rate_limited_until.isoformat())
            return
        except CommandRejectedError as err:
            LOGGER.warning("The Powerwall rejected the tariff: %s", err.message)
            self.status = SyncStatus.REJECTED
            self.rejection_message = err.message
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._rejected_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="tariff_rejected",
                translation_placeholders={"title": self._entry.title, "message": err.message},
            )
            self._raise_if_manual(automatic, "tariff_rejected", message=err.message)
            return
        except AuthenticationError:
            self.status = SyncStatus.NOT_APPLIED
            self._entry.async_start_reauth(self.hass)
            self._raise_if_manual(automatic, "authentication_failed", service="Teslemetry")
            return
        except ApiError as err:
            LOGGER.info("Tariff push failed, will retry on the next cycle: %s", err)
            self.status = SyncStatus.NOT_APPLIED
            self._raise_if_manual(automatic, "service_unavailable", service="Teslemetry", error=str(err))
            return
        self._rate_limited_until = None
        verified = await self._read_back_matches(tariff, now)
        self._state.last_push = PushRecord(fingerprint=fingerprint, pushed_at=now, verified=verified)
        await self._store.async_save_state(self._state)
        if verified:
            LOGGER.info("Pushed and verified the Amber tariff on the Powerwall")
            self.status = SyncStatus.SYNCED
            self.rejection_message = None
            ir.async_delete_issue(self.hass, DOMAIN, self._rejected_issue_id)
        else:
            LOGGER.info("The Powerwall does not show the pushed tariff yet; retrying next cycle")
            self.status = SyncStatus.NOT_APPLIED
            self._raise_if_manual(automatic, "not_applied")

    async def _read_back_matches(self, tariff: DayTariff, now: datetime) -> bool:
        await self._site_info.async_refresh()
        content = self._site_info.data.tariff_content_v2 if self._site_info.last_update_success else None
        if content is None:
            return False
        try:
            on_powerwall = decode_tariff(content).day_tariff(now.astimezone(self.time_zone).date())
        except TariffDecodeError:
            return False
        return on_powerwall is not None and rates_match(on_powerwall, tariff)

    @property
    def _rejected_issue_id(self) -> str:
        return f"tariff_rejected_{self._entry.entry_id}"

    @staticmethod
    def _raise_if_manual(automatic: bool, translation_key: str, **placeholders: str) -> None:
        if not automatic:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=translation_key,
                translation_placeholders=placeholders,
            )
