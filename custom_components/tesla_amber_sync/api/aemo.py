"""Async client for AEMO's public NEM summary (latest 5-minute dispatch price of every region)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from ._http import DEFAULT_TIMEOUT, HttpTransport
from ._parse import NEM_TIME_ZONE, as_dict, as_float, as_list, as_str, parse_datetime, parse_enum
from .errors import InvalidResponseError
from .models import AemoPriceStatus, AemoRegionPrice

if TYPE_CHECKING:
    from datetime import datetime

    import aiohttp

_LOGGER = logging.getLogger(__name__)

# The main aemo.com.au host answers scripts with 403; the visualisations host does not.
AEMO_SUMMARY_URL: Final = "https://visualisations.aemo.com.au/aemo/apps/api/report/ELEC_NEM_SUMMARY"


class AemoClient:
    """Reads the current dispatch price ($/MWh ex-GST, may be negative) of each NEM region. No auth."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = AEMO_SUMMARY_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client on Home Assistant's shared session; `base_url` is the full report URL."""
        self._http = HttpTransport(session, service="AEMO", base_url=base_url, timeout=timeout)

    async def get_region_prices(self) -> dict[str, AemoRegionPrice]:
        """Return the latest price of each region, keyed by region id (`NSW1`, `QLD1`, `SA1`, `TAS1`, `VIC1`).

        Rows without a region, a price or a date are skipped; a reply with no usable row at all raises
        InvalidResponseError, because an empty answer would look like "no prices" rather than "broken".
        """
        body = as_dict(await self._http.get_json(""))
        if body is None or not isinstance(body.get("ELEC_NEM_SUMMARY"), list):
            raise InvalidResponseError("AEMO reply has no ELEC_NEM_SUMMARY list")
        prices: dict[str, AemoRegionPrice] = {}
        for item in as_list(body["ELEC_NEM_SUMMARY"]):
            price = _parse_row(item)
            if price is None:
                _LOGGER.debug("Skipping an unusable AEMO summary row: %r", item)
                continue
            known = prices.get(price.region)
            # Should a region appear twice, the later dispatch interval is the current one.
            if known is None or price.settlement_time >= known.settlement_time:
                prices[price.region] = price
        if not prices:
            raise InvalidResponseError("AEMO reply has no usable region price")
        return prices


def _parse_row(item: object) -> AemoRegionPrice | None:
    row = as_dict(item) or {}
    region = as_str(row.get("REGIONID"))
    price = as_float(row.get("PRICE"))
    settlement_time = parse_settlement_date(row.get("SETTLEMENTDATE"))
    if region is None or price is None or settlement_time is None:
        return None
    return AemoRegionPrice(
        region=region,
        price=price,
        settlement_time=settlement_time,
        price_status=parse_enum(AemoPriceStatus, row.get("PRICE_STATUS"), AemoPriceStatus.UNKNOWN),
    )


def parse_settlement_date(value: object) -> datetime | None:
    """Parse `YYYY-MM-DDTHH:MM:SS` or `YYYY/MM/DD HH:MM:SS` (NEM time, no zone) into an aware datetime."""
    text = as_str(value)
    if text is None:
        return None
    return parse_datetime(text.replace("/", "-"), naive_zone=NEM_TIME_ZONE)
