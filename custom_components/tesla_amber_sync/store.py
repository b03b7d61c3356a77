"""What each entry remembers across restarts, in one versioned `Store`.

The controller writes here before it acts, so a restart or reload resumes exactly where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class PushRecord:
    """The last tariff write: what (fingerprint), when, and whether reading it back matched."""

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


@dataclass(kw_only=True, slots=True)
class PersistedState:
    """Everything the entry persists.

    `baseline` (what the owner had before any override), `overrides` (spike, curtailment, applied profile)
    and `profiles` (saved tariffs) are kept as plain JSON so later features add keys, not versions.
    """

    auto_sync: bool = True
    last_push: PushRecord | None = None
    baseline: dict[str, Any] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "auto_sync": self.auto_sync,
            "last_push": self.last_push.as_dict() if self.last_push else None,
            "baseline": self.baseline,
            "overrides": self.overrides,
            "profiles": self.profiles,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PersistedState:
        """Parse stored data, tolerating missing keys."""
        last_push = data.get("last_push")
        return cls(
            auto_sync=bool(data.get("auto_sync", True)),
            last_push=PushRecord.from_dict(last_push) if isinstance(last_push, dict) else None,
            baseline=data.get("baseline") if isinstance(data.get("baseline"), dict) else None,
            overrides=dict(data.get("overrides") or {}),
            profiles=dict(data.get("profiles") or {}),
        )


class _VersionedStore(Store[dict[str, Any]]):
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        # Version 1 is the first; later versions add their steps here, oldest first.
        return old_data


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

    async def async_load_state(self) -> PersistedState:
        """The stored state, or the defaults when there is none yet."""
        data = await self._store.async_load()
        return PersistedState.from_dict(data) if data else PersistedState()

    async def async_save_state(self, state: PersistedState) -> None:
        """Write the state now (not delayed: it records what we are about to do)."""
        await self._store.async_save(state.as_dict())

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
