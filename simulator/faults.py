"""Fault injection: make one endpoint (or a family of them) misbehave N times or until cleared."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
import fnmatch
from typing import Any


class FaultKind(StrEnum):
    """How a request fails."""

    STATUS = "status"
    """Answer with `status` (429 carries Retry-After when `retry_after` is set)."""
    TIMEOUT = "timeout"
    """Hold the reply longer than the client waits, then answer normally."""
    MALFORMED = "malformed"
    """Answer 200 with a body that is not valid JSON."""
    NOT_APPLIED = "not_applied"
    """Accept a write (201 Updated) without applying it; GETs are unaffected."""


@dataclass(kw_only=True, slots=True)
class Fault:
    """One injected fault. `endpoint` is an endpoint name or a glob such as `teslemetry.*`."""

    endpoint: str
    kind: FaultKind
    status: int = 503
    retry_after: float | None = None
    delay: float | None = None
    # None: until cleared.
    remaining: int | None = 1

    def as_json(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return asdict(self)


class FaultBook:
    """The faults in force, matched in the order they were added."""

    def __init__(self) -> None:
        """Start without faults."""
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Add a fault."""
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or null for until cleared)")
        self._faults.append(fault)

    def clear(self, endpoint: str | None = None) -> int:
        """Remove every fault (or those added for `endpoint`); return how many went."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if endpoint is not None and f.endpoint != endpoint]
        return before - len(self._faults)

    def take(self, endpoint: str, *, is_write: bool) -> Fault | None:
        """The fault that applies to this request, counting it down (None when the request runs normally)."""
        for fault in self._faults:
            if not fnmatch.fnmatchcase(endpoint, fault.endpoint):
                continue
            if fault.kind is FaultKind.NOT_APPLIED and not is_write:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
            return fault
        return None

    def as_json(self) -> list[dict[str, Any]]:
        """Every fault in force."""
        return [fault.as_json() for fault in self._faults]
