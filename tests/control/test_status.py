"""The sync status, derived from facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, strategies as st
import pytest

from custom_components.tesla_amber_sync.control.status import (
    BuildOutcome,
    SyncFacts,
    SyncStatus,
    WriteOutcome,
    derive_status,
)

IN_SYNC = SyncFacts(
    auto_sync=True,
    override_active=False,
    amber_available=True,
    teslemetry_available=True,
    amber_age=timedelta(minutes=1),
    interval=timedelta(minutes=5),
    build=BuildOutcome.COMPLETE,
    last_write=WriteOutcome.VERIFIED,
    rate_limited=False,
    powerwall_holds_amber=True,
    time_based_control=True,
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, SyncStatus.SYNCED),
        ({"auto_sync": False}, SyncStatus.DISABLED),
        ({"override_active": True}, SyncStatus.OVERRIDDEN),
        ({"amber_available": False}, SyncStatus.UPSTREAM_UNAVAILABLE),
        ({"teslemetry_available": False}, SyncStatus.UPSTREAM_UNAVAILABLE),
        ({"last_write": WriteOutcome.REJECTED}, SyncStatus.REJECTED),
        ({"rate_limited": True}, SyncStatus.RATE_LIMITED),
        ({"amber_age": None}, SyncStatus.PENDING),
        ({"amber_age": timedelta(minutes=11)}, SyncStatus.STALE),
        ({"build": BuildOutcome.INCOMPLETE}, SyncStatus.INCOMPLETE_FORECAST),
        ({"last_write": WriteOutcome.NOT_APPLIED}, SyncStatus.NOT_APPLIED),
        ({"last_write": WriteOutcome.FAILED}, SyncStatus.NOT_APPLIED),
        ({"powerwall_holds_amber": False}, SyncStatus.PENDING),
        ({"time_based_control": False}, SyncStatus.NOT_IN_TIME_BASED_CONTROL),
    ],
)
def test_each_status_from_its_facts(change: dict[str, object], expected: SyncStatus) -> None:
    assert derive_status(replace(IN_SYNC, **change)) is expected  # type: ignore[arg-type]


def test_thirty_minute_sites_are_stale_after_an_hour() -> None:
    facts = replace(IN_SYNC, interval=timedelta(minutes=30), amber_age=timedelta(minutes=59))
    assert derive_status(facts) is SyncStatus.SYNCED
    assert derive_status(replace(facts, amber_age=timedelta(minutes=61))) is SyncStatus.STALE


@given(
    auto_sync=st.booleans(),
    override=st.booleans(),
    amber=st.booleans(),
    teslemetry=st.booleans(),
    age=st.none() | st.integers(min_value=0, max_value=120),
    build=st.none() | st.sampled_from(BuildOutcome),
    write=st.none() | st.sampled_from(WriteOutcome),
    limited=st.booleans(),
    holds=st.booleans(),
    tbc=st.booleans(),
)
def test_synced_only_when_every_fact_agrees(
    auto_sync: bool,
    override: bool,
    amber: bool,
    teslemetry: bool,
    age: int | None,
    build: BuildOutcome | None,
    write: WriteOutcome | None,
    limited: bool,
    holds: bool,
    tbc: bool,
) -> None:
    facts = SyncFacts(
        auto_sync=auto_sync,
        override_active=override,
        amber_available=amber,
        teslemetry_available=teslemetry,
        amber_age=None if age is None else timedelta(minutes=age),
        interval=timedelta(minutes=5),
        build=build,
        last_write=write,
        rate_limited=limited,
        powerwall_holds_amber=holds,
        time_based_control=tbc,
    )
    synced = derive_status(facts) is SyncStatus.SYNCED
    assert synced == (
        auto_sync
        and not override
        and amber
        and teslemetry
        and age is not None
        and age <= 10
        and build is not BuildOutcome.INCOMPLETE
        and write not in {WriteOutcome.REJECTED, WriteOutcome.NOT_APPLIED, WriteOutcome.FAILED}
        and not limited
        and holds
        and tbc
    )


# An entry without Amber holding the schedule its owner chose: every Amber fact is as bad as it gets.
WITHOUT_AMBER = replace(
    IN_SYNC,
    has_amber=False,
    auto_sync=False,
    amber_available=False,
    amber_age=None,
    build=None,
    last_write=None,
    powerwall_holds_amber=False,
    tariff_chosen=True,
    powerwall_holds_chosen=True,
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, SyncStatus.SYNCED),
        ({"tariff_chosen": False}, SyncStatus.DISABLED),
        ({"override_active": True}, SyncStatus.OVERRIDDEN),
        ({"teslemetry_available": False}, SyncStatus.UPSTREAM_UNAVAILABLE),
        ({"time_based_control": False}, SyncStatus.NOT_IN_TIME_BASED_CONTROL),
        ({"powerwall_holds_chosen": False}, SyncStatus.PENDING),
        ({"powerwall_holds_chosen": False, "last_write": WriteOutcome.REJECTED}, SyncStatus.REJECTED),
        ({"powerwall_holds_chosen": False, "rate_limited": True}, SyncStatus.RATE_LIMITED),
        ({"powerwall_holds_chosen": False, "last_write": WriteOutcome.FAILED}, SyncStatus.NOT_APPLIED),
        ({"powerwall_holds_chosen": False, "last_write": WriteOutcome.NOT_APPLIED}, SyncStatus.NOT_APPLIED),
        # A failed write followed by the Powerwall holding the tariff anyway: the read-back is the truth.
        ({"last_write": WriteOutcome.FAILED}, SyncStatus.SYNCED),
    ],
)
def test_each_status_of_an_entry_without_amber(change: dict[str, object], expected: SyncStatus) -> None:
    assert derive_status(replace(WITHOUT_AMBER, **change)) is expected  # type: ignore[arg-type]


@given(
    chosen=st.booleans(),
    override=st.booleans(),
    teslemetry=st.booleans(),
    write=st.none() | st.sampled_from(WriteOutcome),
    limited=st.booleans(),
    holds=st.booleans(),
    tbc=st.booleans(),
)
def test_without_amber_synced_only_when_the_powerwall_holds_the_choice(
    chosen: bool,
    override: bool,
    teslemetry: bool,
    write: WriteOutcome | None,
    limited: bool,
    holds: bool,
    tbc: bool,
) -> None:
    """Amber's absence is never a reason; `synced` needs the chosen tariff held in time-based control."""
    facts = replace(
        WITHOUT_AMBER,
        tariff_chosen=chosen,
        override_active=override,
        teslemetry_available=teslemetry,
        last_write=write,
        rate_limited=limited,
        powerwall_holds_chosen=holds,
        time_based_control=tbc,
    )
    status = derive_status(facts)
    assert (status is SyncStatus.SYNCED) == (chosen and not override and teslemetry and holds and tbc)
    assert status is not SyncStatus.UPSTREAM_UNAVAILABLE or not teslemetry
    assert status not in {SyncStatus.STALE, SyncStatus.INCOMPLETE_FORECAST}
