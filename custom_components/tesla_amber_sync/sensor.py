"""Sensors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import CURRENCY_DOLLAR, PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api.models import (
    ChannelType,
    ExportRule,
    LiveStatus,
    OperationMode,
    PriceDescriptor,
    PriceInterval,
    SiteInfo,
    SpikeStatus,
)
from .api.routes import RouteKind
from .api.teslemetry import EnergySiteClient
from .control.claims import ClaimSource
from .control.commands import CommandKind
from .controller import PowerwallController, SyncStatus
from .coordinator import (
    AemoPriceCoordinator,
    AmberRuntime,
    DailyEnergy,
    LiveStatusCoordinator,
    TeslaSyncConfigEntry,
    TeslaSyncRuntimeData,
)
from .demand_tracking import DemandTracker
from .entity import AmberEntity, ControllerEntity, PowerwallEntity, async_remove_entities
from .tariff import RATE_TOLERANCE, rates_match, slot_index, slot_start
from .tariff.prices import owner_price

# Read-only: every value comes from a coordinator or the controller.
PARALLEL_UPDATES = 0

PRICE_UNIT = f"{CURRENCY_DOLLAR}/{UnitOfEnergy.KILO_WATT_HOUR}"


@dataclass(frozen=True, kw_only=True)
class ControllerSensorDescription(SensorEntityDescription):
    """A sensor showing the sync state of the single writer."""

    value_fn: Callable[[PowerwallController, datetime], str | float | datetime | None]
    attributes_fn: Callable[[PowerwallController], Mapping[str, Any] | None] = lambda _: None
    # Whether the entry has this sensor (some are about Amber, which an entry may not have).
    has_fn: Callable[[TeslaSyncRuntimeData], bool] = lambda _: True


def _current_buy_rate(controller: PowerwallController, now: datetime) -> float | None:
    """The buy rate the Powerwall holds for the slot in progress (what it acts on now)."""
    held = controller.tariff_on_powerwall(now)
    if held is None:
        return None
    return held.slots[slot_index(now.astimezone(controller.time_zone).time())].buy


def _next_occurrence(index: int, now: datetime, zone: ZoneInfo) -> datetime:
    """When slot `index` next starts (the current slot: today), under the rolling convention."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), slot_start(index), zone)
    if index < slot_index(local.time()):
        start = datetime.combine(local.date() + timedelta(days=1), slot_start(index), zone)
    return start


def _tariff_attributes(controller: PowerwallController) -> Mapping[str, Any] | None:
    """What the Powerwall holds (its 48 slots and who put it there), and the latest Amber build beside it."""
    now = dt_util.utcnow()
    held = controller.tariff_on_powerwall(now)
    build = controller.last_build
    built_slots = (
        None
        if build is None or build.tariff is None
        else [
            {
                "start": built.start.isoformat(),
                "buy": price.buy,
                "sell": price.sell,
                "source": built.source.value,
            }
            for built, price in zip(build.slots, build.tariff.slots, strict=True)
        ]
    )
    source = controller.tariff_source(now)
    attributes: dict[str, Any] = {"source": source.value}
    if build is not None:
        attributes["forecast_slots"] = build.forecast_slots
        attributes["fallback_slots"] = build.fallback_slots
    attributes["amber_build"] = built_slots
    if held is None:
        attributes["slots"] = []
        return attributes
    holds_build = (
        built_slots is not None
        and build is not None
        and build.tariff is not None
        and rates_match(held, build.tariff)
    )
    zone = controller.time_zone

    def slot_source(index: int, buy: float, sell: float) -> str:
        # Each slot of the Amber tariff says how Amber priced it; any other tariff says whose it is, except
        # that a spike tariff's slots beyond the spike keep Amber's prices, and so Amber's source.
        if built_slots is None or build is None or build.tariff is None:
            return source.value
        built = build.tariff.slots[index]
        if holds_build or (
            source is ClaimSource.SPIKE
            and abs(built.buy - buy) <= RATE_TOLERANCE
            and abs(built.sell - sell) <= RATE_TOLERANCE
        ):
            return str(built_slots[index]["source"])
        return source.value

    attributes["slots"] = [
        {
            "start": _next_occurrence(index, now, zone).isoformat(),
            "buy": price.buy,
            "sell": price.sell,
            "source": slot_source(index, price.buy, price.sell),
            # The demand charge in $/kW, only on a tariff that has one (the card shades these windows).
            **({"demand": held.demand_rates[index]} if held.demand_rates else {}),
        }
        for index, price in enumerate(held.slots)
    ]
    return attributes


def _command_attributes(controller: PowerwallController) -> Mapping[str, Any] | None:
    """When the command ends, its target (state of charge, %) and what comes back then."""
    command = controller.command
    if command is None:
        return None
    return {
        "ends_at": command.ends_at.isoformat(),
        "target": command.target,
        "restores": controller.command_restores(),
    }


CONTROLLER_SENSORS: tuple[ControllerSensorDescription, ...] = (
    ControllerSensorDescription(
        key="sync_status",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in SyncStatus],
        value_fn=lambda controller, _: controller.status.value,
        attributes_fn=lambda controller: (
            {"rejection_message": controller.rejection_message} if controller.rejection_message else None
        ),
    ),
    ControllerSensorDescription(
        key="last_sync",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda controller, _: controller.last_sync,
        # When Amber's rolling tariff was last verified on the Powerwall.
        has_fn=lambda runtime: runtime.amber is not None,
    ),
    ControllerSensorDescription(
        key="tariff",
        native_unit_of_measurement=PRICE_UNIT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=_current_buy_rate,
        attributes_fn=_tariff_attributes,
    ),
    ControllerSensorDescription(
        key="battery_command",
        device_class=SensorDeviceClass.ENUM,
        options=["none", *(kind.value for kind in CommandKind)],
        value_fn=lambda controller, _: (
            "none" if controller.command is None else controller.command.kind.value
        ),
        attributes_fn=_command_attributes,
    ),
)


@dataclass(frozen=True, kw_only=True)
class PowerwallSensorDescription[DataT](SensorEntityDescription):
    """A Powerwall sensor read from one coordinator's data (live status, site info or energy)."""

    value_fn: Callable[[DataT], float | str | None]
    has_fn: Callable[[DataT], bool] = lambda _: True


type LiveStatusSensorDescription = PowerwallSensorDescription[LiveStatus]


@dataclass(frozen=True, kw_only=True)
class EnergySensorDescription(PowerwallSensorDescription[DailyEnergy]):
    """A daily energy total of the site, resetting at the site's local midnight."""

    device_class: SensorDeviceClass = SensorDeviceClass.ENERGY
    state_class: SensorStateClass = SensorStateClass.TOTAL_INCREASING
    native_unit_of_measurement: str = UnitOfEnergy.WATT_HOUR
    suggested_unit_of_measurement: str = UnitOfEnergy.KILO_WATT_HOUR
    suggested_display_precision: int = 2


ENERGY_SENSORS: tuple[EnergySensorDescription, ...] = (
    EnergySensorDescription(key="solar_energy", value_fn=lambda day: day.solar),
    EnergySensorDescription(key="home_energy", value_fn=lambda day: day.home),
    EnergySensorDescription(key="grid_import_energy", value_fn=lambda day: day.grid_import),
    EnergySensorDescription(key="grid_export_energy", value_fn=lambda day: day.grid_export),
    EnergySensorDescription(key="battery_charge_energy", value_fn=lambda day: day.battery_charge),
    EnergySensorDescription(key="battery_discharge_energy", value_fn=lambda day: day.battery_discharge),
)


@dataclass(frozen=True, kw_only=True)
class PriceSensorDescription(SensorEntityDescription):
    """An Amber sensor read from the current interval of one channel."""

    channel: ChannelType = ChannelType.GENERAL
    value_fn: Callable[[PriceInterval], float | str | None]
    attributes_fn: Callable[[PriceInterval], Mapping[str, Any] | None] = lambda _: None


def _power(key: str, sign: int = 1) -> LiveStatusSensorDescription:
    def value(status: LiveStatus) -> float | None:
        watts: float | None = getattr(status, key)
        return None if watts is None else sign * watts

    return PowerwallSensorDescription[LiveStatus](
        key={"load_power": "home_load"}.get(key, key),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=value,
    )


def _stored_energy(key: str) -> LiveStatusSensorDescription:
    # Off until the owner turns them on: the battery level says the same, and the pack total hardly moves.
    return PowerwallSensorDescription[LiveStatus](
        key=key,
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda status: getattr(status, key),
        has_fn=lambda status: getattr(status, key) is not None,
    )


LIVE_STATUS_SENSORS: tuple[LiveStatusSensorDescription, ...] = (
    _power("solar_power"),
    # Tesla's signs are the ones HA's energy cards expect: grid + importing, battery + discharging.
    _power("grid_power"),
    _power("battery_power"),
    _power("load_power"),
    PowerwallSensorDescription[LiveStatus](
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=lambda status: status.percentage_charged,
    ),
    _stored_energy("energy_left"),
    _stored_energy("total_pack_energy"),
)

SITE_INFO_SENSORS: tuple[PowerwallSensorDescription[SiteInfo], ...] = (
    PowerwallSensorDescription[SiteInfo](
        key="operation_mode",
        device_class=SensorDeviceClass.ENUM,
        options=[mode.value for mode in OperationMode if mode is not OperationMode.UNKNOWN],
        value_fn=lambda info: (
            None if info.operation_mode is OperationMode.UNKNOWN else info.operation_mode.value
        ),
    ),
    PowerwallSensorDescription[SiteInfo](
        key="export_rule",
        device_class=SensorDeviceClass.ENUM,
        options=[rule.value for rule in ExportRule if rule is not ExportRule.UNKNOWN],
        value_fn=lambda info: None if info.export_rule is ExportRule.UNKNOWN else info.export_rule.value,
    ),
    PowerwallSensorDescription[SiteInfo](
        key="grid_charging",
        device_class=SensorDeviceClass.ENUM,
        options=["allowed", "disallowed"],
        value_fn=lambda info: "allowed" if info.grid_charging_allowed else "disallowed",
    ),
    PowerwallSensorDescription[SiteInfo](
        key="backup_reserve",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda info: info.backup_reserve_percent,
    ),
    PowerwallSensorDescription[SiteInfo](
        key="firmware_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda info: info.firmware_version,
    ),
)


def _price_sensor(key: str, channel: ChannelType) -> PriceSensorDescription:
    return PriceSensorDescription(
        key=key,
        channel=channel,
        native_unit_of_measurement=PRICE_UNIT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=owner_price,
        attributes_fn=lambda interval: {"current_interval_estimate": interval.estimate},
    )


PRICE_SENSORS: tuple[PriceSensorDescription, ...] = (
    _price_sensor("general_price", ChannelType.GENERAL),
    _price_sensor("feed_in_price", ChannelType.FEED_IN),
    _price_sensor("controlled_load_price", ChannelType.CONTROLLED_LOAD),
    PriceSensorDescription(
        key="price_descriptor",
        device_class=SensorDeviceClass.ENUM,
        # Home Assistant state keys are snake_case; Amber's descriptors are camelCase.
        options=[d.name.lower() for d in PriceDescriptor if d is not PriceDescriptor.UNKNOWN],
        value_fn=lambda interval: (
            None if interval.descriptor is PriceDescriptor.UNKNOWN else interval.descriptor.name.lower()
        ),
    ),
    PriceSensorDescription(
        key="price_spike_status",
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in SpikeStatus if s is not SpikeStatus.UNKNOWN],
        value_fn=lambda interval: (
            None if interval.spike_status is SpikeStatus.UNKNOWN else interval.spike_status.value
        ),
    ),
    PriceSensorDescription(
        key="renewables",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda interval: interval.renewables,
    ),
)


@dataclass(frozen=True, kw_only=True)
class DemandSensorDescription(SensorEntityDescription):
    """A sensor of the demand charge cycle, read from the demand tracker at a moment."""

    value_fn: Callable[[DemandTracker, datetime], float | None]
    attributes_fn: Callable[[DemandTracker, datetime], Mapping[str, Any] | None] = lambda *_: None
    last_reset_fn: Callable[[DemandTracker], datetime | None] = lambda _: None


def _peak_attributes(tracker: DemandTracker, _: datetime) -> Mapping[str, Any]:
    """When the peak half hour started, and the day the cycle began."""
    peak_half_hour = tracker.peak_half_hour
    cycle_start = tracker.cycle_start
    return {
        "half_hour": None if peak_half_hour is None else peak_half_hour.isoformat(),
        "cycle_start": None if cycle_start is None else cycle_start.date().isoformat(),
    }


DEMAND_SENSORS: tuple[DemandSensorDescription, ...] = (
    DemandSensorDescription(
        key="demand_peak",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=lambda tracker, _: tracker.peak_kw,
        attributes_fn=_peak_attributes,
    ),
    DemandSensorDescription(
        key="demand_current_half_hour",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=lambda tracker, now: tracker.current_half_hour_kw(now),
        # A warning, not a repair: the owner can still cut the import before the half hour ends.
        attributes_fn=lambda tracker, now: {"heading_for_new_peak": tracker.heading_for_new_peak(now)},
    ),
    DemandSensorDescription(
        key="demand_charge_estimate",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement="AUD",
        suggested_display_precision=2,
        value_fn=lambda tracker, _: tracker.charge_estimate,
        last_reset_fn=lambda tracker: tracker.cycle_start,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaSyncConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of one entry (the demand charge's only when it has one)."""
    runtime = entry.runtime_data
    entities: list[SensorEntity] = [
        ControllerSensor(entry, description)
        for description in CONTROLLER_SENSORS
        if description.has_fn(runtime)
    ]
    entities.extend(
        PowerwallSensor(entry, runtime.live_status, description)
        for description in LIVE_STATUS_SENSORS
        if description.has_fn(runtime.live_status.data)
    )
    entities.extend(
        PowerwallSensor(entry, runtime.site_info, description) for description in SITE_INFO_SENSORS
    )
    entities.extend(PowerwallSensor(entry, runtime.energy, description) for description in ENERGY_SENSORS)
    entities.append(AemoPriceSensor(entry, runtime.aemo, "aemo_price"))
    entities.append(PowerwallRouteSensor(entry, runtime.live_status, "powerwall_route"))
    if runtime.demand is not None:
        entities.extend(DemandSensor(entry, runtime.demand, description) for description in DEMAND_SENSORS)
    else:
        async_remove_entities(hass, entry, SENSOR_DOMAIN, [description.key for description in DEMAND_SENSORS])
    amber = runtime.amber
    if amber is not None:
        # Before Amber's first answer (down, or its token rejected) a solar home's usual channels are assumed.
        prices = amber.prices.data
        usual = {ChannelType.FEED_IN}
        channels = ({channel.type for channel in prices.site.channels} if prices else usual) | {
            ChannelType.GENERAL
        }
        entities.extend(
            PriceSensor(entry, amber, description)
            for description in PRICE_SENSORS
            if description.channel in channels
        )
    async_add_entities(entities)


class PowerwallSensor[DataT](PowerwallEntity[DataUpdateCoordinator[DataT]], SensorEntity):
    """A Powerwall reading, setting or daily total, as its description reads it from a coordinator."""

    entity_description: PowerwallSensorDescription[DataT]

    def __init__(
        self,
        entry: TeslaSyncConfigEntry,
        coordinator: DataUpdateCoordinator[DataT],
        description: PowerwallSensorDescription[DataT],
    ) -> None:
        """Describe one value."""
        super().__init__(entry, coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float | str | None:
        """The value now; None before the coordinator's first success (energy history may start failing)."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)


class DemandSensor(PowerwallEntity[DemandTracker], SensorEntity):
    """The demand charge cycle: its peak, the half hour in progress, or what the peak costs."""

    entity_description: DemandSensorDescription

    def __init__(
        self, entry: TeslaSyncConfigEntry, tracker: DemandTracker, description: DemandSensorDescription
    ) -> None:
        """Describe one value of the cycle."""
        super().__init__(entry, tracker, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float | None:
        """The value now."""
        return self.entity_description.value_fn(self.coordinator, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """What the description adds."""
        return self.entity_description.attributes_fn(self.coordinator, dt_util.utcnow())

    @property
    def last_reset(self) -> datetime | None:
        """When the cycle (and so the charge) started again from nothing."""
        return self.entity_description.last_reset_fn(self.coordinator)


class PowerwallRouteSensor(PowerwallEntity[LiveStatusCoordinator], SensorEntity):
    """Which route reaches the Powerwall now: the entry's own, or its fallback while that one is down."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_options = [route.value for route in RouteKind]

    @property
    def available(self) -> bool:
        """Known whether or not the last read worked: a failed read is what moves the route."""
        return True

    @property
    def native_value(self) -> str:
        """The route the client uses now (refreshed with each live status poll)."""
        return self._entry_client.route.value

    @property
    def _entry_client(self) -> EnergySiteClient:
        return self.coordinator.config_entry.runtime_data.teslemetry_client


class AemoPriceSensor(PowerwallEntity[AemoPriceCoordinator], SensorEntity):
    """The NEM region's latest 5-minute dispatch price (what spike response watches)."""

    _attr_native_unit_of_measurement = "AUD/MWh"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 2

    @property
    def available(self) -> bool:
        """Unavailable while AEMO fails or has no price for the region."""
        return super().available and self.coordinator.data is not None

    @property
    def native_value(self) -> float | None:
        """$/MWh, ex-GST; negative when the market pays to consume."""
        data = self.coordinator.data
        return None if data is None else data.price

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Region, settlement time (end of the interval) and whether the price is final."""
        data = self.coordinator.data
        if data is None:
            return None
        return {
            "region": data.region,
            "settlement_time": data.settlement_time.isoformat(),
            "price_status": data.price_status.value,
        }


class PriceSensor(AmberEntity, SensorEntity):
    """A property of Amber's current interval on one channel."""

    entity_description: PriceSensorDescription

    def __init__(
        self, entry: TeslaSyncConfigEntry, amber: AmberRuntime, description: PriceSensorDescription
    ) -> None:
        """Describe one current-interval value."""
        super().__init__(entry, amber, description.key)
        self.entity_description = description

    @property
    def _interval(self) -> PriceInterval | None:
        data = self.coordinator.data
        return None if data is None else data.current(self.entity_description.channel)

    @property
    def available(self) -> bool:
        """Unavailable while Amber fails, or when it has no current interval for the channel."""
        return super().available and self._interval is not None

    @property
    def native_value(self) -> float | str | None:
        """The current interval's value."""
        interval = self._interval
        return None if interval is None else self.entity_description.value_fn(interval)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Whether the current price is still an estimate."""
        interval = self._interval
        return None if interval is None else self.entity_description.attributes_fn(interval)


class ControllerSensor(ControllerEntity, SensorEntity):
    """A sensor whose value comes from the controller."""

    entity_description: ControllerSensorDescription
    # 48 slots change every few minutes: keep them out of the recorder's database.
    _unrecorded_attributes = frozenset({"slots", "amber_build"})

    def __init__(self, entry: TeslaSyncConfigEntry, description: ControllerSensorDescription) -> None:
        """Describe one controller value."""
        super().__init__(entry, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | float | datetime | None:
        """The value now."""
        return self.entity_description.value_fn(self.controller, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra detail, such as the 48 slots of the tariff."""
        return self.entity_description.attributes_fn(self.controller)
