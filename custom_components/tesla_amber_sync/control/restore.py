"""How often a restore of the owner's settings is tried: a bounded number of attempts with back-off.

Giving the owner's settings back is a phase, not a loop: each attempt that does not leave the Powerwall as the
owner had it waits longer before the next (1, 2, 4, 8 minutes), and after `MAX_ATTEMPTS` the writer stops and
raises a repair issue instead. A rate limit pushes the next attempt to when the limit lifts, whatever the
back-off says. Pure: the writer keeps a `RestoreBudget` and asks it what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

MAX_ATTEMPTS: Final = 5
FIRST_BACKOFF: Final = timedelta(minutes=1)
MAX_BACKOFF: Final = timedelta(minutes=15)


@dataclass(frozen=True, kw_only=True, slots=True)
class RestoreBudget:
    """Attempts made so far in this restore, when the next may be made, and whether it was given up."""

    attempts: int = 0
    next_attempt_at: datetime | None = None
    gave_up: bool = False

    def may_attempt(self, now: datetime, *, rate_limited_until: datetime | None = None) -> bool:
        """Whether a write may be made now."""
        if self.gave_up:
            return False
        if rate_limited_until is not None and now < rate_limited_until:
            return False
        return self.next_attempt_at is None or now >= self.next_attempt_at

    def failed(self, now: datetime, *, rate_limited_until: datetime | None = None) -> RestoreBudget:
        """Count an attempt that did not restore everything; gives up at the bound."""
        attempts = self.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return RestoreBudget(attempts=attempts, next_attempt_at=None, gave_up=True)
        wait = min(FIRST_BACKOFF * (2 ** (attempts - 1)), MAX_BACKOFF)
        next_at = now + wait
        if rate_limited_until is not None and rate_limited_until > next_at:
            next_at = rate_limited_until
        return RestoreBudget(attempts=attempts, next_attempt_at=next_at)

    def postponed(self, until: datetime) -> RestoreBudget:
        """No attempt before `until` (a rate limit), without counting one."""
        return replace(self, next_attempt_at=until)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "attempts": self.attempts,
            "next_attempt_at": None if self.next_attempt_at is None else self.next_attempt_at.isoformat(),
            "gave_up": self.gave_up,
        }

    @classmethod
    def from_dict(cls, data: object) -> RestoreBudget:
        """Parse a stored budget; anything unreadable is a fresh one."""
        if not isinstance(data, dict):
            return cls()
        attempts = data.get("attempts")
        next_at = data.get("next_attempt_at")
        parsed: datetime | None = None
        if isinstance(next_at, str):
            try:
                parsed = datetime.fromisoformat(next_at)
            except ValueError:
                parsed = None
        return cls(
            attempts=attempts if isinstance(attempts, int) and attempts >= 0 else 0,
            next_attempt_at=parsed if parsed is not None and parsed.tzinfo is not None else None,
            gave_up=data.get("gave_up") is True,
        )
