"""The single writer: the only code that changes anything on the Powerwall.

It serialises every write behind one lock, records what it is about to do in the entry's `Store` before it
acts, and verifies each write by reading `site_info` back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .api.errors import ApiError, AuthenticationError, CommandRejectedError, RateLimitedError
from .api.models import ChannelType, ExportRule, OperationMode
from .const import DOMAIN, LOGGER
from .control import curtailment as curtailment_machine, spike as spike_machine
from .control.curtailment import CurtailmentAction, CurtailmentSettings, CurtailmentState
from .control.push_policy import PushHistory, PushTrigger, PushVerdict, decide_push
from .control.regions import region_for_nmi
from .control.spike import SpikeAction, SpikeSettings, SpikeState, SpikeStep
from .options import TeslaSyncOptions, entry_options
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
from .tariff.prices import CENTS_PER_DOLLAR, owner_price
from .tariff.spike import build_spike_tariff

if TYPE_CHECKING:
    from .api.teslemetry import TeslemetryClient
    from .coordinator import (
        AemoPriceCoordinator,
        AmberPricesCoordinator,
        SiteInfoCoordinator,
        TeslaSyncConfigEntry,
    )

# Used when a 429 carries no retry-after.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
TARIFF_CODE = "TESLA_SYNC:AMBER"
TARIFF_NAME = "Tesla Sync (Amber)"
TARIFF_UTILITY = "Amber Electric"
SPIKE_TARIFF_CODE = "TESLA_SYNC:SPIKE"
SPIKE_TARIFF_NAME = "Tesla Sync (price spike)"
SPIKE_KEY = "spike"
CURTAILMENT_KEY = "curtailment"


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
        aemo: AemoPriceCoordinator,
        store: TeslaSyncStore,
        state: PersistedState,
    ) -> None:
        """Wire the writer to its clients, coordinators and persisted state."""
        self.hass = hass
        self._entry = entry
        self._client = client
        self._site_info = site_info
        self._prices = prices
        self._aemo = aemo
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
        # The spike tariff last written and read back intact; None makes the next evaluation write it.
        self._spike_tariff_applied: str | None = None

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
    def options(self) -> TeslaSyncOptions:
        """The owner's options, read afresh (switches change them without a reload)."""
        return entry_options(self._entry, default_region=region_for_nmi(self._prices.data.site.nmi))

    @property
    def spike_state(self) -> SpikeState:
        """The spike machine's state (persisted)."""
        return SpikeState.from_dict(self._state.overrides.get(SPIKE_KEY))

    @property
    def curtailment_state(self) -> CurtailmentState:
        """The curtailment machine's state (persisted)."""
        return CurtailmentState.from_dict(self._state.overrides.get(CURTAILMENT_KEY))

    @property
    def persisted_state(self) -> PersistedState:
        """What the writer keeps across restarts (for diagnostics)."""
        return self._state

    @property
    def export_rule(self) -> ExportRule:
        """The export rule the Powerwall reports."""
        return self._site_info.data.export_rule

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
        self._entry.async_on_unload(self._aemo.async_add_listener(self._on_aemo_updated))
        self._entry.async_on_unload(self._cancel_retry)
        self._on_prices_updated()
        self._on_aemo_updated()

    @callback
    def _on_prices_updated(self) -> None:
        if self._state.auto_sync and self._prices.last_update_success:
            self._entry.async_create_task(
                self.hass, self.async_sync(PushTrigger.SCHEDULE), name=f"{DOMAIN} tariff sync"
            )
        self._entry.async_create_task(
            self.hass, self.async_evaluate_curtailment(), name=f"{DOMAIN} curtailment"
        )

    @callback
    def _on_aemo_updated(self) -> None:
        # Also on a failed AEMO refresh: a simulated spike ends on time, and a held baseline is restored.
        self._entry.async_create_task(self.hass, self.async_evaluate_spike(), name=f"{DOMAIN} spike")

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

    async def async_set_option(self, key: str, value: bool) -> None:
        """Change one option (a switch) and act on it at once: turning a feature off ends its override."""
        self.hass.config_entries.async_update_entry(
            self._entry, options={**self.options.as_mapping(), key: value}
        )
        await self.async_evaluate_spike()
        await self.async_evaluate_curtailment()

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
        if self.spike_state.active:
            # The spike tariff owns the Powerwall until the spike ends; the Amber sync resumes then.
            LOGGER.debug("Not syncing the Amber tariff during a price spike")
            self._raise_if_manual(automatic, "spike_active")
            return
        now = dt_util.utcnow()
        build = self._build_amber_tariff(now)
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
            fingerprint=fingerprint,
            history=self._push_history(),
            now=now,
            trigger=trigger,
            powerwall_holds_it=self._powerwall_holds(build.tariff, now),
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

    def _build_amber_tariff(self, now: datetime) -> TariffBuild:
        """The rolling tariff from the latest Amber prices, in the Powerwall's zone."""
        return build_rolling_tariff(
            self._prices.data.intervals,
            now=now,
            time_zone=self.time_zone,
            forecast_price=self.forecast_price,
            has_feed_in=self._prices.data.has_feed_in,
        )

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
        return self._site_info.last_update_success and self._powerwall_holds(tariff, now)

    def _powerwall_holds(self, tariff: DayTariff, now: datetime) -> bool:
        """Whether the tariff last read from the Powerwall charges `tariff`'s rates today."""
        held = _day_tariff_of(self._site_info.data.tariff_content_v2, now.astimezone(self.time_zone).date())
        return held is not None and rates_match(held, tariff)

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

    # --- spike response -----------------------------------------------------------------------------

    async def async_evaluate_spike(self, command: SpikeCommand | None = None) -> None:
        """Step the spike machine (with AEMO's latest price, or an owner's command) and act on it."""
        async with self._lock:
            try:
                await self._evaluate_spike_locked(command)
            finally:
                self._notify()

    async def _evaluate_spike_locked(self, command: SpikeCommand | None) -> None:
        now = dt_util.utcnow()
        state = self.spike_state
        options = self.options
        if command is not None:
            result = command(state, now, options.spike_settings)
        else:
            observation = self._aemo.data if self._aemo.last_update_success else None
            result = spike_machine.step(
                state,
                observation=observation,
                now=now,
                settings=options.spike_settings,
                enabled=options.spike_detection,
            )
        if result.state != state:
            self._state.overrides[SPIKE_KEY] = result.state.as_dict()
            await self._store.async_save_state(self._state)
        if result.action is SpikeAction.ENTER:
            LOGGER.info("Price spike: switching the Powerwall to time-based control (%s)", result.reason)
            await self._capture_baseline(now)
            self._spike_tariff_applied = None
        elif result.action is SpikeAction.EXIT:
            LOGGER.info("Price spike over (%s): restoring the owner's settings", result.reason)
        elif result.action is SpikeAction.UPDATE:
            self._spike_tariff_applied = None
        active = result.state.spike
        if active is not None:
            await self._apply_spike(active.peak_price, now)
        elif self._state.baseline is not None:
            await self._restore_baseline(now)

    async def _capture_baseline(self, now: datetime) -> None:
        """Record what the owner has, read from the Powerwall itself, before anything is changed."""
        if self._state.baseline is not None:
            # A baseline not yet restored is still what the owner had: never overwrite it with our own.
            return
        await self._site_info.async_refresh()
        if not self._site_info.last_update_success:
            LOGGER.info("Spike response postponed: the Powerwall's settings could not be read")
            return
        info = self._site_info.data
        self._state.baseline = {
            "operation_mode": info.operation_mode.value,
            "tariff_content_v2": info.tariff_content_v2,
            "captured_at": now.isoformat(),
        }
        await self._store.async_save_state(self._state)

    def _normal_tariff(self, now: datetime) -> DayTariff | None:
        """The tariff outside the spike window: Amber's when it owns the tariff, else the owner's own."""
        if self._state.auto_sync and self._prices.last_update_success:
            build = self._build_amber_tariff(now)
            if build.tariff is not None:
                return build.tariff
        content = (self._state.baseline or {}).get("tariff_content_v2")
        return _day_tariff_of(content, now.astimezone(self.time_zone).date())

    async def _apply_spike(self, peak_price: float, now: datetime) -> None:
        """Make sure the Powerwall is in time-based control with the spike tariff; write what is missing."""
        if self._state.baseline is None:
            # Without a record of what the owner had, nothing is changed (it could not be put back).
            await self._capture_baseline(now)
            if self._state.baseline is None:
                return
        normal = self._normal_tariff(now)
        if normal is None:
            LOGGER.warning("No complete tariff to build the spike tariff on; only the mode is changed")
        wrote = False
        try:
            if self._site_info.data.operation_mode is not OperationMode.AUTONOMOUS:
                await self._client.set_operation_mode(
                    self._site_info.energy_site_id, OperationMode.AUTONOMOUS
                )
                wrote = True
            spike_tariff = (
                None
                if normal is None
                else build_spike_tariff(
                    normal, spike_price_per_mwh=peak_price, now=now, time_zone=self.time_zone
                )
            )
            if spike_tariff is not None and tariff_fingerprint(spike_tariff) != self._spike_tariff_applied:
                content = encode_tariff(
                    spike_tariff, code=SPIKE_TARIFF_CODE, name=SPIKE_TARIFF_NAME, utility=TARIFF_UTILITY
                )
                await self._client.set_time_of_use_settings(self._site_info.energy_site_id, content)
                wrote = True
        except ApiError as err:
            LOGGER.info("Spike response write failed, retrying next minute: %s", err)
            return
        if not wrote:
            return
        matches = await self._read_back_matches(spike_tariff, now) if spike_tariff is not None else True
        mode_ok = self._site_info.data.operation_mode is OperationMode.AUTONOMOUS
        if matches and mode_ok and spike_tariff is not None:
            self._spike_tariff_applied = tariff_fingerprint(spike_tariff)
        else:
            self._spike_tariff_applied = None
            LOGGER.info("The Powerwall does not show the spike settings yet; retrying next minute")

    async def _restore_baseline(self, now: datetime) -> None:
        """Put back the owner's mode and tariff (or hand the tariff to the Amber sync), verify, forget."""
        baseline = self._state.baseline or {}
        mode = OperationMode(baseline.get("operation_mode", OperationMode.SELF_CONSUMPTION.value))
        content = baseline.get("tariff_content_v2")
        amber_owns = self._state.auto_sync
        site_id = self._site_info.energy_site_id
        try:
            await self._client.set_operation_mode(site_id, mode)
            if not amber_owns and isinstance(content, dict):
                await self._client.set_time_of_use_settings(site_id, content)
        except ApiError as err:
            LOGGER.info("Restoring the owner's settings failed, retrying next minute: %s", err)
            return
        if amber_owns:
            # The Amber sync takes the tariff back: a fresh build, pushed and verified like any other.
            build = self._build_amber_tariff(now)
            self.last_build = build
            if build.tariff is None:
                LOGGER.info("Cannot hand the tariff back yet: %s", build.problem)
                return
            await self._push_tariff(build.tariff, tariff_fingerprint(build.tariff), now, automatic=True)
            tariff_ok = self.status is SyncStatus.SYNCED
        else:
            await self._site_info.async_refresh()
            tariff_ok = self._site_info.last_update_success and _same_tariff(
                content, self._site_info.data.tariff_content_v2, now.astimezone(self.time_zone).date()
            )
        if not (tariff_ok and self._site_info.data.operation_mode is mode):
            LOGGER.info("The Powerwall does not show the owner's settings yet; retrying next minute")
            return
        LOGGER.info("Restored the owner's operation mode (%s) and tariff", mode.value)
        self._state.baseline = None
        self._spike_tariff_applied = None
        await self._store.async_save_state(self._state)

    # --- export curtailment -------------------------------------------------------------------------

    async def async_evaluate_curtailment(self) -> None:
        """Step the curtailment machine with the current feed-in earning and the export rule in force."""
        async with self._lock:
            try:
                await self._evaluate_curtailment_locked()
            finally:
                self._notify()

    async def _evaluate_curtailment_locked(self) -> None:
        now = dt_util.utcnow()
        options = self.options
        feed_in = self._prices.data.current(ChannelType.FEED_IN) if self._prices.last_update_success else None
        state = self.curtailment_state
        result = curtailment_machine.step(
            state,
            feed_in_earning_c_per_kwh=None if feed_in is None else owner_price(feed_in) * CENTS_PER_DOLLAR,
            interval_start=None if feed_in is None else feed_in.start_time,
            current_rule=self._site_info.data.export_rule,
            now=now,
            settings=CurtailmentSettings(threshold_c_per_kwh=options.curtailment_threshold),
            enabled=options.solar_curtailment,
        )
        if result.state != state:
            # Persist first: the captured rule must survive a restart that happens during the write.
            self._state.overrides[CURTAILMENT_KEY] = result.state.as_dict()
            await self._store.async_save_state(self._state)
        if result.action is not CurtailmentAction.NONE:
            LOGGER.info("Export curtailment: %s (%s)", result.action.value, result.reason)
        if result.write is None:
            return
        try:
            await self._client.set_grid_import_export(
                self._site_info.energy_site_id, export_rule=result.write
            )
        except ApiError as err:
            LOGGER.info("Setting the export rule failed, retrying on the next price: %s", err)
            return
        await self._site_info.async_refresh()


type SpikeCommand = Callable[[SpikeState, datetime, SpikeSettings], SpikeStep]


def _same_tariff(expected: object, actual: object, day: date) -> bool:
    """Whether the Powerwall holds the owner's tariff again (same rates on `day`, or the same content)."""
    wanted = _day_tariff_of(expected, day)
    held = _day_tariff_of(actual, day)
    if wanted is None or held is None:
        return expected == actual
    return rates_match(wanted, held)


def _day_tariff_of(content: object, day: date) -> DayTariff | None:
    """The rates a `tariff_content_v2` charges on `day`; None when it is missing, unreadable or has holes."""
    if not isinstance(content, dict):
        return None
    try:
        return decode_tariff(content).day_tariff(day)
    except TariffDecodeError:
        return None
