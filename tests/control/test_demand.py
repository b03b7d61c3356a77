"""The demand tracker: the highest known half-hour mean import inside the window, per billing cycle."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from custom_components.tesla_amber_sync.control.demand import (
    BillingCycle,
    CycleKind,
    DemandState,
    DemandWindow,
    step,
)

SYDNEY = ZoneInfo("Australia/Sydney")
# 15:00-21:00 on weekdays.
WINDOW = DemandWindow(start=time(15), end=time(21), days=frozenset(range(5)))
MONTHLY = BillingCycle()


def run(samples: list[tuple[datetime, float | None]], state: DemandState | None = None) -> DemandState:
    state = state or DemandState()
    for at, watts in samples:
        state = step(state, at=at, grid_w=watts, zone=SYDNEY, window=WINDOW, cycle=MONTHLY)
    return state


def every_30_s(start: datetime, minutes: float, watts: float) -> list[tuple[datetime, float | None]]:
    return [(start + timedelta(seconds=30 * i), watts) for i in range(int(minutes * 2))]


# Thursday 2026-11-19, 16:00 in Sydney (AEDT).
THU_1600 = datetime(2026, 11, 19, 16, 0, tzinfo=SYDNEY)


def test_a_steady_half_hour_in_the_window_is_the_peak() -> None:
    state = run(every_30_s(THU_1600, 31, 5000.0))
    assert state.peak_kw == 5.0
    assert state.peak_at == THU_1600


def test_export_is_no_import_and_outside_the_window_nothing_counts() -> None:
    assert run(every_30_s(THU_1600, 31, -3000.0)).peak_kw == 0.0
    morning = THU_1600.replace(hour=9)
    assert run(every_30_s(morning, 61, 7000.0)).peak_kw is None
    saturday = THU_1600 + timedelta(days=2)
    assert run(every_30_s(saturday, 61, 7000.0)).peak_kw is None


def test_a_gap_never_invents_a_peak() -> None:
    """Only 10 minutes of a half hour were seen (Home Assistant was down): too little to bill on."""
    seen = every_30_s(THU_1600, 10, 9000.0) + every_30_s(THU_1600 + timedelta(minutes=30), 2, 1000.0)
    state = run(seen)
    assert state.peak_kw is None


def test_the_peak_is_the_highest_half_hour_and_resets_at_the_cycle_start() -> None:
    samples = every_30_s(THU_1600, 30, 4000.0) + every_30_s(THU_1600 + timedelta(minutes=30), 31, 6000.0)
    state = run(samples)
    assert state.peak_kw == 6.0
    assert state.peak_at == THU_1600 + timedelta(minutes=30)
    # The next cycle starts on 1 December at local midnight.
    december = datetime(2026, 12, 1, 0, 0, tzinfo=SYDNEY)
    state = run([(december - timedelta(seconds=30), 100.0), (december + timedelta(seconds=30), 100.0)], state)
    assert state.peak_kw is None
    assert state.cycle == december.date()


def test_daily_cycles_reset_at_local_midnight_across_dst() -> None:
    """Sydney's clocks go back on 5 April 2026: a 25-hour day, and the cycle still starts at midnight."""
    daily = BillingCycle(kind=CycleKind.DAILY)
    all_day = DemandWindow(start=time(0), end=time(0))
    state = DemandState()
    start = datetime(2026, 4, 4, 23, 0, tzinfo=SYDNEY)
    at = start.astimezone(UTC)
    while at < datetime(2026, 4, 6, 1, 0, tzinfo=SYDNEY).astimezone(UTC):
        state = step(state, at=at, grid_w=2000.0, zone=SYDNEY, window=all_day, cycle=daily)
        if at.astimezone(SYDNEY).date().isoformat() == "2026-04-05" and state.cycle is not None:
            assert state.cycle.isoformat() == "2026-04-05"
        at += timedelta(seconds=30)
    assert state.cycle is not None
    assert state.cycle.isoformat() == "2026-04-06"
    assert state.peak_kw == 2.0


def test_state_round_trips() -> None:
    state = run(every_30_s(THU_1600, 45, 5000.0))
    assert DemandState.from_dict(state.as_dict()) == state
    assert DemandState.from_dict("garbage") == DemandState()


@settings(max_examples=60, deadline=None)
@given(
    powers=st.lists(
        st.one_of(st.none(), st.floats(min_value=-5000, max_value=10000)), min_size=1, max_size=400
    ),
    start_minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    gaps=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=400),
)
def test_the_peak_never_exceeds_what_was_imported_in_the_window(
    powers: list[float | None], start_minute: int, gaps: list[int]
) -> None:
    """Any samples, at any cadence: the peak comes from a half hour in the window, and is never above the
    highest import sampled (a half-hour mean cannot exceed what was held during it)."""
    at = datetime(2026, 11, 16, tzinfo=SYDNEY) + timedelta(minutes=start_minute)
    state = DemandState()
    highest = max([0.0, *(watts / 1000 for watts in powers if watts is not None)])
    for index, watts in enumerate(powers):
        state = step(state, at=at, grid_w=watts, zone=SYDNEY, window=WINDOW, cycle=MONTHLY)
        at += timedelta(seconds=30 * gaps[index % len(gaps)])
    if state.peak_kw is not None:
        assert state.peak_at is not None
        assert WINDOW.contains(state.peak_at)
        assert 0 <= state.peak_kw <= highest + 1e-9
