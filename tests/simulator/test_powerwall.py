"""The Powerwall model: charge and flows follow the mode, the export rule, the tariff and the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from simulator.powerwall import CAPACITY_WH, Powerwall, house_load, solar_power
from simulator.tariff import rate_at, tariff_problems

from .conftest import SITE, TESLA
from .test_teslemetry_endpoints import tariff

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

SYDNEY = ZoneInfo("Australia/Sydney")
NOON = datetime(2026, 7, 15, 12, tzinfo=SYDNEY)


def hourly_tariff(cheap_hours: range) -> dict[str, Any]:
    """A two-period tariff: cheap in `cheap_hours`, dear otherwise."""
    start, end = cheap_hours.start, cheap_hours.stop
    periods = {
        "CHEAP": {"periods": [{"fromHour": start, "toHour": end}]},
        "DEAR": {"periods": [{"fromHour": end, "toHour": start}]},
    }
    season = {"fromMonth": 1, "toMonth": 12, "fromDay": 1, "toDay": 31, "tou_periods": periods}
    return {
        "energy_charges": {"S": {"rates": {"CHEAP": 0.1, "DEAR": 0.5}}},
        "seasons": {"S": season},
        "sell_tariff": {
            "energy_charges": {"S": {"rates": {"CHEAP": 0.0, "DEAR": 0.3}}},
            "seasons": {"S": season},
        },
    }


def test_solar_and_load_curves() -> None:
    assert solar_power(NOON) > 5000
    assert solar_power(NOON.replace(hour=3)) == 0
    assert house_load(NOON.replace(hour=19)) > house_load(NOON.replace(hour=3))


def test_self_consumption_discharges_at_night_and_stops_at_reserve() -> None:
    pw = Powerwall(zone=SYDNEY)
    night = NOON.replace(hour=22)
    pw.advance(night)
    assert pw.flows.battery > 0
    assert pw.flows.grid == 0
    pw.set_percentage(20)
    pw.advance(night + timedelta(minutes=5))
    assert pw.flows.battery == 0
    assert pw.flows.grid > 0


def test_charge_follows_the_clock_and_counters_roll_at_midnight() -> None:
    pw = Powerwall(zone=SYDNEY)
    pw.set_percentage(30)
    pw.advance(NOON)
    pw.advance(NOON + timedelta(hours=2))
    assert pw.percentage > 35
    assert pw.energy["battery_energy_imported_from_solar"] > 0
    pw.advance(NOON + timedelta(hours=13))  # 01:00 the next day.
    assert pw.day == "2026-07-16"
    assert pw.energy["solar_energy_exported"] == 0
    # A clock moved back is a new starting point, not negative time.
    pw.advance(NOON)
    assert pw.updated_at == NOON


def test_export_rule_never_curtails_solar() -> None:
    pw = Powerwall(zone=SYDNEY, energy_wh=CAPACITY_WH)
    assert pw.flows_at(NOON).grid < 0
    pw.export_rule = "never"
    flows = pw.flows_at(NOON)
    assert flows.grid == 0
    assert flows.solar == flows.load


def test_time_based_control_uses_the_tariff() -> None:
    pw = Powerwall(zone=SYDNEY, mode="autonomous", tariff=hourly_tariff(range(1, 5)))
    assert pw.flows_at(NOON.replace(hour=2)).battery < -5000  # Cheap: charges from the grid.
    pw.grid_charging_allowed = False
    assert pw.flows_at(NOON.replace(hour=2)).battery >= 0
    dear = pw.flows_at(NOON.replace(hour=20))
    assert dear.grid < 0  # Dear: exports from the battery.
    pw.export_rule = "pv_only"
    assert pw.flows_at(NOON.replace(hour=20)).grid >= 0


def test_backup_mode_fills_the_battery() -> None:
    pw = Powerwall(zone=SYDNEY, mode="backup")
    flows = pw.flows_at(NOON.replace(hour=22))
    assert flows.battery < 0
    assert flows.grid > flows.load


def test_rate_lookup_handles_wraps_and_defaults() -> None:
    content = hourly_tariff(range(22, 6))
    assert rate_at(content, NOON.replace(hour=23)).buy == 0.1
    assert rate_at(content, NOON.replace(hour=3)).period == "CHEAP"
    assert rate_at(content, NOON).sell == 0.3
    assert rate_at(None, NOON).buy is None
    flat = {"energy_charges": {"ALL": {"rates": {"ALL": 0.2}}}, "seasons": {}}
    assert rate_at(flat, NOON).buy == 0.2
    assert tariff_problems(flat) == []
    assert tariff_problems({"seasons": {}}) == ["buy tariff needs seasons and energy_charges objects"]
    summer = tariff()
    summer["seasons"]["Year"].update({"fromMonth": 10, "toMonth": 3})
    assert rate_at(summer, NOON).buy is not None  # July is outside the season: the flat ALL rate (0).
    assert rate_at(summer, NOON).period is None


async def test_state_reports_soc_and_can_set_it(client: TestClient[Any, Any]) -> None:
    response = await client.post("/_sim/powerwall", json={"percentage_charged": 80})
    assert await response.json() == {"percentage_charged": 80.0}
    live = await (await client.get(f"{SITE}/live_status", headers=TESLA)).json()
    assert round(live["response"]["percentage_charged"]) == 80
    await client.post("/_sim/clock", json={"advance_seconds": 1800})
    state = await (await client.get("/_sim/state")).json()
    assert state["powerwall"]["percentage_charged"] != 80
    assert state["powerwall"]["export_rule"] == "battery_ok"
    assert state["tariff_in_force"]["buy"] is None


def test_below_its_reserve_the_battery_charges_from_the_grid() -> None:
    pw = Powerwall(zone=SYDNEY, mode="self_consumption")
    pw.set_percentage(30)
    pw.backup_reserve_percent = 70
    night = NOON.replace(hour=22)
    pw.advance(night)
    pw.advance(night + timedelta(minutes=30))
    assert pw.percentage > 30
    assert pw.flows.grid > 0
