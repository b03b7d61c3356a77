"""Async client for the Amber Electric public API (sites and current prices)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from ._http import DEFAULT_TIMEOUT, HttpTransport
from ._parse import as_dict, as_float, as_int, as_list, as_str, parse_date, parse_enum
from .errors import InvalidResponseError
from .models import AmberChannel, AmberSite, ChannelType, RateLimitInfo, SiteStatus
from .prices import PriceIntervals, parse_prices

if TYPE_CHECKING:
    from collections.abc import Mapping

    import aiohttp

_LOGGER = logging.getLogger(__name__)

AMBER_BASE_URL: Final = "https://api.amber.com.au/v1"
VALID_RESOLUTIONS: Final = frozenset({5, 30})
# The API refuses more than this many intervals in one request (previous + next).
MAX_INTERVALS: Final = 2048
_DEFAULT_INTERVAL_LENGTH: Final = 30


class AmberClient:
    """Reads sites and prices from Amber Electric with a personal API token (`psk_...`).

    Prices keep Amber's units and sign: c/kWh incl. GST, feed-in negative when the owner is paid.
    `last_rate_limit` mirrors the `RateLimit-*` headers of the most recent reply (None when it had none).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = AMBER_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client on Home Assistant's shared session."""
        self.last_rate_limit: RateLimitInfo | None = None
        self._http = HttpTransport(
            session,
            service="Amber",
            base_url=base_url,
            token=token,
            timeout=timeout,
            on_headers=self._record_rate_limit,
        )

    async def get_sites(self) -> tuple[AmberSite, ...]:
        """Return every site on the account, in Amber's order."""
        payload = await self._http.get_json("/sites")
        if not isinstance(payload, list):
            raise InvalidResponseError("Amber sites reply is not a list")
        sites: list[AmberSite] = []
        for item in payload:
            site = _parse_site(item)
            if site is None:
                _LOGGER.debug("Skipping an Amber site without an id: %r", item)
                continue
            sites.append(site)
        return tuple(sites)

    async def get_current_prices(
        self,
        site_id: str,
        *,
        previous: int = 0,
        next: int = 0,  # noqa: A002 - named after Amber's query parameter; the public contract uses it
        resolution: int | None = None,
    ) -> PriceIntervals:
        """Return the current interval of every channel, plus `previous` actual and `next` forecast ones.

        Malformed intervals (no price or no usable time) are skipped so one bad row never hides the rest.
        """
        if previous < 0 or next < 0:
            raise ValueError("previous and next must not be negative")
        if previous + next > MAX_INTERVALS:
            raise ValueError(f"previous + next must not exceed {MAX_INTERVALS}")
        if resolution is not None and resolution not in VALID_RESOLUTIONS:
            raise ValueError("resolution must be 5 or 30")
        params: dict[str, str] = {}
        if previous:
            params["previous"] = str(previous)
        if next:
            params["next"] = str(next)
        if resolution is not None:
            params["resolution"] = str(resolution)
        payload = await self._http.get_json(
            f"/sites/{quote(site_id, safe='')}/prices/current", params=params or None
        )
        return parse_prices(payload)

    def _record_rate_limit(self, headers: Mapping[str, str]) -> None:
        limit = headers.get("RateLimit-Limit")
        remaining = headers.get("RateLimit-Remaining")
        reset = headers.get("RateLimit-Reset")
        if limit is None and remaining is None and reset is None:
            self.last_rate_limit = None
            return
        self.last_rate_limit = RateLimitInfo(
            limit=as_int(limit), remaining=as_int(remaining), reset_seconds=as_float(reset)
        )


def _parse_site(item: object) -> AmberSite | None:
    data = as_dict(item)
    if data is None:
        return None
    site_id = as_str(data.get("id"))
    if site_id is None:
        return None
    channels: list[AmberChannel] = []
    for raw_channel in as_list(data.get("channels")):
        channel = as_dict(raw_channel) or {}
        identifier = as_str(channel.get("identifier"))
        if identifier is None:
            continue
        channels.append(
            AmberChannel(
                identifier=identifier,
                type=parse_enum(ChannelType, channel.get("type"), ChannelType.UNKNOWN),
                tariff=as_str(channel.get("tariff")),
            )
        )
    return AmberSite(
        id=site_id,
        nmi=as_str(data.get("nmi")) or "",
        status=parse_enum(SiteStatus, data.get("status"), SiteStatus.UNKNOWN),
        network=as_str(data.get("network")),
        channels=tuple(channels),
        # The v1 API had no intervalLength and billed on 30 minutes only.
        interval_length=as_int(data.get("intervalLength")) or _DEFAULT_INTERVAL_LENGTH,
        active_from=parse_date(data.get("activeFrom")),
        closed_on=parse_date(data.get("closedOn")),
    )
