"""The entity ids the platform snapshots record, for checks of files that name entities."""

from __future__ import annotations

from pathlib import Path
import re

SNAPSHOTS = Path(__file__).parent / "snapshots" / "test_entities.ambr"


def snapshot_entity_ids() -> set[str]:
    """Every entity id in the platform snapshots."""
    return set(re.findall(r"'entity_id': '([a-z_]+\.[a-z0-9_]+)'", SNAPSHOTS.read_text()))
