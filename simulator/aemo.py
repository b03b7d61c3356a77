"""AEMO's ELEC_NEM_SUMMARY report: the latest 5-minute dispatch of every NEM region. No auth.

`SETTLEMENTDATE` is the END of the dispatch interval in NEM time (UTC+10, no DST) with no zone suffix;
`PRICE` is $/MWh ex-GST; `INTERCONNECTORFLOWS` is a JSON array inside a string.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import json
from typing import Any, Final

from aiohttp import web

from .responses import SIMULATOR_KEY
from .scenarios import BLOCK, floor_time
from .state import Simulator

NEM_TIME: Final = timezone(timedelta(hours=10))
SITE_REGION: Final = "NSW1"
# Other regions follow the simulated one with a margin, as neighbouring regions usually do.
_REGION_OFFSETS: Final = {"NSW1": 0.0, "QLD1": -6.5, "SA1": 14.2, "TAS1": -11.0, "VIC1": -3.8}
_FLOWS: Final = [
    {"name": "N-Q-MNSP1", "value": -35.0},
    {"name": "NSW1-QLD1", "value": -412.6},
    {"name": "T-V-MNSP1", "value": 250.0},
    {"name": "V-S-MNSP1", "value": 109.3},
    {"name": "V-SA", "value": 187.4},
    {"name": "VIC1-NSW1", "value": 640.2},
]


def summary_payload(sim: Simulator, now: datetime) -> dict[str, Any]:
    """The report as AEMO serves it, for the dispatch interval that ended last."""
    interval_end = floor_time(now, BLOCK)
    spot_cents = sim.scenario.block_price(interval_end - BLOCK, sim.zone, sim.spike_start).spot
    # spotPerKwh is c/kWh incl. GST; AEMO's price is $/MWh ex-GST.
    site_price = round(spot_cents / 1.1 * 10, 2)
    settlement = interval_end.astimezone(NEM_TIME).strftime("%Y-%m-%dT%H:%M:%S")
    summary: list[dict[str, Any]] = []
    prices: list[dict[str, Any]] = []
    for region, offset in _REGION_OFFSETS.items():
        price = site_price if region == SITE_REGION else round(site_price + offset, 2)
        summary.append(
            {
                "SETTLEMENTDATE": settlement,
                "REGIONID": region,
                "PRICE": price,
                "PRICE_STATUS": "FIRM",
                "APCFLAG": 0.0,
                "MARKETSUSPENDEDFLAG": 0.0,
                "TOTALDEMAND": 7421.35 if region == SITE_REGION else 3012.4,
                "NETINTERCHANGE": -640.2 if region == SITE_REGION else 120.7,
                "SCHEDULEDGENERATION": 5310.8,
                "SEMISCHEDULEDGENERATION": 1474.1,
                "INTERCONNECTORFLOWS": json.dumps(_FLOWS),
            }
        )
        prices.append(
            {
                "REGIONID": region,
                "RRP": price,
                "RAISEREGRRP": 9.5,
                "LOWERREGRRP": 4.1,
                "RAISE1SECRRP": 0.4,
                "RAISE6SECRRP": 0.9,
                "RAISE60SECRRP": 0.7,
                "RAISE5MINRRP": 0.5,
                "LOWER1SECRRP": 0.1,
                "LOWER6SECRRP": 0.2,
                "LOWER60SECRRP": 0.3,
                "LOWER5MINRRP": 0.2,
            }
        )
    notice = {
        "NOTICEID": 118001,
        "EFFECTIVEDATE": interval_end.astimezone(NEM_TIME).strftime("%Y-%m-%dT00:00:00"),
        "EXTERNALREFERENCE": "SIMULATOR - No real market notices",
        "TYPEID": "MARKET SYSTEMS",
        "REASON": "This data comes from the Tesla Sync simulator.",
    }
    return {
        "ELEC_NEM_SUMMARY": summary,
        "ELEC_NEM_SUMMARY_PRICES": prices,
        "ELEC_NEM_SUMMARY_MARKET_NOTICE": [notice],
    }


async def get_summary(request: web.Request) -> web.Response:
    """GET /aemo/ELEC_NEM_SUMMARY."""
    sim = request.app[SIMULATOR_KEY]
    now = sim.tick()
    return web.json_response(summary_payload(sim, now))


def add_routes(app: web.Application, path: str = "/aemo/ELEC_NEM_SUMMARY") -> None:
    """Register the AEMO endpoint."""
    app.router.add_get(path, get_summary, name="aemo.summary")
