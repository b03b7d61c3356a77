"""Option rules: any input is either accepted whole or refused with the field it is about."""

from __future__ import annotations

from datetime import timedelta
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.tesla_amber_sync.control.option_rules import (
    MARKET_CAP,
    MARKET_FLOOR,
    option_problems,
)
from custom_components.tesla_amber_sync.control.spike import SpikeSettings

anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-100_000, max_value=100_000),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)


@given(
    threshold=anything,
    exit_price=anything,
    hold=anything,
    curtailment=anything,
)
def test_accepted_values_work_and_refused_ones_name_their_field(
    threshold: Any, exit_price: Any, hold: Any, curtailment: Any
) -> None:
    options = {
        "spike_threshold": threshold,
        "spike_exit_threshold": exit_price,
        "spike_min_hold_minutes": hold,
        "curtailment_threshold": curtailment,
    }
    problems = option_problems(options)
    assert set(problems) <= set(options)
    assert all(
        key == f"invalid_{field.removeprefix('spike_').removesuffix('_minutes')}" or field.startswith("curt")
        for field, key in problems.items()
    )
    if "spike_threshold" not in problems:
        assert 0 < float(threshold) <= MARKET_CAP
    if "spike_exit_threshold" not in problems:
        assert float(exit_price) >= MARKET_FLOOR
    if not problems:
        # Accepted options always make a spike machine that can start and end.
        settings = SpikeSettings(
            threshold=float(threshold),
            exit_threshold=float(exit_price),
            min_hold=timedelta(minutes=float(hold)),
        )
        assert settings.exit_price < settings.threshold
        assert math.isfinite(float(curtailment))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"curtailment_threshold": math.nan}, "curtailment_threshold"),
        ({"spike_min_hold_minutes": math.nan}, "spike_min_hold_minutes"),
        ({"spike_min_hold_minutes": 2.5}, "spike_min_hold_minutes"),
        ({"spike_exit_threshold": -20000.0}, "spike_exit_threshold"),
        ({"spike_exit_threshold": 300.0}, "spike_exit_threshold"),
        ({"spike_threshold": True}, "spike_threshold"),
        ({"spike_threshold": math.inf}, "spike_threshold"),
    ],
)
def test_the_reported_cases(options: dict[str, Any], field: str) -> None:
    assert set(option_problems(options)) == {field}


def test_defaults_and_the_floor_are_accepted() -> None:
    assert option_problems({}) == {}
    assert option_problems({"spike_threshold": 300, "spike_exit_threshold": MARKET_FLOOR}) == {}
