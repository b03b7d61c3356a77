"""The spike state machine, transition by transition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
import math
from zoneinfo import ZoneInfo

import pytest

from custom_components.tesla_amber_sync.api.models import AemoPriceStatus, AemoRegionPrice
from custom_components.tesla_amber_sync.control.spike import (
    BLIND_LIMIT,
    DEFAULT_MIN_HOLD,
    LONG_AGO,
    ActiveSpike,
    SpikeAction,
    SpikeReason,
    SpikeSettings,
    SpikeSettingsError,
    SpikeSettingsField,
    SpikeState,
    SpikeStep,
    default_exit_threshold,
    end_spike,
    simulate,
    spike_settings_problem,
    step,
    usable_price,
)

NEM = timezone(timedelta(hours=10))
# The end of a dispatch interval; every observation below is published 30 s after its settlement time.
S0 = datetime(2026, 1, 15, 14, 0, tzinfo=NEM)
FIVE = timedelta(minutes=5)
LAG = timedelta(seconds=30)
SETTINGS = SpikeSettings()


def price(value: float, settled: datetime, status: AemoPriceStatus = AemoPriceStatus.FIRM) -> AemoRegionPrice:
    return AemoRegionPrice(region="NSW1", price=value, settlement_time=settled, price_status=status)


def observe(
    state: SpikeState,
    value: float | None,
    settled: datetime,
    *,
    now: datetime | None = None,
    settings: SpikeSettings = SETTINGS,
    enabled: bool = True,
) -> SpikeStep:
    return step(
        state,
        observation=None if value is None else price(value, settled),
        now=now or settled + LAG,
        settings=settings,
        enabled=enabled,
    )


def run(values: list[float], *, start: SpikeState | None = None) -> list[SpikeStep]:
    """Feed one price per 5-minute interval from S0, each seen 30 s after it settles."""
    state = start or SpikeState()
    steps: list[SpikeStep] = []
    for index, value in enumerate(values):
        result = observe(state, value, S0 + index * FIVE)
        steps.append(result)
        state = result.state
    return steps


def actions(steps: list[SpikeStep]) -> list[SpikeAction]:
    return [result.action for result in steps]


def entered() -> SpikeState:
    result = observe(SpikeState(), 500.0, S0)
    assert result.action is SpikeAction.ENTER
    return result.state


# --- settings -----------------------------------------------------------------------------------------


def test_default_settings_follow_the_issue() -> None:
    assert SETTINGS.threshold == 300.0
    assert SETTINGS.exit_price == pytest.approx(240.0)
    assert SETTINGS.min_hold == timedelta(minutes=10)
    assert default_exit_threshold(500.0) == pytest.approx(400.0)
    assert SpikeSettings(threshold=500.0).exit_price == pytest.approx(400.0)
    assert SpikeSettings(threshold=500.0, exit_threshold=100.0).exit_price == 100.0


@pytest.mark.parametrize(
    ("threshold", "exit_threshold", "min_hold", "field"),
    [
        (math.nan, None, DEFAULT_MIN_HOLD, SpikeSettingsField.THRESHOLD),
        (math.inf, None, DEFAULT_MIN_HOLD, SpikeSettingsField.THRESHOLD),
        (0.0, None, DEFAULT_MIN_HOLD, SpikeSettingsField.THRESHOLD),
        (-50.0, -60.0, DEFAULT_MIN_HOLD, SpikeSettingsField.THRESHOLD),
        (300.0, 300.01, DEFAULT_MIN_HOLD, SpikeSettingsField.EXIT_THRESHOLD),
        (300.0, math.nan, DEFAULT_MIN_HOLD, SpikeSettingsField.EXIT_THRESHOLD),
        (300.0, -math.inf, DEFAULT_MIN_HOLD, SpikeSettingsField.EXIT_THRESHOLD),
        (300.0, 240.0, timedelta(0), SpikeSettingsField.MIN_HOLD),
        (300.0, 240.0, timedelta(minutes=-1), SpikeSettingsField.MIN_HOLD),
    ],
)
def test_unusable_settings_name_their_field(
    threshold: float, exit_threshold: float | None, min_hold: timedelta, field: SpikeSettingsField
) -> None:
    assert (
        spike_settings_problem(threshold=threshold, exit_threshold=exit_threshold, min_hold=min_hold) is field
    )
    with pytest.raises(SpikeSettingsError) as caught:
        SpikeSettings(threshold=threshold, exit_threshold=exit_threshold, min_hold=min_hold)
    assert caught.value.field is field
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("exit_threshold", [None, 300.0, 0.0, -100.0])
def test_usable_settings(exit_threshold: float | None) -> None:
    assert (
        spike_settings_problem(threshold=300.0, exit_threshold=exit_threshold, min_hold=timedelta(seconds=1))
        is None
    )


# --- entering -----------------------------------------------------------------------------------------


def test_ordinary_prices_do_nothing() -> None:
    steps = run([50.0, 120.0, 299.99, -40.0])
    assert actions(steps) == [SpikeAction.NONE] * 4
    assert steps[-1].state == SpikeState()


def test_a_price_at_the_threshold_starts_a_spike() -> None:
    now = S0 + LAG
    result = observe(SpikeState(), 300.0, S0, now=now)
    assert result.action is SpikeAction.ENTER
    assert result.reason is SpikeReason.PRICE_ABOVE_THRESHOLD
    assert result.state.active
    assert result.state.spike == ActiveSpike(
        started_at=now.astimezone(UTC),
        region="NSW1",
        threshold=300.0,
        peak_price=300.0,
        last_price=300.0,
        last_above_exit_at=S0.astimezone(UTC),
        last_seen_at=S0.astimezone(UTC),
    )
    assert result.state.spike is not None
    assert not result.state.spike.simulated


def test_a_preliminary_price_starts_a_spike() -> None:
    result = step(
        SpikeState(),
        observation=price(900.0, S0, AemoPriceStatus.PRELIMINARY),
        now=S0 + LAG,
        settings=SETTINGS,
        enabled=True,
    )
    assert result.action is SpikeAction.ENTER


def test_a_price_of_unknown_status_is_no_data() -> None:
    # INVALID, CALCULATED or a missing PRICE_STATUS all parse to UNKNOWN.
    result = step(
        SpikeState(),
        observation=price(900.0, S0, AemoPriceStatus.UNKNOWN),
        now=S0 + LAG,
        settings=SETTINGS,
        enabled=True,
    )
    assert result == SpikeStep(state=SpikeState())


@pytest.mark.parametrize(
    ("age", "usable"),
    [
        (timedelta(0), True),
        (timedelta(minutes=15), True),
        (timedelta(minutes=15, seconds=1), False),
        (timedelta(hours=3), False),
        (-timedelta(minutes=5), True),
        (-timedelta(minutes=5, seconds=1), False),
    ],
)
def test_stale_and_future_prices_are_no_data(age: timedelta, *, usable: bool) -> None:
    observation = price(900.0, S0)
    assert (usable_price(observation, now=S0 + age) is observation) is usable
    result = observe(SpikeState(), 900.0, S0, now=S0 + age)
    assert (result.action is SpikeAction.ENTER) is usable


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_price_is_no_data(value: float) -> None:
    assert usable_price(price(value, S0), now=S0) is None
    assert observe(SpikeState(), value, S0).action is SpikeAction.NONE


def test_a_naive_settlement_time_is_no_data() -> None:
    assert usable_price(price(900.0, S0.replace(tzinfo=None)), now=S0) is None


def test_no_observation_while_idle_does_nothing() -> None:
    assert observe(SpikeState(), None, S0) == SpikeStep(state=SpikeState())


def test_disabled_detection_never_starts_a_spike() -> None:
    assert observe(SpikeState(), 10_000.0, S0, enabled=False) == SpikeStep(state=SpikeState())


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        step(SpikeState(), observation=None, now=datetime(2026, 1, 1), settings=SETTINGS, enabled=True)
    with pytest.raises(ValueError, match="aware"):
        usable_price(None, now=datetime(2026, 1, 1))


# --- during a spike -----------------------------------------------------------------------------------


def test_a_higher_peak_updates_the_spike_and_a_lower_price_does_not() -> None:
    steps = run([400.0, 900.0, 600.0, 900.0, 950.0])
    assert actions(steps) == [
        SpikeAction.ENTER,
        SpikeAction.UPDATE,
        SpikeAction.NONE,
        SpikeAction.NONE,
        SpikeAction.UPDATE,
    ]
    assert steps[1].reason is SpikeReason.PEAK_ROSE
    spike = steps[-1].state.spike
    assert spike is not None
    assert spike.peak_price == 950.0
    assert spike.last_above_exit_at == (S0 + 4 * FIVE).astimezone(UTC)


def test_a_price_between_the_thresholds_keeps_the_spike() -> None:
    steps = run([400.0] + [250.0] * 30)
    assert actions(steps) == [SpikeAction.ENTER] + [SpikeAction.NONE] * 30
    assert steps[-1].state.active


def test_one_interval_below_the_exit_threshold_does_not_end_the_spike() -> None:
    steps = run([400.0, 400.0, 400.0, 100.0, 400.0, 100.0, 400.0])
    assert SpikeAction.EXIT not in actions(steps)
    assert steps[-1].state.active


def test_the_spike_ends_after_the_hold_below_the_exit_threshold() -> None:
    steps = run([400.0, 400.0, 400.0, 100.0, 100.0, 100.0])
    assert actions(steps) == [
        SpikeAction.ENTER,
        SpikeAction.NONE,
        SpikeAction.NONE,
        SpikeAction.NONE,
        SpikeAction.EXIT,
        SpikeAction.NONE,
    ]
    assert steps[4].reason is SpikeReason.PRICE_FELL
    assert steps[4].state == SpikeState()


def test_negative_prices_end_a_spike_like_any_low_price() -> None:
    steps = run([400.0, 400.0, -1000.0, -1000.0])
    assert actions(steps)[-1] is SpikeAction.EXIT


def test_the_hold_also_runs_from_the_start_of_the_spike() -> None:
    # Entered late on an interval that settled 14 minutes earlier, so the settlement gap alone would
    # already allow an exit one minute after entering.
    started = S0 + timedelta(minutes=14)
    state = observe(SpikeState(), 500.0, S0, now=started).state
    early = observe(state, 100.0, S0 + 2 * FIVE, now=started + timedelta(minutes=1))
    assert early.action is SpikeAction.NONE
    # The same interval seen again once the spike is ten minutes old ends it.
    late = observe(early.state, 100.0, S0 + 2 * FIVE, now=started + timedelta(minutes=10))
    assert late.action is SpikeAction.EXIT


def test_the_same_settlement_seen_again_does_not_count_twice() -> None:
    state = entered()
    dip = S0 + FIVE
    for seconds in range(30, 15 * 60, 30):
        result = observe(state, 100.0, dip, now=dip + timedelta(seconds=seconds))
        assert result.action is SpikeAction.NONE
        state = result.state
    assert state.active


def test_an_older_interval_than_one_already_seen_is_ignored() -> None:
    state = run([400.0, 400.0, 400.0])[-1].state
    late = S0 + 3 * FIVE
    assert observe(state, 5000.0, S0 + FIVE, now=late).state == state
    assert observe(state, 10.0, S0, now=late).state == state


def test_a_revised_price_for_the_same_interval_can_raise_the_peak() -> None:
    state = entered()
    result = observe(state, 800.0, S0, now=S0 + 2 * LAG)
    assert result.action is SpikeAction.UPDATE
    assert result.state.spike is not None
    assert result.state.spike.peak_price == 800.0


def test_a_lower_exit_threshold_in_force_mid_spike_is_used() -> None:
    state = run([400.0, 200.0])[-1].state
    lower = SpikeSettings(threshold=300.0, exit_threshold=150.0)
    result = observe(state, 200.0, S0 + 2 * FIVE, settings=lower)
    assert result.action is SpikeAction.NONE
    assert result.state.spike is not None
    assert result.state.spike.last_above_exit_at == (S0 + 2 * FIVE).astimezone(UTC)


def test_stale_data_alone_never_ends_a_spike() -> None:
    state = entered()
    for minutes in range(1, 60):
        result = observe(state, 10.0, S0, now=S0 + timedelta(minutes=minutes))
        assert result.action is SpikeAction.NONE
        state = result.state
    assert state.active


def test_missing_data_ends_a_spike_only_after_the_blind_limit() -> None:
    state = entered()
    assert observe(state, None, S0, now=S0 + BLIND_LIMIT - timedelta(seconds=1)).state == state
    result = observe(state, None, S0, now=S0 + BLIND_LIMIT)
    assert result.action is SpikeAction.EXIT
    assert result.reason is SpikeReason.NO_DATA
    assert result.state == SpikeState()


def test_turning_detection_off_ends_the_spike() -> None:
    result = observe(entered(), 5000.0, S0 + FIVE, enabled=False)
    assert result.action is SpikeAction.EXIT
    assert result.reason is SpikeReason.DISABLED
    assert result.state == SpikeState()


def test_a_local_now_across_a_dst_change_measures_the_hold_in_real_time() -> None:
    sydney = ZoneInfo("Australia/Sydney")
    # 2026-04-05 03:00 daylight time becomes 02:00 standard time.
    entered_at = datetime(2026, 4, 5, 2, 55, tzinfo=sydney)  # 15:55 UTC
    settled = entered_at.astimezone(UTC) - LAG
    state = step(
        SpikeState(),
        observation=price(500.0, settled),
        now=entered_at,
        settings=SETTINGS,
        enabled=True,
    ).state
    # 02:05 standard time is 10 real minutes later, though its wall clock is 50 minutes earlier.
    later = datetime(2026, 4, 5, 2, 5, fold=1, tzinfo=sydney)
    assert later - entered_at.astimezone(UTC) == timedelta(minutes=10)
    result = step(
        state,
        observation=price(100.0, settled + timedelta(minutes=10)),
        now=later,
        settings=SETTINGS,
        enabled=True,
    )
    assert result.action is SpikeAction.EXIT


# --- restarts -----------------------------------------------------------------------------------------


def restarted(state: SpikeState) -> SpikeState:
    return SpikeState.from_dict(json.loads(json.dumps(state.as_dict())))


def test_a_restart_long_after_a_spike_ended_restores_at_once() -> None:
    state = restarted(run([400.0, 900.0])[-1].state)
    later = S0 + timedelta(hours=3)
    result = observe(state, 60.0, later)
    assert result.action is SpikeAction.EXIT
    assert result.reason is SpikeReason.PRICE_FELL


def test_a_restart_during_a_spike_keeps_it() -> None:
    state = restarted(run([400.0, 900.0])[-1].state)
    later = S0 + timedelta(hours=3)
    result = observe(state, 700.0, later)
    assert result.action is SpikeAction.NONE
    assert result.state.spike is not None
    assert result.state.spike.last_seen_at == later.astimezone(UTC)
    # The hold runs again from this sighting.
    assert observe(result.state, 60.0, later + FIVE).action is SpikeAction.NONE
    assert observe(result.state, 60.0, later + 2 * FIVE).action is SpikeAction.EXIT


def test_a_restart_shortly_after_with_no_data_yet_keeps_the_spike() -> None:
    state = restarted(entered())
    assert observe(state, None, S0, now=S0 + timedelta(minutes=2)).action is SpikeAction.NONE


# --- simulate and end ---------------------------------------------------------------------------------


def test_a_simulated_spike_runs_its_course_regardless_of_aemo() -> None:
    now = S0 + LAG
    started = simulate(
        SpikeState(), price=1500.0, duration=timedelta(minutes=20), now=now, settings=SETTINGS, region="SA1"
    )
    assert started.action is SpikeAction.ENTER
    assert started.reason is SpikeReason.SIMULATED
    spike = started.state.spike
    assert spike is not None
    assert spike.simulated
    assert spike.simulated_until == (now + timedelta(minutes=20)).astimezone(UTC)
    assert (spike.peak_price, spike.region, spike.threshold) == (1500.0, "SA1", 300.0)
    state = started.state
    for minutes in range(1, 20):
        # Low AEMO prices and detection turned off do not end it.
        result = observe(state, 10.0, S0 + timedelta(minutes=minutes), enabled=minutes % 2 == 0)
        assert result.action is SpikeAction.NONE
        state = result.state
    ended = observe(state, 10.0, S0 + timedelta(minutes=20))
    assert ended.action is SpikeAction.EXIT
    assert ended.reason is SpikeReason.SIMULATION_ENDED
    assert ended.state == SpikeState()


def test_simulating_during_a_real_spike_keeps_its_start() -> None:
    state = entered()
    result = simulate(state, price=2000.0, duration=FIVE, now=S0 + FIVE, settings=SETTINGS)
    assert result.action is SpikeAction.UPDATE
    assert result.state.spike is not None
    assert state.spike is not None
    assert result.state.spike.started_at == state.spike.started_at
    assert result.state.spike.region == "NSW1"
    assert result.state.spike.peak_price == 2000.0
    again = simulate(result.state, price=100.0, duration=FIVE, now=S0 + 2 * FIVE, settings=SETTINGS)
    assert again.action is SpikeAction.UPDATE
    assert again.state.spike is not None
    assert again.state.spike.simulated_until == (S0 + 3 * FIVE).astimezone(UTC)


@pytest.mark.parametrize(
    ("value", "duration"),
    [(math.nan, FIVE), (math.inf, FIVE), (500.0, timedelta(0)), (500.0, -FIVE)],
)
def test_an_impossible_simulation_is_refused(value: float, duration: timedelta) -> None:
    with pytest.raises(ValueError, match="simulated"):
        simulate(SpikeState(), price=value, duration=duration, now=S0, settings=SETTINGS)


def test_ending_a_spike_disarms_until_the_market_calms() -> None:
    ended = end_spike(entered())
    assert ended.action is SpikeAction.EXIT
    assert ended.reason is SpikeReason.ENDED_BY_OWNER
    assert ended.state == SpikeState(armed=False)
    state = ended.state
    # Still high (even between the thresholds): no new spike.
    for index, value in enumerate([5000.0, 250.0, 900.0], start=1):
        result = observe(state, value, S0 + index * FIVE)
        assert result.action is SpikeAction.NONE
        state = result.state
    calmed = observe(state, 100.0, S0 + 4 * FIVE)
    assert calmed.state == SpikeState()
    assert observe(calmed.state, 400.0, S0 + 5 * FIVE).action is SpikeAction.ENTER


def test_ending_without_a_spike_only_disarms() -> None:
    assert end_spike(SpikeState()) == SpikeStep(state=SpikeState(armed=False))


def test_ending_a_simulation_keeps_the_machine_disarmed_after_it() -> None:
    state = simulate(SpikeState(), price=900.0, duration=FIVE, now=S0, settings=SETTINGS).state
    assert end_spike(state).state == SpikeState(armed=False)
    disarmed_sim = simulate(SpikeState(armed=False), price=900.0, duration=FIVE, now=S0, settings=SETTINGS)
    over = step(disarmed_sim.state, observation=None, now=S0 + FIVE, settings=SETTINGS, enabled=True)
    assert over.action is SpikeAction.EXIT
    assert over.state == SpikeState(armed=False)


def test_turning_detection_off_leaves_a_disarmed_idle_machine_alone() -> None:
    state = SpikeState(armed=False)
    assert observe(state, 10.0, S0, enabled=False).state == state


# --- persistence --------------------------------------------------------------------------------------


def test_the_persisted_shape() -> None:
    state = simulate(
        SpikeState(), price=1234.5, duration=FIVE, now=S0, settings=SETTINGS, region="VIC1"
    ).state
    assert state.as_dict() == {
        "version": 1,
        "armed": True,
        "spike": {
            "started_at": "2026-01-15T04:00:00+00:00",
            "region": "VIC1",
            "threshold": 300.0,
            "peak_price": 1234.5,
            "last_price": 1234.5,
            "last_above_exit_at": "2026-01-15T04:00:00+00:00",
            "last_seen_at": "2026-01-15T04:00:00+00:00",
            "simulated_until": "2026-01-15T04:05:00+00:00",
        },
    }
    assert SpikeState().as_dict() == {"version": 1, "armed": True, "spike": None}


@pytest.mark.parametrize(
    "state", [SpikeState(), SpikeState(armed=False), run([400.0, 900.0, 100.0])[-1].state]
)
def test_states_survive_json(state: SpikeState) -> None:
    assert restarted(state) == state


@pytest.mark.parametrize("data", [None, [], "spike", 3, {}, {"spike": None}, {"spike": "on", "armed": 1}])
def test_anything_without_a_spike_reads_as_idle(data: object) -> None:
    assert SpikeState.from_dict(data) == SpikeState()


def test_a_damaged_spike_record_still_reads_as_a_spike_that_can_end() -> None:
    state = SpikeState.from_dict(
        {
            "armed": "yes",
            "spike": {
                "started_at": "not a time",
                "last_above_exit_at": "2026-01-15T14:00:00",  # naive
                "last_seen_at": "0001-01-01T00:00:00+10:00",  # before the first representable instant
                "peak_price": "high",
                "region": 7,
                "future_key": {"ignored": True},
            },
            "another": 1,
        }
    )
    assert state == SpikeState(
        spike=ActiveSpike(
            started_at=LONG_AGO,
            region=None,
            threshold=300.0,
            peak_price=300.0,
            last_price=300.0,
            last_above_exit_at=LONG_AGO,
            last_seen_at=LONG_AGO,
        )
    )
    assert observe(state, None, S0).action is SpikeAction.EXIT
    assert observe(state, 100.0, S0).action is SpikeAction.EXIT
    assert observe(state, 500.0, S0).action is SpikeAction.UPDATE


def test_stored_numbers_are_kept_and_booleans_are_not_numbers() -> None:
    state = SpikeState.from_dict(
        {"spike": {"threshold": 400, "peak_price": True, "last_price": 350.5, "started_at": S0.isoformat()}}
    )
    assert state.spike is not None
    assert (state.spike.threshold, state.spike.peak_price, state.spike.last_price) == (400.0, 400.0, 350.5)
    assert state.spike.started_at == S0
