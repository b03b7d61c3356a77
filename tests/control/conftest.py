"""The decision logic is pure: its tests run without Home Assistant."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the root conftest's autouse fixture, which would start Home Assistant for every test."""
