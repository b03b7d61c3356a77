"""A stateful fake of Amber, Teslemetry and AEMO behind `aioresponses`, for integration tests.

It answers every endpoint the integration uses, records every request (method, URL, JSON body), and
behaves like the real Powerwall where the tests need it to: a tariff write changes `site_info`, unless
the test asks for the write to be accepted but not applied.
"""

from __future__ import annotations

from collections.abc import Callable
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
import json
from pathlib import Path
import re
from typing import Any

from aioresponses import CallbackResult, aioresponses
from homeassistant.util import dt as dt_util
from yarl import URL

FIXTURES = Path(__file__).parent / "fixtures"
AMBER_SITE_ID = "01HAMBERSITEACTIVE0000000"
ENERGY_SITE_ID = 12345
AMBER = "https://api.amber.com.au/v1"
TESLEMETRY = "https://api.teslemetry.com/api/1"
FLEET = "https://fleet-api.prd.na.vn.cloud.tesla.com/api/1"
AEMO = "https://visualisations.aemo.com.au/aemo/apps/api/report/ELEC_NEM_SUMMARY"
NEM_TIME = timezone(timedelta(hours=10))


def load_fixture(name: str) -> Any:
    """A JSON fixture from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Request:
    """One request the integration made."""

    method: str
    url: URL
    json: Any
    headers: dict[str, str]
    # When it was made, on Home Assistant's (frozen) clock.
    at: datetime = field(default_factory=dt_util.utcnow)

    @property
    def path(self) -> str:
        """The URL path."""
        return self.url.path


PriceFn = Callable[[datetime], float]


def amber_price_payload(
    now: datetime,
    *,
    general: PriceFn,
    feed_in: PriceFn,
    resolution: int = 30,
    previous: int,
    next_: int,
    confirm_after: timedelta | None = timedelta(0),
    demand_window: Callable[[datetime], bool] | None = None,
) -> list[dict[str, Any]]:
    """Amber `/prices/current` intervals around `now` in Amber's own shape and signs.

    `general` and `feed_in` give the c/kWh price (billing sign: feed-in negative when the owner is paid)
    of the interval starting at an instant. Intervals start on the minute + 1 s as real data does. The current
    interval is an estimate until `confirm_after` past the start of its last 5 minutes (None: always).
    `demand_window` flags the general intervals (by start instant) in the network's demand window in
    `tariffInformation.demandWindow`; None leaves `tariffInformation` out as most sites have it.
    """
    step = timedelta(minutes=resolution)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    current_start = epoch + ((now - epoch) // step) * step
    first = current_start - previous * step
    last = current_start + next_ * step
    intervals: list[dict[str, Any]] = []
    for channel, price_fn in (("general", general), ("feedIn", feed_in)):
        start = first
        while start <= last:
            kind = (
                "ActualInterval"
                if start < current_start
                else "CurrentInterval"
                if start == current_start
                else "ForecastInterval"
            )
            price = price_fn(start)
            interval: dict[str, Any] = {
                "type": kind,
                "duration": resolution,
                "spotPerKwh": price / 2,
                "perKwh": price,
                "date": (start + timedelta(hours=10)).date().isoformat(),
                "nemTime": (start + step).astimezone(NEM_TIME).isoformat(),
                "startTime": (start + timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
                "endTime": (start + step).isoformat().replace("+00:00", "Z"),
                "renewables": 40.5,
                "channelType": channel,
                "tariffInformation": None
                if demand_window is None or channel != "general"
                else {"period": "peak", "demandWindow": demand_window(start)},
                "spikeStatus": "none",
                "descriptor": "neutral",
            }
            if kind != "ActualInterval":
                interval["advancedPrice"] = {"low": price - 1, "predicted": price, "high": price + 1}
            if kind == "CurrentInterval":
                locks_in = start + step - timedelta(minutes=5)
                interval["estimate"] = confirm_after is None or now < locks_in + confirm_after
            intervals.append(interval)
            start += step
    return intervals


@dataclass
class FakeCloud:
    """The upstream world as the integration sees it."""

    mock: aioresponses
    amber_sites: list[dict[str, Any]] = field(default_factory=lambda: load_fixture("amber_sites.json"))
    products: dict[str, Any] = field(default_factory=lambda: load_fixture("teslemetry_products.json"))
    # A typical Amber owner's Powerwall: in time-based control, so the tariff is what it follows.
    site_info: dict[str, Any] = field(
        default_factory=lambda: {
            **load_fixture("site_info.json")["response"],
            "default_real_mode": "autonomous",
        }
    )
    live_status: dict[str, Any] = field(default_factory=lambda: load_fixture("live_status.json")["response"])
    # Prices by interval start (c/kWh, billing sign); served around Home Assistant's (frozen) clock.
    general_price: PriceFn = lambda _: 30.0
    feed_in_price: PriceFn = lambda _: -8.0
    # The NSW1 dispatch price ($/MWh) by settlement time (end of the 5-minute interval).
    aemo_price: PriceFn = lambda _: 85.0
    # The site's energy so far on a local day (Wh per calendar_history field), by ISO date.
    energy_by_day: dict[str, dict[str, float]] = field(default_factory=dict)
    # The general intervals (by start instant) Amber flags as the network's demand window (None: no flags).
    demand_window: Callable[[datetime], bool] | None = None
    # Amber's real horizon can be shorter than what was asked for.
    max_hours_back: float | None = None
    max_hours_ahead: float | None = None
    # How long after its last 5-minute block starts Amber confirms the current interval (None: never).
    confirm_after: timedelta | None = timedelta(0)
    # Amber's `RateLimit-*` headers on every prices reply.
    amber_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    # Per-path overrides: a status code (with optional headers) returned instead of the normal answer.
    failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    # Bearer tokens every service answers 401 to, as it does a revoked token.
    revoked_tokens: set[str] = field(default_factory=set)
    # What Tesla's region endpoint answers.
    region_reply: dict[str, Any] = field(
        default_factory=lambda: {
            "response": {"region": "na", "fleet_api_base_url": FLEET.removesuffix("/api/1")}
        }
    )
    apply_writes: bool = True
    write_reply: dict[str, Any] = field(
        default_factory=lambda: {"response": {"code": 201, "message": "Updated"}}
    )

    def install(self) -> None:
        """Register every endpoint with aioresponses (each answers any number of times)."""
        routes: list[tuple[str, str, Callable[..., CallbackResult]]] = [
            ("GET", rf"^{re.escape(AMBER)}/sites$", self._amber_sites),
            ("GET", rf"^{re.escape(AMBER)}/sites/[^/]+/prices/current(\?.*)?$", self._amber_prices),
            ("GET", rf"^{re.escape(AEMO)}$", self._aemo),
            ("GET", rf"^{re.escape(FLEET)}/users/region$", self._region),
        ]
        # Teslemetry relays Tesla's Fleet API: the same paths and bodies on either host.
        for tesla in (TESLEMETRY, FLEET):
            routes += [
                ("GET", rf"^{re.escape(tesla)}/products$", self._products),
                ("GET", rf"^{re.escape(tesla)}/energy_sites/\d+/site_info$", self._site_info),
                ("GET", rf"^{re.escape(tesla)}/energy_sites/\d+/live_status$", self._live_status),
                ("GET", rf"^{re.escape(tesla)}/energy_sites/\d+/calendar_history(\?.*)?$", self._history),
                ("POST", rf"^{re.escape(tesla)}/energy_sites/\d+/[a-z_]+$", self._write),
            ]
        for method, pattern, handler in routes:
            self.mock.add(re.compile(pattern), method=method, callback=handler, repeat=True)

    def fail(
        self, path_suffix: str, status: int, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """Make the next `times` requests whose path ends with `path_suffix` answer `status`."""
        self.failures.setdefault(path_suffix, []).extend([(status, headers or {})] * times)

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[Request]:
        """The recorded requests whose path ends with `path_suffix`."""
        return [
            request
            for request in self.requests
            if request.path.endswith(path_suffix) and (method is None or request.method == method)
        ]

    def tariff_pushes(self) -> list[dict[str, Any]]:
        """The `tariff_content_v2` bodies sent so far, oldest first."""
        return [
            r.json["tou_settings"]["tariff_content_v2"] for r in self.requests_to("/time_of_use_settings")
        ]

    # --- handlers ---------------------------------------------------------------------------------------

    def _record(self, method: str, url: URL, kwargs: dict[str, Any]) -> CallbackResult | None:
        url = URL(str(url))
        if kwargs.get("params"):
            url = url.update_query(kwargs["params"])
        self.requests.append(
            Request(method, url, copy.deepcopy(kwargs.get("json")), dict(kwargs.get("headers") or {}))
        )
        if self.requests[-1].headers.get("Authorization", "").removeprefix("Bearer ") in self.revoked_tokens:
            return CallbackResult(status=401, payload={"error": "invalid_token"})
        for suffix, queue in self.failures.items():
            if url.path.endswith(suffix) and queue:
                status, headers = queue.pop(0)
                return CallbackResult(status=status, headers=headers, payload={"error": "injected"})
        return None

    def _amber_sites(self, url: URL, **kwargs: Any) -> CallbackResult:
        return self._record("GET", url, kwargs) or CallbackResult(payload=self.amber_sites)

    def set_prices(self, general: PriceFn, feed_in: PriceFn, **horizon: float | None) -> None:
        """Serve new prices (and optionally a shorter horizon) from the next request on."""
        self.general_price, self.feed_in_price = general, feed_in
        self.max_hours_back = horizon.get("max_hours_back")
        self.max_hours_ahead = horizon.get("max_hours_ahead")

    def _amber_prices(self, url: URL, **kwargs: Any) -> CallbackResult:
        if failure := self._record("GET", url, kwargs):
            return failure
        query = self.requests[-1].url.query
        resolution = int(query.get("resolution") or self.amber_sites[0]["intervalLength"])
        per_hour = 60 // resolution

        def capped(asked: str | None, hours: float | None) -> int:
            count = int(asked or 0)
            return count if hours is None else min(count, int(hours * per_hour))

        payload = amber_price_payload(
            dt_util.utcnow(),
            general=self.general_price,
            feed_in=self.feed_in_price,
            resolution=resolution,
            previous=capped(query.get("previous"), self.max_hours_back),
            next_=capped(query.get("next"), self.max_hours_ahead),
            confirm_after=self.confirm_after,
            demand_window=self.demand_window,
        )
        return CallbackResult(payload=payload, headers=self.amber_headers)

    def _region(self, url: URL, **kwargs: Any) -> CallbackResult:
        return self._record("GET", url, kwargs) or CallbackResult(payload=self.region_reply)

    def _products(self, url: URL, **kwargs: Any) -> CallbackResult:
        return self._record("GET", url, kwargs) or CallbackResult(payload=self.products)

    def _site_info(self, url: URL, **kwargs: Any) -> CallbackResult:
        return self._record("GET", url, kwargs) or CallbackResult(payload={"response": self.site_info})

    def _live_status(self, url: URL, **kwargs: Any) -> CallbackResult:
        return self._record("GET", url, kwargs) or CallbackResult(payload={"response": self.live_status})

    def _history(self, url: URL, **kwargs: Any) -> CallbackResult:
        if failure := self._record("GET", url, kwargs):
            return failure
        query = self.requests[-1].url.query
        day = query["start_date"][:10]
        totals = self.energy_by_day.get(day, {})
        # Split each day's total over two rows, as Teslemetry returns one row per interval.
        rows = [
            {"timestamp": f"{day}T00:00:00+10:00", **{key: value / 2 for key, value in totals.items()}},
            {"timestamp": f"{day}T12:00:00+10:00", **{key: value / 2 for key, value in totals.items()}},
        ]
        return CallbackResult(
            payload={
                "response": {
                    "serial_number": "GW-1",
                    "period": query.get("period"),
                    "installation_time_zone": query.get("time_zone"),
                    "time_series": rows if totals else None,
                }
            }
        )

    def _aemo(self, url: URL, **kwargs: Any) -> CallbackResult:
        if failure := self._record("GET", url, kwargs):
            return failure
        now = dt_util.utcnow()
        step = timedelta(minutes=5)
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        # The latest dispatch interval that has ended, stamped at its end in NEM time without a zone.
        settlement = epoch + ((now - epoch) // step) * step
        rows = [
            {
                "SETTLEMENTDATE": settlement.astimezone(NEM_TIME).strftime("%Y-%m-%dT%H:%M:%S"),
                "REGIONID": region,
                "PRICE": self.aemo_price(settlement) if region == "NSW1" else 60.0,
                "PRICE_STATUS": "FIRM",
                "APCFLAG": 0.0,
                "MARKETSUSPENDEDFLAG": 0.0,
                "TOTALDEMAND": 7000.0,
                "INTERCONNECTORFLOWS": "[]",
            }
            for region in ("NSW1", "QLD1", "SA1", "TAS1", "VIC1")
        ]
        return CallbackResult(
            payload={
                "ELEC_NEM_SUMMARY": rows,
                "ELEC_NEM_SUMMARY_PRICES": [],
                "ELEC_NEM_SUMMARY_MARKET_NOTICE": [],
            }
        )

    def _write(self, url: URL, **kwargs: Any) -> CallbackResult:
        if failure := self._record("POST", url, kwargs):
            return failure
        body = kwargs.get("json") or {}
        if self.apply_writes and "error" not in json.dumps(self.write_reply):
            self._apply(URL(str(url)).path.rsplit("/", 1)[-1], body)
        return CallbackResult(payload=self.write_reply)

    def _apply(self, endpoint: str, body: dict[str, Any]) -> None:
        if endpoint == "time_of_use_settings":
            self.site_info["tariff_content_v2"] = copy.deepcopy(body["tou_settings"]["tariff_content_v2"])
        elif endpoint == "operation":
            self.site_info["default_real_mode"] = body["default_real_mode"]
        elif endpoint == "backup":
            self.site_info["backup_reserve_percent"] = body["backup_reserve_percent"]
        elif endpoint == "grid_import_export":
            components = self.site_info.setdefault("components", {})
            if "customer_preferred_export_rule" in body:
                components["customer_preferred_export_rule"] = body["customer_preferred_export_rule"]
            if "disallow_charge_from_grid_with_solar_installed" in body:
                components["disallow_charge_from_grid_with_solar_installed"] = body[
                    "disallow_charge_from_grid_with_solar_installed"
                ]
