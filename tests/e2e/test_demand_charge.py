"""End to end: a demand charge, set up and lived through as an owner would, against the simulator and a real
Home Assistant.

Demand tracking samples the Powerwall's grid power at Home Assistant's own time, so Home Assistant runs on
the simulator's clock here (`shared_clock`): the test freezes the shared clock at 14:50 on a weekday and
moves it two minutes at a time (the longest step the tracker counts whole), asking for a sample after each
move with `sync_now`, as an owner's "Sync now" does.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import aiohttp
import pytest

from simulator.homesetup import HomeAssistantSetup, Owner

from .test_end_to_end import AMBER_TARIFF_CODE, IN_PLACE, STEP_DEADLINE, ZONE, World, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.shared_clock]

RATE = 0.45
WINDOW_START, WINDOW_END = time(15), time(21)
# The meter held at this import (W) through the first half hour of the window: the cycle's peak.
PEAK_IMPORT_W = 5200.0
# More than the peak, but after the window closes: it must not count.
EVENING_IMPORT_W = 9000.0
# The tracker counts a step between samples for at most two minutes; samples this far apart cover it all.
SAMPLE_STEP = timedelta(minutes=2)
HALF_HOUR = timedelta(minutes=30)
PERIODS = [f"PERIOD_{hour:02d}_{minute:02d}" for hour in range(24) for minute in (0, 30)]


def next_weekday_afternoon(after: datetime) -> datetime:
    """14:50 site time on the first weekday whose 14:50 is still ahead of `after`.

    Ahead, so Home Assistant's clock only moves forward: the access token was issued at the real time.
    """
    day: date = after.astimezone(ZONE).date()
    while True:
        candidate = datetime.combine(day, time(14, 50), tzinfo=ZONE)
        if candidate > after and candidate.weekday() < 5:
            return candidate
        day += timedelta(days=1)


class SharedClock:
    """The clock the simulator and Home Assistant share, frozen and moved by the test."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def home_now(self) -> datetime:
        """Home Assistant's time, as its template engine renders `now()`."""
        home = self.world.home
        async with self.world.session.post(
            f"{home.base_url}/api/template",
            headers={"Authorization": f"Bearer {home.token}"},
            json={"template": "{{ now().isoformat() }}"},
        ) as response:
            assert response.status == 200, await response.text()
            return datetime.fromisoformat(await response.text())

    async def move_to(self, moment: datetime) -> None:
        """Freeze both clocks at `moment`, once Home Assistant shows it."""
        await self.world.sim("clock", {"speed": 0, "now": moment.isoformat()})

        async def arrived() -> bool | None:
            return True if await self.home_now() == moment else None

        await eventually(arrived, f"Home Assistant's clock at {moment.isoformat()}", within=STEP_DEADLINE)

    async def sample_at(self, moment: datetime) -> None:
        """Move to `moment` and have the Powerwall's grid power read there (one sample for the tracker)."""
        await self.move_to(moment)
        await self.world.call("tesla_amber_sync.sync_now")

    async def sample_through(self, start: datetime, end: datetime) -> None:
        """A sample every `SAMPLE_STEP` from `start` to `end`, both included."""
        moment = start
        while moment <= end:
            await self.sample_at(moment)
            moment += SAMPLE_STEP


def demand_answers(form: dict[str, Any]) -> dict[str, Any]:
    """The demand form filled in as the owner does: the suggested values, with the charge switched on at
    0.45 $/kW from 15:00 to 21:00 on weekdays, billed monthly from the 1st."""
    suggested = {
        field["name"]: field["description"]["suggested_value"]
        for field in form["data_schema"]
        if "suggested_value" in field.get("description", {})
    }
    return {
        **suggested,
        "demand_charge": True,
        "demand_rate": RATE,
        "demand_window_start": "15:00",
        "demand_window_end": "21:00",
        "demand_days": "weekdays",
        "demand_cycle": "monthly",
        "demand_cycle_day": 1,
    }


async def set_demand_charge(world: World) -> dict[str, Any]:
    """Configure → Demand charge, as the owner does; returns the form as it was first shown."""
    home = world.home
    (entry,) = await home.entries()
    base = f"{home.base_url}/api/config/config_entries/options/flow"
    headers = {"Authorization": f"Bearer {home.token}"}

    async def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        async with world.session.post(url, headers=headers, json=body) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    menu = await post(base, {"handler": entry["entry_id"]})
    assert menu["type"] == "menu", menu
    assert "demand_charge" in menu["menu_options"], menu
    form = await post(f"{base}/{menu['flow_id']}", {"next_step_id": "demand_charge"})
    assert (form["type"], form["step_id"]) == ("form", "demand_charge"), form
    result = await post(f"{base}/{form['flow_id']}", demand_answers(form))
    assert result["type"] == "create_entry", result

    async def loaded() -> bool | None:
        (entry,) = await home.entries()
        return True if entry["state"] == "loaded" else None

    await eventually(loaded, "the entry to reload with the demand charge", within=STEP_DEADLINE)
    return form


def suggested(form: dict[str, Any], name: str) -> Any:
    (field,) = [field for field in form["data_schema"] if field["name"] == name]
    return field.get("description", {}).get("suggested_value")


def holds_demand_tariff(state: dict[str, Any]) -> bool:
    """Whether the Powerwall holds a tariff with demand charges."""
    content = state["tariff_content_v2"]
    return bool(content and any(season.get("rates") for season in content["demand_charges"].values()))


def demand_rates(side: dict[str, Any]) -> dict[str, float]:
    """The per-period demand rates of one side of a `tariff_content_v2` (its one season that has any)."""
    seasons = [season["rates"] for name, season in side["demand_charges"].items() if name != "ALL" and season]
    if not seasons:
        return {}
    (rates,) = seasons
    return dict(rates)


async def test_demand_charge_from_the_options_to_the_peak(simulator_url: str, hass_url: str) -> None:
    """The owner sets a demand charge in the options (Amber's window offered), the Powerwall's next tariff
    carries it on exactly the window's half hours, a half hour at a fixed import inside the window becomes
    the cycle's peak and prices the estimate, a higher import after the window does not count, and
    `reset_demand_peak` clears the peak."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        home = HomeAssistantSetup(session, hass_url)
        await home.sign_in(Owner())
        await home.add_tesla_sync(simulator_url)
        world = World(session, home, simulator_url)
        sync_status = await eventually(lambda: _entity_id(world, "sensor", "_sync_status"), "sync_status")
        await world.until_entity(sync_status, IN_PLACE, lambda s: s["state"] == IN_PLACE)
        # The sign-in's token lasts 30 minutes of Home Assistant's time; the clock is about to move on.
        await home.long_lived_token("demand charge end-to-end test")

        # A weekday afternoon before the window, on both clocks; Amber's prices as of then.
        clock = SharedClock(world)
        afternoon = next_weekday_afternoon(datetime.fromisoformat((await world.sim("state"))["now"]))
        await clock.move_to(afternoon)
        await world.call("tesla_amber_sync.sync_now")

        # 1. Configure → Demand charge: the form offers the window the simulated Amber flags.
        flagged = (await world.sim("demand"))["window"]
        assert flagged == {"start": "15:00", "end": "21:00", "days": "weekdays"}
        form = await set_demand_charge(world)
        assert form["description_placeholders"]["amber_window"] == f"{flagged['start']}-{flagged['end']}"
        assert (suggested(form, "demand_window_start"), suggested(form, "demand_window_end")) == (
            flagged["start"],
            flagged["end"],
        )
        assert suggested(form, "demand_charge") is False

        # 2. The next tariff the Powerwall holds carries the rate on exactly the window's half hours (all of
        # them today, a weekday), and none on export.
        state = await world.until_simulated("a tariff with demand charges", holds_demand_tariff)
        content = state["tariff_content_v2"]
        writes = await world.sim("requests?endpoint=teslemetry.time_of_use_settings")
        assert writes[-1]["body"]["tou_settings"]["tariff_content_v2"] == content
        assert content["code"] == AMBER_TARIFF_CODE
        expected = {period: RATE if "PERIOD_15_00" <= period <= "PERIOD_20_30" else 0.0 for period in PERIODS}
        assert demand_rates(content) == expected
        assert demand_rates(content["sell_tariff"]) == {}
        await world.until_entity(sync_status, IN_PLACE, lambda s: s["state"] == IN_PLACE)
        # The window set is the one Amber flags: no repair issue says otherwise.
        issues = (await home.command({"type": "repairs/list_issues"}))["issues"]
        assert [issue for issue in issues if issue["domain"] == "tesla_amber_sync"] == []

        window_active = await world.entity_id("binary_sensor", "_demand_window_active")
        peak = await world.entity_id("sensor", "_demand_peak")
        current = await world.entity_id("sensor", "_demand_current_half_hour")
        estimate = await world.entity_id("sensor", "_demand_charge_estimate")
        assert (await world.state(window_active))["state"] == "off"
        assert (await world.state(peak))["state"] == "unknown"

        # 3. The meter held at 5.2 kW through 15:00-15:30, sampled every two minutes from 15:00: all of it
        # is known.
        window_opens = datetime.combine(afternoon.date(), WINDOW_START, tzinfo=ZONE)
        await world.sim("demand", {"fixed_import_w": PEAK_IMPORT_W})
        await clock.sample_through(window_opens, window_opens + HALF_HOUR - SAMPLE_STEP)
        assert (await world.state(window_active))["state"] == "on"
        assert float((await world.state(current))["state"]) == pytest.approx(PEAK_IMPORT_W / 1000)
        assert (await world.state(peak))["state"] == "unknown"  # The half hour is not over yet.
        await clock.sample_at(window_opens + HALF_HOUR)
        reached = await world.until_entity(peak, "the half hour's mean", lambda s: s["state"] != "unknown")
        assert float(reached["state"]) == pytest.approx(PEAK_IMPORT_W / 1000)
        assert datetime.fromisoformat(reached["attributes"]["half_hour"]) == window_opens
        assert reached["attributes"]["cycle_start"] == afternoon.date().replace(day=1).isoformat()
        charge = await world.state(estimate)
        assert float(charge["state"]) == pytest.approx(round(PEAK_IMPORT_W / 1000 * RATE, 2))
        assert charge["attributes"]["unit_of_measurement"] == "AUD"

        # After the window closes, a whole half hour at 9 kW does not raise the peak.
        window_closes = datetime.combine(afternoon.date(), WINDOW_END, tzinfo=ZONE)
        await world.sim("demand", {"fixed_import_w": EVENING_IMPORT_W})
        await clock.sample_through(window_closes, window_closes + HALF_HOUR)
        assert (await world.state(window_active))["state"] == "off"
        assert (await world.state(current))["state"] == "unknown"
        assert float((await world.state(peak))["state"]) == pytest.approx(PEAK_IMPORT_W / 1000)
        assert float((await world.state(estimate))["state"]) == pytest.approx(
            round(PEAK_IMPORT_W / 1000 * RATE, 2)
        )

        # 4. The owner's bill started a new cycle: the peak is unknown again, and costs nothing yet.
        await world.call("tesla_amber_sync.reset_demand_peak")
        cleared = await world.until_entity(peak, "unknown after the reset", lambda s: s["state"] == "unknown")
        assert cleared["attributes"]["half_hour"] is None
        assert float((await world.state(estimate))["state"]) == 0.0


async def _entity_id(world: World, domain: str, suffix: str) -> str | None:
    """The entity's id once it exists."""
    states = [
        s["entity_id"]
        for s in await world.home.states()
        if s["entity_id"].startswith(f"{domain}.") and s["entity_id"].endswith(suffix)
    ]
    return states[0] if states else None
