"""The curtailment machine, transition by transition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import math

import pytest

from custom_components.tesla_amber_sync.api.models import ExportRule
from custom_components.tesla_amber_sync.control.curtailment import (
    LONG_AGO,
    MAX_RESTORE_WRITES,
    REWRITE_AFTER,
    Curtailment,
    CurtailmentAction,
    CurtailmentReason,
    CurtailmentSettings,
    CurtailmentState,
    CurtailmentStep,
    PendingRestore,
    curtailment_settings_problem,
    step,
)

NEVER = ExportRule.NEVER
BATTERY_OK = ExportRule.BATTERY_OK
PV_ONLY = ExportRule.PV_ONLY
UNKNOWN = ExportRule.UNKNOWN
START = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)
THIRTY = timedelta(minutes=30)
SETTINGS = CurtailmentSettings()


def feed(
    state: CurtailmentState,
    earning: float | None,
    interval: datetime | None,
    *,
    rule: ExportRule,
    now: datetime | None = None,
    settings: CurtailmentSettings = SETTINGS,
    enabled: bool = True,
) -> CurtailmentStep:
    return step(
        state,
        feed_in_earning_c_per_kwh=earning,
        interval_start=interval,
        current_rule=rule,
        now=now or (interval or START) + timedelta(seconds=20),
        settings=settings,
        enabled=enabled,
    )


def curtailed(rule: ExportRule = BATTERY_OK) -> CurtailmentState:
    """Curtailed in the interval starting at START, with `never` confirmed by a read-back."""
    state = feed(CurtailmentState(), -2.0, START, rule=rule).state
    return feed(state, -2.0, START, rule=NEVER, now=START + timedelta(minutes=1)).state


def run(
    state: CurtailmentState, earnings: list[tuple[int, float]], *, length: timedelta = FIVE
) -> list[CurtailmentStep]:
    """Feed (interval number from START, earning) pairs, the Powerwall showing `never` throughout."""
    steps: list[CurtailmentStep] = []
    for number, earning in earnings:
        interval = START + number * length
        result = feed(state, earning, interval, rule=NEVER, now=interval + timedelta(minutes=1))
        steps.append(result)
        state = result.state
    return steps


# --- settings -----------------------------------------------------------------------------------------


def test_settings() -> None:
    assert SETTINGS.threshold_c_per_kwh == 0.0
    assert CurtailmentSettings(threshold_c_per_kwh=-5.0).threshold_c_per_kwh == -5.0
    assert curtailment_settings_problem(threshold_c_per_kwh=2.5) is None
    for bad in (math.nan, math.inf, -math.inf):
        assert curtailment_settings_problem(threshold_c_per_kwh=bad) == "threshold_c_per_kwh"
        with pytest.raises(ValueError, match="threshold"):
            CurtailmentSettings(threshold_c_per_kwh=bad)


# --- starting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("earning", [0.01, 15.0, None, math.nan, math.inf])
def test_earning_above_the_threshold_or_unknown_does_nothing(earning: float | None) -> None:
    assert feed(CurtailmentState(), earning, START, rule=BATTERY_OK) == CurtailmentStep(
        state=CurtailmentState()
    )


@pytest.mark.parametrize("rule", [BATTERY_OK, PV_ONLY])
@pytest.mark.parametrize("earning", [0.0, -0.01, -30.0])
def test_earning_at_or_below_the_threshold_curtails_at_once(earning: float, rule: ExportRule) -> None:
    now = START + timedelta(seconds=20)
    result = feed(CurtailmentState(), earning, START, rule=rule, now=now)
    assert result.action is CurtailmentAction.CURTAIL
    assert result.write is NEVER
    assert result.reason is CurtailmentReason.FEED_IN_AT_OR_BELOW_THRESHOLD
    assert result.state.active
    assert result.state.curtailment == Curtailment(
        rule_to_restore=rule,
        since=now,
        last_feed_in=earning,
        last_interval_start=START,
        last_write_at=now,
        write_attempts=1,
    )


def test_the_threshold_is_the_owners() -> None:
    settings = CurtailmentSettings(threshold_c_per_kwh=3.0)
    assert feed(CurtailmentState(), 3.0, START, rule=BATTERY_OK, settings=settings).action is (
        CurtailmentAction.CURTAIL
    )
    assert feed(CurtailmentState(), 3.01, START, rule=BATTERY_OK, settings=settings).action is (
        CurtailmentAction.NONE
    )


def test_an_owner_who_already_has_never_is_not_fought() -> None:
    result = feed(CurtailmentState(), -5.0, START, rule=NEVER)
    assert result.action is CurtailmentAction.CURTAIL
    assert result.write is None
    curtailment = result.state.curtailment
    assert curtailment is not None
    assert curtailment.rule_to_restore is NEVER
    assert curtailment.verified
    assert curtailment.write_attempts == 0
    ended = run(result.state, [(1, 5.0), (2, 5.0)])[-1]
    assert ended.action is CurtailmentAction.RESTORE
    assert ended.write is None
    assert ended.state == CurtailmentState()


def test_an_unknown_rule_is_not_overwritten() -> None:
    result = feed(CurtailmentState(), -5.0, START, rule=UNKNOWN)
    assert result == CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.UNKNOWN_RULE)


def test_nothing_happens_when_turned_off() -> None:
    assert feed(CurtailmentState(), -50.0, START, rule=BATTERY_OK, enabled=False) == CurtailmentStep(
        state=CurtailmentState()
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="now"):
        feed(CurtailmentState(), 1.0, START, rule=BATTERY_OK, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="interval_start"):
        feed(CurtailmentState(), 1.0, datetime(2026, 1, 1), rule=BATTERY_OK, now=START)


# --- ending -------------------------------------------------------------------------------------------


def test_restores_after_a_whole_five_minute_interval_above() -> None:
    steps = run(curtailed(), [(0, -1.0), (1, 4.0), (1, 4.0), (2, 4.0)])
    assert [result.action for result in steps] == [
        CurtailmentAction.NONE,
        CurtailmentAction.NONE,
        CurtailmentAction.NONE,
        CurtailmentAction.RESTORE,
    ]
    restore = steps[-1]
    assert restore.write is BATTERY_OK
    assert restore.reason is CurtailmentReason.FEED_IN_ABOVE_THRESHOLD
    assert not restore.state.active
    assert restore.state.restoring == PendingRestore(
        rule=BATTERY_OK, written_at=START + 2 * FIVE + timedelta(minutes=1)
    )


def test_restores_the_captured_rule_not_a_fixed_one() -> None:
    steps = run(curtailed(PV_ONLY), [(1, 4.0), (2, 4.0)])
    assert steps[-1].action is CurtailmentAction.RESTORE
    assert steps[-1].write is PV_ONLY


def test_an_interval_that_was_at_or_below_at_any_moment_does_not_count() -> None:
    # Interval 0 rose above part-way: interval 1 is the first clean one, so the restore waits for 2.
    steps = run(curtailed(), [(0, 3.0), (0, 3.0), (1, 3.0), (2, 3.0)])
    assert [result.action for result in steps][-2:] == [CurtailmentAction.NONE, CurtailmentAction.RESTORE]
    assert CurtailmentAction.RESTORE not in [result.action for result in steps[:-1]]


def test_a_dip_in_a_clean_interval_starts_the_count_again() -> None:
    steps = run(
        curtailed(),
        [(1, 3.0), (1, 3.0), (1, -0.5), (1, 3.0), (2, 3.0), (2, 3.0), (3, 3.0)],
        length=THIRTY,
    )
    actions = [result.action for result in steps]
    assert actions[:-1] == [CurtailmentAction.NONE] * 6
    assert actions[-1] is CurtailmentAction.RESTORE
    # With 30-minute billing the earning was above for all of interval 2: 30 minutes.


def test_missed_intervals_do_not_count() -> None:
    steps = run(curtailed(), [(4, 3.0), (9, 3.0)])
    assert [result.action for result in steps] == [CurtailmentAction.NONE, CurtailmentAction.RESTORE]


def test_an_earning_wobbling_around_the_threshold_keeps_curtailing() -> None:
    earnings = [(number, 0.2 if number % 2 else -0.2) for number in range(1, 40)]
    earnings += [(number, 0.2 if index % 2 else -0.2) for index, number in enumerate([40] * 6)]
    assert {result.action for result in run(curtailed(), earnings)} == {CurtailmentAction.NONE}


def test_an_earning_without_an_interval_never_ends_curtailment() -> None:
    state = curtailed()
    for minutes in range(1, 120, 5):
        result = feed(state, 10.0, None, rule=NEVER, now=START + timedelta(minutes=minutes))
        assert result.action is CurtailmentAction.NONE
        state = result.state
    assert state.active


def test_an_earning_without_an_interval_can_still_curtail() -> None:
    result = feed(CurtailmentState(), -1.0, None, rule=BATTERY_OK)
    assert result.action is CurtailmentAction.CURTAIL
    # The first known interval cannot be known clean; the one after it can.
    steps = run(result.state, [(1, 2.0), (2, 2.0), (3, 2.0)])
    assert [s.action for s in steps] == [
        CurtailmentAction.NONE,
        CurtailmentAction.NONE,
        CurtailmentAction.RESTORE,
    ]


def test_unknown_earnings_keep_the_count() -> None:
    state = run(curtailed(), [(1, 2.0)])[-1].state
    state = feed(state, None, START + FIVE, rule=NEVER).state
    assert run(state, [(2, 2.0)])[-1].action is CurtailmentAction.RESTORE


def test_turning_the_option_off_restores() -> None:
    result = feed(curtailed(PV_ONLY), -10.0, START + FIVE, rule=NEVER, enabled=False)
    assert result.action is CurtailmentAction.RESTORE
    assert result.write is PV_ONLY
    assert result.reason is CurtailmentReason.DISABLED


# --- verifying `never` --------------------------------------------------------------------------------


def test_a_write_that_did_not_stick_is_reasserted_after_a_while() -> None:
    curtail = feed(CurtailmentState(), -2.0, START, rule=BATTERY_OK, now=START)
    # The cloud may still show the old rule just after the write.
    soon = feed(curtail.state, -2.0, START, rule=BATTERY_OK, now=START + REWRITE_AFTER - timedelta(seconds=1))
    assert soon == CurtailmentStep(state=curtail.state)
    later = feed(soon.state, -2.0, START, rule=BATTERY_OK, now=START + REWRITE_AFTER)
    assert later.action is CurtailmentAction.REASSERT
    assert later.write is NEVER
    assert later.reason is CurtailmentReason.NOT_VERIFIED
    curtailment = later.state.curtailment
    assert curtailment is not None
    assert curtailment.write_attempts == 2
    assert curtailment.rule_to_restore is BATTERY_OK
    assert not curtailment.verified
    confirmed = feed(later.state, -2.0, START, rule=NEVER, now=START + 2 * REWRITE_AFTER)
    assert confirmed.action is CurtailmentAction.NONE
    assert confirmed.state.curtailment is not None
    assert confirmed.state.curtailment.verified


def test_an_unreadable_rule_while_curtailing_is_reasserted() -> None:
    state = feed(CurtailmentState(), -2.0, START, rule=BATTERY_OK, now=START).state
    result = feed(state, -2.0, START, rule=UNKNOWN, now=START + REWRITE_AFTER)
    assert result.action is CurtailmentAction.REASSERT
    assert result.state.curtailment is not None
    assert result.state.curtailment.rule_to_restore is BATTERY_OK


def test_a_rule_chosen_during_curtailment_is_the_one_given_back() -> None:
    state = curtailed(BATTERY_OK)
    changed = feed(state, -2.0, START + FIVE, rule=PV_ONLY)
    assert changed.action is CurtailmentAction.REASSERT
    assert changed.write is NEVER
    assert changed.state.curtailment is not None
    assert changed.state.curtailment.rule_to_restore is PV_ONLY
    restored = run(changed.state, [(2, 1.0), (3, 1.0)])[-1]
    assert restored.write is PV_ONLY


def test_an_owner_who_changes_away_from_their_own_never_gets_their_change_back() -> None:
    state = feed(CurtailmentState(), -2.0, START, rule=NEVER).state
    changed = feed(state, -2.0, START, rule=BATTERY_OK)
    assert changed.action is CurtailmentAction.REASSERT
    assert changed.state.curtailment is not None
    assert changed.state.curtailment.rule_to_restore is BATTERY_OK


# --- verifying the restore ----------------------------------------------------------------------------


def restoring(rule: ExportRule = BATTERY_OK) -> tuple[CurtailmentState, datetime]:
    result = feed(curtailed(rule), -1.0, START + FIVE, rule=NEVER, enabled=False)
    assert result.state.restoring is not None
    return result.state, result.state.restoring.written_at


def test_a_restore_seen_in_the_read_back_is_done() -> None:
    state, written = restoring()
    result = feed(state, 5.0, START + FIVE, rule=BATTERY_OK, now=written + timedelta(seconds=30))
    assert result == CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.RESTORE_VERIFIED)


def test_a_restore_that_did_not_stick_is_written_again_a_few_times() -> None:
    state, written = restoring(PV_ONLY)
    assert feed(state, 5.0, None, rule=NEVER, now=written + timedelta(seconds=30)).state == state
    now = written
    for attempt in range(2, MAX_RESTORE_WRITES + 1):
        now += REWRITE_AFTER
        result = feed(state, 5.0, None, rule=NEVER, now=now)
        assert result.action is CurtailmentAction.REASSERT
        assert result.write is PV_ONLY
        assert result.state.restoring == PendingRestore(rule=PV_ONLY, written_at=now, write_attempts=attempt)
        state = result.state
    given_up = feed(state, 5.0, None, rule=NEVER, now=now + REWRITE_AFTER)
    assert given_up == CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.RESTORE_UNVERIFIED)


def test_an_unreadable_rule_while_restoring_is_not_taken_for_a_choice() -> None:
    state, written = restoring()
    result = feed(state, 5.0, None, rule=UNKNOWN, now=written + REWRITE_AFTER)
    assert result.action is CurtailmentAction.REASSERT


def test_a_rule_someone_else_set_while_restoring_stands() -> None:
    state, written = restoring(BATTERY_OK)
    result = feed(state, 5.0, None, rule=PV_ONLY, now=written + timedelta(seconds=10))
    assert result == CurtailmentStep(state=CurtailmentState(), reason=CurtailmentReason.CHANGED_BY_OWNER)


def test_the_restore_is_verified_even_with_the_option_off() -> None:
    state, written = restoring()
    result = feed(state, -5.0, None, rule=NEVER, now=written + REWRITE_AFTER, enabled=False)
    assert result.action is CurtailmentAction.REASSERT


def test_curtailing_again_while_restoring_captures_the_rule_being_restored() -> None:
    state, written = restoring(PV_ONLY)
    # The read-back still shows our own `never`: it is not the owner's rule.
    result = feed(state, -1.0, START + 2 * FIVE, rule=NEVER, now=written + timedelta(seconds=30))
    assert result.action is CurtailmentAction.CURTAIL
    assert result.write is NEVER
    assert result.state.curtailment is not None
    assert result.state.curtailment.rule_to_restore is PV_ONLY
    assert result.state.restoring is None


# --- persistence --------------------------------------------------------------------------------------


def restarted(state: CurtailmentState) -> CurtailmentState:
    return CurtailmentState.from_dict(json.loads(json.dumps(state.as_dict())))


def test_the_persisted_shape() -> None:
    state = run(curtailed(PV_ONLY), [(1, 2.0)])[-1].state
    assert state.as_dict() == {
        "version": 1,
        "curtailment": {
            "rule_to_restore": "pv_only",
            "since": "2026-01-15T02:00:20+00:00",
            "last_feed_in": 2.0,
            "last_interval_start": "2026-01-15T02:05:00+00:00",
            "clean_interval_start": "2026-01-15T02:05:00+00:00",
            "last_write_at": "2026-01-15T02:00:20+00:00",
            "write_attempts": 1,
            "verified": True,
        },
        "restoring": None,
    }
    pending, _ = restoring()
    assert pending.as_dict() == {
        "version": 1,
        "curtailment": None,
        "restoring": {"rule": "battery_ok", "written_at": "2026-01-15T02:05:20+00:00", "write_attempts": 1},
    }
    assert CurtailmentState().as_dict() == {"version": 1, "curtailment": None, "restoring": None}


def test_states_survive_json_and_a_restart_carries_on() -> None:
    state = run(curtailed(), [(1, 2.0)])[-1].state
    assert restarted(state) == state
    assert run(restarted(state), [(2, 2.0)])[-1].action is CurtailmentAction.RESTORE
    pending, _ = restoring()
    assert restarted(pending) == pending


@pytest.mark.parametrize(
    "data",
    [None, [], "x", {}, {"curtailment": None}, {"restoring": {"rule": "sometimes"}}, {"restoring": 4}],
)
def test_anything_without_a_record_reads_as_idle(data: object) -> None:
    assert CurtailmentState.from_dict(data) == CurtailmentState()


def test_a_damaged_curtailment_record_still_reads_as_curtailing() -> None:
    state = CurtailmentState.from_dict(
        {
            "curtailment": {
                "rule_to_restore": "unknown",
                "since": "2026-01-15T13:00:00",  # naive
                "last_feed_in": "low",
                "last_interval_start": "0001-01-01T00:00:00+10:00",
                "write_attempts": -3,
                "verified": "yes",
                "new_key": 1,
            }
        }
    )
    assert state == CurtailmentState(
        curtailment=Curtailment(rule_to_restore=BATTERY_OK, since=LONG_AGO, write_attempts=0)
    )
    result = feed(state, 1.0, START, rule=NEVER, enabled=False)
    assert result.write is BATTERY_OK


def test_a_damaged_restore_record_is_kept_when_its_rule_is_readable() -> None:
    state = CurtailmentState.from_dict({"restoring": {"rule": "pv_only", "write_attempts": True}})
    assert state == CurtailmentState(restoring=PendingRestore(rule=PV_ONLY, written_at=LONG_AGO))
