"""Properties of the spike machine that hold for any sequence of prices, commands and restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from custom_components.tesla_amber_sync.api.models import AemoPriceStatus, AemoRegionPrice
from custom_components.tesla_amber_sync.control.spike import (
    ActiveSpike,
    SpikeAction,
    SpikeReason,
    SpikeSettings,
    SpikeState,
    end_spike,
    simulate,
    step,
)

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
START = datetime(2026, 4, 4, 14, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)

spike_settings = st.builds(
    lambda threshold, fraction, hold: SpikeSettings(
        threshold=threshold, exit_threshold=threshold * fraction, min_hold=timedelta(minutes=hold)
    ),
    st.sampled_from([100.0, 300.0, 1000.0]),
    st.sampled_from([0.5, 0.8, 1.0]),
    st.integers(1, 30),
)
market_prices = st.one_of(
    st.sampled_from([-1000.0, -50.0, 0.0, 80.0, 240.0, 299.99, 300.0, 300.01, 5000.0, 16_600.0]),
    st.floats(min_value=-1000.0, max_value=20_000.0, allow_nan=False),
)


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passes, then something happens."""

    wait_seconds: int
    kind: str
    price: float
    status: AemoPriceStatus
    # How many intervals the market moved on (0: AEMO still serves the same one).
    intervals: int
    enabled: bool


ticks = st.builds(
    Tick,
    wait_seconds=st.integers(0, 420),
    kind=st.sampled_from(["price"] * 8 + ["none", "simulate", "end", "restart"]),
    price=market_prices,
    status=st.sampled_from(
        [AemoPriceStatus.FIRM] * 4 + [AemoPriceStatus.PRELIMINARY, AemoPriceStatus.UNKNOWN]
    ),
    intervals=st.sampled_from([0, 1, 1, 1, 2, 5]),
    enabled=st.sampled_from([True] * 9 + [False]),
)


def roundtrip(state: SpikeState) -> SpikeState:
    return SpikeState.from_dict(json.loads(json.dumps(state.as_dict())))


@PROPERTY
@given(spike_settings, st.lists(ticks, max_size=60))
def test_any_history_alternates_enter_and_exit_and_respects_the_hold(
    spike_settings: SpikeSettings, history: list[Tick]
) -> None:
    state = SpikeState()
    now = START
    settled = START
    for tick in history:
        now += timedelta(seconds=tick.wait_seconds)
        settled = max(settled, now - timedelta(minutes=20))
        settled = min(settled + tick.intervals * FIVE, now)
        before = state
        observation: AemoRegionPrice | None = None
        if tick.kind == "simulate":
            result = simulate(
                state, price=tick.price, duration=timedelta(minutes=15), now=now, settings=spike_settings
            )
        elif tick.kind == "end":
            result = end_spike(state)
        elif tick.kind == "restart":
            # A restart changes nothing: the persisted state is the state.
            assert roundtrip(state) == state
            continue
        else:
            if tick.kind == "price":
                observation = AemoRegionPrice(
                    region="SA1", price=tick.price, settlement_time=settled, price_status=tick.status
                )
            result = step(
                state, observation=observation, now=now, settings=spike_settings, enabled=tick.enabled
            )
        state = result.state

        assert roundtrip(state) == state
        match result.action:
            case SpikeAction.ENTER:
                assert not before.active
                assert state.active
                if result.reason is SpikeReason.PRICE_ABOVE_THRESHOLD:
                    assert before.armed
                    assert observation is not None
                    assert observation.price >= spike_settings.threshold
            case SpikeAction.EXIT:
                assert before.active
                assert not state.active
                assert before.spike is not None
                if result.reason is SpikeReason.PRICE_FELL:
                    assert now - before.spike.started_at >= spike_settings.min_hold
                    assert observation is not None
                    assert observation.price < spike_settings.exit_price
                    assert observation.settlement_time - before.spike.last_above_exit_at >= (
                        spike_settings.min_hold
                    )
            case SpikeAction.UPDATE:
                assert before.active
                assert state.active
            case SpikeAction.NONE:
                assert state.active is before.active
                if state.spike is not None and before.spike is not None:
                    assert state.spike.started_at == before.spike.started_at
                    assert state.spike.peak_price == before.spike.peak_price


@PROPERTY
@given(
    spike_settings,
    st.floats(min_value=0.01, max_value=0.99),
    st.lists(st.booleans(), min_size=1, max_size=80),
    st.integers(0, 240),
)
def test_a_price_wobbling_around_the_threshold_starts_one_spike_and_keeps_it(
    spike_settings: SpikeSettings, depth: float, above: list[bool], lag_seconds: int
) -> None:
    # Every price stays at or above the exit threshold: inside the hysteresis band or over the top.
    band = spike_settings.threshold - spike_settings.exit_price
    assume(band > 0)
    low = spike_settings.threshold - depth * band
    state = SpikeState()
    seen: list[SpikeAction] = []
    for index, is_above in enumerate(above):
        settled = START + index * FIVE
        result = step(
            state,
            observation=AemoRegionPrice(
                region="QLD1",
                price=spike_settings.threshold + 1.0 if is_above else low,
                settlement_time=settled,
                price_status=AemoPriceStatus.FIRM,
            ),
            now=settled + timedelta(seconds=lag_seconds),
            settings=spike_settings,
            enabled=True,
        )
        seen.append(result.action)
        state = result.state
    assert SpikeAction.EXIT not in seen
    if any(above):
        assert seen.count(SpikeAction.ENTER) == 1
        assert seen.index(SpikeAction.ENTER) == above.index(True)
        assert state.active
    else:
        assert set(seen) == {SpikeAction.NONE}


@PROPERTY
@given(spike_settings, st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=40))
def test_one_interval_below_never_ends_a_spike_when_the_hold_is_longer(
    spike_settings: SpikeSettings, pattern: list[int]
) -> None:
    # 0: a low price for one interval, always followed by a high one; 1, 2: high prices.
    state = step(
        SpikeState(),
        observation=AemoRegionPrice(
            region="VIC1",
            price=spike_settings.threshold,
            settlement_time=START,
            price_status=AemoPriceStatus.FIRM,
        ),
        now=START,
        settings=spike_settings,
        enabled=True,
    ).state
    prices: list[float] = []
    for kind in pattern:
        prices += [spike_settings.exit_price - 1.0, spike_settings.threshold] if kind == 0 else [1e4]
    for index, value in enumerate(prices, start=1):
        settled = START + index * FIVE
        result = step(
            state,
            observation=AemoRegionPrice(
                region="VIC1", price=value, settlement_time=settled, price_status=AemoPriceStatus.FIRM
            ),
            now=settled,
            settings=spike_settings,
            enabled=True,
        )
        if spike_settings.min_hold > FIVE or value >= spike_settings.exit_price:
            assert result.action is not SpikeAction.EXIT
        state = result.state
        if not state.active:
            break


utc_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
finite = st.floats(allow_nan=False, allow_infinity=False)
active_spikes = st.builds(
    ActiveSpike,
    started_at=utc_times,
    region=st.one_of(st.none(), st.sampled_from(["NSW1", "QLD1", "SA1", "TAS1", "VIC1"])),
    threshold=finite,
    peak_price=finite,
    last_price=finite,
    last_above_exit_at=utc_times,
    last_seen_at=utc_times,
    simulated_until=st.one_of(st.none(), utc_times),
)


@PROPERTY
@given(st.builds(SpikeState, spike=st.one_of(st.none(), active_spikes), armed=st.booleans()))
def test_every_state_survives_json(state: SpikeState) -> None:
    assert roundtrip(state) == state


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=20,
)
spike_keys = st.sampled_from(
    [
        "started_at",
        "region",
        "threshold",
        "peak_price",
        "last_price",
        "last_above_exit_at",
        "last_seen_at",
        "simulated_until",
        "other",
    ]
)


@PROPERTY
@given(
    json_values,
    st.dictionaries(spike_keys, st.one_of(json_values, utc_times.map(datetime.isoformat)), max_size=9),
)
def test_reading_any_stored_value_never_raises(data: object, spike: dict[str, object]) -> None:
    for candidate in (data, {"spike": spike, "armed": data}):
        state = SpikeState.from_dict(candidate)
        assert roundtrip(state) == state
