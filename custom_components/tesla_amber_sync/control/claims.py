"""Who the Powerwall obeys: claims, their precedence, and the writes that bring the Powerwall in line.

Each feature states a *claim*: the settings it wants now. The writer resolves them per setting by precedence
(spike > battery command > chosen tariff), and a setting nobody claims any longer is *restored* to the
owner's baseline. A setting nobody claims and nothing restores is the owner's: the baseline follows what the
Powerwall holds, so a change the owner makes in the Tesla app becomes what they get back later.

An override (spike, command, curtailment) that finds its setting changed on the Powerwall to something that is
neither what it wrote (and saw in force) nor the owner's baseline has met the owner's newer choice: that value
becomes the baseline and the override stops claiming the setting. The chosen tariff is not an override: it
keeps the tariff it was chosen for on the Powerwall.

Pure: values in, a plan out. Settings are compared with a function the caller gives (tariffs are compared by
the rates they charge, not byte for byte).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Setting(StrEnum):
    """A setting of the Powerwall that Tesla Sync may change."""

    OPERATION_MODE = "operation_mode"
    TARIFF = "tariff"
    EXPORT_RULE = "export_rule"
    GRID_CHARGING = "grid_charging"
    BACKUP_RESERVE = "backup_reserve"


# The order writes go out in: the mode first, so a tariff never lands on a battery that ignores it unseen.
WRITE_ORDER: Final = tuple(Setting)


class ClaimSource(StrEnum):
    """Who claims a setting (also who put a tariff on the Powerwall, for the tariff sensor)."""

    SPIKE = "spike"
    COMMAND = "command"
    CURTAILMENT = "curtailment"
    AMBER = "amber"
    PROFILE = "profile"
    SCHEDULE = "schedule"
    OWNER = "owner"


# Highest first. Curtailment claims only the export rule, which nothing else claims.
# The chosen tariff (Amber's rolling tariff or a saved profile; one at a time) comes last.
PRECEDENCE: Final = (
    ClaimSource.SPIKE,
    ClaimSource.COMMAND,
    ClaimSource.CURTAILMENT,
    ClaimSource.AMBER,
    ClaimSource.PROFILE,
    ClaimSource.SCHEDULE,
)
# Claims that give way to the owner's own change of a setting they hold.
OVERRIDES: Final = frozenset({ClaimSource.SPIKE, ClaimSource.COMMAND, ClaimSource.CURTAILMENT})


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    """The settings one feature wants on the Powerwall now."""

    source: ClaimSource
    values: Mapping[Setting, object]


type SameFn = Callable[[Setting, object, object], bool]


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """What to do now.

    `writes` holds the settings to write (setting, value, who wants it) in `WRITE_ORDER`; `restoring` the
    settings being given back to the baseline that the Powerwall does not hold yet; `restored` the ones that
    it holds again; `adopted` settings whose baseline becomes what the Powerwall holds (the owner's newer
    choice); `yielded` the (override, setting) pairs that stop being claimed because the owner changed them;
    `winners` who holds each claimed setting.
    """

    writes: tuple[tuple[Setting, object, ClaimSource], ...] = ()
    restoring: frozenset[Setting] = frozenset()
    restored: frozenset[Setting] = frozenset()
    adopted: Mapping[Setting, object] = field(default_factory=dict)
    yielded: frozenset[tuple[ClaimSource, Setting]] = frozenset()
    winners: Mapping[Setting, ClaimSource] = field(default_factory=dict)
    # Claimed settings the Powerwall already holds as claimed (ours now, as if written and verified).
    satisfied: Mapping[Setting, object] = field(default_factory=dict)


def _rank(source: ClaimSource) -> int:
    return PRECEDENCE.index(source) if source in PRECEDENCE else len(PRECEDENCE)


def plan(
    *,
    claims: tuple[Claim, ...],
    baseline: Mapping[Setting, object],
    held: Mapping[Setting, object],
    known: frozenset[Setting],
    ours: frozenset[Setting],
    verified_writes: Mapping[Setting, object],
    yielded: frozenset[tuple[ClaimSource, Setting]],
    same: SameFn,
) -> Plan:
    """Resolve the claims against what the Powerwall holds.

    `held` is the latest read-back, `known` the settings it actually reported (a partial reply leaves the
    rest unknown: never adopted, never compared). `ours` are the settings Tesla Sync holds changed (claimed
    or not yet restored), `verified_writes` the last value written to each setting that a read-back showed in
    force, `yielded` the claims already given up.
    """
    ordered = sorted(claims, key=lambda claim: _rank(claim.source))
    writes: list[tuple[Setting, object, ClaimSource]] = []
    restoring: set[Setting] = set()
    restored: set[Setting] = set()
    adopted: dict[Setting, object] = {}
    new_yields: set[tuple[ClaimSource, Setting]] = set()
    winners: dict[Setting, ClaimSource] = {}
    satisfied: dict[Setting, object] = {}
    for setting in WRITE_ORDER:
        candidates = [
            claim for claim in ordered if setting in claim.values and (claim.source, setting) not in yielded
        ]
        is_known = setting in known
        current = held.get(setting)
        owners_value = baseline.get(setting)
        claimed_values = [claim.values[setting] for claim in candidates]
        while candidates and is_known and candidates[0].source in OVERRIDES:
            written = verified_writes.get(setting, _MISSING)
            if not _changed_by_owner(setting, current, written, owners_value, ours=ours, same=same) or any(
                same(setting, current, value) for value in claimed_values
            ):
                # Unchanged, or what one of the claims wants (a chosen tariff held without a write).
                break
            new_yields.add((candidates.pop(0).source, setting))
            adopted[setting] = current
            owners_value = current
        if candidates:
            winner = candidates[0]
            winners[setting] = winner.source
            wanted = winner.values[setting]
            if not (is_known and same(setting, current, wanted)):
                writes.append((setting, wanted, winner.source))
            else:
                satisfied[setting] = wanted
            continue
        if setting in ours:
            written = verified_writes.get(setting, _MISSING)
            if is_known and _changed_by_owner(setting, current, written, owners_value, ours=ours, same=same):
                # Someone set it while we were giving it back: theirs stands.
                adopted[setting] = current
                restored.add(setting)
            elif (is_known and same(setting, current, owners_value)) or (
                setting in baseline and owners_value is None
            ):
                # Back as the owner had it, or the owner had nothing there (no tariff): nothing to put back.
                restored.add(setting)
            else:
                restoring.add(setting)
                if setting not in baseline:
                    continue
                writes.append((setting, owners_value, ClaimSource.OWNER))
            continue
        if is_known and setting not in adopted and not same(setting, current, owners_value):
            adopted[setting] = current
    return Plan(
        writes=tuple(writes),
        restoring=frozenset(restoring),
        restored=frozenset(restored),
        adopted=adopted,
        yielded=frozenset(new_yields),
        winners=winners,
        satisfied=satisfied,
    )


def _changed_by_owner(
    setting: Setting,
    current: object,
    written: object,
    owners_value: object,
    *,
    ours: frozenset[Setting],
    same: SameFn,
) -> bool:
    """Whether the Powerwall holds neither what we wrote (and saw in force) nor the owner's baseline."""
    return (
        setting in ours
        and written is not _MISSING
        and not same(setting, current, written)
        and not same(setting, current, owners_value)
    )


class _Missing:
    """No value (distinct from None, which is a value: no tariff)."""


_MISSING: Final = _Missing()
