"""The features the controller runs, one class each, on the Home Assistant side.

Each feature keeps its own state (persisted in the entry's `PersistedState`), steps its pure policy from
`control/` or `tariff/`, raises and clears its repair issues, and states its claim. None of them writes: the
controller resolves the claims (`control.claims.plan`) and the writer core (`writer.py`) writes.
"""
