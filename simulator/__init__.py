"""A local stand-in for Amber, Teslemetry and AEMO, so Tesla Sync can be tried without any account.

One aiohttp application serves the three upstreams under path prefixes (`/amber/v1`, `/teslemetry`,
`/aemo`) with their real response shapes, a simple Powerwall model behind the Teslemetry endpoints, fault
injection, and a control API under `/_sim`. It has no Home Assistant import: it runs anywhere aiohttp does.
"""

from __future__ import annotations

from .app import create_app
from .config import SimulatorConfig
from .state import Simulator

__all__ = ["Simulator", "SimulatorConfig", "create_app"]
