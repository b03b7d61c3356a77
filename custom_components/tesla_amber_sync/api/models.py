"""Typed, immutable values parsed from the Amber, Teslemetry and AEMO APIs.

Units are the upstream's own (Amber: c/kWh incl. GST, billing sign; Tesla: W, Wh; AEMO: $/MWh), so that
every conversion happens in exactly one place downstream. Timestamps are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple


class ChannelType(StrEnum):
    """Amber price channel."""

    GENERAL = "general"
    CONTROLLED_LOAD = "controlledLoad"
    FEED_IN = "feedIn"
    UNKNOWN = "unknown"


class IntervalType(StrEnum):
    """Whether an Amber interval is settled, in progress, or forecast."""

    ACTUAL = "ActualInterval"
    CURRENT = "CurrentInterval"
    FORECAST = "ForecastInterval"
    UNKNOWN = "unknown"


class PriceDescriptor(StrEnum):
    """Amber's plain-words description of a price."""

    NEGATIVE = "negative"
    EXTREMELY_LOW = "extremelyLow"
    VERY_LOW = "veryLow"
    LOW = "low"
    NEUTRAL = "neutral"
    HIGH = "high"
    SPIKE = "spike"
    UNKNOWN = "unknown"


class SpikeStatus(StrEnum):
    """Amber's spike flag for an interval."""

    NONE = "none"
    POTENTIAL = "potential"
    SPIKE = "spike"
    UNKNOWN = "unknown"


class SiteStatus(StrEnum):
    """Amber site lifecycle."""

    PENDING = "pending"
    ACTIVE = "active"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class AmberChannel:
    """One metering channel of an Amber site."""

    identifier: str
    type: ChannelType
    tariff: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AmberSite:
    """An Amber customer site (one NMI)."""

    id: str
    nmi: str
    status: SiteStatus
    network: str | None = None
    channels: tuple[AmberChannel, ...] = ()
    interval_length: int = 30
    active_from: date | None = None
    closed_on: date | None = None


class AdvancedPrice(NamedTuple):
    """Amber's forecast band in c/kWh (billing sign).

    A tuple, like `PricePoint`: every forecast interval of every reply has one.
    """

    low: float
    predicted: float
    high: float


@dataclass(frozen=True, kw_only=True, slots=True)
class TariffInformation:
    """Network tariff context of an interval; every field is optional upstream."""

    period: str | None = None
    season: str | None = None
    block: int | None = None
    demand_window: bool | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PriceInterval:
    """One Amber price interval on one channel.

    `start_time` is the interval's start instant (from `startTime`, else `nemTime` minus `duration`);
    `per_kwh` and `spot_per_kwh` are c/kWh incl. GST in billing sign (feed-in is negative when the owner
    is paid).
    """

    type: IntervalType
    channel_type: ChannelType
    start_time: datetime
    end_time: datetime
    duration_minutes: int
    per_kwh: float
    spot_per_kwh: float | None = None
    renewables: float | None = None
    descriptor: PriceDescriptor = PriceDescriptor.UNKNOWN
    spike_status: SpikeStatus = SpikeStatus.UNKNOWN
    estimate: bool | None = None
    advanced_price: AdvancedPrice | None = None
    tariff_information: TariffInformation | None = None
    range_min: float | None = None
    range_max: float | None = None

    @property
    def is_spike(self) -> bool:
        """Whether Amber flags the interval as a price spike (by its spike status or its descriptor)."""
        return self.spike_status is SpikeStatus.SPIKE or self.descriptor is PriceDescriptor.SPIKE


class PricePoint(NamedTuple):
    """The fields of one Amber interval that price a tariff slot, read the same way as in `PriceInterval`.

    A tuple rather than a frozen dataclass: one is made for every interval the tariff reads (hundreds for a
    5-minute site, every refresh), and a tuple is several times quicker to make.
    """

    type: IntervalType
    channel_type: ChannelType
    start_time: datetime
    duration_minutes: int
    per_kwh: float
    is_spike: bool
    advanced_price: AdvancedPrice | None


@dataclass(frozen=True, kw_only=True, slots=True)
class RateLimitInfo:
    """Amber's IETF rate-limit headers from the last response."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergySiteProduct:
    """An energy site from Teslemetry's product list."""

    energy_site_id: int
    site_name: str | None = None
    resource_type: str | None = None
    gateway_id: str | None = None
    has_battery: bool = False
    has_solar: bool = False


class OperationMode(StrEnum):
    """Powerwall `default_real_mode`."""

    SELF_CONSUMPTION = "self_consumption"
    AUTONOMOUS = "autonomous"
    BACKUP = "backup"
    UNKNOWN = "unknown"


class ExportRule(StrEnum):
    """Powerwall `customer_preferred_export_rule`."""

    BATTERY_OK = "battery_ok"
    PV_ONLY = "pv_only"
    NEVER = "never"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class SiteInfo:
    """Settings of a Powerwall site.

    `export_rule` already applies Tesla's absent-key meanings: no `customer_preferred_export_rule` means
    `battery_ok`, and `non_export_configured: true` means `never`. `grid_charging_allowed` is False only
    when `disallow_charge_from_grid_with_solar_installed` is true (the key is absent when allowed).
    `installation_time_zone` is None when the Powerwall reports an empty string.
    """

    energy_site_id: int
    site_name: str | None = None
    installation_time_zone: str | None = None
    operation_mode: OperationMode = OperationMode.UNKNOWN
    backup_reserve_percent: float | None = None
    export_rule: ExportRule = ExportRule.BATTERY_OK
    grid_charging_allowed: bool = True
    tariff_content_v2: dict[str, Any] | None = None
    firmware_version: str | None = None
    # The serial number of the site's (first) gateway: what Tesla's app and the device label show.
    gateway_serial: str | None = None
    battery_count: int | None = None
    nameplate_power: float | None = None
    nameplate_energy: float | None = None
    model: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveStatus:
    """Instantaneous Powerwall power flows (W; battery + discharging, grid + importing)."""

    solar_power: float | None = None
    battery_power: float | None = None
    grid_power: float | None = None
    load_power: float | None = None
    percentage_charged: float | None = None
    energy_left: float | None = None
    total_pack_energy: float | None = None
    grid_status: str | None = None
    island_status: str | None = None
    storm_mode_active: bool | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergyHistoryEntry:
    """Energy totals (Wh) for one interval of `calendar_history?kind=energy`."""

    timestamp: datetime
    solar_energy_exported: float = 0.0
    grid_energy_imported: float = 0.0
    grid_energy_exported_from_solar: float = 0.0
    grid_energy_exported_from_battery: float = 0.0
    grid_energy_exported_from_generator: float = 0.0
    battery_energy_exported: float = 0.0
    battery_energy_imported_from_grid: float = 0.0
    battery_energy_imported_from_solar: float = 0.0
    battery_energy_imported_from_generator: float = 0.0
    consumer_energy_imported_from_grid: float = 0.0
    consumer_energy_imported_from_solar: float = 0.0
    consumer_energy_imported_from_battery: float = 0.0
    consumer_energy_imported_from_generator: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergyHistory:
    """`calendar_history?kind=energy` for one period."""

    period: str | None = None
    time_zone: str | None = None
    entries: tuple[EnergyHistoryEntry, ...] = ()


class AemoPriceStatus(StrEnum):
    """Whether an AEMO dispatch price is final."""

    FIRM = "FIRM"
    PRELIMINARY = "PRELIMINARY"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class AemoRegionPrice:
    """The latest 5-minute dispatch price of one NEM region ($/MWh ex-GST; end of interval, aware)."""

    region: str
    price: float
    settlement_time: datetime
    price_status: AemoPriceStatus = AemoPriceStatus.UNKNOWN
