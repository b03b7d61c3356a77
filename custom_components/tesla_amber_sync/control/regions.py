"""Which NEM region an Amber site's meter (NMI) is in."""

from __future__ import annotations

from typing import Final

NEM_REGIONS: Final = ("NSW1", "QLD1", "VIC1", "SA1", "TAS1")

# The first character of an NMI names the distribution area that allocated it (AEMO's NMI allocation
# list): numeric blocks by state, and letter blocks for the newer allocations. The ACT (7) is in NSW1.
_REGION_BY_NMI_PREFIX: Final = {
    "2": "SA1",
    "3": "QLD1",
    "4": "NSW1",
    "6": "VIC1",
    "7": "NSW1",
    "8": "TAS1",
    "N": "NSW1",
    "Q": "QLD1",
    "S": "SA1",
    "T": "TAS1",
    "V": "VIC1",
}


def region_for_nmi(nmi: str | None) -> str | None:
    """Return the NEM region of a meter, or None when the NMI does not say (WA, NT, or unknown)."""
    return _REGION_BY_NMI_PREFIX.get(nmi[:1].upper()) if nmi else None
