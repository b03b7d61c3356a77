"""Which NEM region a site is in: from an Amber site's meter (NMI), or from the Powerwall's time zone."""

from __future__ import annotations

from typing import Final

NEM_REGIONS: Final = ("NSW1", "QLD1", "VIC1", "SA1", "TAS1")
# A site outside the NEM (WA, NT): AEMO's NEM prices say nothing about it, so spike response has nothing to
# watch and AEMO is not asked.
OUTSIDE_NEM: Final = "NONE"
REGION_CHOICES: Final = (*NEM_REGIONS, OUTSIDE_NEM)

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


# The IANA zones of the states in the NEM. Broken Hill keeps South Australia's clock but is on the NSW grid.
# Perth, Eucla and Darwin (WA and NT) are outside the NEM, as is Lord Howe Island (its own island grid).
_REGION_BY_TIME_ZONE: Final = {
    "Australia/Sydney": "NSW1",
    "Australia/ACT": "NSW1",
    "Australia/Canberra": "NSW1",
    "Australia/NSW": "NSW1",
    "Australia/Broken_Hill": "NSW1",
    "Australia/Yancowinna": "NSW1",
    "Australia/Brisbane": "QLD1",
    "Australia/Lindeman": "QLD1",
    "Australia/Queensland": "QLD1",
    "Australia/Melbourne": "VIC1",
    "Australia/Victoria": "VIC1",
    "Australia/Adelaide": "SA1",
    "Australia/South": "SA1",
    "Australia/Hobart": "TAS1",
    "Australia/Currie": "TAS1",
    "Australia/Tasmania": "TAS1",
}


def region_for_time_zone(zone: str | None) -> str | None:
    """Return the NEM region of a site in the IANA time zone `zone`, or None outside the NEM (WA, NT,
    abroad) or when there is no zone."""
    return _REGION_BY_TIME_ZONE.get(zone) if zone else None
