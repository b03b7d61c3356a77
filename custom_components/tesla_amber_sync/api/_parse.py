"""Lenient coercion of untrusted JSON values, shared by the response parsers.

Every helper returns None (or the given fallback) instead of raising, so that one odd field never costs a
whole reply; the callers decide which fields are essential.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
import math
from typing import Any, Final

# NEM time: AEST all year round, no daylight saving. Amber's `nemTime` and AEMO's dates are in it.
NEM_TIME_ZONE: Final = timezone(timedelta(hours=10), "NEM")


def as_float(value: object) -> float | None:
    """Return a finite float from a JSON number or numeric string, else None (booleans are not numbers)."""
    if type(value) is float:
        # The usual case, first: JSON decoders make plain floats.
        return value if math.isfinite(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            # An integer past the float range (the standard library decodes any length).
            return None
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_int(value: object) -> int | None:
    """Return an int from a JSON integer, a whole float or a numeric string, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        # Straight through: Tesla site ids can exceed the 53 bits a float holds exactly.
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        return int(value)
    number = as_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def as_str(value: object) -> str | None:
    """Return a non-blank string with surrounding blanks removed, else None."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def as_bool(value: object) -> bool | None:
    """Return a JSON boolean, else None (no truthiness guessing)."""
    return value if isinstance(value, bool) else None


def as_dict(value: object) -> dict[str, Any] | None:
    """Return a JSON object, else None."""
    return value if isinstance(value, dict) else None


def as_list(value: object) -> list[Any]:
    """Return a JSON array, or an empty list for null or anything else."""
    return value if isinstance(value, list) else []


def members_by_value[E: StrEnum](enum_type: type[E]) -> dict[object, E]:
    """Return the members of a string enum by value: `parse_enum` as a dictionary, for reading many values."""
    return {member.value: member for member in enum_type}


def parse_enum[E: StrEnum](enum_type: type[E], value: object, fallback: E) -> E:
    """Return the member whose value equals `value`, or `fallback` for anything unknown or missing."""
    if isinstance(value, str):
        try:
            return enum_type(value)
        except ValueError:
            pass
    return fallback


def parse_datetime(value: object, *, naive_zone: tzinfo | None = None) -> datetime | None:
    """Parse an ISO 8601 / RFC 3339 timestamp into an aware datetime.

    A timestamp without an offset gets `naive_zone` when the caller knows the upstream's convention, and is
    rejected otherwise: guessing an offset would silently shift prices by hours.
    """
    text = as_str(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if naive_zone is None:
            return None
        parsed = parsed.replace(tzinfo=naive_zone)
    return parsed


def parse_date(value: object) -> date | None:
    """Parse an ISO calendar date, else None."""
    text = as_str(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
