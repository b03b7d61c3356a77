"""Async client for Tesla energy sites, through Teslemetry's relay or Tesla's own Fleet API.

One client whatever the route: the paths and bodies are the same, and the route (host and token) is a
constructor argument. An optional fallback route takes over while the primary has an outage.
"""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from typing import TYPE_CHECKING, Any, Final

from ._http import DEFAULT_TIMEOUT, HttpTransport, upstream_message
from ._parse import (
    as_bool,
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
    parse_datetime,
    parse_enum,
)
from .errors import ApiError, CommandRejectedError, InvalidResponseError
from .failover import FailoverState, Leg, choose_leg, classify, record, retry_on_fallback
from .models import (
    EnergyHistory,
    EnergyHistoryEntry,
    EnergySiteProduct,
    ExportRule,
    LiveStatus,
    OperationMode,
    SiteInfo,
)
from .routes import TESLEMETRY_BASE_URL, EnergyRoute, RouteKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    import aiohttp

_LOGGER = logging.getLogger(__name__)

__all__ = ["TESLEMETRY_BASE_URL", "EnergySiteClient", "TeslemetryClient"]

HISTORY_PERIODS: Final = frozenset({"day", "week", "month", "year", "lifetime"})


class EnergySiteClient:
    """Reads and configures Powerwall energy sites through one route, with an optional fallback.

    `route` is an EnergyRoute, or a Teslemetry token (then `base_url` says where Teslemetry is). Values keep
    Tesla's units and signs (W, Wh; battery + discharging, grid + importing). Writes return None when Tesla
    accepts them and raise CommandRejectedError with Tesla's reason when it does not.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        route: EnergyRoute | str,
        *,
        base_url: str = TESLEMETRY_BASE_URL,
        fallback: EnergyRoute | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Create a client on Home Assistant's shared session; `clock` times the retries of the primary."""
        if isinstance(route, str):
            route = EnergyRoute.teslemetry(route, base_url)
        self._routes = {Leg.PRIMARY: route}
        self._transports = {Leg.PRIMARY: route.transport(session, timeout=timeout)}
        if fallback is not None:
            self._routes[Leg.FALLBACK] = fallback
            self._transports[Leg.FALLBACK] = fallback.transport(session, timeout=timeout)
        self._clock = clock
        self._failover = FailoverState()

    @property
    def route(self) -> RouteKind:
        """The route in use: the fallback while the primary is down, else the primary."""
        if self._failover.primary_down and Leg.FALLBACK in self._routes:
            return self._routes[Leg.FALLBACK].kind
        return self._routes[Leg.PRIMARY].kind

    @property
    def primary_route(self) -> RouteKind:
        """The route used whenever it works."""
        return self._routes[Leg.PRIMARY].kind

    @property
    def fallback_route(self) -> RouteKind | None:
        """The route used while the primary is down, if the entry has one."""
        fallback = self._routes.get(Leg.FALLBACK)
        return fallback.kind if fallback is not None else None

    @property
    def primary_down_since(self) -> datetime | None:
        """When the primary's current outage began, or None when it works."""
        return self._failover.primary_down_since

    # Reads

    async def get_energy_sites(self) -> tuple[EnergySiteProduct, ...]:
        """Return the account's energy sites; vehicles in the product list are left out."""
        products = await self._get("/api/1/products")
        if not isinstance(products, list):
            raise InvalidResponseError("Tesla's products reply is not a list")
        sites: list[EnergySiteProduct] = []
        for item in products:
            product = as_dict(item) or {}
            site_id = as_int(product.get("energy_site_id"))
            if site_id is None:
                continue
            components = as_dict(product.get("components")) or {}
            resource_type = as_str(product.get("resource_type"))
            sites.append(
                EnergySiteProduct(
                    energy_site_id=site_id,
                    site_name=as_str(product.get("site_name")),
                    resource_type=resource_type,
                    gateway_id=as_str(product.get("gateway_id")),
                    has_battery=components.get("battery") is True or resource_type == "battery",
                    has_solar=components.get("solar") is True or resource_type == "solar",
                )
            )
        return tuple(sites)

    async def get_site_info(self, site_id: int) -> SiteInfo:
        """Return the site's settings (operation mode, reserve, export rule, tariff, hardware)."""
        return parse_site_info(site_id, await self._get_object(f"{_site_path(site_id)}/site_info"))

    async def get_live_status(self, site_id: int) -> LiveStatus:
        """Return the site's instantaneous power flows and charge."""
        return parse_live_status(await self._get_object(f"{_site_path(site_id)}/live_status"))

    async def get_energy_history(
        self,
        site_id: int,
        *,
        period: str = "day",
        time_zone: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EnergyHistory:
        """Return the energy totals (Wh) of `period`, bucketed by Tesla, in the IANA `time_zone`."""
        if not time_zone:
            raise ValueError("time_zone must be an IANA time zone name")
        if period not in HISTORY_PERIODS:
            raise ValueError(f"period must be one of {sorted(HISTORY_PERIODS)}")
        params = {"kind": "energy", "period": period, "time_zone": time_zone}
        for key, moment in (("start_date", start), ("end_date", end)):
            if moment is None:
                continue
            if moment.tzinfo is None:
                raise ValueError(f"{key} must be timezone-aware")
            params[key] = moment.isoformat(timespec="seconds")
        data = await self._get_object(f"{_site_path(site_id)}/calendar_history", params=params)
        return parse_energy_history(data)

    # Writes

    async def set_time_of_use_settings(self, site_id: int, tariff_content_v2: Mapping[str, Any]) -> None:
        """Replace the site's tariff with `tariff_content_v2` (Tesla's TariffV2 object, sent verbatim)."""
        await self._post(
            f"{_site_path(site_id)}/time_of_use_settings",
            {"tou_settings": {"tariff_content_v2": dict(tariff_content_v2)}},
        )

    async def set_operation_mode(self, site_id: int, mode: OperationMode) -> None:
        """Set `default_real_mode` (self-consumption, time-based control or backup-only)."""
        if mode is OperationMode.UNKNOWN:
            raise ValueError("cannot set an unknown operation mode")
        await self._post(f"{_site_path(site_id)}/operation", {"default_real_mode": mode.value})

    async def set_grid_import_export(
        self,
        site_id: int,
        *,
        export_rule: ExportRule | None = None,
        grid_charging_allowed: bool | None = None,
    ) -> None:
        """Set the export rule and/or whether the battery may charge from the grid; sends only given keys."""
        body: dict[str, Any] = {}
        if export_rule is not None:
            if export_rule is ExportRule.UNKNOWN:
                raise ValueError("cannot set an unknown export rule")
            body["customer_preferred_export_rule"] = export_rule.value
        if grid_charging_allowed is not None:
            body["disallow_charge_from_grid_with_solar_installed"] = not grid_charging_allowed
        if not body:
            raise ValueError("give export_rule, grid_charging_allowed or both")
        await self._post(f"{_site_path(site_id)}/grid_import_export", body)

    async def set_backup_reserve(self, site_id: int, percent: int) -> None:
        """Set the backup reserve, a whole percentage from 0 to 100."""
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError("percent must be a whole number from 0 to 100")
        await self._post(f"{_site_path(site_id)}/backup", {"backup_reserve_percent": percent})

    # Plumbing

    async def _send[T](self, call: Callable[[HttpTransport], Awaitable[T]], *, is_write: bool) -> T:
        """Send one request on the route failover chooses; a read that hit an outage is retried on the
        fallback, a write never is."""
        has_fallback = Leg.FALLBACK in self._routes
        leg = choose_leg(self._failover, self._clock(), is_write=is_write, has_fallback=has_fallback)
        try:
            result = await call(self._transports[leg])
        except ApiError as err:
            outcome = classify(err)
            self._note(record(self._failover, leg, outcome, self._clock()))
            if not retry_on_fallback(leg, outcome, is_write=is_write, has_fallback=has_fallback):
                raise
            _LOGGER.debug("%s is down (%s); reading through the fallback", self._routes[leg].service, err)
            leg = Leg.FALLBACK
            result = await call(self._transports[leg])
        self._note(record(self._failover, leg, classify(None), self._clock()))
        return result

    def _note(self, state: FailoverState) -> None:
        if state.primary_down != self._failover.primary_down:
            fallback = self._routes.get(Leg.FALLBACK)
            if state.primary_down and fallback is not None:
                _LOGGER.warning(
                    "%s is down; using %s until it is back",
                    self._routes[Leg.PRIMARY].service,
                    fallback.service,
                )
            elif not state.primary_down:
                _LOGGER.info("%s is back", self._routes[Leg.PRIMARY].service)
        self._failover = state

    async def _get(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        """GET and unwrap Tesla's `{"response": ...}` envelope."""

        async def get(http: HttpTransport) -> Any:
            body = as_dict(await http.get_json(path, params=params))
            if body is None:
                raise InvalidResponseError("Tesla's reply is not a JSON object")
            if body.get("error"):
                message = upstream_message(body) or "unknown error"
                raise InvalidResponseError(http.redact(f"Tesla returned an error: {message}"))
            if "response" not in body:
                raise InvalidResponseError("Tesla's reply has no 'response'")
            return body["response"]

        return await self._send(get, is_write=False)

    async def _get_object(self, path: str, *, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        data = as_dict(await self._get(path, params=params))
        if data is None:
            raise InvalidResponseError("Tesla's 'response' is not a JSON object")
        return data

    async def _post(self, path: str, body: Mapping[str, Any]) -> None:
        async def post(http: HttpTransport) -> None:
            reason = command_rejection(await http.post_json(path, body))
            if reason is not None:
                raise CommandRejectedError(http.redact(reason))

        await self._send(post, is_write=True)


TeslemetryClient = EnergySiteClient
"""The client's first name, kept for the modules that import it."""


def _site_path(site_id: int) -> str:
    # int() keeps anything but a number out of the URL path.
    return f"/api/1/energy_sites/{int(site_id)}"


def command_rejection(reply: object) -> str | None:
    """Return why Tesla refused a write, or None when the reply means success.

    Success looks like `{"response": {"code": 201, "message": "Updated"}}` (or `Code`/`Message`),
    `{"response": {"result": true, "reason": ""}}` or `{"response": "Updated"}`. Refusal is an `error` key,
    `result: false`, or a code of 400 or more.
    """
    if reply is None:
        # An empty 2xx body: nothing says no, and the controller verifies by reading back.
        return None
    body = as_dict(reply)
    if body is None:
        raise InvalidResponseError("Tesla's command reply is not a JSON object")
    if body.get("error"):
        return upstream_message(body) or "Tesla rejected the command"
    response = as_dict(body.get("response"))
    if response is None:
        return None
    if response.get("error"):
        return upstream_message(response) or "Tesla rejected the command"
    if response.get("result") is False:
        return upstream_message(response) or "Tesla rejected the command"
    code = as_int(response.get("code", response.get("Code")))
    if code is not None and code >= 400:
        return upstream_message(response) or f"Tesla rejected the command (code {code})"
    return None


def parse_site_info(site_id: int, data: Mapping[str, Any]) -> SiteInfo:
    """Parse `site_info`, applying Tesla's meanings for absent keys (see SiteInfo)."""
    components = as_dict(data.get("components")) or {}
    return SiteInfo(
        energy_site_id=site_id,
        site_name=as_str(data.get("site_name")),
        installation_time_zone=as_str(data.get("installation_time_zone")),
        operation_mode=parse_enum(OperationMode, data.get("default_real_mode"), OperationMode.UNKNOWN),
        backup_reserve_percent=as_float(data.get("backup_reserve_percent")),
        export_rule=_export_rule(components),
        grid_charging_allowed=components.get("disallow_charge_from_grid_with_solar_installed") is not True,
        tariff_content_v2=as_dict(data.get("tariff_content_v2")),
        firmware_version=as_str(data.get("version")) or _gateway_firmware(components),
        gateway_serial=_first_device_field(components, "gateways", "serial_number"),
        battery_count=as_int(data.get("battery_count")),
        nameplate_power=as_float(data.get("nameplate_power")),
        nameplate_energy=as_float(data.get("nameplate_energy")),
        model=_battery_model(components),
    )


def _export_rule(components: Mapping[str, Any]) -> ExportRule:
    if components.get("non_export_configured") is True:
        return ExportRule.NEVER
    rule = components.get("customer_preferred_export_rule")
    if rule is None:
        # Tesla omits the key when the owner never changed it; the default is battery_ok.
        return ExportRule.BATTERY_OK
    return parse_enum(ExportRule, rule, ExportRule.UNKNOWN)


def _first_device_field(components: Mapping[str, Any], devices: str, field: str) -> str | None:
    for device in as_list(components.get(devices)):
        value = as_str((as_dict(device) or {}).get(field))
        if value is not None:
            return value
    return None


def _gateway_firmware(components: Mapping[str, Any]) -> str | None:
    return _first_device_field(components, "gateways", "firmware_version")


def _battery_model(components: Mapping[str, Any]) -> str | None:
    part_name = _first_device_field(components, "batteries", "part_name")
    if part_name is not None:
        return part_name
    battery_type = as_str(components.get("battery_type"))
    if battery_type is not None and "powerwall" in battery_type.lower():
        return "Powerwall"
    return None


def parse_live_status(data: Mapping[str, Any]) -> LiveStatus:
    """Parse `live_status`; every field is optional and numbers become floats."""
    return LiveStatus(
        solar_power=as_float(data.get("solar_power")),
        battery_power=as_float(data.get("battery_power")),
        grid_power=as_float(data.get("grid_power")),
        load_power=as_float(data.get("load_power")),
        percentage_charged=as_float(data.get("percentage_charged")),
        energy_left=as_float(data.get("energy_left")),
        total_pack_energy=as_float(data.get("total_pack_energy")),
        grid_status=as_str(data.get("grid_status")),
        island_status=as_str(data.get("island_status")),
        storm_mode_active=as_bool(data.get("storm_mode_active")),
        timestamp=parse_datetime(data.get("timestamp")),
    )


def parse_energy_history(data: Mapping[str, Any]) -> EnergyHistory:
    """Parse `calendar_history?kind=energy`; entries without an aware timestamp are skipped."""
    entries: list[EnergyHistoryEntry] = []
    for item in as_list(data.get("time_series")):
        row = as_dict(item) or {}
        timestamp = parse_datetime(row.get("timestamp"))
        if timestamp is None:
            _LOGGER.debug("Skipping an energy history entry without a usable timestamp: %r", item)
            continue
        entries.append(_parse_history_entry(timestamp, row))
    return EnergyHistory(
        period=as_str(data.get("period")),
        time_zone=as_str(data.get("installation_time_zone")),
        entries=tuple(entries),
    )


def _parse_history_entry(timestamp: datetime, row: Mapping[str, Any]) -> EnergyHistoryEntry:
    def wh(key: str) -> float:
        # Tesla omits counters that are zero.
        return as_float(row.get(key)) or 0.0

    return EnergyHistoryEntry(
        timestamp=timestamp,
        solar_energy_exported=wh("solar_energy_exported"),
        grid_energy_imported=wh("grid_energy_imported"),
        grid_energy_exported_from_solar=wh("grid_energy_exported_from_solar"),
        grid_energy_exported_from_battery=wh("grid_energy_exported_from_battery"),
        grid_energy_exported_from_generator=wh("grid_energy_exported_from_generator"),
        battery_energy_exported=wh("battery_energy_exported"),
        battery_energy_imported_from_grid=wh("battery_energy_imported_from_grid"),
        battery_energy_imported_from_solar=wh("battery_energy_imported_from_solar"),
        battery_energy_imported_from_generator=wh("battery_energy_imported_from_generator"),
        consumer_energy_imported_from_grid=wh("consumer_energy_imported_from_grid"),
        consumer_energy_imported_from_solar=wh("consumer_energy_imported_from_solar"),
        consumer_energy_imported_from_battery=wh("consumer_energy_imported_from_battery"),
        consumer_energy_imported_from_generator=wh("consumer_energy_imported_from_generator"),
    )
