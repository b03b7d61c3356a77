"""What each entry remembers across restarts, in one versioned `Store` of typed records.

The writer records here before it acts, so a restart or reload resumes exactly where it was. Version 2 keeps
the owner's baseline for every setting Tesla Sync may change, the settings it holds changed, the last value
written to each setting that a read-back showed in force, and the restore budget. `migrate_v1` carries a
version 1 file (one baseline dict, written only during a spike) forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .control.claims import ClaimSource, Setting
from .control.demand import DemandState
from .control.restore import RestoreBudget

STORAGE_VERSION: Final = 2
# Minor 2 adds `demand` (the demand tracker's state); a minor 1 file reads as no demand tracked yet.
STORAGE_MINOR_VERSION: Final = 2
# Tariffs Tesla Sync writes carry codes starting with this; such a tariff is never the owner's own.
OWN_TARIFF_CODE_PREFIX: Final = "TESLA_SYNC:"


def is_own_tariff(content: object) -> bool:
    """Whether a `tariff_content_v2` is one Tesla Sync wrote (so it cannot be what the owner had)."""
    return isinstance(content, dict) and str(content.get("code", "")).startswith(OWN_TARIFF_CODE_PREFIX)


@dataclass(frozen=True, kw_only=True, slots=True)
class PushRecord:
    """The last Amber tariff write: what (fingerprint), when, and whether reading it back matched."""

    fingerprint: str
    pushed_at: datetime
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "fingerprint": self.fingerprint,
            "pushed_at": self.pushed_at.isoformat(),
            "verified": self.verified,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PushRecord | None:
        """Parse a stored record; anything unreadable is treated as no record."""
        pushed_at = dt_util.parse_datetime(str(data.get("pushed_at", "")))
        fingerprint = data.get("fingerprint")
        if pushed_at is None or not isinstance(fingerprint, str):
            return None
        return cls(fingerprint=fingerprint, pushed_at=pushed_at, verified=bool(data.get("verified")))


def _settings_map(data: object) -> dict[Setting, Any]:
    if not isinstance(data, dict):
        return {}
    return {Setting(key): value for key, value in data.items() if key in Setting.__members__.values()}


def _settings_set(data: object) -> set[Setting]:
    if not isinstance(data, list):
        return set()
    return {Setting(item) for item in data if item in Setting.__members__.values()}


def _yields(data: object) -> set[tuple[ClaimSource, Setting]]:
    if not isinstance(data, list):
        return set()
    found: set[tuple[ClaimSource, Setting]] = set()
    for item in data:
        if (
            isinstance(item, list)
            and len(item) == 2
            and item[0] in ClaimSource.__members__.values()
            and item[1] in Setting.__members__.values()
        ):
            found.add((ClaimSource(item[0]), Setting(item[1])))
    return found


@dataclass(kw_only=True, slots=True)
class PersistedState:
    """Everything the entry persists.

    `baseline` maps each setting to the owner's value (JSON form: enum values, the tariff's
    `tariff_content_v2`, booleans and numbers); `baseline_captured_at` when it was first recorded. `ours` are
    the settings Tesla Sync holds changed; `verified_writes` the last value written to each setting that a
    read-back showed in force; `yielded` the (override, setting) pairs given up to the owner's own change;
    `restore` the budget of the restore in progress. `amber_content` is the last complete Amber tariff (what
    the Amber claim holds while a new build is incomplete). `amber_claims_mode` is set when the owner let
    Tesla Sync put the Powerwall in time-based control (the repair's fix), and `time_based_control_dismissed`
    when they chose to leave it. `overrides` holds the spike and curtailment machines' own states, and
    `profiles` saved tariffs. `demand` is the demand tracker's cycle: its peak and the half hour in
    progress, so both survive a restart.
    """

    auto_sync: bool = True
    last_push: PushRecord | None = None
    baseline: dict[Setting, Any] = field(default_factory=dict)
    baseline_captured_at: datetime | None = None
    ours: set[Setting] = field(default_factory=set)
    verified_writes: dict[Setting, Any] = field(default_factory=dict)
    yielded: set[tuple[ClaimSource, Setting]] = field(default_factory=set)
    restore: RestoreBudget = field(default_factory=RestoreBudget)
    amber_content: dict[str, Any] | None = None
    amber_claims_mode: bool = False
    time_based_control_dismissed: bool = False
    # A record from an older version that lost the owner's mode (the Powerwall answered without it): the
    # owner is asked which mode to return to.
    mode_to_choose: bool = False
    # The saved profile the owner chose to hold on the Powerwall (None: Amber when auto sync is on, else the
    # owner's own tariff).
    chosen_profile: str | None = None
    # The custom schedule (a config subentry's id) the owner chose; at most one of it and `chosen_profile`.
    chosen_schedule: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)
    demand: DemandState = field(default_factory=DemandState)

    def forget_yields(self, source: ClaimSource) -> None:
        """Forget what the owner took back from `source`: its next override claims those settings afresh."""
        self.yielded = {pair for pair in self.yielded if pair[0] is not source}

    def record_override(
        self, key: str, source: ClaimSource, machine: dict[str, Any], *, active: bool
    ) -> None:
        """Keep an override machine's new state under `key`; once the override ends, its next one claims
        afresh whatever the owner took back during this one."""
        self.overrides[key] = machine
        if not active:
            self.forget_yields(source)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "auto_sync": self.auto_sync,
            "last_push": self.last_push.as_dict() if self.last_push else None,
            "baseline": {setting.value: value for setting, value in self.baseline.items()},
            "baseline_captured_at": (
                None if self.baseline_captured_at is None else self.baseline_captured_at.isoformat()
            ),
            "ours": sorted(setting.value for setting in self.ours),
            "verified_writes": {setting.value: value for setting, value in self.verified_writes.items()},
            "yielded": sorted([source.value, setting.value] for source, setting in self.yielded),
            "restore": self.restore.as_dict(),
            "amber_content": self.amber_content,
            "amber_claims_mode": self.amber_claims_mode,
            "time_based_control_dismissed": self.time_based_control_dismissed,
            "mode_to_choose": self.mode_to_choose,
            "chosen_profile": self.chosen_profile,
            "chosen_schedule": self.chosen_schedule,
            "overrides": self.overrides,
            "profiles": self.profiles,
            "demand": self.demand.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PersistedState:
        """Parse stored (version 2) data, tolerating missing or damaged keys."""
        last_push = data.get("last_push")
        captured = data.get("baseline_captured_at")
        amber_content = data.get("amber_content")
        return cls(
            auto_sync=bool(data.get("auto_sync", True)),
            last_push=PushRecord.from_dict(last_push) if isinstance(last_push, dict) else None,
            baseline=_settings_map(data.get("baseline")),
            baseline_captured_at=dt_util.parse_datetime(captured) if isinstance(captured, str) else None,
            ours=_settings_set(data.get("ours")),
            verified_writes=_settings_map(data.get("verified_writes")),
            yielded=_yields(data.get("yielded")),
            restore=RestoreBudget.from_dict(data.get("restore")),
            amber_content=amber_content if isinstance(amber_content, dict) else None,
            amber_claims_mode=data.get("amber_claims_mode") is True,
            time_based_control_dismissed=data.get("time_based_control_dismissed") is True,
            mode_to_choose=data.get("mode_to_choose") is True,
            chosen_profile=data["chosen_profile"] if isinstance(data.get("chosen_profile"), str) else None,
            chosen_schedule=data["chosen_schedule"] if isinstance(data.get("chosen_schedule"), str) else None,
            overrides=dict(data.get("overrides") or {}),
            profiles=dict(data.get("profiles") or {}),
            # Absent before minor version 2, or unreadable: nothing tracked yet (a peak is never invented).
            demand=DemandState.from_dict(data.get("demand")),
        )


def migrate_v1(old: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2.

    Version 1 kept `baseline` (`operation_mode`, `tariff_content_v2`, `captured_at`) only while a spike held
    the Powerwall or its restore was pending. It becomes the typed baseline, and the settings it covered are
    held by Tesla Sync until restored. A tariff Tesla Sync wrote itself is never taken as the owner's.
    """
    migrated: dict[str, Any] = {
        key: old[key] for key in ("auto_sync", "last_push", "overrides", "profiles") if key in old
    }
    baseline: dict[str, Any] = {}
    ours: list[str] = []
    old_baseline = old.get("baseline")
    if isinstance(old_baseline, dict):
        mode = old_baseline.get("operation_mode")
        if isinstance(mode, str) and mode != "unknown":
            baseline[Setting.OPERATION_MODE.value] = mode
            ours.append(Setting.OPERATION_MODE.value)
        else:
            # The owner's mode was never read: only they can say which to return to.
            migrated["mode_to_choose"] = True
        content = old_baseline.get("tariff_content_v2")
        if "tariff_content_v2" in old_baseline and not is_own_tariff(content):
            baseline[Setting.TARIFF.value] = content
            ours.append(Setting.TARIFF.value)
        migrated["baseline_captured_at"] = old_baseline.get("captured_at")
    migrated["baseline"] = baseline
    migrated["ours"] = ours
    return migrated


class _VersionedStore(Store[dict[str, Any]]):
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        data = old_data
        if old_major_version < 2:
            data = migrate_v1(data)
        return data


class TeslaSyncStore:
    """Loads and saves one entry's `PersistedState`."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Use `tesla_amber_sync.<entry_id>` in Home Assistant's storage folder."""
        self._store = _VersionedStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
            atomic_writes=True,
        )

    async def async_load_state(self, *, initial: PersistedState | None = None) -> PersistedState:
        """The stored state, or `initial` (by default, the defaults) when there is none yet."""
        data = await self._store.async_load()
        if data:
            return PersistedState.from_dict(data)
        return initial if initial is not None else PersistedState()

    async def async_save_state(self, state: PersistedState) -> None:
        """Write the state now (not delayed: it records what we are about to do)."""
        await self._store.async_save(state.as_dict())

    def async_delay_save_state(self, state: PersistedState, delay: float) -> None:
        """Write the state as it is `delay` seconds from now (or at shutdown, if sooner), replacing any
        delayed write pending; a write now (`async_save_state`) makes it unnecessary."""
        self._store.async_delay_save(state.as_dict, delay)

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
