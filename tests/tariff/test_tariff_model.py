"""The day tariff model, slot naming, rates_match and the fingerprint."""

from __future__ import annotations

from datetime import time

import pytest

from custom_components.tesla_amber_sync.tariff import (
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    DailyCharge,
    DayTariff,
    SlotPrice,
    rates_match,
    slot_index,
    slot_name,
    slot_start,
    tariff_fingerprint,
)


def flat(buy: float = 0.3, sell: float = 0.1, **kwargs: object) -> DayTariff:
    return DayTariff.from_rates([buy] * SLOTS_PER_DAY, [sell] * SLOTS_PER_DAY, **kwargs)  # type: ignore[arg-type]


def test_slot_constants_and_names() -> None:
    assert SLOTS_PER_DAY * SLOT_MINUTES == 24 * 60
    assert slot_name(0) == "PERIOD_00_00"
    assert slot_name(1) == "PERIOD_00_30"
    assert slot_name(47) == "PERIOD_23_30"
    assert slot_start(47) == time(23, 30)
    assert slot_index(time(23, 59, 59)) == 47
    assert slot_index(time(0, 29)) == 0
    assert len({slot_name(index) for index in range(SLOTS_PER_DAY)}) == SLOTS_PER_DAY


@pytest.mark.parametrize("index", [-1, SLOTS_PER_DAY])
def test_slot_start_rejects_out_of_range(index: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        slot_start(index)


def test_day_tariff_is_a_hashable_value() -> None:
    a = flat(daily_charges=(DailyCharge(name="Supply", amount=1.1),))
    b = DayTariff(
        slots=[SlotPrice(buy=0.3, sell=0.1)] * SLOTS_PER_DAY,  # type: ignore[arg-type]
        daily_charges=[DailyCharge(name="Supply", amount=1.1)],  # type: ignore[arg-type]
    )
    assert a == b
    assert hash(a) == hash(b)
    assert isinstance(b.slots, tuple)
    assert isinstance(b.daily_charges, tuple)
    assert a != flat()
    assert a.buy_rates == (0.3,) * SLOTS_PER_DAY
    assert a.sell_rates == (0.1,) * SLOTS_PER_DAY
    assert flat().demand_rates == ()
    assert flat().daily_charges == ()


def test_day_tariff_refuses_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="48 slots"):
        DayTariff(slots=(SlotPrice(buy=0.1, sell=0.0),) * 47)
    with pytest.raises(ValueError, match="demand rates"):
        flat(demand_rates=(0.1,))
    with pytest.raises(ValueError, match="47 buy rates but 48"):
        DayTariff.from_rates([0.1] * 47, [0.0] * 48)


def test_rates_match() -> None:
    base = flat()
    assert rates_match(base, flat())
    assert rates_match(base, flat(buy=0.3001))
    assert not rates_match(base, flat(buy=0.3002))
    assert not rates_match(base, flat(sell=0.12))
    assert rates_match(base, flat(buy=0.31), tolerance=0.02)
    # Daily charges are not rates; demand rates are.
    assert rates_match(base, flat(daily_charges=(DailyCharge(name="x", amount=1.0),)))
    assert not rates_match(base, flat(demand_rates=(0.0,) * SLOTS_PER_DAY))
    assert not rates_match(flat(demand_rates=(0.0,) * 48), flat(demand_rates=(0.5,) * 48))
    assert not rates_match(base, flat(buy=float("nan")))


def test_fingerprint_follows_values_only() -> None:
    assert tariff_fingerprint(flat()) == tariff_fingerprint(flat())
    assert len(tariff_fingerprint(flat())) == 16
    variants = {
        tariff_fingerprint(flat()),
        tariff_fingerprint(flat(buy=0.31)),
        tariff_fingerprint(flat(sell=0.11)),
        tariff_fingerprint(flat(demand_rates=(0.0,) * 48)),
        tariff_fingerprint(flat(daily_charges=(DailyCharge(name="Supply", amount=1.0),))),
    }
    assert len(variants) == 5
