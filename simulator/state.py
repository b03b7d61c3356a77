"""The simulated world: clock, market scenario, Powerwall, faults and what was asked of it."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final
from zoneinfo import ZoneInfo

from .clock import SimClock, write_reading
from .config import SimulatorConfig
from .demand import Household
from .faults import FaultBook
from .fleetauth import FleetAuth
from .freshness import ConfirmationLog, Market
from .powerwall import Powerwall
from .scenarios import SCENARIOS, Scenario, floor_time

AMBER_SITE_ID: Final = "01JSMAMBERS1TE0000000000AB"
ENERGY_SITE_ID: Final = 2252150123456789
_REQUEST_LOG_SIZE: Final = 500


@dataclass(frozen=True, kw_only=True, slots=True)
class AmberSiteSpec:
    """One simulated Amber site (every site sees the same market)."""

    id: str
    nmi: str
    network: str


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergySite:
    """One simulated Powerwall site, with its own battery."""

    energy_site_id: int
    site_name: str
    gateway_serial: str

    @property
    def gateway_id(self) -> str:
        """The gateway's DIN, which Tesla also uses as the product id."""
        return f"1152100-13-J--{self.gateway_serial}"


# The first of each is the simulator's usual one; `--sites 2` adds the second.
AMBER_SITES: Final = (
    AmberSiteSpec(id=AMBER_SITE_ID, nmi="4103999999", network="Ausgrid"),
    AmberSiteSpec(id="01JSMAMBERS1TE0000000000CD", nmi="6305999999", network="CitiPower"),
)
ENERGY_SITES: Final = (
    EnergySite(energy_site_id=ENERGY_SITE_ID, site_name="Home Powerwall", gateway_serial="CN321365D2SIM"),
    EnergySite(energy_site_id=2252150987654321, site_name="Beach House", gateway_serial="CN321365D3SIM"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordedRequest:
    """One request to an upstream endpoint, as the control API reports it."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: datetime

    def as_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "endpoint": self.endpoint,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "at": self.at.isoformat(),
        }


class Simulator:
    """Everything the endpoints read and change. One instance per application."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Build a fresh world from `config`."""
        self.config = config
        self.zone = ZoneInfo(config.time_zone)
        share = None if config.clock_file is None else partial(write_reading, config.clock_file)
        self.clock = SimClock(speed=config.speed, start=config.start, on_change=share)
        self.faults = FaultBook()
        # Signing in is the account's, not the world's: a reset keeps the Fleet API grants.
        previous: FleetAuth | None = getattr(self, "fleet_auth", None)
        self.fleet_auth = previous or FleetAuth(
            config.fleet_client_id, config.fleet_client_secret, lifetime=config.fleet_token_lifetime
        )
        self.counters: Counter[str] = Counter()
        self.requests: deque[RecordedRequest] = deque(maxlen=_REQUEST_LOG_SIZE)
        self.scenario = SCENARIOS[config.scenario]
        self.spike_start: datetime | None = None
        # How Amber publishes: confirmation delays and estimate noise (`publication.INSTANT`: none).
        self.publication = config.publication
        # Per billing interval, when the first Powerwall came to reflect its confirmed price.
        self.confirmations = ConfirmationLog()
        # Amber's rate-limit window (number of the 5-minute window, requests in it), for its headers.
        self.amber_window: tuple[int, int] = (-1, 0)
        self.amber_sites = AMBER_SITES[: config.sites]
        self.energy_sites = ENERGY_SITES[: config.sites]
        # The demand window and the household's import past the battery, shared by every simulated site.
        self.household = Household(window=config.demand_window, seed=config.import_seed)
        # A typical Amber owner's Powerwall follows its tariff (time-based control); a first run against the
        # simulator then has nothing to repair. Tests that need another mode set it through the write API.
        self.powerwalls = {
            site.energy_site_id: Powerwall(zone=self.zone, mode="autonomous", household=self.household)
            for site in self.energy_sites
        }
        self.switch_scenario(config.scenario)
        self.tick()

    @property
    def powerwall(self) -> Powerwall:
        """The first site's Powerwall: the one the control API shows and changes."""
        return self.powerwalls[ENERGY_SITE_ID]

    def energy_site(self, energy_site_id: int) -> EnergySite | None:
        """The simulated Powerwall site with this id, if there is one."""
        return next((site for site in self.energy_sites if site.energy_site_id == energy_site_id), None)

    def reset(self) -> None:
        """Back to the state the simulator started in (the clock restarts too)."""
        self.__init__(self.config)  # type: ignore[misc]

    def now(self) -> datetime:
        """The simulated instant (UTC)."""
        return self.clock.now()

    @property
    def market(self) -> Market:
        """What Amber's prices depend on now."""
        return Market(
            scenario=self.scenario, zone=self.zone, spike_start=self.spike_start, publication=self.publication
        )

    def tick(self) -> datetime:
        """Bring every Powerwall and the confirmation record up to the clock and return the instant."""
        now = self.now()
        for powerwall in self.powerwalls.values():
            powerwall.advance(now)
        self.confirmations.observe(now, self.market, self.powerwall.tariff)
        return now

    def set_household(self, household: Household) -> None:
        """Make `household` the demand window and import of every simulated site."""
        self.household = household
        for powerwall in self.powerwalls.values():
            powerwall.household = household

    def switch_scenario(self, name: str, spike_start: datetime | None = None) -> Scenario:
        """Make `name` the market; a spike scenario's spike starts now (or at `spike_start`)."""
        scenario = SCENARIOS.get(name)
        if scenario is None:
            raise KeyError(name)
        self.scenario = scenario
        start = spike_start or self.now()
        self.spike_start = floor_time(start, timedelta(minutes=5)) if scenario.spike_minutes else None
        return scenario

    def record(self, request: RecordedRequest) -> None:
        """Count one request to an upstream endpoint."""
        self.counters[request.endpoint] += 1
        self.requests.append(request)
