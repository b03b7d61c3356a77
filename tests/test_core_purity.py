"""The pure core (tariff maths, decisions) stays pure: standard library and our API models only, no clock."""

from __future__ import annotations

import ast
from pathlib import Path
import sys

import pytest

ROOT = Path(__file__).parents[1] / "custom_components" / "tesla_amber_sync"
ALLOWED_FIRST_PARTY = {
    "custom_components.tesla_amber_sync.api.models",
    "..api.models",
    # The pure core may use its own other pure modules.
    "custom_components.tesla_amber_sync.control.claims",
    # The demand charge's window and settings, which the tariff lays over a custom schedule.
    "custom_components.tesla_amber_sync.control.demand",
    # The tariff's half-hour slots, which the demand window is laid out in.
    "custom_components.tesla_amber_sync.tariff.model",
    # The day sets (every day, weekdays, weekends) a demand window shares with a custom schedule.
    "custom_components.tesla_amber_sync.tariff.schedule",
}
CLOCK_READS = {"now", "utcnow", "today", "time_ns", "monotonic", "perf_counter"}


def modules() -> list[Path]:
    return sorted([*(ROOT / "tariff").glob("*.py"), *(ROOT / "control").glob("*.py")])


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", modules(), ids=_id)
def test_imports_only_the_standard_library_and_api_models(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:
                continue
            names = [("." * node.level) + (node.module or "")]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert name in ALLOWED_FIRST_PARTY or (top in sys.stdlib_module_names and top != "time"), name


@pytest.mark.parametrize("path", modules(), ids=_id)
def test_never_reads_the_clock(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            assert node.attr not in CLOCK_READS, f"{path.name}:{node.lineno} reads the clock"
