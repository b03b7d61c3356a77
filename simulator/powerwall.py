"""A simple, plausible Powerwall: charge, power flows and energy totals that advance with the clock.

This is not Tesla's optimiser. The rules are few so that an owner can predict them from a dashboard:
solar serves the house first; self-consumption covers the house from the battery down to the reserve;
time-based control also charges from the grid in the cheapest quarter of today's tariff and exports from
the battery in the dearest quarter; backup keeps the battery full. The export rule `never` curtails solar
instead of exporting it, and `pv_only` keeps the battery from exporting. The household also draws power the
battery does not serve (`demand.Household`), with a peak half hour inside the demand window; the meter
nets it with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Final
from zoneinfo import ZoneInfo

from .demand import Household
from .tariff import Json, rate_at

CAPACITY_WH: Final = 27000.0  # Two Powerwall 2 units.
MAX_POWER_W: Final = 10000.0
SOLAR_PEAK_W: Final = 7500.0
_STEP: Final = timedelta(seconds=60)
# A jump of the clock further than this is not integrated step by step (it would only cost time).
_MAX_INTEGRATION: Final = timedelta(days=3)
ENERGY_KEYS: Final = (
    "solar_energy_exported",
    "grid_energy_imported",
    "grid_energy_exported_from_solar",
    "grid_energy_exported_from_battery",
    "battery_energy_exported",
    "battery_energy_imported_from_grid",
    "battery_energy_imported_from_solar",
    "consumer_energy_imported_from_grid",
    "consumer_energy_imported_from_solar",
    "consumer_energy_imported_from_battery",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Flows:
    """Instantaneous power (W) in Tesla's signs: battery + discharging, grid + importing."""

    solar: float
    load: float
    battery: float
    grid: float


@dataclass(kw_only=True)
class Powerwall:
    """The battery's settings and physical state."""

    zone: ZoneInfo
    energy_wh: float = CAPACITY_WH * 0.6
    mode: str = "self_consumption"
    backup_reserve_percent: int = 20
    # None means Tesla's key is absent (the default, battery_ok).
    export_rule: str | None = None
    grid_charging_allowed: bool = True
    tariff: Json | None = None
    updated_at: datetime | None = None
    flows: Flows = field(default_factory=lambda: Flows(solar=0.0, load=0.0, battery=0.0, grid=0.0))
    day: str | None = None
    energy: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ENERGY_KEYS, 0.0))
    # What the household draws past the battery, and a meter held at a fixed import (None: none of it).
    household: Household | None = None
    _rates_cache: tuple[tuple[int, str], list[float]] | None = field(default=None, repr=False)

    @property
    def percentage(self) -> float:
        """State of charge, 0-100."""
        return 100.0 * self.energy_wh / CAPACITY_WH

    def set_percentage(self, percent: float) -> None:
        """Put the battery at `percent` state of charge (control API)."""
        self.energy_wh = CAPACITY_WH * min(100.0, max(0.0, percent)) / 100.0

    def advance(self, now: datetime) -> None:
        """Integrate power flows from the last update up to `now`."""
        if self.updated_at is None or now <= self.updated_at or now - self.updated_at > _MAX_INTEGRATION:
            # First call, a clock moved backwards, or a long jump: take the new instant as the starting point.
            self.updated_at = now
            self.flows = self.flows_at(now)
            self._roll_day(now)
            return
        moment = self.updated_at
        while moment < now:
            step_end = min(now, moment + _STEP)
            self._roll_day(moment)
            flows = self.flows_at(moment)
            self._integrate(flows, (step_end - moment).total_seconds() / 3600)
            moment = step_end
        self.updated_at = now
        self._roll_day(now)
        self.flows = self.flows_at(now)

    def _roll_day(self, moment: datetime) -> None:
        day = moment.astimezone(self.zone).date().isoformat()
        if day != self.day:
            self.day = day
            self.energy = dict.fromkeys(ENERGY_KEYS, 0.0)

    def flows_at(self, moment: datetime) -> Flows:
        """The power flows the battery would choose at `moment` in its current state."""
        local = moment.astimezone(self.zone)
        solar = solar_power(local)
        load = house_load(local)
        reserve_wh = CAPACITY_WH * self.backup_reserve_percent / 100
        can_charge = max(0.0, min(MAX_POWER_W, (CAPACITY_WH - self.energy_wh) * 60))
        can_discharge = max(0.0, min(MAX_POWER_W, (self.energy_wh - reserve_wh) * 60))
        # The battery sees the meter: it charges from what solar leaves of every load, but covers only the
        # house (not what the household draws past it).
        unserved = self.household.unserved_load(local) if self.household is not None else 0.0
        surplus = solar - load - unserved
        # Positive battery = discharging.
        if surplus >= 0:
            battery = -min(surplus, can_charge)
        else:
            battery = 0.0 if self.mode == "backup" else min(max(0.0, load - solar), can_discharge)
        band = self._price_band(local)
        # Below its backup reserve the Powerwall charges back up to it, in any mode (grid charging allowing).
        below_reserve = self.energy_wh < reserve_wh
        wants_grid_charge = (
            self.mode == "backup" or below_reserve or (self.mode == "autonomous" and band == "cheap")
        )
        if wants_grid_charge and self.grid_charging_allowed:
            battery = -can_charge
        elif self.mode == "autonomous" and band == "dear" and self.export_rule in {None, "battery_ok"}:
            battery = can_discharge
        load += unserved
        grid = load - solar - battery
        if grid < 0 and self.export_rule == "never":
            # No export allowed: the inverters back off solar to what the house and battery take.
            solar, grid = max(0.0, load - battery), 0.0
        if self.household is not None and self.household.fixed_import_w is not None:
            solar, load, battery, grid = _meter_held(self.household.fixed_import_w, solar, battery)
        # Whole tenths of a watt (and no -0.0), as the gateway reports them.
        return Flows(
            solar=round(solar, 1) + 0.0,
            load=round(load, 1) + 0.0,
            battery=round(battery, 1) + 0.0,
            grid=round(grid, 1) + 0.0,
        )

    def _price_band(self, local: datetime) -> str:
        """`cheap`, `dear` or `normal`: where the rate in force sits in today's tariff."""
        if self.tariff is None:
            return "normal"
        now_rate = rate_at(self.tariff, local).buy
        rates = self._day_rates(local)
        if now_rate is None or not rates:
            return "normal"
        if now_rate <= rates[len(rates) // 4] and now_rate < rates[-1]:
            return "cheap"
        if now_rate >= rates[(3 * len(rates)) // 4] and now_rate > rates[0]:
            return "dear"
        return "normal"

    def _day_rates(self, local: datetime) -> list[float]:
        """Today's 48 buy rates, sorted; cached because every simulated minute asks."""
        key = (id(self.tariff), local.date().isoformat())
        if self._rates_cache is None or self._rates_cache[0] != key:
            day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            rates = sorted(
                rate
                for slot in range(48)
                if (rate := rate_at(self.tariff, day_start + timedelta(minutes=30 * slot)).buy) is not None
            )
            self._rates_cache = (key, rates)
        return self._rates_cache[1]

    def _integrate(self, flows: Flows, hours: float) -> None:
        battery_wh = flows.battery * hours
        self.energy_wh = min(CAPACITY_WH, max(0.0, self.energy_wh - battery_wh))
        solar_wh, load_wh = flows.solar * hours, flows.load * hours
        # Attribute energy as Tesla's counters do: solar to the house first, then battery, then grid.
        solar_to_home = min(solar_wh, load_wh)
        charge_wh = max(0.0, -battery_wh)
        discharge_wh = max(0.0, battery_wh)
        solar_to_battery = min(max(0.0, solar_wh - solar_to_home), charge_wh)
        grid_to_battery = charge_wh - solar_to_battery
        battery_to_home = min(discharge_wh, load_wh - solar_to_home)
        battery_to_grid = discharge_wh - battery_to_home
        grid_to_home = max(0.0, load_wh - solar_to_home - battery_to_home)
        solar_to_grid = max(0.0, solar_wh - solar_to_home - solar_to_battery)
        totals = {
            "solar_energy_exported": solar_wh,
            "grid_energy_imported": grid_to_home + grid_to_battery,
            "grid_energy_exported_from_solar": solar_to_grid,
            "grid_energy_exported_from_battery": battery_to_grid,
            "battery_energy_exported": discharge_wh,
            "battery_energy_imported_from_grid": grid_to_battery,
            "battery_energy_imported_from_solar": solar_to_battery,
            "consumer_energy_imported_from_grid": grid_to_home,
            "consumer_energy_imported_from_solar": solar_to_home,
            "consumer_energy_imported_from_battery": battery_to_home,
        }
        for key, value in totals.items():
            self.energy[key] += value


def _meter_held(import_w: float, solar: float, battery: float) -> tuple[float, float, float, float]:
    """Solar, load, battery and grid when the meter reads `import_w`: the house draws what solar, battery
    and grid give it, and a battery charging harder than solar and grid supply charges only that hard."""
    battery = max(battery, -(solar + import_w))
    return solar, solar + battery + import_w, battery, import_w


def solar_power(local: datetime) -> float:
    """Solar output (W) on a clear day: a sine from 06:30 to 18:30 local time."""
    hour = local.hour + local.minute / 60 + local.second / 3600
    if not 6.5 < hour < 18.5:
        return 0.0
    return round(SOLAR_PEAK_W * math.sin(math.pi * (hour - 6.5) / 12), 1)


def house_load(local: datetime) -> float:
    """House consumption (W): a base load with a breakfast and a larger dinner bump."""
    hour = local.hour + local.minute / 60
    load = 450.0
    if 6.5 <= hour < 9:
        load += 1400.0
    if 17 <= hour < 22:
        load += 2300.0
    # A little movement so the sensors do not look frozen.
    load += 120.0 * math.sin(hour * 5.3)
    return round(load, 1)
