"""The facts the sync status is derived from (`control.status.derive_status`), and whose tariff is held.

Nothing here sets a status: each fact is read from the upstreams, the Powerwall's last read-back and the
features' records at the moment an entity asks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from .api.models import OperationMode
from .control.claims import ClaimSource, Setting
from .control.status import BuildOutcome, SyncFacts, SyncStatus, derive_status
from .features.amber_sync import AmberSync
from .features.chosen_tariff import ChosenTariff
from .features.commands import BatteryCommands
from .features.spike import SpikeResponse
from .features.tariff_codes import (
    AMBER_TARIFF_CODE,
    COMMAND_TARIFF_CODE,
    SCHEDULE_TARIFF_CODE,
    SPIKE_TARIFF_CODE,
)
from .writer import PowerwallWriter

if TYPE_CHECKING:
    from .coordinator import AmberPricesCoordinator

# Whose tariff a code written by Tesla Sync marks.
_SOURCE_OF_CODE: Final[dict[object, ClaimSource]] = {
    SPIKE_TARIFF_CODE: ClaimSource.SPIKE,
    COMMAND_TARIFF_CODE: ClaimSource.COMMAND,
    SCHEDULE_TARIFF_CODE: ClaimSource.SCHEDULE,
    AMBER_TARIFF_CODE: ClaimSource.AMBER,
}


class SyncStatusFacts:
    """Reads the facts of one entry's sync status, and who put the tariff the Powerwall holds there."""

    def __init__(
        self,
        *,
        writer: PowerwallWriter,
        prices: AmberPricesCoordinator | None,
        amber: AmberSync,
        chosen: ChosenTariff,
        spike: SpikeResponse,
        commands: BatteryCommands,
    ) -> None:
        """Read the facts from the writer core, Amber's `prices` (None without Amber) and the features."""
        self._writer = writer
        self._prices = prices
        self._amber = amber
        self._chosen = chosen
        self._spike = spike
        self._commands = commands

    def status(self, now: datetime) -> SyncStatus:
        """The sync status, derived from the facts as they are at `now`."""
        return derive_status(self.facts(now))

    def facts(self, now: datetime) -> SyncFacts:
        """The facts as they are at `now`."""
        prices = self._prices
        writer = self._writer
        data = None if prices is None else prices.data
        build = self._amber.last_build
        held = writer.site_info
        amber = writer.state.amber_content
        chosen = self._chosen.content()
        return SyncFacts(
            auto_sync=writer.state.auto_sync,
            override_active=self._spike.state.active or self._commands.command is not None,
            amber_available=prices is not None and prices.last_update_success and data is not None,
            teslemetry_available=writer.readable,
            amber_age=None if data is None else max(now - data.fetched_at, timedelta(0)),
            interval=timedelta(minutes=data.site.interval_length if data else 30),
            build=None
            if build is None
            else BuildOutcome.COMPLETE
            if build.tariff is not None
            else BuildOutcome.INCOMPLETE,
            last_write=self._amber.last_write if prices is not None else self._chosen.last_write,
            rate_limited=writer.rate_limited(now),
            powerwall_holds_amber=amber is not None
            and (
                writer.same(Setting.TARIFF, amber, held.tariff_content_v2, now)
                or not self._amber.material(now)
            ),
            time_based_control=held.operation_mode is OperationMode.AUTONOMOUS,
            has_amber=prices is not None,
            tariff_chosen=chosen is not None,
            powerwall_holds_chosen=chosen is not None
            and writer.same(Setting.TARIFF, chosen, held.tariff_content_v2, now),
        )

    def tariff_source(self, now: datetime) -> ClaimSource:
        """Who put the tariff the Powerwall holds there: Amber, a spike, or the owner."""
        writer = self._writer
        content = writer.site_info.tariff_content_v2
        if isinstance(content, dict):
            source = _SOURCE_OF_CODE.get(content.get("code"))
            if source is not None:
                return source
        amber = writer.state.amber_content
        if amber is not None and writer.same(Setting.TARIFF, amber, content, now):
            return ClaimSource.AMBER
        chosen = writer.state.chosen_profile
        profile = None if chosen is None else self._chosen.profile_content(chosen)
        if profile is not None and writer.same(Setting.TARIFF, profile, content, now):
            return ClaimSource.PROFILE
        return ClaimSource.OWNER
