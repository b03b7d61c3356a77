"""Spike response: the spike machine stepped on each new AEMO price (or an owner's command), and its claim.

While a spike lasts, the Powerwall is asked for time-based control and a tariff that prices the spike window
at the spike price over the normal tariff, so it exports rather than imports.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

from custom_components.tesla_amber_sync.api.models import AemoPriceStatus, OperationMode
from custom_components.tesla_amber_sync.const import LOGGER
from custom_components.tesla_amber_sync.control import spike as spike_machine
from custom_components.tesla_amber_sync.control.claims import Claim, ClaimSource, Setting
from custom_components.tesla_amber_sync.control.spike import SpikeAction, SpikeSettings, SpikeState, SpikeStep
from custom_components.tesla_amber_sync.options import TeslaSyncOptions
from custom_components.tesla_amber_sync.tariff import DayTariff, encode_tariff
from custom_components.tesla_amber_sync.tariff.spike import build_spike_tariff
from custom_components.tesla_amber_sync.writer import PowerwallWriter

from .tariff_codes import SPIKE_TARIFF_CODE, SPIKE_TARIFF_NAME, TARIFF_UTILITY

if TYPE_CHECKING:
    from custom_components.tesla_amber_sync.coordinator import AemoPriceCoordinator

# Where the spike machine's state is persisted (`PersistedState.overrides`).
SPIKE_KEY: Final = "spike"

type SpikeCommand = Callable[[SpikeState, datetime, SpikeSettings], SpikeStep]


class SpikeResponse:
    """Steps the spike machine, persists its state and claims the Powerwall while a spike lasts."""

    def __init__(
        self,
        *,
        writer: PowerwallWriter,
        aemo: AemoPriceCoordinator,
        options: Callable[[], TeslaSyncOptions],
    ) -> None:
        """Follow `aemo`'s prices with the owner's spike options (read afresh at each step)."""
        self._writer = writer
        self._aemo = aemo
        self._options = options
        self._last_aemo_seen: tuple[datetime, float, AemoPriceStatus] | None = None

    @property
    def state(self) -> SpikeState:
        """The spike machine's state (persisted)."""
        return SpikeState.from_dict(self._writer.state.overrides.get(SPIKE_KEY))

    def undo_to_current(self) -> Callable[[], None]:
        """An undo that puts the machine's persisted state back to what it is now."""
        overrides = self._writer.state.overrides
        before = overrides.get(SPIKE_KEY)

        def undo() -> None:
            overrides[SPIKE_KEY] = before

        return undo

    async def async_step(self, now: datetime, command: SpikeCommand | None) -> None:
        """Step on the owner's `command`, else on a new AEMO price (or time alone); persist any change."""
        state = self.state
        options = self._options()
        if command is not None:
            step = command(state, now, options.spike_settings)
        else:
            observation = self._aemo.data if self._aemo.last_update_success else None
            if observation is not None:
                # Each AEMO price is seen once; between new ones the machine steps on time alone (a
                # simulated spike's end, AEMO's silence), never again on an old price.
                seen = (observation.settlement_time, observation.price, observation.price_status)
                if seen == self._last_aemo_seen:
                    observation = None
                else:
                    self._last_aemo_seen = seen
            step = spike_machine.step(
                state,
                observation=observation,
                now=now,
                settings=options.spike_settings,
                enabled=options.spike_detection,
            )
        if step.action is SpikeAction.ENTER:
            LOGGER.info("Price spike: switching the Powerwall to time-based control (%s)", step.reason)
        elif step.action is SpikeAction.EXIT:
            LOGGER.info("Price spike over (%s): restoring the owner's settings", step.reason)
        if step.state != state:
            self._writer.state.record_override(
                SPIKE_KEY, ClaimSource.SPIKE, step.state.as_dict(), active=step.state.active
            )
            await self._writer.async_save()

    def claim(self, now: datetime, normal: Callable[[], DayTariff]) -> Claim | None:
        """Time-based control and the spike tariff laid over the `normal` one, while a spike lasts."""
        spike = self.state.spike
        if spike is None:
            return None
        tariff = build_spike_tariff(
            normal(),
            spike_price_per_mwh=spike.peak_price,
            now=now,
            time_zone=self._writer.time_zone,
        )
        content = encode_tariff(
            tariff, code=SPIKE_TARIFF_CODE, name=SPIKE_TARIFF_NAME, utility=TARIFF_UTILITY
        )
        return Claim(
            source=ClaimSource.SPIKE,
            values={Setting.OPERATION_MODE: OperationMode.AUTONOMOUS.value, Setting.TARIFF: content},
        )
