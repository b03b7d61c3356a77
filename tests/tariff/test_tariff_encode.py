"""A day tariff to `tariff_content_v2`: shape, determinism, and the rules checked first."""

from __future__ import annotations

import json

import pytest

from custom_components.tesla_amber_sync.tariff import (
    SLOTS_PER_DAY,
    DailyCharge,
    DayTariff,
    TariffRuleError,
    encode_tariff,
    slot_name,
)

BUY = tuple(round(0.1 + index / 1000, 4) for index in range(SLOTS_PER_DAY))
SELL = tuple(round(index / 2000, 4) for index in range(SLOTS_PER_DAY))
TARIFF = DayTariff.from_rates(BUY, SELL)


def encode(tariff: DayTariff = TARIFF) -> dict[str, object]:
    return encode_tariff(tariff, code="TESLA_SYNC:AMBER", name="Amber (Tesla Sync)", utility="Amber Electric")


def test_header_and_single_all_year_season() -> None:
    content = encode()
    assert content["code"] == "TESLA_SYNC:AMBER"
    assert content["name"] == "Amber (Tesla Sync)"
    assert content["utility"] == "Amber Electric"
    assert content["currency"] == "AUD"
    assert content["version"] == 1
    seasons = content["seasons"]
    assert isinstance(seasons, dict)
    season = seasons["Summer"]
    assert {key: season[key] for key in ("fromDay", "toDay", "fromMonth", "toMonth")} == {
        "fromDay": 1,
        "toDay": 31,
        "fromMonth": 1,
        "toMonth": 12,
    }
    assert seasons["Winter"] == {}
    assert list(season["tou_periods"]) == [slot_name(index) for index in range(SLOTS_PER_DAY)]


def test_every_period_states_every_field() -> None:
    periods = encode()["seasons"]["Summer"]["tou_periods"]  # type: ignore[index]
    assert periods["PERIOD_00_00"] == {
        "periods": [
            {
                "fromDayOfWeek": 0,
                "toDayOfWeek": 6,
                "fromHour": 0,
                "fromMinute": 0,
                "toHour": 0,
                "toMinute": 30,
            }
        ]
    }
    assert periods["PERIOD_12_30"]["periods"][0] == {
        "fromDayOfWeek": 0,
        "toDayOfWeek": 6,
        "fromHour": 12,
        "fromMinute": 30,
        "toHour": 13,
        "toMinute": 0,
    }
    assert periods["PERIOD_23_30"]["periods"][0]["toHour"] == 24
    assert periods["PERIOD_23_30"]["periods"][0]["toMinute"] == 0


def test_rates_and_sell_tariff() -> None:
    content = encode()
    assert content["energy_charges"]["ALL"] == {"rates": {"ALL": 0}}  # type: ignore[index]
    rates = content["energy_charges"]["Summer"]["rates"]  # type: ignore[index]
    assert rates == {slot_name(index): BUY[index] for index in range(SLOTS_PER_DAY)}
    sell = content["sell_tariff"]
    assert isinstance(sell, dict)
    assert sell["energy_charges"]["Summer"]["rates"]["PERIOD_23_30"] == SELL[47]
    assert sell["seasons"] == content["seasons"]
    assert sell["seasons"] is not content["seasons"]
    assert sell["name"] == "Amber (Tesla Sync)"
    assert sell["daily_charges"] == []
    assert content["daily_charges"] == [{"name": "Charge"}]
    assert content["demand_charges"] == {"ALL": {"rates": {"ALL": 0}}, "Summer": {}, "Winter": {}}


def test_demand_rates_and_daily_charges_are_encoded() -> None:
    tariff = DayTariff.from_rates(
        BUY,
        SELL,
        demand_rates=(0.0,) * 32 + (12.5,) * 10 + (0.0,) * 6,
        daily_charges=(DailyCharge(name="Supply", amount=1.0523),),
    )
    content = encode(tariff)
    assert content["daily_charges"] == [{"name": "Supply", "amount": 1.0523}]
    assert content["demand_charges"]["Summer"]["rates"]["PERIOD_16_00"] == 12.5  # type: ignore[index]
    assert content["sell_tariff"]["demand_charges"]["Summer"] == {}  # type: ignore[index]


def test_output_is_deterministic_json() -> None:
    assert json.dumps(encode()) == json.dumps(encode())
    assert json.loads(json.dumps(encode())) == encode()


def test_a_tariff_breaking_the_rules_is_never_encoded() -> None:
    with pytest.raises(TariffRuleError, match="above its buy rate"):
        encode(DayTariff.from_rates(SELL, BUY))
