"""When a built tariff is written: change, re-assertion, drift, rate limits and the minimum interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings, strategies as st

from custom_components.tesla_amber_sync.control.push_policy import (
    MIN_AUTOMATIC_INTERVAL,
    REASSERT_AFTER,
    PushDecision,
    PushHistory,
    PushTrigger,
    PushVerdict,
    decide_push,
    interval_start,
)

NOW = datetime(2026, 11, 21, 2, 10, tzinfo=UTC)
VERIFIED = PushHistory(
    verified_fingerprint="abc",
    verified_at=NOW - timedelta(minutes=30),
    last_automatic_attempt_at=NOW - timedelta(minutes=30),
)


def test_unchanged_and_on_the_powerwall_is_not_pushed() -> None:
    """Same rates, verified recently, still on the Powerwall: nothing to do."""
    decision = decide_push(fingerprint="abc", history=VERIFIED, now=NOW, trigger=PushTrigger.SCHEDULE)
    assert decision == PushDecision(verdict=PushVerdict.UNCHANGED)


def test_unchanged_but_gone_from_the_powerwall_is_pushed_again() -> None:
    """The owner (or a reset) replaced the tariff: write ours back without waiting two hours."""
    decision = decide_push(
        fingerprint="abc", history=VERIFIED, now=NOW, trigger=PushTrigger.SCHEDULE, powerwall_holds_it=False
    )
    assert decision.verdict is PushVerdict.PUSH


def test_changed_tariff_is_pushed() -> None:
    """New rates are written."""
    decision = decide_push(fingerprint="new", history=VERIFIED, now=NOW, trigger=PushTrigger.SCHEDULE)
    assert decision.verdict is PushVerdict.PUSH


def test_reasserted_after_two_hours() -> None:
    """An identical tariff is written again once the last verified push is two hours old."""
    history = PushHistory(
        verified_fingerprint="abc",
        verified_at=NOW - REASSERT_AFTER,
        last_automatic_attempt_at=NOW - REASSERT_AFTER,
    )
    assert decide_push(fingerprint="abc", history=history, now=NOW, trigger=PushTrigger.SCHEDULE).verdict is (
        PushVerdict.PUSH
    )


def test_minimum_interval_applies_to_scheduled_syncs_only() -> None:
    """One scheduled push per 5-minute price interval; the owner's requests are not held back."""
    history = PushHistory(last_automatic_attempt_at=NOW + timedelta(minutes=1))
    now = NOW + timedelta(minutes=3)
    scheduled = decide_push(fingerprint="x", history=history, now=now, trigger=PushTrigger.SCHEDULE)
    waiting = PushDecision(verdict=PushVerdict.WAIT_MIN_INTERVAL, retry_at=NOW + MIN_AUTOMATIC_INTERVAL)
    assert scheduled == waiting
    assert decide_push(fingerprint="x", history=history, now=now, trigger=PushTrigger.REQUEST).verdict is (
        PushVerdict.PUSH
    )


def test_a_new_interval_may_push_at_once_however_late_the_last_push_came() -> None:
    """A push at 20 s into an interval does not hold back the next interval's push at 18 s."""
    boundary = interval_start(NOW)
    history = PushHistory(last_automatic_attempt_at=boundary + timedelta(seconds=20))
    now = boundary + MIN_AUTOMATIC_INTERVAL + timedelta(seconds=18)
    decision = decide_push(fingerprint="x", history=history, now=now, trigger=PushTrigger.SCHEDULE)
    assert decision.verdict is PushVerdict.PUSH
    assert decide_push(fingerprint="x", history=history, now=NOW, trigger=PushTrigger.REQUEST).verdict is (
        PushVerdict.PUSH
    )


def test_forced_pushes_skip_the_change_check_but_not_the_rate_limit() -> None:
    """sync_tou_schedule writes an unchanged tariff, but never before Tesla's retry-after."""
    assert decide_push(fingerprint="abc", history=VERIFIED, now=NOW, trigger=PushTrigger.FORCE).verdict is (
        PushVerdict.PUSH
    )
    limited = PushHistory(rate_limited_until=NOW + timedelta(minutes=3))
    decision = decide_push(fingerprint="abc", history=limited, now=NOW, trigger=PushTrigger.FORCE)
    assert decision == PushDecision(verdict=PushVerdict.WAIT_RATE_LIMIT, retry_at=NOW + timedelta(minutes=3))


@settings(max_examples=200, deadline=None)
@given(
    minutes_since_push=st.integers(min_value=0, max_value=600),
    minutes_since_attempt=st.integers(min_value=0, max_value=600),
    same=st.booleans(),
    holds=st.booleans(),
    trigger=st.sampled_from(PushTrigger),
)
def test_scheduled_pushes_never_come_closer_than_the_minimum_interval(
    minutes_since_push: int, minutes_since_attempt: int, same: bool, holds: bool, trigger: PushTrigger
) -> None:
    """Whatever the history, a scheduled push is never allowed inside the minimum interval."""
    history = PushHistory(
        verified_fingerprint="abc",
        verified_at=NOW - timedelta(minutes=minutes_since_push),
        last_automatic_attempt_at=NOW - timedelta(minutes=minutes_since_attempt),
    )
    decision = decide_push(
        fingerprint="abc" if same else "new",
        history=history,
        now=NOW,
        trigger=trigger,
        powerwall_holds_it=holds,
    )
    same_interval = interval_start(NOW - timedelta(minutes=minutes_since_attempt)) == interval_start(NOW)
    if trigger is PushTrigger.SCHEDULE and same_interval:
        assert decision.verdict is not PushVerdict.PUSH
    if decision.verdict is PushVerdict.WAIT_MIN_INTERVAL:
        assert decision.retry_at is not None
        assert decision.retry_at > NOW
