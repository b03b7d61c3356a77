"""Properties of the demand tracker against an independent oracle, its cycle resets across daylight saving,
the owner's reset, and the heading-for-a-new-peak warning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, event, given, settings, strategies as st
import pytest

from custom_components.tesla_amber_sync.control.demand import (
    BillingCycle,
    CycleKind,
    DemandState,
    DemandWindow,
    heading_for_new_peak,
    reset,
    step,
)

from .demand_oracle import PlainWindow, half_hours, peak

ZONES = [ZoneInfo(name) for name in ("Australia/Sydney", "Australia/Adelaide", "Australia/Hobart")]
ZONES.append(ZoneInfo("Australia/Melbourne"))
SYDNEY = ZoneInfo("Australia/Sydney")

# A sample run: blocks of samples of one value (None: the poll failed) at one spacing, and jumps (Home
# Assistant down) between some of them.
blocks = st.lists(
    st.tuples(
        st.integers(min_value=10, max_value=120),
        st.sampled_from([10, 30, 30, 30, 60, 150, 170]),
        st.one_of(st.none(), st.floats(min_value=-5000, max_value=15000, allow_nan=False)),
        st.sampled_from([0, 0, 0, 0, 45, 420, 600, 3600, 6 * 3600, 20 * 3600]),
    ),
    min_size=2,
    max_size=30,
)
half_hour_minutes = st.integers(min_value=0, max_value=47).map(lambda index: index * 30)
# Around the start and end of daylight saving (first Sunday of April and of October), and plain days.
starts = st.sampled_from(
    [
        datetime(2026, 4, 4, 12),
        datetime(2026, 10, 3, 12),
        datetime(2026, 11, 27, 14),
        datetime(2027, 3, 31, 9),
        datetime(2027, 4, 3, 20),
    ]
)


def samples_of(
    start: datetime, zone: ZoneInfo, run: list[tuple[int, int, float | None, int]]
) -> list[tuple[datetime, float | None]]:
    at = start.replace(tzinfo=zone).astimezone(UTC)
    samples: list[tuple[datetime, float | None]] = []
    for count, spacing, watts, jump in run:
        for _ in range(count):
            samples.append((at, watts))
            at += timedelta(seconds=spacing)
        at += timedelta(seconds=jump)
    return samples


@settings(max_examples=150, deadline=None)
@given(
    run=blocks,
    zone=st.sampled_from(ZONES),
    start=starts,
    window_start=half_hour_minutes,
    window_end=half_hour_minutes,
    days=st.one_of(
        st.just(frozenset(range(7))), st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)
    ),
    months=st.one_of(
        st.just(frozenset(range(1, 13))), st.frozensets(st.integers(min_value=1, max_value=12), min_size=1)
    ),
    daily=st.booleans(),
    cycle_day=st.integers(min_value=1, max_value=28),
)
def test_the_peak_is_the_highest_known_half_hour_mean_in_the_window_of_the_cycle(
    run: list[tuple[int, int, float | None, int]],
    zone: ZoneInfo,
    start: datetime,
    window_start: int,
    window_end: int,
    days: frozenset[int],
    months: frozenset[int],
    daily: bool,
    cycle_day: int,
) -> None:
    """Any samples (any cadence, failed polls, hours missing, across daylight saving): the peak is the
    highest mean of the half hours of this cycle that are over, inside the window and known for at least
    80 % of their time, as a plain oracle computes them; none of those, no peak."""
    samples = samples_of(start, zone, run)
    window = DemandWindow(
        start=time(window_start // 60, window_start % 60),
        end=time(window_end // 60, window_end % 60),
        days=days,
        months=months,
    )
    cycle = BillingCycle(kind=CycleKind.DAILY if daily else CycleKind.MONTHLY, day=cycle_day)
    state = DemandState()
    for at, watts in samples:
        state = step(state, at=at, grid_w=watts, zone=zone, window=window, cycle=cycle)
    expected, peak_half_hours = peak(
        samples,
        zone=zone,
        window=PlainWindow(window_start, window_end, days, months),
        daily=daily,
        cycle_day=cycle_day,
    )
    event("a peak" if expected is not None else "no peak")
    if expected is None:
        assert state.peak_kw is None
        assert state.peak_at is None
    else:
        assert state.peak_kw == pytest.approx(expected, abs=1e-6)
        assert state.peak_at in peak_half_hours


@settings(max_examples=100, deadline=None)
@given(
    run=blocks,
    zone=st.sampled_from(ZONES),
    start=starts,
    window_start=half_hour_minutes,
    window_end=half_hour_minutes,
)
def test_no_peak_comes_from_outside_the_window(
    run: list[tuple[int, int, float | None, int]],
    zone: ZoneInfo,
    start: datetime,
    window_start: int,
    window_end: int,
) -> None:
    """Whatever is imported outside the window never becomes the peak: with import only outside it (zero
    inside), the peak is zero or there is none; and the peak half hour is always inside the window."""
    assume(window_start != window_end)
    window = DemandWindow(
        start=time(window_start // 60, window_start % 60), end=time(window_end // 60, window_end % 60)
    )
    plain = PlainWindow(window_start, window_end, frozenset(range(7)), frozenset(range(1, 13)))
    state = DemandState()
    for at, watts in samples_of(start, zone, run):
        local_half = at.astimezone(zone).replace(minute=at.astimezone(zone).minute // 30 * 30, second=0)
        # Import only in half hours outside the window (a hold may still carry it across the edge).
        inside = plain.holds(local_half)
        state = step(
            state, at=at, grid_w=0.0 if inside else watts, zone=zone, window=window, cycle=BillingCycle()
        )
        if state.peak_at is not None:
            assert window.contains(state.peak_at.astimezone(zone))
    # A hold carries an outside value at most 2 minutes into the window: never 80 % of a half hour.
    if state.peak_kw is not None:
        assert state.peak_kw <= 15 * 120 / 1800 + 1e-9


DST_DAYS = [date(2026, 4, 5), date(2026, 10, 4), date(2027, 4, 4), date(2027, 10, 3)]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.sampled_from([*DST_DAYS, *(d + timedelta(days=1) for d in DST_DAYS), date(2026, 11, 1)]),
    offset=st.integers(min_value=-3 * 3600, max_value=3 * 3600),
    daily=st.booleans(),
)
def test_the_cycle_resets_exactly_at_its_local_start_across_daylight_saving(
    zone: ZoneInfo, day: date, offset: int, daily: bool
) -> None:
    """A cycle starting on a day the clocks change (or the day after) starts at that day's local midnight:
    a sample one second before keeps the old cycle's peak, one at or after it clears it."""
    cycle = BillingCycle(kind=CycleKind.DAILY, day=1) if daily else BillingCycle(day=day.day)
    all_day = DemandWindow(start=time(0), end=time(0))
    midnight = datetime.combine(day, time(), zone).astimezone(UTC)
    before = midnight - timedelta(hours=8)
    state = DemandState()
    # A peak of 3 kW in the evening before the cycle starts.
    at = before
    while at < midnight - timedelta(hours=4):
        state = step(state, at=at, grid_w=3000.0, zone=zone, window=all_day, cycle=cycle)
        at += timedelta(seconds=30)
    assert state.peak_kw == 3.0
    sample_at = midnight + timedelta(seconds=offset)
    after = step(state, at=sample_at, grid_w=None, zone=zone, window=all_day, cycle=cycle)
    if sample_at < midnight:
        assert after.peak_kw == 3.0
        assert after.cycle != day
    else:
        assert after.peak_kw is None
        assert after.cycle == day


THU_1600 = datetime(2026, 11, 19, 16, 0, tzinfo=SYDNEY)
WINDOW = DemandWindow(start=time(15), end=time(21))


def feed(
    state: DemandState, start: datetime, seconds: int, watts: float | None, spacing: int = 30
) -> DemandState:
    for offset in range(0, seconds, spacing):
        state = step(
            state,
            at=start + timedelta(seconds=offset),
            grid_w=watts,
            zone=SYDNEY,
            window=WINDOW,
            cycle=BillingCycle(),
        )
    return state


def test_a_reset_clears_the_peak_and_the_half_hour_so_far_but_keeps_counting() -> None:
    """The owner resets at 16:40: the 16:00 peak is gone, the 16:30 half hour counts only from 16:40 (its
    mean over the whole half hour), and the configured cycle still starts on 1 December."""
    state = feed(DemandState(), THU_1600, 40 * 60, 6000.0)
    assert state.peak_kw == 6.0
    at = THU_1600 + timedelta(minutes=40)
    state = reset(state, at=at)
    assert state.peak_kw is None
    assert state.reset_at == at.astimezone(UTC)
    assert state.known_seconds == 0
    # 16:40-17:00 is 20 minutes, under 80 % of the half hour: it never becomes a peak.
    state = feed(state, at + timedelta(seconds=1), 21 * 60, 6000.0)
    assert state.peak_kw is None
    # 17:00-17:30 counts.
    state = feed(state, THU_1600 + timedelta(minutes=61), 31 * 60, 2000.0)
    # 17:00-17:01 still holds the 6 kW of 17:00:31 (until the next sample), then 2 kW.
    assert state.peak_kw == pytest.approx((60 * 6 + 29 * 60 * 2) / 1800)
    assert DemandState.from_dict(state.as_dict()) == state
    december = datetime(2026, 12, 1, tzinfo=SYDNEY)
    state = feed(state, december - timedelta(minutes=1), 120, 100.0)
    assert state.peak_kw is None
    assert state.reset_at is None
    assert state.cycle == december.date()
    with pytest.raises(ValueError, match="aware"):
        reset(state, at=datetime(2026, 12, 1))


def test_heading_for_a_new_peak_projects_the_current_import_to_the_end_of_the_half_hour() -> None:
    state = feed(DemandState(), THU_1600, 31 * 60, 4000.0)
    assert state.peak_kw == 4.0
    half_past = THU_1600 + timedelta(minutes=30)
    # 5 minutes at 1 kW, then 5 kW: (5 x 1 + 25 x 5) / 30 = 4.33 kW, above 4.
    state = feed(state, half_past + timedelta(minutes=1), 4 * 60, 1000.0)
    now = half_past + timedelta(minutes=5)
    assert not heading_for_new_peak(state, at=now, zone=SYDNEY, window=WINDOW)
    state = feed(state, now, 30, 5000.0)
    assert heading_for_new_peak(state, at=now + timedelta(seconds=10), zone=SYDNEY, window=WINDOW)
    # Not for a later half hour than the state's, nor with no peak to beat, nor outside the window.
    assert not heading_for_new_peak(state, at=half_past + timedelta(minutes=31), zone=SYDNEY, window=WINDOW)
    fresh = feed(DemandState(), THU_1600, 5 * 60, 9000.0)
    assert not heading_for_new_peak(fresh, at=THU_1600 + timedelta(minutes=5), zone=SYDNEY, window=WINDOW)
    evening = feed(state, THU_1600.replace(hour=21, minute=1), 60, 9000.0)
    assert not heading_for_new_peak(
        evening, at=THU_1600.replace(hour=21, minute=2), zone=SYDNEY, window=WINDOW
    )


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(
        st.one_of(st.none(), st.floats(min_value=-3000, max_value=12000, allow_nan=False)),
        min_size=1,
        max_size=55,
    ),
    peak_w=st.floats(min_value=0, max_value=10000, allow_nan=False),
    now_w=st.floats(min_value=-3000, max_value=12000, allow_nan=False),
    spacing=st.sampled_from([30, 60, 150]),
)
def test_heading_for_a_new_peak_says_what_holding_the_import_would_do(
    before: list[float | None], peak_w: float, now_w: float, spacing: int
) -> None:
    """If the import of the last sample then holds to the end of the half hour (polled every 30 s), a new
    peak is set exactly when the warning said so."""
    state = feed(DemandState(), THU_1600, 31 * 60, peak_w)
    half_past = THU_1600 + timedelta(minutes=30)
    samples = [(half_past + timedelta(seconds=31 + spacing * i), w) for i, w in enumerate(before)]
    samples = [(at, w) for at, w in samples if at < half_past + timedelta(minutes=29)]
    samples.append((samples[-1][0] + timedelta(seconds=1), now_w))
    for at, watts in samples:
        state = step(state, at=at, grid_w=watts, zone=SYDNEY, window=WINDOW, cycle=BillingCycle())
    old_peak = state.peak_kw
    assert old_peak is not None
    last_at = samples[-1][0]
    warned = heading_for_new_peak(state, at=last_at, zone=SYDNEY, window=WINDOW)
    held = [(last_at + timedelta(seconds=30 * i), now_w) for i in range(1, 65)]
    end = half_past + timedelta(minutes=30)
    held = [(at, w) for at, w in held if at < end] + [(end + timedelta(seconds=1), now_w)]
    everything = feed_samples(state, held)
    # Ties (the half hour's mean equal to the peak) are left out: either answer is right there.
    all_samples = [(THU_1600 + timedelta(seconds=30 * i), peak_w) for i in range(62)] + samples + held
    means = half_hours(all_samples)
    this_half = means.get(int(half_past.timestamp()) // 1800)
    assume(this_half is None or abs(this_half.mean_kw - old_peak) > 1e-6)
    assert warned == (everything.peak_kw != old_peak)


def feed_samples(state: DemandState, samples: list[tuple[datetime, float | None]]) -> DemandState:
    for at, watts in samples:
        state = step(state, at=at, grid_w=watts, zone=SYDNEY, window=WINDOW, cycle=BillingCycle())
    return state
