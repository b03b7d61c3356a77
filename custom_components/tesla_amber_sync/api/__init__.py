"""Async clients for the Amber Electric, Teslemetry and AEMO APIs (aiohttp only, no Home Assistant)."""

from __future__ import annotations

# Kept equal to manifest.json "version" (a test checks it).
INTEGRATION_VERSION = "0.1.0"
USER_AGENT = f"TeslaSync/{INTEGRATION_VERSION} (Home Assistant custom integration tesla_amber_sync)"
