"""The controller: the thin coordinator of one *reconcile* per event, over the features and the writer core.

Every event (new prices, a new AEMO price, a read of the Powerwall, the minute timer, a retry, an owner's
action) runs one reconcile: step each feature (`features/`: spike response, export curtailment, battery
commands, the Amber sync, the chosen tariff), collect their claims, resolve them against what the Powerwall
holds (`control.claims.plan`), keep the writes that may go out now, and hand them to the writer core
(`writer.py`), the only code that writes. The owner's settings are recorded and given back by
`features/owner_settings.py`; an owner's action raises a translated error unless the Powerwall ends up as
asked (`owner_action.py`). The sync status is derived from recorded facts (`sync_status.py`), never set by
hand. Entities, services and repairs call the controller's public methods and properties.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_track_point_in_utc_time, async_track_time_interval
from homeassistant.util import dt as dt_util

from .api.errors import AuthenticationError
from .api.models import ChannelType, ExportRule, OperationMode
from .const import DOMAIN, LOGGER
from .control.claims import Claim, ClaimSource, Plan, Setting, plan
from .control.commands import Command, CommandKind
from .control.curtailment import CurtailmentState
from .control.push_policy import PushTrigger
from .control.spike import SpikeState
from .control.status import SyncStatus
from .coordinator import default_region
from .features.amber_sync import AmberSync
from .features.chosen_tariff import AMBER_OPTION, BASELINE_PROFILE, ChosenTariff
from .features.commands import BatteryCommands
from .features.curtailment import ExportCurtailment
from .features.issues import EntryIssues
from .features.owner_settings import OwnerSettings
from .features.spike import SpikeCommand, SpikeResponse
from .features.time_based_control import TimeBasedControl
from .options import TeslaSyncOptions, entry_options
from .owner_action import OwnerAction, action_error, raise_for_write, raise_if_unsatisfied
from .store import PersistedState
from .sync_status import SyncStatusFacts
from .tariff import (
    DayTariff,
    TariffBuild,
)
from .tariff.prices import owner_price
from .writer import DUPLICATE_WINDOW, REWRITE_AFTER, PowerwallWriter, WriteResult

if TYPE_CHECKING:
    from .coordinator import (
        AemoPriceCoordinator,
        AmberPricesCoordinator,
        LiveStatusCoordinator,
        TeslaSyncConfigEntry,
    )

__all__ = ["PowerwallController", "SyncStatus"]

# Decisions that depend on time alone (a simulated spike's end, AEMO silence, restore back-off) run this
# often.
EVALUATE_EVERY: Final = timedelta(minutes=1)


class PowerwallController:
    """Runs the features of one entry over the writer core, and answers what entities show."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaSyncConfigEntry,
        *,
        writer: PowerwallWriter,
        prices: AmberPricesCoordinator | None,
        aemo: AemoPriceCoordinator,
        live_status: LiveStatusCoordinator,
    ) -> None:
        """Wire the controller to the writer core and the coordinators whose data the features read.

        `prices` is None for an entry without Amber: the Powerwall then holds the schedule or profile the
        owner chose, and curtailment reads its sell rate.
        """
        self.hass = hass
        self._entry = entry
        self.writer = writer
        self._prices = prices
        self._aemo = aemo
        self._listeners: list[CALLBACK_TYPE] = []
        self._issues = EntryIssues(hass, entry)
        self._chosen = ChosenTariff(hass, entry, writer=writer, options=self._read_options)
        self._commands = BatteryCommands(writer=writer, live_status=live_status, issues=self._issues)
        self._spike = SpikeResponse(writer=writer, aemo=aemo, options=self._read_options)
        self._curtailment = ExportCurtailment(
            writer=writer, prices=prices, options=self._read_options, chosen_content=self._chosen.content
        )
        self._amber = AmberSync(
            writer=writer,
            prices=prices,
            options=self._read_options,
            issues=self._issues,
            schedule_retry=self._schedule_retry,
        )
        self._owner_settings = OwnerSettings(
            writer=writer, issues=self._issues, schedule_retry=self._schedule_retry
        )
        self._time_based_control = TimeBasedControl(
            writer=writer, issues=self._issues, chosen_content=self._chosen.content
        )
        self._status = SyncStatusFacts(
            writer=writer,
            prices=prices,
            amber=self._amber,
            chosen=self._chosen,
            spike=self._spike,
            commands=self._commands,
        )
        self._retry_unsub: CALLBACK_TYPE | None = None
        # Whether the last plan held back a write because the owner's setting was never read.
        self._blocked = False
        if prices is None:
            # Without Amber there is no rolling tariff to sync.
            self.state.auto_sync = False

    # --- what entities read -------------------------------------------------------------------------

    @property
    def state(self) -> PersistedState:
        """What the entry persists."""
        return self.writer.state

    @property
    def persisted_state(self) -> PersistedState:
        """What the writer keeps across restarts (for diagnostics)."""
        return self.writer.state

    @property
    def auto_sync(self) -> bool:
        """Whether Amber prices are pushed automatically."""
        return self.state.auto_sync

    @property
    def has_amber(self) -> bool:
        """Whether the entry has Amber (an entry for another retailer holds the owner's own schedules)."""
        return self._prices is not None

    @property
    def last_sync(self) -> datetime | None:
        """When a pushed Amber tariff was last verified on the Powerwall."""
        record = self.state.last_push
        return record.pushed_at if record and record.verified else None

    @property
    def options(self) -> TeslaSyncOptions:
        """The owner's options, read afresh (switches change them without a reload)."""
        return self._read_options()

    def _read_options(self) -> TeslaSyncOptions:
        return entry_options(self._entry, default_region=default_region(self._prices, self.time_zone))

    @property
    def spike_state(self) -> SpikeState:
        """The spike machine's state (persisted)."""
        return self._spike.state

    @property
    def curtailment_state(self) -> CurtailmentState:
        """The curtailment machine's state (persisted)."""
        return self._curtailment.state

    @property
    def command(self) -> Command | None:
        """The battery command in force (persisted), if any."""
        return self._commands.command

    def command_restores(self) -> dict[str, Any]:
        """What the owner gets back when the command ends (the baseline of the settings it holds)."""
        return self._commands.restores()

    @property
    def export_rule(self) -> ExportRule:
        """The export rule the Powerwall reports."""
        return self.writer.site_info.export_rule

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone the Powerwall's tariff slots follow."""
        return self.writer.time_zone

    @property
    def owner_export_rule(self) -> str | None:
        """The export rule the owner had (what comes back when curtailment ends)."""
        rule = self.state.baseline.get(Setting.EXPORT_RULE)
        return None if rule is None else str(rule)

    def yielded_settings(self, source: ClaimSource) -> list[str]:
        """The settings an override gave up to the owner's own change."""
        return sorted(setting.value for claimant, setting in self.state.yielded if claimant is source)

    def tariff_on_powerwall(self, now: datetime) -> DayTariff | None:
        """Today's rates of the tariff the Powerwall holds, as last read back."""
        return self.writer.tariff_today(now)

    @property
    def last_build(self) -> TariffBuild | None:
        """The latest build of Amber's rolling tariff (None before the first, or without Amber)."""
        return self._amber.last_build

    @property
    def rejection_message(self) -> str | None:
        """Why the Powerwall rejected the last Amber tariff (None once one is verified)."""
        return self._amber.rejection_message

    def tariff_source(self, now: datetime) -> ClaimSource:
        """Who put the tariff the Powerwall holds there: Amber, a spike, or the owner."""
        return self._status.tariff_source(now)

    @property
    def status(self) -> SyncStatus:
        """The sync status, derived from the facts as they are now."""
        return self._status.status(dt_util.utcnow())

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update_callback` whenever the controller's state changes; returns the remover."""
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
        """Follow the upstreams and the clock; everything started here stops when the entry unloads."""
        if self._prices is not None:
            self._entry.async_on_unload(self._prices.async_add_listener(self._on_update))
        self._entry.async_on_unload(self._aemo.async_add_listener(self._on_update))
        self._entry.async_on_unload(self.writer.add_read_listener(self._on_update))
        self._entry.async_on_unload(
            async_track_time_interval(self.hass, self._on_timer, EVALUATE_EVERY, name=f"{DOMAIN} evaluate")
        )
        self._entry.async_on_unload(self._cancel_retry)
        self._on_update()

    @callback
    def _on_update(self) -> None:
        self._entry.async_create_task(
            self.hass, self.async_reconcile(PushTrigger.SCHEDULE), name=f"{DOMAIN} reconcile"
        )

    @callback
    def _on_timer(self, _now: datetime) -> None:
        self._on_update()

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
            self._on_update()

        self._retry_unsub = async_track_point_in_utc_time(self.hass, retry, when)

    # --- the owner's actions ------------------------------------------------------------------------

    async def async_sync(self, trigger: PushTrigger) -> None:
        """Sync the Amber tariff now (the services): raises a translated error unless it is verified. Without
        Amber, the chosen schedule or profile is put back on the Powerwall if it does not hold it."""
        if self._prices is None:
            await self._async_reapply_chosen(trigger)
            return
        if not self.state.auto_sync:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="auto_sync_off")
        await self.async_reconcile(trigger, action=OwnerAction(trigger=trigger))

    async def _async_reapply_chosen(self, trigger: PushTrigger) -> None:
        """Bring the Powerwall back to the schedule or profile the owner chose (verified), or say why not."""
        if self._chosen.content() is None:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_tariff_chosen")
        await self.async_reconcile(trigger, action=OwnerAction(trigger=trigger))
        if self.spike_state.active:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="spike_active")
        # A battery command holds the tariff until it ends; otherwise the read-back must show the choice.
        held = self.writer.site_info.tariff_content_v2
        if self.command is None and not self.writer.same(
            Setting.TARIFF, self._chosen.content(), held, dt_util.utcnow()
        ):
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_applied")

    async def async_set_auto_sync(self, *, enabled: bool) -> None:
        """Turn automatic sync on (and sync at once) or off (the owner's tariff comes back)."""
        if enabled and self._prices is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_amber")
        previous = self.state.auto_sync
        self.state.auto_sync = enabled
        if enabled:
            # Amber is the chosen tariff now; a chosen profile or schedule steps aside.
            self.state.chosen_profile = None
            self.state.chosen_schedule = None
        await self.writer.async_save()
        if not enabled:
            self._cancel_retry()
        try:
            await self.async_reconcile(PushTrigger.REQUEST, action=OwnerAction())
        except HomeAssistantError:
            if enabled:
                # Nothing half-applied: auto sync stays as it was when its first sync cannot be verified.
                self.state.auto_sync = previous
                await self.writer.async_save()
                self._notify()
            raise

    async def async_set_option(self, key: str, value: bool) -> None:
        """Change one option (a switch) and act on it at once: turning a feature off ends its override."""
        previous = self.options.as_mapping()
        self.hass.config_entries.async_update_entry(self._entry, options={**previous, key: value})
        try:
            await self.async_reconcile(PushTrigger.SCHEDULE, action=OwnerAction(trigger=PushTrigger.SCHEDULE))
        except HomeAssistantError:
            if value:
                # Turning a feature on that could not act leaves it off, and gives back what it changed.
                self.hass.config_entries.async_update_entry(self._entry, options=previous)
                await self.async_reconcile(PushTrigger.SCHEDULE)
            raise

    async def async_spike_command(self, command: SpikeCommand, *, rollback: bool) -> None:
        """Run an owner's spike command (simulate or end); a failed start is undone, then raised."""
        undo = self._spike.undo_to_current()
        action = OwnerAction(spike_command=command)
        if not rollback:
            await self.async_reconcile(PushTrigger.SCHEDULE, action=action)
            return
        await self._reconcile_or_undo(action, PushTrigger.SCHEDULE, undo)

    async def _reconcile_or_undo(
        self, action: OwnerAction, trigger: PushTrigger, undo: Callable[[], None]
    ) -> None:
        """Run an owner's action; when it cannot be verified, undo its state change, give back what it wrote,
        and raise (nothing half-applied)."""
        try:
            await self.async_reconcile(trigger, action=action)
        except HomeAssistantError:
            undo()
            await self.writer.async_save()
            await self.async_reconcile(PushTrigger.SCHEDULE)
            raise

    async def async_battery_command(self, kind: CommandKind, *, minutes: float, target: float | None) -> None:
        """Start a battery command (replacing any); raises a translated error unless it is verified."""
        undo = self._commands.start(kind, now=dt_util.utcnow(), minutes=minutes, target=target)
        await self._reconcile_or_undo(OwnerAction(trigger=PushTrigger.SCHEDULE), PushTrigger.SCHEDULE, undo)

    async def async_end_command(self) -> None:
        """End the battery command now; the owner's settings come back (verified, or an error is raised)."""
        self._commands.end_by_owner()
        await self.writer.async_save()
        await self.async_reconcile(PushTrigger.SCHEDULE, action=OwnerAction(trigger=PushTrigger.SCHEDULE))

    # --- saved tariff profiles and the chosen tariff ---------------------------------------------------

    def profile_names(self) -> list[str]:
        """Every profile the owner can choose: the one from before Tesla Sync first, then saved ones."""
        return self._chosen.profile_names()

    def schedule_names(self) -> list[str]:
        """The titles of the schedules that can be chosen (valid ones)."""
        return self._chosen.schedule_names()

    @property
    def chosen_tariff(self) -> str | None:
        """What the owner chose the Powerwall should hold: Amber's rolling tariff, a schedule or a profile."""
        return self._chosen.chosen

    async def async_save_profile(self, name: str) -> None:
        """Save the tariff the Powerwall holds now (read from it afresh) under `name`."""
        await self._chosen.async_save_profile(name)
        self._notify()

    async def async_apply_profile(self, name: str) -> None:
        """Hold the profile on the Powerwall (byte for byte, verified); Amber stops pushing."""
        self._chosen.require_profile(name)
        await self._async_hold_chosen(profile=None if name == BASELINE_PROFILE else name, schedule=None)

    async def async_choose_tariff(self, option: str) -> None:
        """The Tariff select: Amber's rolling tariff, a custom schedule (by title), or a profile."""
        if option == AMBER_OPTION:
            await self.async_set_auto_sync(enabled=True)
            return
        subentry_id = self._chosen.schedule_titled(option)
        if subentry_id is not None:
            await self.async_apply_schedule(subentry_id)
            return
        await self.async_apply_profile(option)

    async def async_set_custom_tariff(self, data: dict[str, Any], *, apply: bool) -> None:
        """Add or replace (by name) a custom schedule from plain data, checked by the one parser; apply it."""
        subentry_id = self._chosen.store_schedule(data)
        if apply or self.state.chosen_schedule == subentry_id:
            await self.async_apply_schedule(subentry_id)
        else:
            self._notify()

    async def async_apply_schedule(self, subentry_id: str) -> None:
        """Hold a custom schedule on the Powerwall (verified); Amber stops pushing."""
        await self._async_hold_chosen(profile=None, schedule=subentry_id)

    async def _async_hold_chosen(self, *, profile: str | None, schedule: str | None) -> None:
        """Make a profile (None: the owner's own) or a schedule the chosen tariff; Amber stops pushing."""
        undo = self._chosen.hold(profile=profile, schedule=schedule)
        await self.writer.async_save()
        await self._reconcile_or_undo(OwnerAction(), PushTrigger.REQUEST, undo)

    async def async_delete_profile(self, name: str) -> None:
        """Forget a saved profile; the one from before Tesla Sync cannot be deleted. If it was chosen, the
        owner's own tariff comes back."""
        was_chosen = self._chosen.delete_profile(name)
        await self.writer.async_save()
        if was_chosen:
            await self.async_reconcile(PushTrigger.REQUEST, action=OwnerAction())
            return
        self._notify()

    async def async_enter_time_based_control(self) -> None:
        """The repair's fix: the chosen tariff holds time-based control (undone with the owner's mode)."""
        undo = self._time_based_control.enter()
        await self.writer.async_save()
        try:
            await self.async_reconcile(PushTrigger.REQUEST, action=OwnerAction())
        except HomeAssistantError:
            undo()
            await self.writer.async_save()
            raise

    async def async_dismiss_time_based_control(self) -> None:
        """The owner keeps their mode: stop asking."""
        self._time_based_control.dismiss()
        await self.writer.async_save()
        self._notify()

    async def async_choose_mode(self, mode: OperationMode) -> None:
        """The owner says which mode they had (a record that lost it): it is theirs, and comes back now."""
        self._owner_settings.choose_mode(mode)
        await self.writer.async_save()
        self._issues.clear("choose_mode")
        await self.async_reconcile(PushTrigger.SCHEDULE, action=OwnerAction(trigger=PushTrigger.SCHEDULE))

    async def async_retry_restore(self) -> None:
        """The restore repair's fix: try giving the owner's settings back again now."""
        self._owner_settings.retry()
        await self.async_reconcile(PushTrigger.SCHEDULE, action=OwnerAction(trigger=PushTrigger.SCHEDULE))

    # --- reconcile ----------------------------------------------------------------------------------

    async def async_reconcile(self, trigger: PushTrigger, *, action: OwnerAction | None = None) -> None:
        """Step every feature, resolve the claims, write the difference, verify; one at a time."""
        async with self.writer.lock:
            try:
                await self._reconcile_locked(trigger, action)
            finally:
                self._notify()

    async def _reconcile_locked(self, trigger: PushTrigger, action: OwnerAction | None) -> None:
        now = dt_util.utcnow()
        await self._spike.async_step(now, None if action is None else action.spike_command)
        await self._curtailment.async_step(now)
        await self._commands.async_step(now)
        self._amber.build(now, trigger)
        self._amber.check_demand_window()
        claims = self._claims(now)
        result = self._plan(claims, now)
        writes = self._choose_writes(result, now, trigger)
        fresh_needed = any(
            setting not in self.state.ours for setting, _, _ in writes
        ) and not self.writer.read_recently(now)
        if fresh_needed:
            # A new override starts from a fresh read: the owner's settings are recorded before any change.
            if not await self.writer.async_read():
                LOGGER.info("The Powerwall could not be read; nothing is changed until it can be")
                self._owner_settings.record_plan(result, now)
                if action is not None:
                    raise action_error("powerwall_unreadable")
                return
            claims = self._claims(now)
            result = self._plan(claims, now)
            writes = self._choose_writes(result, now, trigger)
        self._owner_settings.record_plan(result, now)
        self.state.ours |= {setting for setting, _, source in writes if source is not ClaimSource.OWNER}
        if writes:
            self._amber.record_attempt(writes, trigger, now)
            await self.writer.async_save()
            outcome = await self.writer.async_write(writes, now)
            self._record_outcome(writes, outcome, now)
        else:
            outcome = None
        self._owner_settings.ask_for_mode()
        self._time_based_control.update_repair(spike_active=self.spike_state.active)
        await self.writer.async_save()
        if outcome is not None and not outcome.complete:
            if self.writer.rate_limited_until is not None:
                self._schedule_retry(self.writer.rate_limited_until)
            if action is not None:
                raise_for_write(outcome, self.writer)
        elif action is not None:
            raise_if_unsatisfied(
                action,
                writer=self.writer,
                now=now,
                blocked=self._blocked,
                writes_planned=bool(result.writes),
                build=self.last_build,
                spike_active=self.spike_state.active,
            )

    # --- the features -------------------------------------------------------------------------------

    def _normal_tariff(self, now: datetime) -> DayTariff:
        """What the Powerwall should follow outside a spike window, never nothing."""
        day = now.astimezone(self.time_zone).date()
        candidates: list[object] = []
        if self.state.auto_sync:
            candidates.append(self.state.amber_content)
        candidates.append(self._chosen.content())
        candidates.append(self.state.baseline.get(Setting.TARIFF))
        for content in candidates:
            decoded = self.writer.tariffs.day(content, day)
            if decoded is not None:
                return decoded
        # Nothing to lay the spike over: a flat day at the last known price (else the spike price alone),
        # so that no slot reads as free and the battery never charges from the grid for nothing.
        data = None if self._prices is None else self._prices.data
        general = None if data is None else data.current(ChannelType.GENERAL)
        spike = self.spike_state.spike
        buy = owner_price(general) if general is not None else (spike.peak_price / 1000 if spike else 0.0)
        return DayTariff.from_rates([max(buy, 0.0)] * 48, [0.0] * 48)

    def _claims(self, now: datetime) -> tuple[Claim, ...]:
        claims: list[Claim] = []
        spike_claim = self._spike.claim(now, lambda: self._normal_tariff(now))
        if spike_claim is not None:
            claims.append(spike_claim)
        command_claim = self._commands.claim(
            now, normal=lambda: self._normal_tariff(now), spike_active=self.spike_state.active
        )
        if command_claim is not None:
            claims.append(command_claim)
        curtailment_claim = self._curtailment.claim()
        if curtailment_claim is not None:
            claims.append(curtailment_claim)
        chosen = self._chosen.claim()
        if chosen is not None:
            claims.append(chosen)
        return tuple(claims)

    def _plan(self, claims: tuple[Claim, ...], now: datetime) -> Plan:
        held, known = self.writer.held()
        self._owner_settings.record_baseline(held, known, now)
        return plan(
            claims=claims,
            baseline=self.state.baseline,
            held=held,
            known=known,
            ours=frozenset(self.state.ours),
            verified_writes=self.state.verified_writes,
            yielded=frozenset(self.state.yielded),
            same=lambda setting, a, b: self.writer.same(setting, a, b, now),
        )

    def _choose_writes(
        self, result: Plan, now: datetime, trigger: PushTrigger
    ) -> list[tuple[Setting, Any, ClaimSource]]:
        """The plan's writes that may go out now (budget, push policy, rate limits, the owner's record)."""
        chosen: list[tuple[Setting, Any, ClaimSource]] = []
        self._blocked = False
        restore_ok = self._owner_settings.may_restore(now)
        amber_tariff = result.winners.get(Setting.TARIFF) is ClaimSource.AMBER
        planned = {setting for setting, _, _ in result.writes}
        for setting, value, source in result.writes:
            if source is ClaimSource.OWNER:
                if restore_ok:
                    chosen.append((setting, value, source))
                continue
            if setting not in self.state.baseline:
                # What the owner had is unknown (a partial reply): changing it could never be undone.
                LOGGER.info("Not changing %s until the Powerwall reports the owner's setting", setting.value)
                self._blocked = True
                continue
            if source is ClaimSource.AMBER and setting is Setting.TARIFF:
                if self._amber.may_push(now, trigger):
                    chosen.append((setting, value, source))
                continue
            # The cloud may still show the old value for a while: the same write is not repeated at once.
            window = REWRITE_AFTER if trigger is PushTrigger.SCHEDULE else DUPLICATE_WINDOW
            if self.writer.recently_sent(setting, value, now, window):
                continue
            chosen.append((setting, value, source))
        # The Powerwall holds the Amber tariff: re-assert it after a while, or when the owner forces a push.
        if amber_tariff and Setting.TARIFF not in planned and self._amber.may_reassert(now, trigger):
            chosen.append((Setting.TARIFF, self.state.amber_content, ClaimSource.AMBER))
        order = list(Setting)
        chosen.sort(key=lambda write: order.index(write[0]))
        return chosen

    def _record_outcome(
        self, writes: list[tuple[Setting, Any, ClaimSource]], outcome: WriteResult, now: datetime
    ) -> None:
        self._chosen.record_writes(writes, outcome)
        self._amber.record_writes(writes, outcome, now)
        if isinstance(outcome.error, AuthenticationError):
            self._entry.async_start_reauth(self.hass)
        self._owner_settings.record_restores(writes, outcome, now)
