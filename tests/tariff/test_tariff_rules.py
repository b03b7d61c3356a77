"""Tesla's rules: rounding, no negatives, sell capped at buy, and validation before a push."""

from __future__ import annotations

import math

import pytest

from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    DailyCharge,
    DayTariff,
    TariffRuleError,
    apply_tesla_rules,
    tariff_problems,
    validate_tariff,
)


def day(buy: float, sell: float, **kwargs: object) -> DayTariff:
    return DayTariff.from_rates([buy] * SLOTS_PER_DAY, [sell] * SLOTS_PER_DAY, **kwargs)  # type: ignore[arg-type]


def test_rounds_to_four_decimals_as_plain_floats() -> None:
    tariff = apply_tesla_rules(day(0.123456, 0.0123449))
    assert tariff.slots[0].buy == 0.1235
    assert tariff.slots[0].sell == 0.0123
    assert type(tariff.slots[0].buy) is float


def test_negative_rates_become_zero_without_a_negative_zero() -> None:
    tariff = apply_tesla_rules(day(-0.2, -0.00001))
    assert tariff.slots[0].buy == 0.0
    assert math.copysign(1.0, tariff.slots[0].sell) == 1.0
    assert math.copysign(1.0, tariff.slots[0].buy) == 1.0


def test_sell_is_capped_at_buy() -> None:
    tariff = apply_tesla_rules(day(0.1, 0.25))
    assert tariff.slots[0].sell == 0.1
    # A negative buy (Amber pays to import) becomes 0, and so the sell rate too.
    assert apply_tesla_rules(day(-0.05, 0.08)).slots[5].sell == 0.0


def test_demand_rates_and_daily_charges_follow_the_rules() -> None:
    tariff = apply_tesla_rules(
        day(
            0.3,
            0.1,
            demand_rates=(-1.0,) + (0.123456,) * 47,
            daily_charges=(DailyCharge(name="Supply", amount=1.234567),),
        )
    )
    assert tariff.demand_rates[0] == 0.0
    assert tariff.demand_rates[1] == 0.1235
    assert tariff.daily_charges == (DailyCharge(name="Supply", amount=1.2346),)
    assert tariff_problems(tariff) == ()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_rates_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        apply_tesla_rules(day(bad, 0.0))


def test_rules_are_idempotent() -> None:
    once = apply_tesla_rules(day(0.33333333, 0.5))
    assert apply_tesla_rules(once) == once


def test_problems_name_every_broken_rule() -> None:
    tariff = DayTariff.from_rates(
        [0.123456, -0.1, math.nan, 1, 0.1] + [0.3] * 43,
        [0.0, 0.0, 0.0, 0.0, 0.2] + [0.1] * 43,
        demand_rates=(-0.5,) + (0.0,) * 47,
        daily_charges=(DailyCharge(name="", amount=1.0),),
    )
    problems = tariff_problems(tariff)
    assert "buy rate of slot 0 has more than 4 decimals" in problems
    assert "buy rate of slot 1 is negative" in problems
    assert "buy rate of slot 2 is not finite" in problems
    assert "buy rate of slot 3 is int, not a plain float" in problems
    assert "sell rate of slot 4 is above its buy rate" in problems
    assert "demand rate of slot 0 is negative" in problems
    assert "a daily charge has no name" in problems
    with pytest.raises(TariffRuleError) as caught:
        validate_tariff(tariff)
    assert caught.value.problems == problems
    assert str(caught.value).endswith(" ...")


def test_validate_accepts_a_clean_tariff() -> None:
    validate_tariff(apply_tesla_rules(day(0.3, 0.1)))
    with pytest.raises(TariffRuleError, match="slot 0 is above") as caught:
        validate_tariff(DayTariff.from_rates([0.1] + [0.3] * 47, [0.2] + [0.1] * 47))
    assert not str(caught.value).endswith("...")
