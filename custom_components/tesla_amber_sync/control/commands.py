"""Battery commands: charge now, discharge now, hold the charge, each for a while.

A command is an override of the single writer: it claims settings until it ends (by its timer, by the owner,
at its target, or found ended after a restart), and then the writer gives back exactly what the owner had.
This module is pure: the command's state, when it ends, and which settings it claims (its *plan*).

What the plans rely on (the Powerwall's documented behaviour and known firmware quirks):
- In time-based control (`autonomous`) the Powerwall plans against its tariff: it charges from the grid in the
  cheapest slots when grid charging is allowed, and exports in the slots where export earns most. A slot
  priced at 0 with everything else dearer makes *now* the cheapest time to charge; a slot whose buy and sell
  are both far above the rest of the day makes *now* the best time to export (Tesla requires buy >= sell in
  every slot, so both are set to the same price).
- Below its backup reserve the Powerwall charges (from the grid when allowed) back up to the reserve, in any
  mode; above it, it never discharges below it. So a raised reserve forces a charge up to it, and a reserve at
  the state of charge holds it.
- Some firmware snaps reserve values from 81 to 99 % to 80 %. A target above 80 % is therefore reached with a
  reserve of 100 % and the command ends early at its target; a hold above 80 % uses a reserve of 100 % with
  grid charging disallowed (the battery cannot discharge, and only solar may charge it).
- A reserve change is delayed while the tariff in force says peak, so the tariff is written before the reserve
  (the writer's order: mode, tariff, export rule, grid charging, reserve).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from custom_components.tesla_amber_sync.control.claims import Setting

MIN_MINUTES: Final = 5
MAX_MINUTES: Final = 720
# The backup reserve Tesla lets an owner set in time-based control.
MIN_RESERVE: Final = 0
# Reserve values above this may snap back to it on some firmware.
RESERVE_SNAP: Final = 80
# What the tariff prices the discharge window at ($/kWh): above any retail rate, so export wins.
DISCHARGE_PRICE: Final = 5.0
# A charge that has not started after this long, with grid charging allowed, is one the Powerwall ignores.
NOT_FOLLOWED_AFTER: Final = timedelta(minutes=10)
# Battery power (W, + discharging) below which the battery counts as charging.
CHARGING_BELOW_W: Final = -100.0
STATE_VERSION: Final = 1


class CommandKind(StrEnum):
    """What the battery is told to do."""

    CHARGE = "charging"
    DISCHARGE = "discharging"
    HOLD = "holding"


@dataclass(frozen=True, kw_only=True, slots=True)
class Command:
    """A command in force: what, since when, until when, and its target state of charge (%).

    `target` is where a charge stops (up to) or a discharge stops (down to); a hold's target is the state of
    charge it holds.
    """

    kind: CommandKind
    started_at: datetime
    ends_at: datetime
    target: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": STATE_VERSION,
            "kind": self.kind.value,
            "started_at": self.started_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, data: object) -> Command | None:
        """Parse a stored command; anything unreadable is no command (the owner's settings come back)."""
        if not isinstance(data, dict):
            return None
        try:
            kind = CommandKind(data["kind"])
            started = datetime.fromisoformat(data["started_at"])
            ends = datetime.fromisoformat(data["ends_at"])
            target = float(data["target"])
        except KeyError, TypeError, ValueError:
            return None
        if started.tzinfo is None or ends.tzinfo is None or not math.isfinite(target):
            return None
        return cls(kind=kind, started_at=started, ends_at=ends, target=target)


class CommandError(ValueError):
    """A command that cannot be run; `field` names the service field at fault."""

    def __init__(self, field: str) -> None:
        """Keep the field for a translated error."""
        super().__init__(f"invalid command field: {field}")
        self.field = field


def start(
    kind: CommandKind,
    *,
    now: datetime,
    minutes: float,
    soc: float | None,
    reserve: float | None,
    target: float | None = None,
) -> Command:
    """A new command from the owner's request, validated.

    `soc` is the battery's state of charge (%), `reserve` its backup reserve (%). A charge's target defaults
    to 100 % and must be above the state of charge; a discharge's floor defaults to the backup reserve and
    must be below the state of charge; a hold holds the state of charge. Raises `CommandError` naming the
    field that cannot work.
    """
    if not math.isfinite(minutes) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise CommandError("duration")
    if soc is None or not math.isfinite(soc):
        raise CommandError("state_of_charge")
    if kind is CommandKind.CHARGE:
        goal = 100.0 if target is None else target
        if not math.isfinite(goal) or not soc < goal <= 100:
            raise CommandError("target")
    elif kind is CommandKind.DISCHARGE:
        goal = (reserve if reserve is not None else MIN_RESERVE) if target is None else target
        if not math.isfinite(goal) or not MIN_RESERVE <= goal < soc:
            raise CommandError("target")
    else:
        goal = soc
    at = now.astimezone(UTC)
    return Command(kind=kind, started_at=at, ends_at=at + timedelta(minutes=minutes), target=round(goal, 1))


class EndReason(StrEnum):
    """Why a command ended."""

    TIMER = "timer"
    TARGET = "target"


def ended(command: Command, *, now: datetime, soc: float | None) -> EndReason | None:
    """Whether the command is over now: its time is up, or the battery reached its target."""
    if now >= command.ends_at:
        return EndReason.TIMER
    if soc is not None and math.isfinite(soc):
        if command.kind is CommandKind.CHARGE and soc >= command.target:
            return EndReason.TARGET
        if command.kind is CommandKind.DISCHARGE and soc <= command.target:
            return EndReason.TARGET
    return None


def hold_reserve(soc: float) -> tuple[int, bool | None]:
    """The reserve that holds `soc`, and the grid-charging setting it needs (None: leave it)."""
    held = round(soc)
    if held > RESERVE_SNAP:
        return 100, False
    return held, None


def plan(
    command: Command, *, window_slots: tuple[int, ...], normal_rates: tuple[tuple[float, float], ...]
) -> dict[Setting, Any]:
    """The settings the command claims (JSON form), from the day's normal `(buy, sell)` rates per slot.

    `window_slots` are the tariff slots the command covers from now (see `tariff.spike.spike_window_slots`).
    Charge and discharge rewrite only those slots; a hold changes no tariff.
    """
    if command.kind is CommandKind.HOLD:
        reserve, grid_charging = hold_reserve(command.target)
        claimed: dict[Setting, Any] = {Setting.BACKUP_RESERVE: reserve}
        if grid_charging is not None:
            claimed[Setting.GRID_CHARGING] = grid_charging
        return claimed
    window = frozenset(window_slots)
    if command.kind is CommandKind.CHARGE:
        rates = [(0.0, 0.0) if index in window else rate for index, rate in enumerate(normal_rates)]
        reserve = round(command.target) if command.target <= RESERVE_SNAP or command.target >= 100 else 100
        return {
            Setting.OPERATION_MODE: "autonomous",
            Setting.TARIFF: tuple(rates),
            Setting.GRID_CHARGING: True,
            Setting.BACKUP_RESERVE: reserve,
        }
    price = max(DISCHARGE_PRICE, 2 * max((buy for buy, _ in normal_rates), default=0.0))
    rates = [(price, price) if index in window else rate for index, rate in enumerate(normal_rates)]
    return {
        Setting.OPERATION_MODE: "autonomous",
        Setting.TARIFF: tuple(rates),
        Setting.BACKUP_RESERVE: round(command.target),
    }


def not_followed(
    command: Command, *, now: datetime, battery_power_w: float | None, grid_charging: bool
) -> bool:
    """Whether a charge is ignored: long enough in, grid charging allowed, and the battery not charging."""
    if command.kind is not CommandKind.CHARGE or not grid_charging or battery_power_w is None:
        return False
    return now - command.started_at >= NOT_FOLLOWED_AFTER and battery_power_w > CHARGING_BELOW_W
