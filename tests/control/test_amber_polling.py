"""The Amber polling schedule: aligned first polls, follow-ups until confirmed, learning, budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings, strategies as st

from custom_components.tesla_amber_sync.api.models import RateLimitInfo
from custom_components.tesla_amber_sync.control.amber_polling import (
    BLOCK,
    CUT_OFF,
    DEFAULT_FIRST_POLL,
    FOLLOW_UP_EVERY,
    GIVE_UP_AFTER_MISSES,
    MAX_FIRST_POLL,
    MAX_POLLS_PER_BLOCK,
    MIN_FIRST_POLL,
    POLLS_WHEN_NOT_CONFIRMING,
    PollState,
    block_start,
    expects_confirmation,
    first_poll_offset,
    next_poll,
    observe_error,
    observe_reply,
)

BOUNDARY = datetime(2026, 11, 21, 2, 10, tzinfo=UTC)


def run_block(
    state: PollState, boundary: datetime, delay: float | None, interval_length: int = 5
) -> tuple[PollState, list[datetime]]:
    """Poll one block as the coordinator would; Amber confirms `delay` s after the boundary (None: never)."""
    now = next_poll(state, boundary - timedelta(seconds=1)).at
    polls: list[datetime] = []
    while now < boundary + BLOCK:
        polls.append(now)
        confirmed = delay is not None and now >= boundary + timedelta(seconds=delay)
        state = observe_reply(state, now, confirmed=confirmed, interval_length=interval_length)
        plan = next_poll(state, now)
        if not plan.follow_up:
            break
        now = plan.at
    return state, polls


def test_first_poll_is_aligned_after_the_boundary_and_follow_ups_chase_the_confirmation() -> None:
    """15 s after the boundary, then every 5 s until the confirmed price; then the next boundary."""
    state, polls = run_block(PollState(), BOUNDARY, delay=22)
    assert [p - BOUNDARY for p in polls] == [timedelta(seconds=s) for s in (15, 20, 25)]
    assert state.confirmed
    assert state.delays == (22.5,)
    plan = next_poll(state, polls[-1])
    assert plan.at == BOUNDARY + BLOCK + DEFAULT_FIRST_POLL
    assert not plan.follow_up
    assert not plan.awaiting_confirmation(polls[-1])


def test_a_confirmation_that_never_comes_stops_at_the_cut_off_then_is_not_chased() -> None:
    """Unconfirmed blocks are chased to the cut-off; after two such blocks, two polls per block."""
    state = PollState()
    counts = []
    for index in range(4):
        state, polls = run_block(state, BOUNDARY + BLOCK * index, delay=None)
        assert all(p - (BOUNDARY + BLOCK * index) <= CUT_OFF for p in polls)
        counts.append(len(polls))
    assert counts[0] <= MAX_POLLS_PER_BLOCK
    assert counts[-1] == POLLS_WHEN_NOT_CONFIRMING
    # A confirmation seen again brings the chase back.
    state, polls = run_block(state, BOUNDARY + BLOCK * 4, delay=10)
    assert state.misses == 0
    state, polls = run_block(state, BOUNDARY + BLOCK * 5, delay=30)
    assert len(polls) > POLLS_WHEN_NOT_CONFIRMING


def test_errors_back_off_within_the_block() -> None:
    """A failed follow-up is retried after 10 s, then 20 s, never past the cut-off."""
    state = observe_reply(PollState(), BOUNDARY + timedelta(seconds=15), confirmed=False, interval_length=5)
    at = BOUNDARY + timedelta(seconds=20)
    state = observe_error(state, at, interval_length=5)
    assert next_poll(state, at).at == at + FOLLOW_UP_EVERY * 2
    at += FOLLOW_UP_EVERY * 2
    state = observe_error(state, at, interval_length=5)
    assert next_poll(state, at).at == at + FOLLOW_UP_EVERY * 4
    late = BOUNDARY + CUT_OFF - timedelta(seconds=5)
    state = observe_error(state, late, interval_length=5)
    assert next_poll(state, late).at == BOUNDARY + BLOCK + DEFAULT_FIRST_POLL


def test_an_outage_at_the_boundary_is_retried_in_the_block_and_the_next_one() -> None:
    """Errors from the first poll on: retries back off, and the next boundary is polled as usual."""
    state = PollState()
    at = BOUNDARY + DEFAULT_FIRST_POLL
    tries = []
    while at < BOUNDARY + BLOCK:
        tries.append(at)
        state = observe_error(state, at, interval_length=5)
        plan = next_poll(state, at)
        at = plan.at
    assert len(tries) <= 4
    assert at == BOUNDARY + BLOCK + DEFAULT_FIRST_POLL


def test_low_rate_limit_skips_follow_ups_and_waits_for_the_reset() -> None:
    """With the reserve reached, no follow-up, and nothing before the window resets."""
    state = observe_reply(PollState(), BOUNDARY + timedelta(seconds=15), confirmed=False, interval_length=5)
    now = BOUNDARY + timedelta(seconds=15)
    low = RateLimitInfo(limit=50, remaining=3, reset_seconds=400)
    plan = next_poll(state, now, rate_limit=low)
    assert not plan.follow_up
    assert plan.at == now + timedelta(seconds=400)
    plenty = RateLimitInfo(limit=50, remaining=40, reset_seconds=400)
    assert next_poll(state, now, rate_limit=plenty).follow_up
    soon = RateLimitInfo(limit=50, remaining=0, reset_seconds=None)
    assert next_poll(state, now, rate_limit=soon).at == BOUNDARY + BLOCK + DEFAULT_FIRST_POLL


def test_a_poll_mid_block_after_its_first_poll_time_waits_for_the_next_boundary() -> None:
    """A start-up refresh at 02:12:30 is followed by 02:15:15, and one at 02:10:05 by 02:10:15."""
    late = next_poll(PollState(), BOUNDARY + timedelta(seconds=150))
    assert late.at == BOUNDARY + BLOCK + DEFAULT_FIRST_POLL
    assert next_poll(PollState(), BOUNDARY + timedelta(seconds=5)).at == BOUNDARY + DEFAULT_FIRST_POLL


def test_thirty_minute_sites_chase_only_the_last_block_of_each_interval() -> None:
    """Every block gets its aligned poll; only the block where Amber locks the price in is chased."""
    assert [expects_confirmation(BOUNDARY.replace(minute=m), 30) for m in (0, 5, 20, 25, 30, 55)] == [
        False,
        False,
        False,
        True,
        False,
        True,
    ]
    middle = BOUNDARY.replace(minute=5)
    state, polls = run_block(PollState(), middle, delay=None, interval_length=30)
    assert len(polls) == 1
    last = BOUNDARY.replace(minute=25)
    state, polls = run_block(state, last, delay=22, interval_length=30)
    assert len(polls) == 3
    assert state.misses == 0


def test_the_first_poll_learns_from_what_it_sees() -> None:
    """After a few days' worth of delays, the first poll sits at their low end, within bounds."""
    assert first_poll_offset(()) == DEFAULT_FIRST_POLL
    assert first_poll_offset((30.0, 31.0, 32.0, 40.0)) == timedelta(seconds=30)
    assert first_poll_offset((0.0, 0.0, 0.0)) == MIN_FIRST_POLL
    assert first_poll_offset((500.0,) * 5) == MAX_FIRST_POLL


def test_block_start_is_utc_aligned() -> None:
    """Boundaries are every 5 minutes whatever the zone."""
    assert block_start(BOUNDARY + timedelta(minutes=4, seconds=59)) == BOUNDARY


@settings(max_examples=60, deadline=None)
@given(
    delays=st.lists(
        st.one_of(st.none(), st.floats(min_value=0, max_value=120, allow_nan=False)), min_size=1, max_size=30
    ),
    interval_length=st.sampled_from([5, 30]),
)
def test_polls_stay_within_budget_and_never_chase_past_the_cut_off(
    delays: list[float | None], interval_length: int
) -> None:
    """Whatever Amber does: at most MAX_POLLS_PER_BLOCK per block, polls after the boundary, none past the
    cut-off but the first, and a confirmed price is seen at most one follow-up (plus the first poll) late."""
    state = PollState()
    for index, delay in enumerate(delays):
        boundary = BOUNDARY + BLOCK * index
        # A block after two unconfirmed ones is looked at twice, not chased.
        chased = expects_confirmation(boundary, interval_length) and state.misses < GIVE_UP_AFTER_MISSES
        missed = state.block is not None and not state.confirmed
        if missed and state.block is not None and expects_confirmation(state.block, interval_length):
            chased = chased and state.misses + 1 < GIVE_UP_AFTER_MISSES
        state, polls = run_block(state, boundary, delay, interval_length)
        assert 1 <= len(polls) <= MAX_POLLS_PER_BLOCK
        assert all(boundary < p < boundary + BLOCK for p in polls)
        assert all(p - boundary <= CUT_OFF for p in polls[1:])
        assert polls == sorted(polls)
        reach = min(CUT_OFF, polls[0] - boundary + FOLLOW_UP_EVERY * (MAX_POLLS_PER_BLOCK - 1))
        if delay is not None and chased and timedelta(seconds=delay) <= reach:
            confirmed_at = boundary + timedelta(seconds=delay)
            seen = next(p for p in polls if p >= confirmed_at)
            assert seen - confirmed_at <= max(FOLLOW_UP_EVERY, polls[0] - confirmed_at)


@settings(max_examples=60, deadline=None)
@given(delays=st.lists(st.floats(min_value=17, max_value=37, allow_nan=False), min_size=30, max_size=60))
def test_realistic_delays_cost_fewer_than_four_requests_per_block_on_average(delays: list[float]) -> None:
    """Amber's usual 17-37 s: the learned first poll keeps the mean at or under 4 requests per interval."""
    state = PollState()
    total = 0
    for index, delay in enumerate(delays):
        state, polls = run_block(state, BOUNDARY + BLOCK * index, delay)
        total += len(polls)
    assert total / len(delays) <= 4.5
    assert MIN_FIRST_POLL <= state.first_poll <= timedelta(seconds=37)
