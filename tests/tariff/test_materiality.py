"""The materiality margin: small moves in later slots are not written; the current and next slot are exact."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from custom_components.tesla_amber_sync.tariff import DayTariff
from custom_components.tesla_amber_sync.tariff.materiality import (
    MATERIALITY_MARGIN,
    largest_difference,
    materially_different,
)

FLAT = DayTariff.from_rates([0.30] * 48, [0.08] * 48)


def with_slot(
    tariff: DayTariff, index: int, *, buy: float | None = None, sell: float | None = None
) -> DayTariff:
    """`tariff` with one slot's rates changed."""
    buys = list(tariff.buy_rates)
    sells = list(tariff.sell_rates)
    if buy is not None:
        buys[index] = buy
    if sell is not None:
        sells[index] = sell
    return DayTariff.from_rates(buys, sells)


def test_nothing_held_or_a_changed_current_or_next_slot_is_always_written() -> None:
    """The slot in progress and the next one are exact; 0.0002 $/kWh there is a write."""
    assert materially_different(None, FLAT, current_slot=10)
    assert materially_different(FLAT, with_slot(FLAT, 10, buy=0.3002), current_slot=10)
    assert materially_different(FLAT, with_slot(FLAT, 11, sell=0.0802), current_slot=10)
    # Slot 47's next is slot 0 (tomorrow's first half-hour in the rolling day).
    assert materially_different(FLAT, with_slot(FLAT, 0, buy=0.3002), current_slot=47)
    # Tesla's 4-decimal storage is no difference.
    assert not materially_different(FLAT, with_slot(FLAT, 10, buy=0.30004), current_slot=10)


def test_later_slots_within_the_margin_are_not_written() -> None:
    """A later slot moving less than the margin is left; more than the margin is written."""
    small = with_slot(FLAT, 30, buy=0.30 + MATERIALITY_MARGIN * 0.9)
    large = with_slot(FLAT, 30, sell=0.08 + MATERIALITY_MARGIN * 1.1)
    assert not materially_different(FLAT, small, current_slot=10)
    assert materially_different(FLAT, large, current_slot=10)
    demand = DayTariff.from_rates([0.30] * 48, [0.08] * 48, demand_rates=(1.0,) * 48)
    assert materially_different(FLAT, demand, current_slot=10)


@settings(max_examples=100, deadline=None)
@given(
    moves=st.lists(st.floats(min_value=-0.05, max_value=0.05, allow_nan=False), min_size=48, max_size=48),
    current=st.integers(min_value=0, max_value=47),
)
def test_skipping_never_leaves_the_powerwall_further_than_the_margin(
    moves: list[float], current: int
) -> None:
    """When no write is needed, every slot is within the margin and the current and next are exact."""
    fresh = DayTariff.from_rates([0.30 + m for m in moves], [0.08] * 48)
    if not materially_different(FLAT, fresh, current_slot=current):
        assert largest_difference(FLAT, fresh) <= MATERIALITY_MARGIN * (1 + 1e-9)
        for index in (current, (current + 1) % 48):
            assert abs(fresh.buy_rates[index] - 0.30) <= 1e-4 * (1 + 1e-9)
    assert materially_different(FLAT, fresh, current_slot=current) == materially_different(
        FLAT, fresh, current_slot=current, margin=MATERIALITY_MARGIN
    )
