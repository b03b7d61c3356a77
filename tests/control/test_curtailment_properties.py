"""Properties of the curtailment machine that hold for any sequence of earnings and read-backs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.tesla_amber_sync.api.models import ExportRule
from custom_components.tesla_amber_sync.control.curtailment import (
    Curtailment,
    CurtailmentAction,
    CurtailmentReason,
    CurtailmentSettings,
    CurtailmentState,
    PendingRestore,
    step,
)

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
START = datetime(2026, 10, 3, 14, 0, tzinfo=UTC)
WRITABLE = [ExportRule.BATTERY_OK, ExportRule.PV_ONLY, ExportRule.NEVER]


def roundtrip(state: CurtailmentState) -> CurtailmentState:
    return CurtailmentState.from_dict(json.loads(json.dumps(state.as_dict())))


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passes, Amber may move to a later interval, and the Powerwall is read back."""

    wait_seconds: int
    intervals: int
    earning: float | None
    # "sticks": the read-back shows the last rule written; "lags": what it showed before; else this rule.
    read_back: str | ExportRule
    enabled: bool


ticks = st.builds(
    Tick,
    wait_seconds=st.integers(0, 400),
    intervals=st.sampled_from([0, 0, 1, 1, 2]),
    earning=st.one_of(
        st.none(),
        st.sampled_from([-20.0, -0.01, 0.0, 0.01, 0.5, 12.0]),
        st.floats(min_value=-50.0, max_value=50.0, allow_nan=False),
    ),
    read_back=st.sampled_from(["sticks"] * 6 + ["lags", *ExportRule]),
    enabled=st.sampled_from([True] * 9 + [False]),
)


@PROPERTY
@given(
    st.sampled_from([-2.0, 0.0, 1.5]),
    st.sampled_from(WRITABLE),
    st.integers(1, 30),
    st.lists(ticks, max_size=80),
)
def test_any_history_keeps_the_owners_rule_and_only_curtails_below_the_threshold(
    threshold: float, owners_rule: ExportRule, interval_minutes: int, history: list[Tick]
) -> None:
    options = CurtailmentSettings(threshold_c_per_kwh=threshold)
    length = timedelta(minutes=interval_minutes)
    state = CurtailmentState()
    now = START
    interval = START
    on_site = owners_rule
    previous_read = owners_rule
    # The intervals of the earnings seen since the last one at or below the threshold.
    run_above: list[datetime] = []
    for tick in history:
        now += timedelta(seconds=tick.wait_seconds)
        interval += tick.intervals * length
        if tick.read_back == "sticks":
            read = on_site
        elif tick.read_back == "lags":
            read = previous_read
        else:
            assert isinstance(tick.read_back, ExportRule)
            read = tick.read_back
            if read is not ExportRule.UNKNOWN:
                on_site = read
        previous_read = read
        before = state
        result = step(
            state,
            feed_in_earning_c_per_kwh=tick.earning,
            interval_start=interval,
            current_rule=read,
            now=now,
            settings=options,
            enabled=tick.enabled,
        )
        state = result.state
        if result.write is not None:
            on_site = result.write

        assert roundtrip(state) == state
        assert state.curtailment is None or state.restoring is None
        if state.curtailment is not None:
            assert state.curtailment.rule_to_restore is not ExportRule.UNKNOWN
        if tick.earning is not None and tick.earning <= threshold:
            run_above = []
        elif tick.earning is not None:
            run_above.append(interval)

        match result.action:
            case CurtailmentAction.CURTAIL:
                assert not before.active
                assert tick.enabled
                assert tick.earning is not None
                assert tick.earning <= threshold
                assert state.curtailment is not None
                captured = state.curtailment.rule_to_restore
                if before.restoring is not None:
                    # Never our own `never` read back while a restore is unconfirmed.
                    assert captured is before.restoring.rule
                else:
                    assert captured is read
                assert result.write is (
                    None if captured is ExportRule.NEVER and read is ExportRule.NEVER else ExportRule.NEVER
                )
            case CurtailmentAction.RESTORE:
                assert before.curtailment is not None
                assert not state.active
                captured = before.curtailment.rule_to_restore
                assert result.write is (None if captured is ExportRule.NEVER else captured)
                if tick.enabled:
                    assert result.reason is CurtailmentReason.FEED_IN_ABOVE_THRESHOLD
                    # A whole interval above: one that began above and ended, and a later one above now.
                    assert len(set(run_above)) >= 2
                    assert tick.earning is not None
                    assert tick.earning > threshold
            case CurtailmentAction.REASSERT:
                if before.curtailment is not None:
                    assert result.write is ExportRule.NEVER
                    assert read is not ExportRule.NEVER
                else:
                    assert before.restoring is not None
                    assert result.write is before.restoring.rule
            case CurtailmentAction.NONE:
                assert result.write is None
                assert state.active is before.active


@PROPERTY
@given(
    st.lists(st.lists(st.floats(min_value=-5.0, max_value=5.0), min_size=1, max_size=6), max_size=40),
    st.sampled_from([5, 30]),
)
def test_an_earning_that_dips_in_every_interval_never_ends_curtailment(
    intervals: list[list[float]], minutes: int
) -> None:
    state = step(
        CurtailmentState(),
        feed_in_earning_c_per_kwh=-1.0,
        interval_start=START,
        current_rule=ExportRule.BATTERY_OK,
        now=START,
        settings=CurtailmentSettings(),
        enabled=True,
    ).state
    for number, earnings in enumerate(intervals, start=1):
        interval = START + number * timedelta(minutes=minutes)
        # Each interval has at least one earning at or below the threshold, somewhere in it.
        for index, earning in enumerate([*earnings, -0.1]):
            result = step(
                state,
                feed_in_earning_c_per_kwh=earning,
                interval_start=interval,
                current_rule=ExportRule.NEVER,
                now=interval + timedelta(seconds=index),
                settings=CurtailmentSettings(),
                enabled=True,
            )
            assert result.action is CurtailmentAction.NONE
            state = result.state
    assert state.active


utc_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
optional_times = st.one_of(st.none(), utc_times)
curtailments = st.builds(
    Curtailment,
    rule_to_restore=st.sampled_from(WRITABLE),
    since=utc_times,
    last_feed_in=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    last_interval_start=optional_times,
    clean_interval_start=optional_times,
    last_write_at=optional_times,
    write_attempts=st.integers(0, 1000),
    verified=st.booleans(),
)
restores = st.builds(
    PendingRestore, rule=st.sampled_from(WRITABLE), written_at=utc_times, write_attempts=st.integers(1, 10)
)


@PROPERTY
@given(
    st.one_of(
        st.builds(CurtailmentState, curtailment=curtailments),
        st.builds(CurtailmentState, restoring=restores),
        st.just(CurtailmentState()),
    )
)
def test_every_state_survives_json(state: CurtailmentState) -> None:
    assert roundtrip(state) == state


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=20,
)
record_values = st.one_of(json_values, utc_times.map(datetime.isoformat), st.sampled_from(list(ExportRule)))
record_keys = st.sampled_from(
    [
        "rule_to_restore",
        "since",
        "last_feed_in",
        "last_interval_start",
        "clean_interval_start",
        "last_write_at",
        "write_attempts",
        "verified",
        "rule",
        "written_at",
        "other",
    ]
)


@PROPERTY
@given(json_values, st.dictionaries(record_keys, record_values, max_size=11))
def test_reading_any_stored_value_never_raises(data: object, record: dict[str, object]) -> None:
    for candidate in (data, {"curtailment": record}, {"restoring": record, "curtailment": data}):
        state = CurtailmentState.from_dict(candidate)
        assert roundtrip(state) == state
