"""The demand window in Amber's intervals, the household's import at the meter, and their control API."""

from __future__ import annotations

import argparse
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from simulator.__main__ import config_from, demand_window, parse_args
from simulator.demand import DEFAULT_WINDOW, DemandWindow, Household, WindowDays
from simulator.powerwall import Flows, Powerwall

from .conftest import AMBER, SITE, TESLA

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

SYDNEY = ZoneInfo("Australia/Sydney")
PRICES = "/amber/v1/sites/01JSMAMBERS1TE0000000000AB/prices/current"


async def set_clock(client: TestClient[Any, Any], local: datetime) -> None:
    response = await client.post("/_sim/clock", json={"now": local.isoformat()})
    assert response.status == 200


async def demand_flags(client: TestClient[Any, Any], **query: int) -> dict[datetime, bool | None]:
    """Amber's `demandWindow` flag per general interval, by local start (None: Amber sent no flag)."""
    params = {"resolution": 30, **query}
    intervals = await (await client.get(PRICES, headers=AMBER, params=params)).json()
    flags: dict[datetime, bool | None] = {}
    for interval in intervals:
        if interval["channelType"] != "general":
            # Amber's tariff information describes the general channel.
            assert interval["tariffInformation"] is None
            continue
        start = datetime.fromisoformat(interval["startTime"]) - timedelta(seconds=1)
        flags[start.astimezone(SYDNEY)] = interval["tariffInformation"].get("demandWindow")
    return flags


async def live_grid(client: TestClient[Any, Any]) -> dict[str, Any]:
    live: dict[str, Any] = (await (await client.get(f"{SITE}/live_status", headers=TESLA)).json())["response"]
    # The meter balances what comes in and goes out, whatever the household draws.
    assert abs(live["solar_power"] + live["battery_power"] + live["grid_power"] - live["load_power"]) <= 2
    return live


async def post_demand(client: TestClient[Any, Any], body: Any) -> tuple[int, Any]:
    response = await client.post("/_sim/demand", json=body)
    return response.status, await response.json()


async def test_weekday_intervals_are_flagged_inside_the_default_window(client: TestClient[Any, Any]) -> None:
    # START is Wednesday 12:10; 24 half hours ahead reaches past midnight.
    flags = await demand_flags(client, previous=4, next=24)
    assert len(flags) == 29
    inside = {start.strftime("%H:%M") for start, flag in flags.items() if flag}
    assert inside == {f"{hour:02}:{minute:02}" for hour in range(15, 21) for minute in (0, 30)}
    assert all(flag is False for start, flag in flags.items() if start.strftime("%H:%M") not in inside)
    # The network period rides along as before.
    intervals = await (await client.get(PRICES, headers=AMBER, params={"next": 12, "resolution": 30})).json()
    # General first (the current interval and 12 more, to 18:00), then feed-in.
    assert intervals[12]["tariffInformation"] == {"period": "peak", "demandWindow": True}


async def test_weekends_are_outside_a_weekday_window(client: TestClient[Any, Any]) -> None:
    await set_clock(client, datetime(2026, 7, 19, 12, 10, tzinfo=SYDNEY))  # Sunday.
    flags = await demand_flags(client, previous=72, next=72)
    saturday_and_sunday = [flag for start, flag in flags.items() if start.weekday() >= 5]
    monday = {start.strftime("%H:%M"): flag for start, flag in flags.items() if start.weekday() == 0}
    assert len(saturday_and_sunday) == 96
    assert not any(saturday_and_sunday)
    assert monday["15:00"] is True
    assert monday["14:30"] is False


async def test_a_window_that_wraps_midnight_belongs_to_the_day_it_started(
    client: TestClient[Any, Any],
) -> None:
    overnight = {"start": "21:00", "end": "07:00", "days": "weekdays"}
    status, body = await post_demand(client, {"window": overnight})
    assert (status, body["window"]) == (200, overnight)
    await set_clock(client, datetime(2026, 7, 19, 12, 0, tzinfo=SYDNEY))  # Sunday noon.
    flags = await demand_flags(client, previous=96, next=72)

    def flag(day: int, clock: str) -> bool | None:
        hour, minute = map(int, clock.split(":"))
        return flags[datetime(2026, 7, day, hour, minute, tzinfo=SYDNEY)]

    # Friday 17th's run reaches into Saturday morning; Sunday's would, but Sunday is not a weekday.
    assert (flag(17, "20:30"), flag(17, "21:00"), flag(18, "06:30"), flag(18, "07:00")) == (
        False,
        True,
        True,
        False,
    )
    assert (flag(18, "22:00"), flag(19, "02:00"), flag(19, "22:00"), flag(20, "02:00")) == (
        False,
        False,
        False,
        False,
    )
    assert (flag(20, "21:00"), flag(20, "23:30"), flag(20, "12:00")) == (True, True, False)


async def test_without_a_demand_tariff_amber_sends_no_flag(client: TestClient[Any, Any]) -> None:
    status, body = await post_demand(client, {"window": None})
    assert (status, body["window"], body["window_active"], body["peak_today"]) == (200, None, False, None)
    flags = await demand_flags(client, next=12)
    assert set(flags.values()) == {None}


async def test_grid_import_peaks_inside_the_window(client: TestClient[Any, Any]) -> None:
    demand = await (await client.get("/_sim/demand")).json()
    assert demand["window"] == {"start": "15:00", "end": "21:00", "days": "weekdays"}
    assert demand["window_active"] is False
    peak = demand["peak_today"]
    peak_start = datetime.fromisoformat(peak["start"])
    assert time(15) <= peak_start.astimezone(SYDNEY).time() < time(21)
    assert 6000 <= peak["unserved_w"] <= 7000

    # Every half hour of today's window: the battery covers the house, the meter shows what it does not serve.
    imports: dict[datetime, int] = {}
    for index in range(12):
        moment = datetime(2026, 7, 15, 15, tzinfo=SYDNEY) + timedelta(minutes=30 * index + 10)
        await set_clock(client, moment)
        imports[moment] = (await live_grid(client))["grid_power"]
    at_peak = imports.pop(peak_start + timedelta(minutes=10))
    assert at_peak == round(peak["unserved_w"])
    # The rest of the window: less (solar may still cover it in the afternoon), and clearly below the peak.
    assert max(imports.values()) < 2000
    assert max(imports.values()) > 0
    state = await (await client.get("/_sim/state")).json()
    assert state["demand"]["window_active"] is True

    # Off-peak, outside the window (late evening), the household draws less past the battery.
    await set_clock(client, datetime(2026, 7, 15, 22, 10, tzinfo=SYDNEY))
    assert 0 < (await live_grid(client))["grid_power"] < 800


async def test_the_profile_is_seeded(client: TestClient[Any, Any]) -> None:
    first = await (await client.get("/_sim/demand")).json()
    # Asking again, or after another request, gives the same import for the same simulated time.
    assert await (await client.get("/_sim/demand")).json() == first
    status, reseeded = await post_demand(client, {"import_profile": {"seed": 7}})
    assert status == 200
    assert reseeded["import_profile"] == {"enabled": True, "seed": 7}
    assert (reseeded["unserved_w"], reseeded["peak_today"]) != (first["unserved_w"], first["peak_today"])
    _, back = await post_demand(client, {"import_profile": {"seed": 0}})
    assert back == first
    _, off = await post_demand(client, {"import_profile": {"enabled": False}})
    assert off["unserved_w"] == 0.0
    # At midday with the profile off, solar charges the battery and nothing is imported.
    assert (await live_grid(client))["grid_power"] <= 0


async def test_a_fixed_import_holds_the_meter(client: TestClient[Any, Any]) -> None:
    status, body = await post_demand(client, {"fixed_import_w": 6200})
    assert (status, body["fixed_import_w"], body["grid_w"]) == (200, 6200.0, 6200.0)
    live = await live_grid(client)
    assert live["grid_power"] == 6200
    # The clock runs on: the simulated meter keeps reading it, and the battery keeps its own course.
    await client.post("/_sim/clock", json={"advance_seconds": 900})
    assert (await live_grid(client))["grid_power"] == 6200
    state = await (await client.get("/_sim/state")).json()
    assert state["powerwall"]["flows"]["grid"] == 6200.0
    assert state["demand"]["fixed_import_w"] == 6200.0
    # null gives the meter back to the profile.
    _, body = await post_demand(client, {"fixed_import_w": None})
    assert body["fixed_import_w"] is None
    assert (await live_grid(client))["grid_power"] != 6200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"window": {"start": "15:15", "end": "21:00"}}, "half hour"),
        ({"window": {"start": "15:00"}}, "window needs end"),
        ({"window": {"start": "15:00", "end": "21:00", "days": "mondays"}}, "days must be one of"),
        ({"window": {"start": 15, "end": 21}}, "HH:MM"),
        ({"window": "15:00-21:00"}, "object"),
        ({"window": {"start": "3pm", "end": "21:00"}}, "isoformat"),
        ({"import_profile": 3}, "object"),
        ({"import_profile": {"enabled": "yes"}}, "true or false"),
        ({"import_profile": {"seed": 1.5}}, "whole number"),
        ({"fixed_import_w": -1}, "0 to 100000"),
        ({"fixed_import_w": True}, "0 to 100000"),
        ([1], "JSON object"),
    ],
)
async def test_bad_demand_bodies_change_nothing(
    client: TestClient[Any, Any], body: Any, message: str
) -> None:
    before = await (await client.get("/_sim/demand")).json()
    # A valid part next to a bad one is not applied either.
    if isinstance(body, dict):
        body = {"fixed_import_w": 5000, **body} if "fixed_import_w" not in body else body
    status, reply = await post_demand(client, body)
    assert status == 400
    assert message in reply["error"]
    assert await (await client.get("/_sim/demand")).json() == before


async def test_reset_restores_the_configured_window(client: TestClient[Any, Any]) -> None:
    await post_demand(client, {"window": None, "fixed_import_w": 100, "import_profile": {"seed": 3}})
    await client.post("/_sim/reset")
    demand = await (await client.get("/_sim/demand")).json()
    assert demand["window"] == DEFAULT_WINDOW.as_json()
    assert (demand["fixed_import_w"], demand["import_profile"]) == (None, {"enabled": True, "seed": 0})


def test_window_runs_and_days() -> None:
    evening = DemandWindow(start=time(15), end=time(21))
    assert evening.half_hours == 12
    wednesday = datetime(2026, 7, 15, 15, 0, tzinfo=SYDNEY)
    assert evening.run_of(wednesday) == (wednesday.date(), 0)
    assert evening.run_of(wednesday.replace(hour=20, minute=59)) == (wednesday.date(), 11)
    assert evening.run_of(wednesday.replace(hour=21)) is None
    all_day = DemandWindow(start=time(7), end=time(7), days=WindowDays.WEEKENDS)
    assert all_day.half_hours == 48
    saturday_early = datetime(2026, 7, 18, 6, 30, tzinfo=SYDNEY)
    # From Saturday 07:00 to Sunday 07:00 is Saturday's run; Saturday 06:30 is Friday's, a weekday.
    assert all_day.run_of(saturday_early) is None
    assert all_day.run_of(saturday_early + timedelta(days=1)) == (saturday_early.date(), 47)
    assert WindowDays.EVERY_DAY.includes(saturday_early.date())
    with pytest.raises(ValueError, match="half hour"):
        DemandWindow(start=time(15, 0, 1), end=time(21))


def test_the_battery_serves_the_house_not_what_is_drawn_past_it() -> None:
    household = Household(seed=0)
    pw = Powerwall(zone=SYDNEY, household=household)
    evening = datetime(2026, 7, 15, 19, 10, tzinfo=SYDNEY)
    flows = pw.flows_at(evening)
    assert flows.battery > 0
    assert flows.grid == household.unserved_load(evening)
    # Midday: solar covers every load first and the battery takes what is left.
    noon = datetime(2026, 7, 15, 12, 10, tzinfo=SYDNEY)
    assert pw.flows_at(noon).grid == 0
    # A battery filling up from the grid (backup) charges no harder than the held meter and solar supply.
    night = datetime(2026, 7, 15, 23, 10, tzinfo=SYDNEY)
    held = Powerwall(zone=SYDNEY, mode="backup", household=Household(fixed_import_w=2000.0))
    assert held.flows_at(night) == Flows(solar=0.0, load=0.0, battery=-2000.0, grid=2000.0)


def test_energy_is_conserved_over_a_day_with_the_household() -> None:
    pw = Powerwall(zone=SYDNEY, mode="autonomous", household=Household(seed=4))
    start = datetime(2026, 7, 15, 0, 0, 30, tzinfo=SYDNEY)
    pw.advance(start)
    pw.advance(start + timedelta(hours=23, minutes=59))
    energy = pw.energy
    into_site = (
        energy["solar_energy_exported"] + energy["grid_energy_imported"] + energy["battery_energy_exported"]
    )
    out_of_site = (
        energy["consumer_energy_imported_from_grid"]
        + energy["consumer_energy_imported_from_solar"]
        + energy["consumer_energy_imported_from_battery"]
        + energy["grid_energy_exported_from_solar"]
        + energy["grid_energy_exported_from_battery"]
        + energy["battery_energy_imported_from_grid"]
        + energy["battery_energy_imported_from_solar"]
    )
    assert into_site == pytest.approx(out_of_site, rel=1e-9)
    # The household's import past the battery shows in the day's grid import.
    assert energy["consumer_energy_imported_from_grid"] > 6000 * 0.5


def test_command_line_demand_window() -> None:
    config = config_from(parse_args(["--demand-window", "21:00-07:00", "--demand-days", "every_day"]))
    assert config.demand_window == DemandWindow(start=time(21), end=time(7), days=WindowDays.EVERY_DAY)
    assert config_from(parse_args([])).demand_window == DEFAULT_WINDOW
    assert config_from(parse_args(["--demand-window", "none"])).demand_window is None
    for text in ("15:00", "15:10-21:00"):
        with pytest.raises(argparse.ArgumentTypeError):
            demand_window(text)
