"""Claims resolved against what the Powerwall holds: precedence, restores, the owner's own changes."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.tesla_amber_sync.control.claims import (
    WRITE_ORDER,
    Claim,
    ClaimSource,
    Setting,
    plan,
)

MODE = Setting.OPERATION_MODE
TARIFF = Setting.TARIFF
RULE = Setting.EXPORT_RULE
ALL_KNOWN = frozenset(Setting)


def equal(_setting: Setting, a: object, b: object) -> bool:
    return a == b


def held(**values: object) -> dict[Setting, object]:
    base: dict[Setting, object] = {
        MODE: "self_consumption",
        TARIFF: "owner",
        RULE: "pv_only",
        Setting.GRID_CHARGING: True,
        Setting.BACKUP_RESERVE: 20,
    }
    base.update({Setting(key): value for key, value in values.items()})
    return base


def run(
    claims: tuple[Claim, ...],
    powerwall: dict[Setting, object],
    *,
    baseline: dict[Setting, object] | None = None,
    ours: frozenset[Setting] = frozenset(),
    verified: dict[Setting, object] | None = None,
    yielded: frozenset[tuple[ClaimSource, Setting]] = frozenset(),
    known: frozenset[Setting] = ALL_KNOWN,
):  # type: ignore[no-untyped-def]
    return plan(
        claims=claims,
        baseline=baseline if baseline is not None else held(),
        held=powerwall,
        known=known,
        ours=ours,
        verified_writes=verified or {},
        yielded=yielded,
        same=equal,
    )


SPIKE = Claim(source=ClaimSource.SPIKE, values={MODE: "autonomous", TARIFF: "spike"})
AMBER = Claim(source=ClaimSource.AMBER, values={TARIFF: "amber"})


def test_the_spike_outranks_the_chosen_tariff_and_writes_mode_first() -> None:
    result = run((AMBER, SPIKE), held())
    assert result.writes == (
        (MODE, "autonomous", ClaimSource.SPIKE),
        (TARIFF, "spike", ClaimSource.SPIKE),
    )
    assert result.winners == {MODE: ClaimSource.SPIKE, TARIFF: ClaimSource.SPIKE}


def test_only_differences_are_written() -> None:
    result = run((SPIKE,), held(operation_mode="autonomous"))
    assert result.writes == ((TARIFF, "spike", ClaimSource.SPIKE),)


def test_a_setting_no_longer_claimed_is_restored_to_the_baseline() -> None:
    result = run((AMBER,), held(operation_mode="autonomous", tariff="spike"), ours=frozenset({MODE, TARIFF}))
    assert result.writes == (
        (MODE, "self_consumption", ClaimSource.OWNER),
        (TARIFF, "amber", ClaimSource.AMBER),
    )
    assert result.restoring == frozenset({MODE})


def test_a_restored_setting_is_reported_and_nothing_is_written() -> None:
    result = run((), held(), ours=frozenset({MODE}))
    assert result.writes == ()
    assert result.restored == frozenset({MODE})


def test_the_owners_change_during_an_override_becomes_their_baseline() -> None:
    """We wrote autonomous and saw it; now the Powerwall shows backup: the owner's choice stands."""
    result = run(
        (SPIKE,),
        held(operation_mode="backup", tariff="spike"),
        ours=frozenset({MODE, TARIFF}),
        verified={MODE: "autonomous", TARIFF: "spike"},
    )
    assert (ClaimSource.SPIKE, MODE) in result.yielded
    assert result.adopted == {MODE: "backup"}
    assert all(setting is not MODE for setting, _, _ in result.writes)


def test_the_chosen_tariff_is_not_an_override_and_keeps_its_tariff() -> None:
    result = run(
        (AMBER,), held(tariff="owners_new_plan"), ours=frozenset({TARIFF}), verified={TARIFF: "amber"}
    )
    assert result.yielded == frozenset()
    assert result.writes == ((TARIFF, "amber", ClaimSource.AMBER),)


def test_an_unknown_setting_is_never_adopted_or_compared() -> None:
    result = run((SPIKE,), held(operation_mode="unknown"), known=ALL_KNOWN - {MODE})
    assert MODE not in result.adopted
    assert (MODE, "autonomous", ClaimSource.SPIKE) in result.writes


def test_a_yielded_setting_passes_to_the_next_claim_down() -> None:
    result = run(
        (SPIKE, AMBER),
        held(operation_mode="autonomous", tariff="owners_new_plan"),
        ours=frozenset({MODE, TARIFF}),
        verified={MODE: "autonomous", TARIFF: "spike"},
    )
    assert (ClaimSource.SPIKE, TARIFF) in result.yielded
    assert result.winners[TARIFF] is ClaimSource.AMBER
    assert (TARIFF, "amber", ClaimSource.AMBER) in result.writes


def test_an_owner_with_no_tariff_has_nothing_to_restore() -> None:
    result = run((), held(tariff="amber"), baseline={**held(), TARIFF: None}, ours=frozenset({TARIFF}))
    assert result.writes == ()
    assert TARIFF in result.restored


values = st.sampled_from(["a", "b", "c"])


@given(
    claimed=st.dictionaries(st.sampled_from(list(Setting)), values),
    powerwall=st.dictionaries(st.sampled_from(list(Setting)), values, min_size=5),
    owner=st.dictionaries(st.sampled_from(list(Setting)), values, min_size=5),
    ours=st.frozensets(st.sampled_from(list(Setting))),
)
def test_writes_follow_the_claims_and_never_touch_what_is_the_owners(
    claimed: dict[Setting, str],
    powerwall: dict[Setting, str],
    owner: dict[Setting, str],
    ours: frozenset[Setting],
) -> None:
    """Whatever the facts: every write is in write order, never repeats what the Powerwall holds, writes a
    claimed setting with its claim's value, and touches an unclaimed setting only to give it back."""
    claim = Claim(source=ClaimSource.SPIKE, values=claimed)
    result = run((claim,), dict(powerwall), baseline=dict(owner), ours=ours)
    order = [WRITE_ORDER.index(setting) for setting, _, _ in result.writes]
    assert order == sorted(order)
    for setting, value, source in result.writes:
        assert powerwall[setting] != value
        if setting in claimed:
            assert (value, source) == (claimed[setting], ClaimSource.SPIKE)
        else:
            assert setting in ours
            assert (value, source) == (owner[setting], ClaimSource.OWNER)
