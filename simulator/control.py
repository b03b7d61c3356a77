"""The control API under `/_sim`: scenario, clock, publication, demand window and household import, faults,
counters, state, confirmations and reset. No auth (local only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from aiohttp import web

from .demand import DemandWindow, Household
from .faults import Fault, FaultKind
from .freshness import confirmed_at
from .publication import INSTANT, REALISTIC, Publication
from .responses import SIMULATOR_KEY
from .scenarios import SCENARIOS, floor_time
from .state import Simulator
from .tariff import rate_at

# Intervals of the confirmation record that `/_sim/state` shows (the full record is `/_sim/confirmations`).
STATE_CONFIRMATIONS: Final = 12


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise TypeError("body must be a JSON object")
    return body


def _instant(text: object) -> datetime:
    if not isinstance(text, str):
        raise TypeError("expected an ISO 8601 time")
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError("the time needs an offset")
    return instant


async def get_state(request: web.Request) -> web.Response:
    """The world now: clock, scenario, Powerwall settings and flows, the tariff in force."""
    sim = request.app[SIMULATOR_KEY]
    now = sim.tick()
    pw = sim.powerwall
    rate = rate_at(pw.tariff, now.astimezone(sim.zone))
    return web.json_response(
        {
            "now": now.isoformat(),
            "local_now": now.astimezone(sim.zone).isoformat(),
            "time_zone": sim.config.time_zone,
            "speed": sim.clock.speed,
            "scenario": sim.scenario.name,
            "spike_start": sim.spike_start.isoformat() if sim.spike_start else None,
            "powerwall": {
                "percentage_charged": pw.percentage,
                "energy_left": pw.energy_wh,
                "mode": pw.mode,
                "backup_reserve_percent": pw.backup_reserve_percent,
                "export_rule": pw.export_rule or "battery_ok",
                "grid_charging_allowed": pw.grid_charging_allowed,
                "flows": {
                    "solar": pw.flows.solar,
                    "load": pw.flows.load,
                    "battery": pw.flows.battery,
                    "grid": pw.flows.grid,
                },
                "energy_today": pw.energy,
            },
            "tariff_in_force": {
                "season": rate.season,
                "period": rate.period,
                "buy": rate.buy,
                "sell": rate.sell,
                "code": pw.tariff.get("code") if pw.tariff else None,
                "name": pw.tariff.get("name") if pw.tariff else None,
            },
            "tariff_content_v2": pw.tariff,
            "publication": publication_json(sim, now),
            "demand": demand_json(sim, now),
            "confirmations": [
                record.as_json() for record in sim.confirmations.records()[-STATE_CONFIRMATIONS:]
            ],
        }
    )


def publication_json(sim: Simulator, now: datetime) -> dict[str, Any]:
    """How Amber publishes, and when the interval in progress is (or was) confirmed."""
    pub = sim.publication
    minutes = sim.scenario.interval_length
    start = floor_time(now, timedelta(minutes=minutes))
    at = confirmed_at(pub, start, minutes)
    return {
        "enabled": pub != INSTANT,
        "seed": pub.seed,
        "estimate_error": pub.estimate_error,
        "forecast_error": pub.forecast_error,
        "delay_seconds": pub.fixed_delay,
        "current_interval": {
            "start": start.isoformat(),
            "confirmed_at": at.isoformat(),
            "estimate": now < at,
        },
    }


async def get_publication(request: web.Request) -> web.Response:
    """How Amber publishes now."""
    sim = request.app[SIMULATOR_KEY]
    return web.json_response(publication_json(sim, sim.tick()))


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{key} must be a number >= 0 or null")
    return float(value)


def _updated_publication(current: Publication, body: dict[str, Any]) -> Publication:
    """`current` changed as a POST /_sim/publication body asks."""
    if body.get("enabled", True) is False:
        return INSTANT
    pub = REALISTIC if current == INSTANT else current
    if "seed" in body:
        seed = body["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be a whole number")
        pub = replace(pub, seed=seed)
    if "estimate_error" in body:
        pub = replace(pub, estimate_error=_number(body, "estimate_error") or 0.0)
    if "forecast_error" in body:
        pub = replace(pub, forecast_error=_number(body, "forecast_error") or 0.0)
    if "delay_seconds" in body:
        delay = _number(body, "delay_seconds")
        if delay is not None and delay >= 300:
            raise ValueError("delay_seconds must be under 300 (one 5-minute interval)")
        pub = replace(pub, fixed_delay=delay)
    return pub


async def post_publication(request: web.Request) -> web.Response:
    """Change how Amber publishes.

    {"enabled": false} confirms every price at its interval's start with exact forecasts (no model);
    otherwise the model is on, with any of "seed", "estimate_error", "forecast_error" (c/kWh) and
    "delay_seconds" (every interval's confirmation delay; null: drawn per interval, 17-37 s) changed.
    """
    sim = request.app[SIMULATOR_KEY]
    try:
        body = await _json_body(request)
        publication = _updated_publication(sim.publication, body)
    except (TypeError, ValueError) as err:
        return _bad(str(err))
    sim.tick()
    sim.publication = publication
    return web.json_response(publication_json(sim, sim.tick()))


def demand_json(sim: Simulator, now: datetime) -> dict[str, Any]:
    """The demand window, whether `now` is inside it, and what the household draws past the Powerwall."""
    household = sim.household
    local = now.astimezone(sim.zone)
    window = household.window
    return {
        "window": window.as_json() if window is not None else None,
        "window_active": window is not None and window.contains(local),
        "import_profile": {"enabled": household.profile, "seed": household.seed},
        "fixed_import_w": household.fixed_import_w,
        "unserved_w": household.unserved_load(local),
        "grid_w": sim.powerwall.flows.grid,
        # The peak half hour of the window's run that starts today (site time), if it runs today.
        "peak_today": household.peak_json(local.date(), sim.zone),
    }


async def get_demand(request: web.Request) -> web.Response:
    """The demand window and the household's import now."""
    sim = request.app[SIMULATOR_KEY]
    return web.json_response(demand_json(sim, sim.tick()))


def _fixed_import(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100_000:
        raise ValueError("fixed_import_w must be a number of watts from 0 to 100000, or null")
    return float(value)


def _updated_household(current: Household, body: dict[str, Any]) -> Household:
    """`current` changed as a POST /_sim/demand body asks."""
    household = current
    if "window" in body:
        window = None if body["window"] is None else DemandWindow.from_json(body["window"])
        household = replace(household, window=window)
    if "import_profile" in body:
        settings = body["import_profile"]
        if not isinstance(settings, dict):
            raise TypeError("import_profile must be an object with enabled and seed")
        profile = settings.get("enabled", household.profile)
        seed = settings.get("seed", household.seed)
        if not isinstance(profile, bool):
            raise TypeError("import_profile.enabled must be true or false")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError("import_profile.seed must be a whole number")
        household = replace(household, profile=profile, seed=seed)
    if "fixed_import_w" in body:
        household = replace(household, fixed_import_w=_fixed_import(body["fixed_import_w"]))
    return household


async def post_demand(request: web.Request) -> web.Response:
    """Change the demand window and the household's import; each key is optional.

    {"window": {"start": "HH:MM", "end": "HH:MM", "days": "every_day" | "weekdays" | "weekends"} or null
    (no demand tariff), "import_profile": {"enabled"?: bool, "seed"?: int}, "fixed_import_w": W or null}.
    Nothing changes unless the whole body is valid.
    """
    sim = request.app[SIMULATOR_KEY]
    try:
        body = await _json_body(request)
        household = _updated_household(sim.household, body)
    except (TypeError, ValueError) as err:
        return _bad(str(err))
    # Flows up to now follow the household as it was; from now on (a tick recomputes them) the new one.
    sim.tick()
    sim.set_household(household)
    return web.json_response(demand_json(sim, sim.tick()))


async def get_confirmations(request: web.Request) -> web.Response:
    """Per billing interval: when its price was confirmed and when the Powerwall first reflected it."""
    sim = request.app[SIMULATOR_KEY]
    sim.tick()
    return web.json_response([record.as_json() for record in sim.confirmations.records()])


async def get_scenarios(_request: web.Request) -> web.Response:
    """Every scenario with its description."""
    return web.json_response(
        [
            {"name": s.name, "description": s.description, "interval_length": s.interval_length}
            for s in SCENARIOS.values()
        ]
    )


async def post_scenario(request: web.Request) -> web.Response:
    """Switch scenario: {"name": ..., "spike_start"?: ISO time}."""
    sim = request.app[SIMULATOR_KEY]
    try:
        body = await _json_body(request)
        spike_start = _instant(body["spike_start"]) if body.get("spike_start") else None
        scenario = sim.switch_scenario(str(body.get("name")), spike_start)
    except KeyError:
        return _bad(f"unknown scenario; choose one of {sorted(SCENARIOS)}")
    except (TypeError, ValueError) as err:
        return _bad(str(err))
    return web.json_response({"scenario": scenario.name})


async def post_clock(request: web.Request) -> web.Response:
    """Move the clock: {"now"?: ISO time, "advance_seconds"?: float, "speed"?: float}."""
    sim = request.app[SIMULATOR_KEY]
    try:
        body = await _json_body(request)
        if "speed" in body:
            sim.clock.set_speed(float(body["speed"]))
        if body.get("now") is not None:
            sim.clock.set(_instant(body["now"]))
        if body.get("advance_seconds") is not None:
            sim.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
    except (TypeError, ValueError) as err:
        return _bad(str(err))
    now = sim.tick()
    return web.json_response({"now": now.isoformat(), "speed": sim.clock.speed})


async def get_faults(request: web.Request) -> web.Response:
    """The faults in force."""
    return web.json_response(request.app[SIMULATOR_KEY].faults.as_json())


async def post_fault(request: web.Request) -> web.Response:
    """Inject a fault: {"endpoint", "kind", "status"?, "retry_after"?, "delay"?, "times"? (null: forever)}."""
    sim = request.app[SIMULATOR_KEY]
    try:
        body = await _json_body(request)
        times = body.get("times", 1)
        fault = Fault(
            endpoint=str(body["endpoint"]),
            kind=FaultKind(body.get("kind", FaultKind.STATUS)),
            status=int(body.get("status", 503)),
            retry_after=float(body["retry_after"]) if body.get("retry_after") is not None else None,
            delay=float(body["delay"]) if body.get("delay") is not None else None,
            remaining=None if times is None else int(times),
        )
        sim.faults.add(fault)
    except KeyError:
        return _bad("endpoint is required")
    except (TypeError, ValueError) as err:
        return _bad(str(err))
    return web.json_response(fault.as_json(), status=201)


async def delete_faults(request: web.Request) -> web.Response:
    """Clear every fault, or only those of `?endpoint=`."""
    removed = request.app[SIMULATOR_KEY].faults.clear(request.query.get("endpoint"))
    return web.json_response({"removed": removed})


async def get_counters(request: web.Request) -> web.Response:
    """How many requests each endpoint received."""
    return web.json_response(dict(request.app[SIMULATOR_KEY].counters))


async def get_requests(request: web.Request) -> web.Response:
    """The most recent requests (optionally of `?endpoint=`), oldest first."""
    endpoint = request.query.get("endpoint")
    return web.json_response(
        [
            recorded.as_json()
            for recorded in request.app[SIMULATOR_KEY].requests
            if endpoint is None or recorded.endpoint == endpoint
        ]
    )


async def post_powerwall(request: web.Request) -> web.Response:
    """Set the battery's charge: {"percentage_charged": 0..100}."""
    sim = request.app[SIMULATOR_KEY]
    try:
        body = await _json_body(request)
        sim.tick()
        sim.powerwall.set_percentage(float(body["percentage_charged"]))
    except (KeyError, TypeError, ValueError) as err:
        return _bad(f"percentage_charged (a number) is required: {err}")
    return web.json_response({"percentage_charged": sim.powerwall.percentage})


async def post_reset(request: web.Request) -> web.Response:
    """Back to the start-up state: scenario, clock, Powerwall, faults and counters."""
    sim = request.app[SIMULATOR_KEY]
    sim.reset()
    return web.json_response({"now": sim.now().isoformat(), "scenario": sim.scenario.name})


def add_routes(app: web.Application, prefix: str = "/_sim") -> None:
    """Register the control endpoints (names start with `sim.`, so they are not counted)."""
    router = app.router
    router.add_get(f"{prefix}/state", get_state, name="sim.state")
    router.add_get(f"{prefix}/scenarios", get_scenarios, name="sim.scenarios")
    router.add_post(f"{prefix}/scenario", post_scenario, name="sim.scenario")
    router.add_post(f"{prefix}/clock", post_clock, name="sim.clock")
    router.add_get(f"{prefix}/publication", get_publication, name="sim.publication")
    router.add_post(f"{prefix}/publication", post_publication, name="sim.publication_set")
    router.add_get(f"{prefix}/demand", get_demand, name="sim.demand")
    router.add_post(f"{prefix}/demand", post_demand, name="sim.demand_set")
    router.add_get(f"{prefix}/confirmations", get_confirmations, name="sim.confirmations")
    router.add_get(f"{prefix}/faults", get_faults, name="sim.faults")
    router.add_post(f"{prefix}/faults", post_fault, name="sim.faults_add")
    router.add_delete(f"{prefix}/faults", delete_faults, name="sim.faults_clear")
    router.add_get(f"{prefix}/counters", get_counters, name="sim.counters")
    router.add_get(f"{prefix}/requests", get_requests, name="sim.requests")
    router.add_post(f"{prefix}/powerwall", post_powerwall, name="sim.powerwall")
    router.add_post(f"{prefix}/reset", post_reset, name="sim.reset")
