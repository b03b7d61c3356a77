"""The AEMO price-spike state machine: when to take over the Powerwall for a spike, and when to give it back.

The machine only decides. The controller captures the baseline and pushes the spike tariff on `ENTER`,
refreshes the tariff on `UPDATE`, restores the baseline on `EXIT`, and persists `SpikeState` (JSON via
`as_dict`/`from_dict`) before it acts, so a restart resumes the same spike.

Hysteresis, all in market time (AEMO settlement times, the end of each 5-minute dispatch interval):
- a spike starts on the first usable price at or above `threshold`;
- it ends on a usable price below `exit_threshold` once no price at or above `exit_threshold` has been
  seen for `min_hold` (the gap between the last such settlement time and this one), and at least
  `min_hold` has passed since the spike started. One dip of one interval never ends a spike, and a price
  wobbling around `threshold` starts exactly one.

A price is usable when it is FIRM or PRELIMINARY (a spike is worth acting on before AEMO confirms it, and
a preliminary price is rarely revised), finite, at most `STALE_AFTER` old and not from the future. Any
other observation is no data: it never starts a spike and never ends one, because missing data is no
evidence that the market calmed. Only after `BLIND_LIMIT` without a usable price does an AEMO spike end,
handing the Powerwall back to the Amber sync, whose own prices carry any spike anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from custom_components.tesla_amber_sync.api.models import AemoPriceStatus, AemoRegionPrice

DEFAULT_THRESHOLD: Final = 300.0
DEFAULT_EXIT_FRACTION: Final = 0.8
DEFAULT_MIN_HOLD: Final = timedelta(minutes=10)
# AEMO publishes every 5 minutes; three missed intervals mean the feed is not telling the present.
STALE_AFTER: Final = timedelta(minutes=15)
# Settlement times mark the end of an interval, so a later one than this means a wrong clock somewhere;
# trusting it would freeze the hold arithmetic until the real clock caught up.
FUTURE_TOLERANCE: Final = timedelta(minutes=5)
# An AEMO spike with no usable price for this long ends (see the module docstring).
BLIND_LIMIT: Final = timedelta(hours=1)
# Stands in for a persisted time that is missing or unreadable: the oldest possible, so that every
# hold counts as served and a damaged record ends its spike rather than keeping it forever.
LONG_AGO: Final = datetime.min.replace(tzinfo=UTC)
STATE_VERSION: Final = 1


class SpikeAction(StrEnum):
    """What the controller should do after a step."""

    NONE = "none"
    # Capture the baseline, switch to time-based control, push the spike tariff.
    ENTER = "enter"
    # Still in the same spike, but the spike price (the peak) changed: rebuild and push the spike tariff.
    UPDATE = "update"
    # Restore the baseline (or hand the tariff back to the Amber sync), verify, forget the baseline.
    EXIT = "exit"


class SpikeReason(StrEnum):
    """Why a step entered, updated or ended a spike (for logs and diagnostics)."""

    PRICE_ABOVE_THRESHOLD = "price_above_threshold"
    PEAK_ROSE = "peak_rose"
    SIMULATED = "simulated"
    PRICE_FELL = "price_fell"
    SIMULATION_ENDED = "simulation_ended"
    ENDED_BY_OWNER = "ended_by_owner"
    DISABLED = "disabled"
    NO_DATA = "no_data"


class SpikeSettingsField(StrEnum):
    """The option a settings problem is about (it names the translated error)."""

    THRESHOLD = "threshold"
    EXIT_THRESHOLD = "exit_threshold"
    MIN_HOLD = "min_hold"


class SpikeSettingsError(ValueError):
    """Spike settings that cannot work; `field` says which option is wrong."""

    def __init__(self, field: SpikeSettingsField) -> None:
        """Keep the field for a translated error."""
        super().__init__(f"invalid spike setting: {field}")
        self.field = field


def default_exit_threshold(threshold: float) -> float:
    """Return the exit threshold used when the owner sets none: 80 % of the threshold."""
    return threshold * DEFAULT_EXIT_FRACTION


def spike_settings_problem(
    *, threshold: float, exit_threshold: float | None, min_hold: timedelta
) -> SpikeSettingsField | None:
    """Return the first option that makes these settings unusable, or None when they are fine.

    The threshold must be a finite, positive $/MWh (a spike is a price above normal, and a threshold at
    or below zero would call every ordinary interval a spike); the exit threshold, when given, finite and
    not above the threshold (otherwise a spike could end at a price that starts it again); the hold
    positive.
    """
    if not math.isfinite(threshold) or threshold <= 0:
        return SpikeSettingsField.THRESHOLD
    if exit_threshold is not None and (not math.isfinite(exit_threshold) or exit_threshold > threshold):
        return SpikeSettingsField.EXIT_THRESHOLD
    if min_hold <= timedelta(0):
        return SpikeSettingsField.MIN_HOLD
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class SpikeSettings:
    """The owner's spike options. Prices are AEMO $/MWh ex-GST.

    `exit_threshold` None means 80 % of `threshold`; `exit_price` is the value in force. Construction
    raises `SpikeSettingsError` for unusable values (see `spike_settings_problem`).
    """

    threshold: float = DEFAULT_THRESHOLD
    exit_threshold: float | None = None
    min_hold: timedelta = DEFAULT_MIN_HOLD

    def __post_init__(self) -> None:
        """Refuse settings that cannot work rather than run a machine that flaps or never ends."""
        problem = spike_settings_problem(
            threshold=self.threshold, exit_threshold=self.exit_threshold, min_hold=self.min_hold
        )
        if problem is not None:
            raise SpikeSettingsError(problem)

    @property
    def exit_price(self) -> float:
        """Return the price a spike must stay below to end ($/MWh)."""
        if self.exit_threshold is None:
            return default_exit_threshold(self.threshold)
        return self.exit_threshold


@dataclass(frozen=True, kw_only=True, slots=True)
class ActiveSpike:
    """A spike in progress.

    `started_at` is when the machine entered (the `now` of that step); `threshold` the threshold then in
    force (an entity attribute); `peak_price` the highest usable price seen ($/MWh), which prices the spike
    tariff; `last_price` the latest usable one. `last_above_exit_at` is the settlement time of the latest
    price at or above the exit threshold and `last_seen_at` that of the latest usable price (for a
    simulated spike both are its start). `simulated_until` is set for a spike started by `simulate`: it
    ignores AEMO and ends at that time.
    """

    started_at: datetime
    region: str | None
    threshold: float
    peak_price: float
    last_price: float
    last_above_exit_at: datetime
    last_seen_at: datetime
    simulated_until: datetime | None = None

    @property
    def simulated(self) -> bool:
        """Return whether this spike was started by `simulate` rather than by AEMO."""
        return self.simulated_until is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class SpikeState:
    """The machine's whole memory: the spike in progress (None when idle), and whether it may start one.

    `armed` is False after the owner ended a spike with `end_spike`: no AEMO spike starts again until a
    usable price below the exit threshold shows the market calmed (otherwise the next minute's price
    would start the spike the owner just ended).
    """

    spike: ActiveSpike | None = None
    armed: bool = True

    @property
    def active(self) -> bool:
        """Return whether a spike (real or simulated) is in progress."""
        return self.spike is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form persisted in the Store (see `from_dict`)."""
        spike = self.spike
        return {
            "version": STATE_VERSION,
            "armed": self.armed,
            "spike": None
            if spike is None
            else {
                "started_at": spike.started_at.isoformat(),
                "region": spike.region,
                "threshold": spike.threshold,
                "peak_price": spike.peak_price,
                "last_price": spike.last_price,
                "last_above_exit_at": spike.last_above_exit_at.isoformat(),
                "last_seen_at": spike.last_seen_at.isoformat(),
                "simulated_until": None
                if spike.simulated_until is None
                else spike.simulated_until.isoformat(),
            },
        }

    @classmethod
    def from_dict(cls, data: object) -> SpikeState:
        """Parse a stored state leniently: unknown keys are ignored, and nothing here raises.

        Anything but a mapping is the idle state. A `spike` mapping is always an active spike, since the
        Powerwall may be holding the spike tariff: a missing or unreadable time reads as `LONG_AGO` (so
        the first step can end the spike), a missing price as the threshold, and a missing threshold as
        the default.
        """
        if not isinstance(data, dict):
            return cls()
        armed = data.get("armed", True)
        raw = data.get("spike")
        if not isinstance(raw, dict):
            return cls(armed=armed if isinstance(armed, bool) else True)
        threshold = _number(raw.get("threshold"), DEFAULT_THRESHOLD)
        peak_price = _number(raw.get("peak_price"), threshold)
        started_at = _time(raw.get("started_at")) or LONG_AGO
        region = raw.get("region")
        return cls(
            armed=armed if isinstance(armed, bool) else True,
            spike=ActiveSpike(
                started_at=started_at,
                region=region if isinstance(region, str) else None,
                threshold=threshold,
                peak_price=peak_price,
                last_price=_number(raw.get("last_price"), peak_price),
                last_above_exit_at=_time(raw.get("last_above_exit_at")) or LONG_AGO,
                last_seen_at=_time(raw.get("last_seen_at")) or LONG_AGO,
                simulated_until=_time(raw.get("simulated_until")),
            ),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SpikeStep:
    """The outcome of one step: the new state (persist it when it differs), the action, and why."""

    state: SpikeState
    action: SpikeAction = SpikeAction.NONE
    reason: SpikeReason | None = None


def _number(value: object, fallback: float) -> float:
    # bool is an int; a stored true is no price.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return fallback


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # We only ever store aware times; a naive one cannot be compared and is as good as none.
        return parsed.astimezone(UTC) if parsed.utcoffset() is not None else None
    except ValueError, OverflowError:
        return None


def _utc(now: datetime) -> datetime:
    """Return `now` in UTC, refusing a naive time.

    Python subtracts two times sharing a DST zone by their wall clocks, so every time the machine keeps
    or compares is UTC.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def usable_price(observation: AemoRegionPrice | None, *, now: datetime) -> AemoRegionPrice | None:
    """Return `observation` when the machine may act on it, else None (see the module docstring)."""
    now = _utc(now)
    if observation is None:
        return None
    if observation.price_status not in {AemoPriceStatus.FIRM, AemoPriceStatus.PRELIMINARY}:
        return None
    if not math.isfinite(observation.price) or observation.settlement_time.utcoffset() is None:
        return None
    age = now - observation.settlement_time.astimezone(UTC)
    if age > STALE_AFTER or age < -FUTURE_TOLERANCE:
        return None
    return observation


def step(
    state: SpikeState,
    *,
    observation: AemoRegionPrice | None,
    now: datetime,
    settings: SpikeSettings,
    enabled: bool,
) -> SpikeStep:
    """Advance the machine with the latest AEMO price of the site's region (None when the read failed).

    Call it on every AEMO refresh, and at start-up with the first price read: a persisted spike resumes,
    and one whose price fell while Home Assistant was down ends at once (the gap counts towards the hold,
    because nothing in it was seen at or above the exit threshold). Seeing the same settlement time twice
    adds nothing, as the hold is measured between settlement times. `enabled` is the spike-detection
    option: turned off, it ends an AEMO spike (`EXIT`, reason `DISABLED`). A simulated spike ignores
    both AEMO and `enabled`, and ends at its `simulated_until`.
    """
    now = _utc(now)
    spike = state.spike
    if spike is not None and spike.simulated_until is not None:
        if now >= spike.simulated_until:
            return SpikeStep(
                state=SpikeState(armed=state.armed),
                action=SpikeAction.EXIT,
                reason=SpikeReason.SIMULATION_ENDED,
            )
        return SpikeStep(state=state)
    if not enabled:
        if spike is not None:
            return SpikeStep(state=SpikeState(), action=SpikeAction.EXIT, reason=SpikeReason.DISABLED)
        return SpikeStep(state=state)

    price = usable_price(observation, now=now)
    if spike is None:
        return _step_idle(state, price, now=now, settings=settings)
    if price is None:
        if now - spike.last_seen_at >= BLIND_LIMIT:
            return SpikeStep(state=SpikeState(), action=SpikeAction.EXIT, reason=SpikeReason.NO_DATA)
        return SpikeStep(state=state)
    return _step_active(state, spike, price, now=now, settings=settings)


def _step_idle(
    state: SpikeState, price: AemoRegionPrice | None, *, now: datetime, settings: SpikeSettings
) -> SpikeStep:
    if price is None:
        return SpikeStep(state=state)
    if not state.armed:
        if price.price < settings.exit_price:
            return SpikeStep(state=replace(state, armed=True))
        return SpikeStep(state=state)
    if price.price < settings.threshold:
        return SpikeStep(state=state)
    spike = ActiveSpike(
        started_at=now,
        region=price.region,
        threshold=settings.threshold,
        peak_price=price.price,
        last_price=price.price,
        last_above_exit_at=price.settlement_time.astimezone(UTC),
        last_seen_at=price.settlement_time.astimezone(UTC),
    )
    return SpikeStep(
        state=SpikeState(spike=spike),
        action=SpikeAction.ENTER,
        reason=SpikeReason.PRICE_ABOVE_THRESHOLD,
    )


def _step_active(
    state: SpikeState, spike: ActiveSpike, price: AemoRegionPrice, *, now: datetime, settings: SpikeSettings
) -> SpikeStep:
    settled = price.settlement_time.astimezone(UTC)
    if settled < spike.last_seen_at:
        # An older interval than one already seen (a lagging cache): it tells nothing about now.
        return SpikeStep(state=state)
    if price.price >= settings.exit_price:
        updated = replace(
            spike,
            peak_price=max(spike.peak_price, price.price),
            last_price=price.price,
            last_above_exit_at=max(spike.last_above_exit_at, settled),
            last_seen_at=settled,
        )
        if price.price > spike.peak_price:
            return SpikeStep(
                state=replace(state, spike=updated), action=SpikeAction.UPDATE, reason=SpikeReason.PEAK_ROSE
            )
        return SpikeStep(state=replace(state, spike=updated))
    calm_for = settled - spike.last_above_exit_at
    if calm_for >= settings.min_hold and now - spike.started_at >= settings.min_hold:
        return SpikeStep(state=SpikeState(), action=SpikeAction.EXIT, reason=SpikeReason.PRICE_FELL)
    updated = replace(spike, last_price=price.price, last_seen_at=settled)
    return SpikeStep(state=replace(state, spike=updated))


def simulate(
    state: SpikeState,
    *,
    price: float,
    duration: timedelta,
    now: datetime,
    settings: SpikeSettings,
    region: str | None = None,
) -> SpikeStep:
    """Start a simulated spike at `price` $/MWh for `duration` (the `simulate_spike` service).

    Idle: `ENTER`, exactly as for a real spike. During a spike (real or simulated): the spike becomes a
    simulated one with the new price and end time, keeping its start (the baseline is already captured),
    and the action is `UPDATE`. Raises `ValueError` for a non-finite price or a duration that is not
    positive.
    """
    now = _utc(now)
    if not math.isfinite(price):
        raise ValueError(f"the simulated price is not a finite number: {price!r}")
    if duration <= timedelta(0):
        raise ValueError(f"the simulated spike needs a positive duration, got {duration}")
    current = state.spike
    spike = ActiveSpike(
        started_at=now if current is None else current.started_at,
        region=region if current is None or region is not None else current.region,
        threshold=settings.threshold,
        peak_price=price,
        last_price=price,
        last_above_exit_at=now,
        last_seen_at=now,
        simulated_until=now + duration,
    )
    return SpikeStep(
        state=replace(state, spike=spike),
        action=SpikeAction.ENTER if current is None else SpikeAction.UPDATE,
        reason=SpikeReason.SIMULATED,
    )


def end_spike(state: SpikeState) -> SpikeStep:
    """End any spike now (the `end_spike` service): `EXIT` when one is active, else nothing.

    The machine is disarmed either way, so a market still above the threshold does not start the spike
    again at the next price; it re-arms on the first usable price below the exit threshold.
    """
    disarmed = SpikeState(armed=False)
    if state.spike is None:
        return SpikeStep(state=disarmed)
    return SpikeStep(state=disarmed, action=SpikeAction.EXIT, reason=SpikeReason.ENDED_BY_OWNER)
