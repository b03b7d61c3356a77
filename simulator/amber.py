"""Amber Electric endpoints: `/amber/v1/sites` and `/amber/v1/sites/{id}/prices/current`.

Shapes follow Amber's API v2: camelCase fields, `nemTime` the END of the interval in NEM time (+10:00),
`startTime` one second past the boundary in UTC, feed-in in billing sign (negative when the owner is
paid), and `estimate` on the current interval only. Prices are as Amber states them at the simulated
instant (`publication.py`): the current interval is an estimate until its last 5-minute block's confirmed
price is out, 17-37 s after that block starts; until then it and the forecasts carry the model's errors.
General intervals carry `tariffInformation.demandWindow` (inside the site's demand window, `demand.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from aiohttp import web

from .freshness import amber_says
from .responses import SIMULATOR_KEY, amber_error
from .scenarios import BlockPrice, SpikeLevel, floor_time
from .state import AmberSiteSpec, Simulator

NEM_TIME: Final = timezone(timedelta(hours=10))
MAX_INTERVALS: Final = 2048
RATE_LIMIT: Final = 50
RATE_WINDOW: Final = 300
_CHANNELS: Final = (("general", "E1"), ("feedIn", "B1"))


def _iso_z(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def site_payload(sim: Simulator, site: AmberSiteSpec) -> dict[str, Any]:
    """One simulated Amber site."""
    return {
        "id": site.id,
        "nmi": site.nmi,
        "channels": [
            {"identifier": "E1", "type": "general", "tariff": "EA116"},
            {"identifier": "B1", "type": "feedIn", "tariff": "EA116"},
        ],
        "network": site.network,
        "status": "active",
        "activeFrom": "2024-07-01",
        "intervalLength": sim.scenario.interval_length,
    }


def descriptor(general: float, spike: SpikeLevel) -> str:
    """Amber's plain-words label for a general price (c/kWh)."""
    if spike is SpikeLevel.SPIKE:
        return "spike"
    for limit, label in ((0.0, "extremelyLow"), (10.0, "veryLow"), (20.0, "low"), (35.0, "neutral")):
        if general < limit:
            return label
    return "high"


def _network_period(local_hour: int) -> str:
    if 16 <= local_hour < 21:
        return "peak"
    if 10 <= local_hour < 15:
        return "solarSponge"
    if 7 <= local_hour < 22:
        return "shoulder"
    return "offPeak"


def tariff_information(sim: Simulator, local: datetime) -> dict[str, Any]:
    """How the network tariff treats the interval starting at `local`; `demandWindow` only for a site on a
    demand tariff (one with a demand window), as Amber sends it."""
    information: dict[str, Any] = {"period": _network_period(local.hour)}
    window = sim.household.window
    if window is not None:
        information["demandWindow"] = window.contains(local)
    return information


def _renewables(local: datetime) -> float:
    hour = local.hour + local.minute / 60
    sun = max(0.0, 1 - abs(hour - 12.5) / 6)
    # Float noise like the real API's 21.243000000000002.
    return 18.0 + 52.0 * sun + 0.1 / 3


def interval_payload(
    sim: Simulator,
    *,
    start: datetime,
    minutes: int,
    kind: str,
    channel: str,
    price: BlockPrice,
    final: bool,
) -> dict[str, Any]:
    """One interval of one channel in Amber's shape."""
    end = start + timedelta(minutes=minutes)
    per_kwh = price.general if channel == "general" else price.feed_in
    local = start.astimezone(sim.zone)
    interval: dict[str, Any] = {
        "type": kind,
        "duration": minutes,
        "spotPerKwh": price.spot,
        "perKwh": per_kwh,
        "date": (end - timedelta(seconds=1)).astimezone(NEM_TIME).date().isoformat(),
        "nemTime": end.astimezone(NEM_TIME).isoformat(),
        "startTime": _iso_z(start + timedelta(seconds=1)),
        "endTime": _iso_z(end),
        "renewables": _renewables(local),
        "channelType": channel,
        "tariffInformation": tariff_information(sim, local) if channel == "general" else None,
        "spikeStatus": price.spike.value,
        "descriptor": descriptor(price.general, price.spike),
    }
    if kind != "ActualInterval":
        # Same sign as perKwh; the band is wider on the high side, as Amber's usually is.
        spread = abs(per_kwh) * 0.15 + 1.0
        interval["advancedPrice"] = {
            "low": round(per_kwh - spread, 5),
            "predicted": per_kwh,
            "high": round(per_kwh + 2 * spread, 5),
        }
        interval["range"] = None
    if kind == "CurrentInterval":
        # Confirmed once the interval's last 5-minute block is published.
        interval["estimate"] = not final
    return interval


def prices_payload(sim: Simulator, *, now: datetime, previous: int, next_: int, resolution: int) -> list[Any]:
    """`prices/current`: General, then Feed In; each P actual, 1 current, N forecast intervals."""
    step = timedelta(minutes=resolution)
    current = floor_time(now, step)
    per_hour = 60 // resolution
    # Amber has only so much history and forecast; it answers with what it has.
    previous = min(previous, int(sim.scenario.history_hours * per_hour))
    next_ = min(next_, int(sim.scenario.forecast_hours * per_hour))
    starts = [current + step * offset for offset in range(-previous, next_ + 1)]
    market = sim.market
    published = market.publication.latest_round(now)
    said = [amber_says(market, start, resolution, published) for start in starts]
    payload: list[Any] = []
    for channel, _identifier in _CHANNELS:
        for start, (price, final) in zip(starts, said, strict=True):
            kind = (
                "ActualInterval"
                if start < current
                else "CurrentInterval"
                if start == current
                else "ForecastInterval"
            )
            payload.append(
                interval_payload(
                    sim, start=start, minutes=resolution, kind=kind, channel=channel, price=price, final=final
                )
            )
    return payload


def _rate_limit_headers(sim: Simulator, now: datetime) -> dict[str, str]:
    window = int(now.timestamp()) // RATE_WINDOW
    last_window, used = sim.amber_window
    used = used + 1 if last_window == window else 1
    sim.amber_window = (window, used)
    reset = RATE_WINDOW - int(now.timestamp()) % RATE_WINDOW
    return {
        "RateLimit-Limit": str(RATE_LIMIT),
        "RateLimit-Remaining": str(max(0, RATE_LIMIT - used)),
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": f"{RATE_LIMIT};w={RATE_WINDOW}",
    }


async def get_sites(request: web.Request) -> web.Response:
    """GET /sites."""
    sim = request.app[SIMULATOR_KEY]
    now = sim.tick()
    return web.json_response(
        [site_payload(sim, site) for site in sim.amber_sites], headers=_rate_limit_headers(sim, now)
    )


def _int_param(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    value = int(text)  # ValueError becomes a 400 in the caller.
    if value < 0:
        raise ValueError(name)
    return value


async def get_current_prices(request: web.Request) -> web.Response:
    """GET /sites/{site_id}/prices/current?previous=&next=&resolution=."""
    sim = request.app[SIMULATOR_KEY]
    now = sim.tick()
    if request.match_info["site_id"] not in {site.id for site in sim.amber_sites}:
        return amber_error(404, "Site not found")
    try:
        previous = _int_param(request, "previous", 0)
        next_ = _int_param(request, "next", 0)
        resolution = _int_param(request, "resolution", sim.scenario.interval_length)
    except ValueError:
        return amber_error(400, "previous, next and resolution must be whole numbers")
    if resolution not in {5, 30}:
        return amber_error(400, "resolution must be 5 or 30")
    if previous + next_ > MAX_INTERVALS:
        return amber_error(400, f"previous + next must not exceed {MAX_INTERVALS}")
    payload = prices_payload(sim, now=now, previous=previous, next_=next_, resolution=resolution)
    return web.json_response(payload, headers=_rate_limit_headers(sim, now))


def add_routes(app: web.Application, prefix: str = "/amber/v1") -> None:
    """Register the Amber endpoints."""
    app.router.add_get(f"{prefix}/sites", get_sites, name="amber.sites")
    app.router.add_get(f"{prefix}/sites/{{site_id}}/prices/current", get_current_prices, name="amber.prices")
