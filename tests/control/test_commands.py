"""Battery command plans: what each command claims, when it ends, and when the Powerwall ignores it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.tesla_amber_sync.control import commands
from custom_components.tesla_amber_sync.control.claims import Setting
from custom_components.tesla_amber_sync.control.commands import Command, CommandError, CommandKind

NOW = datetime(2026, 11, 21, 2, 10, tzinfo=UTC)
NORMAL = tuple((0.30, 0.08) for _ in range(48))


def test_a_charge_makes_now_the_cheapest_slot_and_raises_the_reserve() -> None:
    command = commands.start(CommandKind.CHARGE, now=NOW, minutes=60, soc=40, reserve=20, target=70)
    assert command.ends_at == NOW + timedelta(hours=1)
    claimed = commands.plan(command, window_slots=(26, 27, 28), normal_rates=NORMAL)
    rates = claimed[Setting.TARIFF]
    assert [rates[i] for i in (26, 27, 28)] == [(0.0, 0.0)] * 3
    assert all(rates[i] == (0.30, 0.08) for i in range(48) if i not in (26, 27, 28))
    assert claimed[Setting.OPERATION_MODE] == "autonomous"
    assert claimed[Setting.GRID_CHARGING] is True
    assert claimed[Setting.BACKUP_RESERVE] == 70


@pytest.mark.parametrize(("target", "reserve"), [(80, 80), (85, 100), (99, 100), (100, 100)])
def test_a_charge_above_80_uses_a_full_reserve_because_firmware_snaps_81_to_99(
    target: int, reserve: int
) -> None:
    command = commands.start(CommandKind.CHARGE, now=NOW, minutes=30, soc=40, reserve=20, target=target)
    assert commands.plan(command, window_slots=(26,), normal_rates=NORMAL)[Setting.BACKUP_RESERVE] == reserve


def test_a_discharge_prices_now_above_everything_with_buy_equal_to_sell() -> None:
    command = commands.start(CommandKind.DISCHARGE, now=NOW, minutes=30, soc=60, reserve=20)
    assert command.target == 20
    claimed = commands.plan(command, window_slots=(26,), normal_rates=NORMAL)
    assert claimed[Setting.TARIFF][26] == (commands.DISCHARGE_PRICE, commands.DISCHARGE_PRICE)
    assert claimed[Setting.BACKUP_RESERVE] == 20
    assert Setting.GRID_CHARGING not in claimed


@pytest.mark.parametrize(
    ("soc", "expected"),
    [(55.4, {Setting.BACKUP_RESERVE: 55}), (92, {Setting.BACKUP_RESERVE: 100, Setting.GRID_CHARGING: False})],
)
def test_a_hold_sets_the_reserve_at_the_charge(soc: float, expected: dict[Setting, object]) -> None:
    command = commands.start(CommandKind.HOLD, now=NOW, minutes=120, soc=soc, reserve=20)
    assert commands.plan(command, window_slots=(), normal_rates=NORMAL) == expected


@pytest.mark.parametrize(
    ("kind", "minutes", "soc", "target", "field"),
    [
        (CommandKind.CHARGE, 4, 50, None, "duration"),
        (CommandKind.CHARGE, 721, 50, None, "duration"),
        (CommandKind.CHARGE, float("nan"), 50, None, "duration"),
        (CommandKind.CHARGE, 30, 50, 40, "target"),
        (CommandKind.CHARGE, 30, 50, 101, "target"),
        (CommandKind.DISCHARGE, 30, 50, 60, "target"),
        (CommandKind.DISCHARGE, 30, 50, -1, "target"),
        (CommandKind.HOLD, 30, None, None, "state_of_charge"),
    ],
)
def test_commands_that_cannot_work_name_their_field(
    kind: CommandKind, minutes: float, soc: float | None, target: float | None, field: str
) -> None:
    with pytest.raises(CommandError) as raised:
        commands.start(kind, now=NOW, minutes=minutes, soc=soc, reserve=20, target=target)
    assert raised.value.field == field


def test_ends_at_its_time_or_its_target() -> None:
    charge = commands.start(CommandKind.CHARGE, now=NOW, minutes=60, soc=40, reserve=20, target=70)
    assert commands.ended(charge, now=NOW + timedelta(minutes=30), soc=69.9) is None
    assert commands.ended(charge, now=NOW + timedelta(minutes=30), soc=70) is commands.EndReason.TARGET
    assert commands.ended(charge, now=NOW + timedelta(hours=1), soc=None) is commands.EndReason.TIMER
    discharge = commands.start(CommandKind.DISCHARGE, now=NOW, minutes=60, soc=60, reserve=20, target=30)
    assert commands.ended(discharge, now=NOW, soc=30) is commands.EndReason.TARGET
    hold = commands.start(CommandKind.HOLD, now=NOW, minutes=60, soc=60, reserve=20)
    assert commands.ended(hold, now=NOW, soc=10) is None


def test_a_charge_the_powerwall_ignores_is_noticed_after_ten_minutes() -> None:
    charge = commands.start(CommandKind.CHARGE, now=NOW, minutes=60, soc=40, reserve=20)
    later = NOW + commands.NOT_FOLLOWED_AFTER
    assert commands.not_followed(charge, now=later, battery_power_w=0.0, grid_charging=True)
    assert not commands.not_followed(charge, now=later, battery_power_w=-3000.0, grid_charging=True)
    assert not commands.not_followed(
        charge, now=later - timedelta(minutes=1), battery_power_w=0.0, grid_charging=True
    )
    assert not commands.not_followed(charge, now=later, battery_power_w=0.0, grid_charging=False)


@given(
    kind=st.sampled_from(CommandKind),
    minutes=st.floats(min_value=5, max_value=720),
    target=st.floats(min_value=0, max_value=100),
)
def test_stored_commands_round_trip(kind: CommandKind, minutes: float, target: float) -> None:
    command = Command(kind=kind, started_at=NOW, ends_at=NOW + timedelta(minutes=minutes), target=target)
    assert Command.from_dict(command.as_dict()) == command
    assert Command.from_dict({"kind": "dance"}) is None
    assert Command.from_dict(None) is None


@given(soc=st.floats(min_value=0, max_value=99), target=st.floats(min_value=1, max_value=100))
def test_every_charge_plan_keeps_buy_at_least_sell_and_never_lowers_the_reserve_below_target(
    soc: float, target: float
) -> None:
    if not soc < target:
        return
    command = commands.start(CommandKind.CHARGE, now=NOW, minutes=30, soc=soc, reserve=20, target=target)
    claimed = commands.plan(command, window_slots=tuple(range(10)), normal_rates=NORMAL)
    assert all(buy >= sell for buy, sell in claimed[Setting.TARIFF])
    assert claimed[Setting.BACKUP_RESERVE] >= round(command.target)
