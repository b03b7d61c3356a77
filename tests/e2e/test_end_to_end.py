"""End to end: the simulator and a real Home Assistant, set up over REST as an owner would.

Asserts that the integration, configured through its real config flow, writes a valid rolling tariff
built from the scenario's prices to the simulated Powerwall, verifies it, and shows sane entities. Then,
through Home Assistant's REST API only: an AEMO price spike and a simulated one switch the Powerwall to
time-based control with the spike tariff and `end_spike` gives the owner's mode and the Amber tariff back;
a feed-in that costs the owner money sets the export rule to `never` until a whole Amber interval has paid
again, and then the owner's own rule comes back.
Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from simulator.config import DEFAULT_TESLEMETRY_TOKEN
from simulator.homesetup import HomeAssistantSetup, Owner
from simulator.scenarios import SCENARIOS
from simulator.state import ENERGY_SITE_ID

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Australia/Sydney")
SYNC_DEADLINE = 90.0
# Each spike or curtailment step is one or two HTTP round trips inside Home Assistant.
STEP_DEADLINE = 30.0
POLL = 0.25
RATE_TOLERANCE = 1.0001e-4
AMBER_TARIFF_CODE = "TESLA_SYNC:AMBER"
SPIKE_TARIFF_CODE = "TESLA_SYNC:SPIKE"
# The region of the simulated site's NMI.
REGION = "NSW1"
# typical_day's evening peak reaches 345 $/MWh at AEMO, above the default threshold (300): set one that only
# price_spike crosses, so the market is calm whatever the time of day the test runs at.
SPIKE_THRESHOLD = 1000.0
SLOT_NAMES = [f"PERIOD_{index // 2:02d}_{index % 2 * 30:02d}" for index in range(48)]

# The status once the Amber tariff is verified (the simulator's owner runs the Powerwall in time-based
# control, as a typical Amber owner does).
IN_PLACE = "synced"


async def eventually[T](
    check: Callable[[], Awaitable[T | None]], what: str, within: float = SYNC_DEADLINE
) -> T:
    """Poll `check` until it returns something, failing after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result is not None:
            return result
        if loop.time() > deadline:
            pytest.fail(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(POLL)


def expected_rates(written_at: datetime) -> tuple[list[float], list[float]]:
    """The 48 buy and sell rates the rolling tariff should hold when pushed at `written_at`.

    Each slot takes the price of its next occurrence (today from the current slot on, tomorrow before it):
    buy = general/100, sell = -feedIn/100 floored at 0 and capped at buy, both with 4 decimals.
    """
    scenario = SCENARIOS["typical_day"]
    local = written_at.astimezone(ZONE)
    current = (local.hour * 60 + local.minute) // 30
    buy: list[float] = []
    sell: list[float] = []
    for index in range(48):
        day: date = local.date() if index >= current else local.date() + timedelta(days=1)
        start = datetime.combine(day, time(index // 2, index % 2 * 30), tzinfo=ZONE)
        price = scenario.interval_price(start, 30, ZONE)
        slot_buy = max(0.0, round(price.general / 100, 4))
        buy.append(slot_buy)
        sell.append(min(slot_buy, max(0.0, round(-price.feed_in / 100, 4))))
    return buy, sell


def side_rates(side: dict[str, Any]) -> list[float]:
    """The 48 half-hour rates of one side of a `tariff_content_v2`, checking its periods on the way."""
    seasons = {name: season for name, season in side["seasons"].items() if season}
    assert len(seasons) == 1, seasons
    (season_name, season) = next(iter(seasons.items()))
    assert sorted(season["tou_periods"]) == sorted(SLOT_NAMES)
    for name, period in season["tou_periods"].items():
        (window,) = period["periods"]
        hour, minute = int(name[7:9]), int(name[10:12])
        # Tesla's wire format omits zero fields.
        assert (window.get("fromHour", 0), window.get("fromMinute", 0)) == (hour, minute), (name, window)
    rates = side["energy_charges"][season_name]["rates"]
    assert set(rates) == set(SLOT_NAMES)
    return [rates[name] for name in SLOT_NAMES]


def matches(actual: list[float], expected: list[float]) -> bool:
    return all(abs(a - e) <= RATE_TOLERANCE for a, e in zip(actual, expected, strict=True))


def is_amber_tariff(buy: list[float], sell: list[float], written_at: datetime) -> bool:
    """Whether the rates are the rolling typical_day tariff pushed at `written_at`.

    HA's clock and the simulator's differ by milliseconds: a push right at a slot boundary is accepted.
    """
    candidates = [expected_rates(written_at - timedelta(seconds=offset)) for offset in (0, 5)]
    return any(matches(buy, b) and matches(sell, s) for b, s in candidates)


def slot_of(moment: datetime) -> int:
    local = moment.astimezone(ZONE)
    return (local.hour * 60 + local.minute) // 30


def spike_window(at: datetime) -> set[int]:
    """The slots covering [at, at + 1 h): the ones the spike tariff prices at the spike price."""
    first = at.replace(second=0, microsecond=0)
    end = at + timedelta(hours=1)
    return {slot_of(moment) for m in range(61) if (moment := first + timedelta(minutes=m)) < end}


def owner_earning(at: datetime) -> float:
    """What the owner earns per exported kWh (c/kWh) in typical_day's half-hour holding `at`."""
    local = at.astimezone(ZONE)
    start = local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)
    return -SCENARIOS["typical_day"].interval_price(start, 30, ZONE).feed_in


def entity(states: list[dict[str, Any]], suffix: str, domain: str = "sensor") -> dict[str, Any]:
    """The one Tesla Sync entity of `domain` whose id ends with `suffix`."""
    found = [s for s in states if s["entity_id"].startswith(f"{domain}.") and s["entity_id"].endswith(suffix)]
    assert len(found) == 1, [s["entity_id"] for s in states]
    return found[0]


async def test_tariff_reaches_the_powerwall_over_the_fleet_api(simulator_url: str, hass_url: str) -> None:
    """The Fleet API route end to end: the owner's developer application under Application Credentials,
    Tesla's sign-in completed through Home Assistant's OAuth2 callback, the regional host found, and the
    Amber tariff written and verified over the Fleet API with the access token the sign-in issued."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        home = HomeAssistantSetup(session, hass_url)
        await home.sign_in(Owner())
        await home.add_application_credential()
        entry = await home.add_tesla_sync(simulator_url, route="fleet")
        assert (entry["domain"], entry["title"]) == ("tesla_amber_sync", "Home Powerwall")

        async def sim(path: str) -> Any:
            async with session.get(f"{simulator_url}/_sim/{path}") as response:
                response.raise_for_status()
                return await response.json()

        async def synced() -> list[dict[str, Any]] | None:
            states = await home.states()
            status = [s for s in states if s["entity_id"].endswith("_sync_status")]
            return states if status and status[0]["state"] == IN_PLACE else None

        states = await eventually(synced, f"sync_status to become {IN_PLACE!r}")
        assert entity(states, "_powerwall_route")["state"] == "fleet"

        # Signed in once, through Home Assistant's own callback, and asked for the region with the token.
        (authorize,) = await sim("requests?endpoint=oauth.authorize")
        assert authorize["query"]["redirect_uri"] == f"{hass_url}/auth/external/callback"
        assert set(authorize["query"]["scope"].split()) == {
            "energy_device_data",
            "energy_cmds",
            "offline_access",
        }
        (exchange,) = await sim("requests?endpoint=oauth.token")
        assert exchange["body"]["grant_type"] == "authorization_code"
        assert exchange["body"]["client_secret"] == "<redacted>"
        assert len(await sim("requests?endpoint=fleet.region")) == 1

        # The tariff went over the Fleet API, and the Powerwall holds it; Teslemetry was never asked.
        state = await sim("state")
        content = state["tariff_content_v2"]
        writes = await sim("requests?endpoint=fleet.time_of_use_settings")
        assert writes
        assert writes[-1]["body"]["tou_settings"]["tariff_content_v2"] == content
        buy, sell = side_rates(content), side_rates(content["sell_tariff"])
        assert is_amber_tariff(buy, sell, datetime.fromisoformat(writes[-1]["at"]))
        counters = await sim("counters")
        assert counters["fleet.site_info"] >= 2
        assert not [name for name in counters if name.startswith("teslemetry.")], counters
        assert (await sim("fleet"))["live_access_tokens"] == 1


async def test_tariff_reaches_the_powerwall(simulator_url: str, hass_url: str) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        home = HomeAssistantSetup(session, hass_url)
        await home.sign_in(Owner())
        assert await home.onboarding_done() == {"user", "core_config", "analytics", "integration"}
        entry = await home.add_tesla_sync(simulator_url)
        assert entry["domain"] == "tesla_amber_sync"
        assert entry["title"] == "Home Powerwall"

        async def sim(path: str) -> Any:
            async with session.get(f"{simulator_url}/_sim/{path}") as response:
                response.raise_for_status()
                return await response.json()

        async def synced() -> list[dict[str, Any]] | None:
            states = await home.states()
            status = [s for s in states if s["entity_id"].endswith("_sync_status")]
            return states if status and status[0]["state"] == IN_PLACE else None

        states = await eventually(synced, f"sync_status to become {IN_PLACE!r}")

        # What the Powerwall holds: one verified write of a valid 48-slot tariff with the scenario's prices.
        state = await sim("state")
        content = state["tariff_content_v2"]
        assert content is not None
        writes = await sim("requests?endpoint=teslemetry.time_of_use_settings")
        assert len(writes) >= 1
        assert writes[-1]["body"]["tou_settings"]["tariff_content_v2"] == content
        buy, sell = side_rates(content), side_rates(content["sell_tariff"])
        assert all(0 <= s <= b for b, s in zip(buy, sell, strict=True))
        written_at = datetime.fromisoformat(writes[-1]["at"])
        assert is_amber_tariff(buy, sell, written_at), (buy, sell, expected_rates(written_at))
        # typical_day: the midday solar soak makes exporting cost money, so some sell rates are 0.
        assert 0.0 in sell
        assert max(buy) > 2 * min(buy)
        assert state["tariff_in_force"]["buy"] in buy

        # The read-back verification happened against site_info.
        counters = await sim("counters")
        assert counters["teslemetry.site_info"] >= 2
        assert counters["amber.prices"] >= 1
        assert counters["amber.sites"] >= 1

        # Entities have sane states.
        battery = float(entity(states, "_battery_level")["state"])
        assert 0 <= battery <= 100
        assert abs(battery - state["powerwall"]["percentage_charged"]) < 5
        assert entity(states, "_operation_mode")["state"] == "autonomous"
        assert entity(states, "_export_rule")["state"] == "battery_ok"
        general = float(entity(states, "_general_price")["state"])
        assert abs(general - buy[(datetime.now(ZONE).hour * 60 + datetime.now(ZONE).minute) // 30]) < 0.02
        for suffix in ("_solar_power", "_grid_power", "_battery_power", "_home_load"):
            float(entity(states, suffix)["state"])

        # Spike response and export curtailment, end to end (issue 5).
        world = World(session, home, simulator_url)
        await check_aemo_spike(world)
        await check_simulated_spike(world)
        await check_curtailment(world)
        await check_battery_command(world)


class World:
    """The simulator's control API and Home Assistant's REST API, for the spike and curtailment steps."""

    def __init__(self, session: aiohttp.ClientSession, home: HomeAssistantSetup, simulator_url: str) -> None:
        self.session = session
        self.home = home
        self.simulator_url = simulator_url

    async def sim(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET (or with a body, POST) one control endpoint of the simulator."""
        url = f"{self.simulator_url}/_sim/{path}"
        async with self.session.request("GET" if body is None else "POST", url, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def aemo_price(self, region: str) -> float:
        """The dispatch price AEMO reports for `region` now ($/MWh)."""
        async with self.session.get(f"{self.simulator_url}/aemo/ELEC_NEM_SUMMARY") as response:
            response.raise_for_status()
            summary = await response.json()
        return float(next(row["PRICE"] for row in summary["ELEC_NEM_SUMMARY"] if row["REGIONID"] == region))

    async def owner_sets_export_rule(self, rule: str) -> None:
        """The owner changes the export rule in the Tesla app: straight on the Teslemetry API."""
        async with self.session.post(
            f"{self.simulator_url}/teslemetry/api/1/energy_sites/{ENERGY_SITE_ID}/grid_import_export",
            headers={"Authorization": f"Bearer {DEFAULT_TESLEMETRY_TOKEN}"},
            json={"customer_preferred_export_rule": rule},
        ) as response:
            response.raise_for_status()

    async def call(self, service: str, data: dict[str, Any] | None = None) -> None:
        """Call a Home Assistant service over REST and wait for it to finish."""
        domain, name = service.split(".", 1)
        async with self.session.post(
            f"{self.home.base_url}/api/services/{domain}/{name}",
            headers={"Authorization": f"Bearer {self.home.token}"},
            json=data or {},
        ) as response:
            assert response.status == 200, f"{service}: HTTP {response.status}: {await response.text()}"

    async def set_options(self, step: str = "spike_curtailment", **changes: Any) -> None:
        """Change options through the options flow, as the Configure dialog does (the menu, then the form
        `step`); the entry reloads."""
        (entry,) = await self.home.entries()
        base = f"{self.home.base_url}/api/config/config_entries/options/flow"
        headers = {"Authorization": f"Bearer {self.home.token}"}
        async with self.session.post(base, headers=headers, json={"handler": entry["entry_id"]}) as response:
            assert response.status == 200, await response.text()
            menu = await response.json()
        assert menu["type"] == "menu", menu
        async with self.session.post(
            f"{base}/{menu['flow_id']}", headers=headers, json={"next_step_id": step}
        ) as response:
            assert response.status == 200, await response.text()
            form = await response.json()
        assert form["type"] == "form", form
        # The form suggests the values in force; send them back with the changes.
        answers = {field["name"]: field["description"]["suggested_value"] for field in form["data_schema"]}
        assert set(changes) <= set(answers), (changes, answers)
        async with self.session.post(
            f"{base}/{form['flow_id']}", headers=headers, json={**answers, **changes}
        ) as response:
            assert response.status == 200, await response.text()
            result = await response.json()
        assert result["type"] == "create_entry", result

        async def loaded() -> bool | None:
            (entry,) = await self.home.entries()
            return True if entry["state"] == "loaded" else None

        await eventually(loaded, "the entry to reload with its new options", within=STEP_DEADLINE)

    async def entity_id(self, domain: str, suffix: str) -> str:
        """The id of the one Tesla Sync entity of `domain` ending with `suffix`."""
        return str(entity(await self.home.states(), suffix, domain)["entity_id"])

    async def state(self, entity_id: str) -> dict[str, Any]:
        state = await self.home.state(entity_id)
        assert state is not None, entity_id
        return state

    async def until_entity(
        self, entity_id: str, what: str, predicate: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """Poll an entity until `predicate` holds for its state object."""

        async def check() -> dict[str, Any] | None:
            state = await self.state(entity_id)
            return state if predicate(state) else None

        return await eventually(check, f"{entity_id}: {what}", within=STEP_DEADLINE)

    async def until_simulated(self, what: str, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll the simulator's `/_sim/state` until `predicate` holds."""

        async def check() -> dict[str, Any] | None:
            state: dict[str, Any] = await self.sim("state")
            return state if predicate(state) else None

        return await eventually(check, f"the simulated Powerwall: {what}", within=STEP_DEADLINE)


def holds_spike(state: dict[str, Any]) -> bool:
    return bool(
        state["powerwall"]["mode"] == "autonomous" and state["tariff_in_force"]["code"] == SPIKE_TARIFF_CODE
    )


def holds_amber(state: dict[str, Any]) -> bool:
    return bool(
        state["powerwall"]["mode"] == "autonomous" and state["tariff_in_force"]["code"] == AMBER_TARIFF_CODE
    )


async def last_write_of(world: World, content: dict[str, Any]) -> datetime:
    """When the tariff `content` the Powerwall holds was written to it."""
    writes = await world.sim("requests?endpoint=teslemetry.time_of_use_settings")
    times = [w["at"] for w in writes if w["body"]["tou_settings"]["tariff_content_v2"] == content]
    assert times, "the tariff on the Powerwall was never written"
    return datetime.fromisoformat(times[-1])


async def assert_spike_tariff(world: World, state: dict[str, Any], price: float) -> None:
    """The Powerwall holds the spike tariff: buy = sell = `price` $/kWh for the coming hour, Amber after."""
    content = state["tariff_content_v2"]
    written_at = await last_write_of(world, content)
    buy, sell = side_rates(content), side_rates(content["sell_tariff"])
    spiked = {
        index
        for index in range(48)
        if abs(buy[index] - price) <= RATE_TOLERANCE and abs(sell[index] - price) <= RATE_TOLERANCE
    }
    for offset in (0, 5):
        at = written_at - timedelta(seconds=offset)
        window = spike_window(at)
        normal_buy, normal_sell = expected_rates(at)
        rest = [index for index in range(48) if index not in window]
        if spiked == window and matches([buy[i] for i in rest], [normal_buy[i] for i in rest]):
            assert matches([sell[i] for i in rest], [normal_sell[i] for i in rest]), (sell, normal_sell)
            return
    pytest.fail(f"not a spike tariff at {price} $/kWh written at {written_at}: {spiked=} {buy=} {sell=}")


async def assert_baseline_back(world: World, spike_sensor: str) -> None:
    """After a spike: the owner's mode, the Amber tariff (verified, in step with prices), no spike."""
    await world.until_simulated("time-based control and the Amber tariff back", holds_amber)
    await world.until_entity(spike_sensor, "off", lambda s: s["state"] == "off")
    sync_status = await world.entity_id("sensor", "_sync_status")
    await world.until_entity(sync_status, IN_PLACE, lambda s: s["state"] == IN_PLACE)
    # The Amber sync owns the tariff again: a refresh keeps it in step with the (calm) prices.
    await world.call("tesla_amber_sync.sync_now")
    state = await world.sim("state")
    assert holds_amber(state), state["tariff_in_force"]
    content = state["tariff_content_v2"]
    buy, sell = side_rates(content), side_rates(content["sell_tariff"])
    written_at = await last_write_of(world, content)
    assert is_amber_tariff(buy, sell, written_at), (buy, sell, expected_rates(written_at))
    assert (await world.state(await world.entity_id("sensor", "_operation_mode")))["state"] == ("autonomous")


async def check_aemo_spike(world: World) -> None:
    """AEMO reports a spike: time-based control with the spike tariff; `end_spike` gives it all back."""
    spike_switch = await world.entity_id("switch", "_spike_detection")
    spike_sensor = await world.entity_id("binary_sensor", "_price_spike")
    aemo_sensor = await world.entity_id("sensor", "_aemo_price")
    assert (await world.state(spike_switch))["state"] == "off"  # Off by default for Amber entries.
    await world.set_options(spike_threshold=SPIKE_THRESHOLD, spike_exit_threshold=0.8 * SPIKE_THRESHOLD)
    await world.until_entity(spike_switch, "back after the reload", lambda s: s["state"] == "off")
    await world.call("switch.turn_on", {"entity_id": spike_switch})
    assert (await world.state(spike_switch))["state"] == "on"
    # typical_day: the market is calm, nothing happens.
    assert (await world.state(spike_sensor))["state"] == "off"
    assert holds_amber(await world.sim("state"))

    # The spike began with the last dispatch interval, so AEMO's latest price is already the spike's.
    now = datetime.fromisoformat((await world.sim("state"))["now"])
    await world.sim(
        "scenario", {"name": "price_spike", "spike_start": (now - timedelta(minutes=5)).isoformat()}
    )
    peak = await world.aemo_price(REGION)
    assert peak >= SPIKE_THRESHOLD
    # Ask for AEMO's price now rather than wait for the coordinator's next minute.
    await world.call("homeassistant.update_entity", {"entity_id": aemo_sensor})
    state = await world.until_simulated("time-based control with the spike tariff", holds_spike)
    await assert_spike_tariff(world, state, peak / 1000)
    sensor = await world.until_entity(spike_sensor, "on", lambda s: s["state"] == "on")
    attributes = sensor["attributes"]
    assert attributes["simulated"] is False
    assert attributes["region"] == REGION
    assert attributes["threshold"] == SPIKE_THRESHOLD
    assert abs(attributes["peak_price"] - peak) < 0.01
    # While the spike lasts, nothing puts the Amber tariff back.
    assert holds_spike(await world.sim("state"))

    # The market calms; the owner does not wait for the hold to pass.
    await world.sim("scenario", {"name": "typical_day"})
    await world.call("tesla_amber_sync.end_spike")
    await assert_baseline_back(world, spike_sensor)


async def check_simulated_spike(world: World) -> None:
    """`simulate_spike` runs the same response at the owner's price; `end_spike` ends it."""
    spike_sensor = await world.entity_id("binary_sensor", "_price_spike")
    price = 5000.0
    await world.call("tesla_amber_sync.simulate_spike", {"price": price, "duration": 10})
    state = await world.until_simulated("time-based control with the simulated spike's tariff", holds_spike)
    await assert_spike_tariff(world, state, price / 1000)
    sensor = await world.until_entity(spike_sensor, "on", lambda s: s["state"] == "on")
    assert sensor["attributes"]["simulated"] is True
    assert sensor["attributes"]["peak_price"] == price
    assert sensor["attributes"]["threshold"] == SPIKE_THRESHOLD
    await world.call("tesla_amber_sync.end_spike")
    await assert_baseline_back(world, spike_sensor)


def curtailment_times(now: datetime) -> tuple[datetime, datetime, datetime, datetime]:
    """A typical_day morning (feed-in pays), midday (it costs), 15:05 and 15:35 (it pays again).

    The day is chosen so that the simulator's clock stays within a day of Home Assistant's: the rolling
    tariff Home Assistant builds on its own clock then still has every slot priced, so `sync_now` works.
    """
    local = now.astimezone(ZONE)
    for days in (-1, 0, 1):
        day = local.date() + timedelta(days=days)
        morning = datetime.combine(day, time(8, 5), tzinfo=ZONE)
        if morning >= now - timedelta(hours=9):
            break
    return (
        morning,
        datetime.combine(day, time(12, 5), tzinfo=ZONE),
        datetime.combine(day, time(15, 5), tzinfo=ZONE),
        datetime.combine(day, time(15, 35), tzinfo=ZONE),
    )


async def check_curtailment(world: World) -> None:
    """Negative feed-in: export `never` until a whole interval has paid again, then the owner's rule."""
    rule_sensor = await world.entity_id("sensor", "_export_rule")
    curtailment_switch = await world.entity_id("switch", "_solar_curtailment")
    curtailed_sensor = await world.entity_id("binary_sensor", "_export_curtailed")
    now = datetime.fromisoformat((await world.sim("state"))["now"])
    morning, soak, afternoon, later = curtailment_times(now)
    # What typical_day promises (c/kWh the owner earns): 18.8, -4.5, 2.8 and 5.5.
    assert owner_earning(morning) > 0 > owner_earning(soak)
    assert owner_earning(afternoon) > 0
    assert owner_earning(later) > 0

    async def at(moment: datetime) -> None:
        """Move the simulator's clock; `sync_now` refreshes Amber's prices and evaluates curtailment."""
        await world.sim("clock", {"now": moment.isoformat()})
        await world.call("tesla_amber_sync.sync_now")

    def rule_is(rule: str) -> Callable[[dict[str, Any]], bool]:
        return lambda state: bool(state["powerwall"]["export_rule"] == rule)

    # The owner exports from solar only; Home Assistant sees it, and feed-in pays this morning.
    await world.owner_sets_export_rule("pv_only")
    await at(morning)
    await world.until_entity(rule_sensor, "pv_only", lambda s: s["state"] == "pv_only")
    assert (await world.state(curtailment_switch))["state"] == "off"
    await world.call("switch.turn_on", {"entity_id": curtailment_switch})
    assert (await world.state(curtailment_switch))["state"] == "on"
    assert (await world.state(curtailed_sensor))["state"] == "off"
    assert rule_is("pv_only")(await world.sim("state"))

    # Midday solar soak: exporting costs the owner money, so export stops.
    await at(soak)
    await world.until_simulated("export rule never", rule_is("never"))
    sensor = await world.until_entity(curtailed_sensor, "on", lambda s: s["state"] == "on")
    assert sensor["attributes"]["rule_to_restore"] == "pv_only"
    assert abs(sensor["attributes"]["feed_in_price"] - owner_earning(soak)) < 0.01
    await world.until_entity(rule_sensor, "never", lambda s: s["state"] == "never")

    # Home Assistant looks again at 15:05. It never saw 14:30 live, but Amber's settled history shows that
    # interval paid whole (0.17 c/kWh), and 15:00 pays too: the owner's own rule comes back now.
    await at(afternoon)
    await world.until_simulated("the owner's export rule pv_only back", rule_is("pv_only"))
    sensor = await world.until_entity(curtailed_sensor, "off", lambda s: s["state"] == "off")
    assert sensor["attributes"]["rule_to_restore"] is None
    # Later intervals pay too: nothing flaps.
    await at(later)
    assert rule_is("pv_only")(await world.sim("state"))
    await world.until_entity(rule_sensor, "pv_only", lambda s: s["state"] == "pv_only")


async def check_battery_command(world: World) -> None:
    """A forced charge raises the state of charge on the simulated Powerwall; ending it gives back the
    owner's reserve."""
    command_sensor = await world.entity_id("sensor", "_battery_command")
    await world.sim("powerwall", {"percentage_charged": 40})
    start = (await world.sim("state"))["powerwall"]
    owner_reserve = start["backup_reserve_percent"]
    await world.call("tesla_amber_sync.sync_now")
    await world.call("tesla_amber_sync.force_charge", {"duration": 60, "target": 70})
    await world.until_entity(command_sensor, "charging", lambda s: s["state"] == "charging")
    await world.until_simulated(
        "the reserve raised to 70 %", lambda s: s["powerwall"]["backup_reserve_percent"] == 70
    )
    await world.sim("clock", {"advance_seconds": 600})
    state = await world.sim("state")
    assert state["powerwall"]["percentage_charged"] > 40, state["powerwall"]
    await world.call("tesla_amber_sync.end_command")
    await world.until_entity(command_sensor, "none", lambda s: s["state"] == "none")
    await world.until_simulated(
        "the owner's reserve back", lambda s: s["powerwall"]["backup_reserve_percent"] == owner_reserve
    )


# The first schedule of an entry without Amber, through the config flow's simple time-of-use form.
OWN_DETAILS = {"name": "Origin Go", "retailer": "Origin", "daily_supply_charge": 1.1}
OWN_SIMPLE = {
    "peak_from": "15:00",
    "peak_to": "21:00",
    "peak_buy": 0.55,
    "peak_sell": 0.05,
    "shoulder_from": "07:00",
    "shoulder_to": "15:00",
    "shoulder_buy": 0.3,
    "shoulder_sell": 0.06,
    "off_peak_buy": 0.2,
    "off_peak_sell": 0.04,
    "weekend_buy": 0.25,
    "weekend_sell": 0.03,
}
# A second schedule pushed with the set_custom_tariff service: one flat rate all year.
FLAT = {
    "name": "Flat rate",
    "retailer": "Red Energy",
    "daily_supply_charge": 0.95,
    "seasons": [
        {
            "name": "Whole year",
            "from_month": 1,
            "from_day": 1,
            "to_month": 12,
            "to_day": 31,
            "periods": [
                {
                    "name": "Anytime",
                    "days": "every_day",
                    "from": "00:00",
                    "to": "00:00",
                    "buy": 0.28,
                    "sell": 0.05,
                }
            ],
        }
    ],
}


def own_period(local: datetime) -> tuple[str, float, float]:
    """The period OWN_SIMPLE puts a local time in, with its buy and sell rates."""
    minute = local.hour * 60 + local.minute
    if local.weekday() >= 5:
        return "Weekend", 0.25, 0.03
    if 15 * 60 <= minute < 21 * 60:
        return "Peak", 0.55, 0.05
    if 7 * 60 <= minute < 15 * 60:
        return "Shoulder", 0.3, 0.06
    return "Off-peak", 0.2, 0.04


async def test_an_entry_without_amber_holds_its_schedule(simulator_url: str, hass_url: str) -> None:
    """Another retailer, end to end: the config flow's own-schedule path creates the entry, the simulated
    Powerwall holds the schedule (the rate it reports in force is the schedule's for its own clock), Amber is
    never asked, and a schedule pushed later with set_custom_tariff replaces it on the Powerwall."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        home = HomeAssistantSetup(session, hass_url)
        await home.sign_in(Owner())
        entry = await home.add_tesla_sync_without_amber(simulator_url, details=OWN_DETAILS, simple=OWN_SIMPLE)
        assert (entry["domain"], entry["title"]) == ("tesla_amber_sync", "Home Powerwall")
        world = World(session, home, simulator_url)

        async def synced() -> list[dict[str, Any]] | None:
            states = await home.states()
            status = [s for s in states if s["entity_id"].endswith("_sync_status")]
            return states if status and status[0]["state"] == IN_PLACE else None

        states = await eventually(synced, f"sync_status to become {IN_PLACE!r}")
        assert entity(states, "_tariff", "select")["state"] == "Origin Go"
        assert not [s["entity_id"] for s in states if "amber" in s["entity_id"]]

        state = await world.sim("state")
        content = state["tariff_content_v2"]
        assert (content["code"], content["name"], content["utility"]) == (
            "TESLA_SYNC:SCHEDULE",
            "Origin Go",
            "Origin",
        )
        writes = await world.sim("requests?endpoint=teslemetry.time_of_use_settings")
        assert [write["body"]["tou_settings"]["tariff_content_v2"] for write in writes] == [content]
        in_force = state["tariff_in_force"]
        period, buy, sell = own_period(datetime.fromisoformat(state["local_now"]))
        assert (in_force["season"], in_force["period"]) == ("All year", period)
        assert (in_force["buy"], in_force["sell"]) == (buy, sell)
        counters = await world.sim("counters")
        assert not [name for name, count in counters.items() if name.startswith("amber.") and count], counters

        await world.call("tesla_amber_sync.set_custom_tariff", FLAT)
        state = await world.until_simulated(
            "the flat schedule in force", lambda s: s["tariff_in_force"]["name"] == "Flat rate"
        )
        assert state["tariff_in_force"]["period"] == "Anytime"
        assert (state["tariff_in_force"]["buy"], state["tariff_in_force"]["sell"]) == (0.28, 0.05)
        assert state["tariff_content_v2"]["daily_charges"] == [{"name": "Supply charge", "amount": 0.95}]
        select = await world.until_entity(
            await world.entity_id("select", "_tariff"),
            "the flat schedule chosen",
            lambda s: s["state"] == "Flat rate",
        )
        assert {"Flat rate", "Origin Go"} <= set(select["attributes"]["options"])
        assert "Amber (rolling)" not in select["attributes"]["options"]
