"""Start-up settings of the simulator (what the command line sets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from .demand import DEFAULT_WINDOW, DemandWindow
from .publication import REALISTIC, Publication

# Well-known tokens of a local toy, not secrets.
DEFAULT_AMBER_TOKEN: Final = "psk_simulator"  # noqa: S105
DEFAULT_TESLEMETRY_TOKEN: Final = "teslemetry_simulator"  # noqa: S105
# The simulated Tesla developer application (add them under Application Credentials).
DEFAULT_FLEET_CLIENT_ID: Final = "tesla_sync_simulator"
DEFAULT_FLEET_CLIENT_SECRET: Final = "simulator_secret"  # noqa: S105
DEFAULT_SCENARIO: Final = "typical_day"
# A zone with daylight saving: the integration must convert Amber's fixed +10:00 times, not assume them.
DEFAULT_TIME_ZONE: Final = "Australia/Sydney"


@dataclass(frozen=True, kw_only=True, slots=True)
class SimulatorConfig:
    """What a fresh (or reset) simulator looks like."""

    amber_token: str = DEFAULT_AMBER_TOKEN
    teslemetry_token: str = DEFAULT_TESLEMETRY_TOKEN
    fleet_client_id: str = DEFAULT_FLEET_CLIENT_ID
    fleet_client_secret: str = DEFAULT_FLEET_CLIENT_SECRET
    # Seconds a Fleet API access token lasts (Tesla: eight hours).
    fleet_token_lifetime: float = 28800.0
    scenario: str = DEFAULT_SCENARIO
    speed: float = 1.0
    start: datetime | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    # Seconds a "timeout" fault holds a reply: longer than the integration's 20 s request timeout.
    timeout_delay: float = 30.0
    # How Amber publishes (confirmation delays, estimate and forecast noise); `publication.INSTANT` for none.
    publication: Publication = REALISTIC
    # The site's network demand window (Amber's `demandWindow` flags; None: no demand tariff), and the seed of
    # the household's import past the Powerwall (its peak half hour in each run of the window).
    demand_window: DemandWindow | None = DEFAULT_WINDOW
    import_seed: int = 0
    # Where the clock is shared with Home Assistant (`sharedclock`): written at each jump; None: not shared.
    clock_file: Path | None = None
    # 2 adds a second Amber site and a second Powerwall, so the config flow shows its site pickers.
    sites: int = 1

    def __post_init__(self) -> None:
        """Refuse a number of sites the simulator does not have."""
        if self.sites not in {1, 2}:
            raise ValueError(f"sites must be 1 or 2, not {self.sites}")
