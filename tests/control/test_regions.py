"""The NEM region of a site: from an Amber site's NMI, or from the Powerwall's time zone."""

from __future__ import annotations

import pytest

from custom_components.tesla_amber_sync.control.regions import region_for_nmi, region_for_time_zone


@pytest.mark.parametrize(
    ("nmi", "region"),
    [("4102000001", "NSW1"), ("7001234567", "NSW1"), ("QB12345678", "QLD1"), ("6305999999", "VIC1"),
     ("2001234567", "SA1"), ("8000123456", "TAS1"), ("5001234567", None), ("", None), (None, None)],
)  # fmt: skip
def test_region_for_nmi(nmi: str | None, region: str | None) -> None:
    assert region_for_nmi(nmi) == region


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("Australia/Sydney", "NSW1"),
        ("Australia/Canberra", "NSW1"),
        # Broken Hill keeps Adelaide's clock but is on the NSW grid.
        ("Australia/Broken_Hill", "NSW1"),
        ("Australia/Brisbane", "QLD1"),
        ("Australia/Melbourne", "VIC1"),
        ("Australia/Adelaide", "SA1"),
        ("Australia/Hobart", "TAS1"),
        # Outside the NEM: WA, NT, Lord Howe Island, and anywhere else.
        ("Australia/Perth", None),
        ("Australia/Darwin", None),
        ("Australia/Eucla", None),
        ("Australia/Lord_Howe", None),
        ("Pacific/Auckland", None),
        ("", None),
        (None, None),
    ],
)
def test_region_for_time_zone(zone: str | None, region: str | None) -> None:
    assert region_for_time_zone(zone) == region
