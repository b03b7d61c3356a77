"""Export curtailment: the curtailment machine stepped on each feed-in price, and its claim.

While the owner would pay to export, the Powerwall is asked never to export. With Amber the price is Amber's
feed-in price (intervals missed while Home Assistant or Amber was down are replayed from Amber's history
first); without Amber it is the sell rate of the tariff the owner chose, else of their own tariff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from custom_components.tesla_amber_sync.api.models import ChannelType, ExportRule, IntervalType
from custom_components.tesla_amber_sync.const import LOGGER
from custom_components.tesla_amber_sync.control import curtailment as curtailment_machine
from custom_components.tesla_amber_sync.control.claims import Claim, ClaimSource, Setting
from custom_components.tesla_amber_sync.control.curtailment import (
    CurtailmentAction,
    CurtailmentSettings,
    CurtailmentState,
    CurtailmentStep,
)
from custom_components.tesla_amber_sync.options import TeslaSyncOptions
from custom_components.tesla_amber_sync.tariff.prices import CENTS_PER_DOLLAR, owner_price
from custom_components.tesla_amber_sync.tariff.rates_now import rates_at
from custom_components.tesla_amber_sync.writer import PowerwallWriter

if TYPE_CHECKING:
    from custom_components.tesla_amber_sync.coordinator import AmberPricesCoordinator

# Where the curtailment machine's state is persisted (`PersistedState.overrides`).
CURTAILMENT_KEY: Final = "curtailment"


class ExportCurtailment:
    """Steps the curtailment machine, persists its state and claims the export rule while it curtails."""

    def __init__(
        self,
        *,
        writer: PowerwallWriter,
        prices: AmberPricesCoordinator | None,
        options: Callable[[], TeslaSyncOptions],
        chosen_content: Callable[[], dict[str, Any] | None],
    ) -> None:
        """Follow Amber's feed-in price (`prices`), or without Amber the sell rate of `chosen_content`."""
        self._writer = writer
        self._prices = prices
        self._options = options
        self._chosen_content = chosen_content

    @property
    def state(self) -> CurtailmentState:
        """The curtailment machine's state (persisted)."""
        return CurtailmentState.from_dict(self._writer.state.overrides.get(CURTAILMENT_KEY))

    async def async_step(self, now: datetime) -> None:
        """Step on the feed-in price now (after any intervals missed meanwhile); persist any change."""
        prices = self._prices
        data = prices.data if prices is not None and prices.last_update_success else None
        feed_in = None if data is None else data.current(ChannelType.FEED_IN)
        state = self.state
        options = self._options()
        settings = CurtailmentSettings(threshold_c_per_kwh=options.curtailment_threshold)
        current_rule = self._writer.site_info.export_rule

        def step(
            before: CurtailmentState, earning: float | None, interval_start: datetime | None
        ) -> CurtailmentStep:
            return curtailment_machine.step(
                before,
                feed_in_earning_c_per_kwh=earning,
                interval_start=interval_start,
                current_rule=current_rule,
                now=now,
                settings=settings,
                enabled=options.solar_curtailment,
            )

        # Intervals settled since the machine last saw one (Home Assistant was down, or Amber was) are
        # replayed from Amber's history first, so a curtailment that ended meanwhile ends at start-up.
        seen_up_to = state.curtailment.last_interval_start if state.curtailment is not None else None
        if data is not None and feed_in is not None and seen_up_to is not None:
            missed = sorted(
                (
                    interval
                    for interval in data.intervals
                    if interval.channel_type is ChannelType.FEED_IN
                    and interval.type is IntervalType.ACTUAL
                    and seen_up_to < interval.start_time < feed_in.start_time
                ),
                key=lambda interval: interval.start_time,
            )
            for interval in missed:
                state = step(state, owner_price(interval) * CENTS_PER_DOLLAR, interval.start_time).state
        earning, interval_start = (
            self._chosen_feed_in(now)
            if prices is None
            else (
                None if feed_in is None else owner_price(feed_in) * CENTS_PER_DOLLAR,
                None if feed_in is None else feed_in.start_time,
            )
        )
        latest = step(state, earning, interval_start)
        if latest.action is not CurtailmentAction.NONE:
            LOGGER.info("Export curtailment: %s (%s)", latest.action.value, latest.reason)
        if latest.state != self.state:
            self._writer.state.record_override(
                CURTAILMENT_KEY, ClaimSource.CURTAILMENT, latest.state.as_dict(), active=latest.state.active
            )
            await self._writer.async_save()

    def _chosen_feed_in(self, now: datetime) -> tuple[float | None, datetime | None]:
        """Without Amber, what the owner earns per exported kWh now (c/kWh) and the half-hour it is for: the
        sell rate of the tariff they chose, else of their own tariff."""
        content = self._chosen_content() or self._writer.state.baseline.get(Setting.TARIFF)
        rates = rates_at(content, now.astimezone(self._writer.time_zone))
        return (None, None) if rates is None else (rates.sell * CENTS_PER_DOLLAR, rates.starts_at)

    def claim(self) -> Claim | None:
        """Never export, while curtailing."""
        if not self.state.active:
            return None
        return Claim(source=ClaimSource.CURTAILMENT, values={Setting.EXPORT_RULE: ExportRule.NEVER.value})
