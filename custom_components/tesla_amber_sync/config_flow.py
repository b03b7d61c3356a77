"""Config flow: Amber Electric (Amber token -> Amber site) or another retailer, then the route to the
Powerwall (a Teslemetry token, or signing in to Tesla's Fleet API with the owner's own developer
application) -> Powerwall site, and for another retailer the first time-of-use schedule; reauthentication and
reconfiguration; and the options flow."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import time
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowContext,
    ConfigFlowResult,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import ConfigEntryNotReady, UnknownImplementationError
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)
import probatio

from .api.aemo import AEMO_SUMMARY_URL
from .api.amber import AMBER_BASE_URL, AmberClient
from .api.errors import ApiError, AuthenticationError, InvalidResponseError
from .api.models import AmberSite, EnergySiteProduct, SiteStatus
from .api.routes import (
    FLEET_AUTH_BASE_URL,
    FLEET_NA_BASE_URL,
    FLEET_SCOPES,
    EnergyRoute,
    RouteKind,
    find_fleet_base_url,
)
from .api.teslemetry import TESLEMETRY_BASE_URL, EnergySiteClient
from .application_credentials import at_auth_server
from .const import (
    CONF_AEMO_BASE_URL,
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_BASE_URL,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    CONF_FLEET_AUTH_URL,
    CONF_FLEET_BASE_URL,
    CONF_FLEET_REGION_URL,
    CONF_POWERWALL_ROUTE,
    CONF_TESLEMETRY_API_TOKEN,
    CONF_TESLEMETRY_BASE_URL,
    DOMAIN,
    LOGGER,
)
from .control.demand import CycleKind, DemandDays
from .control.demand_tariff import amber_days, amber_demand_flags, amber_window
from .control.option_rules import (
    MARKET_CAP,
    MARKET_FLOOR,
    MAX_CYCLE_DAY,
    MAX_DEMAND_RATE,
    MAX_FEED_IN_CENTS,
    MAX_HOLD_MINUTES,
    MONTH_CHOICES,
    demand_problems,
    option_problems,
)
from .control.regions import NEM_REGIONS, REGION_CHOICES
from .options import (
    OPT_AEMO_REGION,
    OPT_CURTAILMENT_THRESHOLD,
    OPT_DEMAND_APPLIES_TO_AMBER,
    OPT_DEMAND_CHARGE,
    OPT_DEMAND_CYCLE,
    OPT_DEMAND_CYCLE_DAY,
    OPT_DEMAND_DAYS,
    OPT_DEMAND_MONTHS,
    OPT_DEMAND_RATE,
    OPT_DEMAND_WINDOW_END,
    OPT_DEMAND_WINDOW_START,
    OPT_SOLAR_CURTAILMENT,
    OPT_SPIKE_DETECTION,
    OPT_SPIKE_EXIT_THRESHOLD,
    OPT_SPIKE_MIN_HOLD,
    OPT_SPIKE_THRESHOLD,
    TeslaSyncOptions,
    demand_as_mapping,
    entry_options,
)
from .routing import async_fleet_token_provider
from .schedule_flow import (
    CONF_NAME as SCHEDULE_NAME,
    SUBENTRY_TYPE as SCHEDULE_SUBENTRY_TYPE,
    ScheduleSteps,
    ScheduleSubentryFlow,
    new_schedule,
)

_TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECTION_API_ADDRESSES = "api_addresses"
# The API address fields and their public defaults; a simulator or proxy can stand in for each API.
ADVANCED_URLS: dict[str, str] = {
    CONF_AMBER_BASE_URL: AMBER_BASE_URL,
    CONF_TESLEMETRY_BASE_URL: TESLEMETRY_BASE_URL,
    CONF_AEMO_BASE_URL: AEMO_SUMMARY_URL,
    CONF_FLEET_REGION_URL: FLEET_NA_BASE_URL,
    CONF_FLEET_AUTH_URL: FLEET_AUTH_BASE_URL,
}


class _FlowError(Exception):
    """A validation failure, carrying the translated error key for the form."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _error_key(service: str, err: ApiError) -> str:
    """The form error for a failed check of `service` ("amber", "teslemetry" or "fleet"): each names its
    service."""
    return f"{service}_invalid_auth" if isinstance(err, AuthenticationError) else f"{service}_cannot_connect"


def _number(minimum: float, maximum: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


class TeslaSyncOptionsFlow(OptionsFlowWithReload):
    """A menu of the option forms: spike response and export curtailment, and the demand charge. Each form
    stores its own fields and keeps the other's as they were."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which settings to change."""
        return self.async_show_menu(step_id="init", menu_options=["spike_curtailment", "demand_charge"])

    def _current(self) -> TeslaSyncOptions:
        return entry_options(self.config_entry, default_region=_default_region(self.config_entry))

    def _save(self, current: TeslaSyncOptions, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Store the form's fields over the entry's other options (read back through the one typed form)."""
        merged = TeslaSyncOptions.from_mapping(
            {**current.as_mapping(), **user_input}, default_region=current.aemo_region
        )
        return self.async_create_entry(data=merged.as_mapping())

    async def async_step_spike_curtailment(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form; the values are checked together, so the machines can never flap."""
        current = self._current()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = option_problems(user_input)
            if not errors:
                return self._save(current, user_input)
        values = current.as_mapping() if user_input is None else {**current.as_mapping(), **user_input}
        # The errors state the range allowed, in the form's own units.
        placeholders = {
            "max_price": f"{MARKET_CAP:g}",
            "floor": f"{MARKET_FLOOR:g}",
            "spike_threshold": f"{float(values[OPT_SPIKE_THRESHOLD]):g}",
            "max_hold": str(MAX_HOLD_MINUTES),
            "max_cents": f"{MAX_FEED_IN_CENTS:g}",
        }
        schema = probatio.Schema(
            {
                probatio.Required(OPT_AEMO_REGION): SelectSelector(
                    SelectSelectorConfig(
                        options=[region.lower() for region in _region_choices(self.config_entry)],
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key="region",
                    )
                ),
                probatio.Required(OPT_SPIKE_DETECTION): BooleanSelector(),
                probatio.Required(OPT_SPIKE_THRESHOLD): _number(1, MARKET_CAP, 1, "$/MWh"),
                probatio.Required(OPT_SPIKE_EXIT_THRESHOLD): _number(MARKET_FLOOR, MARKET_CAP, 1, "$/MWh"),
                probatio.Required(OPT_SPIKE_MIN_HOLD): _number(1, MAX_HOLD_MINUTES, 1, "min"),
                probatio.Required(OPT_SOLAR_CURTAILMENT): BooleanSelector(),
                probatio.Required(OPT_CURTAILMENT_THRESHOLD): _number(
                    -MAX_FEED_IN_CENTS, MAX_FEED_IN_CENTS, 0.1, "c/kWh"
                ),
            }
        )
        return self.async_show_form(
            step_id="spike_curtailment",
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_demand_charge(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The demand charge: rate, window, days, months, billing cycle (and for Amber, whether the rolling
        tariff carries it). Checked by `demand_problems` while it is on; off, only "off" is stored."""
        current = self._current()
        has_amber = CONF_AMBER_API_TOKEN in self.config_entry.data
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(OPT_DEMAND_CHARGE):
                errors = demand_problems(user_input)
            if not errors:
                return self._save(current, _demand_input(user_input, current))
        offered, offered_days = (None, None) if current.demand is not None else self._amber_offer()
        values = _demand_form_values(current, offered, offered_days)
        if user_input is not None:
            values = {**values, **user_input}
        schema_fields: dict[Any, Any] = {
            probatio.Required(OPT_DEMAND_CHARGE): BooleanSelector(),
            probatio.Optional(OPT_DEMAND_RATE): _number(0, MAX_DEMAND_RATE, 0.01, "$/kW"),
            probatio.Optional(OPT_DEMAND_WINDOW_START): TimeSelector(),
            probatio.Optional(OPT_DEMAND_WINDOW_END): TimeSelector(),
            probatio.Optional(OPT_DEMAND_DAYS): SelectSelector(
                SelectSelectorConfig(options=[d.value for d in DemandDays], translation_key="demand_days")
            ),
            probatio.Optional(OPT_DEMAND_MONTHS): SelectSelector(
                SelectSelectorConfig(
                    options=list(MONTH_CHOICES),
                    multiple=True,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="month",
                )
            ),
            probatio.Optional(OPT_DEMAND_CYCLE): SelectSelector(
                SelectSelectorConfig(options=[c.value for c in CycleKind], translation_key="demand_cycle")
            ),
            probatio.Optional(OPT_DEMAND_CYCLE_DAY): _number(1, MAX_CYCLE_DAY, 1, "day"),
        }
        if has_amber:
            schema_fields[probatio.Optional(OPT_DEMAND_APPLIES_TO_AMBER)] = BooleanSelector()
        schema = probatio.Schema(schema_fields)
        return self.async_show_form(
            step_id="demand_charge",
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
            description_placeholders={
                "max_rate": f"{MAX_DEMAND_RATE:g}",
                "max_day": str(MAX_CYCLE_DAY),
                "amber_window": "-" if offered is None else f"{offered[0]:%H:%M}-{offered[1]:%H:%M}",
            },
        )

    def _amber_offer(self) -> tuple[tuple[time, time] | None, DemandDays | None]:
        """The window Amber flags for the site and the days it flags it on, from the intervals seen (each
        None without Amber, without flags, or when they cannot tell)."""
        runtime = getattr(self.config_entry, "runtime_data", None)
        if runtime is None or runtime.amber is None or runtime.amber.prices.data is None:
            return None, None
        zone = runtime.site_info.time_zone
        flags_by_day = amber_demand_flags(runtime.amber.prices.data.intervals, zone)
        offered = amber_window(flags_by_day, zone)
        return offered, None if offered is None else amber_days(flags_by_day, zone, offered)


def _demand_form_values(
    current: TeslaSyncOptions, offered: tuple[time, time] | None, offered_days: DemandDays | None
) -> dict[str, Any]:
    """What the demand form starts from: the stored charge, else a default (all months, monthly from the 1st)
    with the window Amber flags when it flags one, on the days it flags it on when those can be told (else
    every day)."""
    if current.demand is not None:
        return demand_as_mapping(current.demand)
    start, end = offered if offered is not None else (None, None)
    values: dict[str, Any] = {
        OPT_DEMAND_CHARGE: False,
        OPT_DEMAND_DAYS: (offered_days or DemandDays.EVERY_DAY).value,
        OPT_DEMAND_MONTHS: list(MONTH_CHOICES),
        OPT_DEMAND_CYCLE: CycleKind.MONTHLY.value,
        OPT_DEMAND_CYCLE_DAY: 1,
        OPT_DEMAND_APPLIES_TO_AMBER: True,
    }
    if start is not None and end is not None:
        values[OPT_DEMAND_WINDOW_START] = start.strftime("%H:%M")
        values[OPT_DEMAND_WINDOW_END] = end.strftime("%H:%M")
    return values


def _demand_input(user_input: dict[str, Any], current: TeslaSyncOptions) -> dict[str, Any]:
    """The demand form's answer in the stored form: whole-number cycle day, and for an entry without Amber
    the "applies to Amber" flag it was not asked kept as it was."""
    if not user_input.get(OPT_DEMAND_CHARGE):
        return {OPT_DEMAND_CHARGE: False}
    answer = {**user_input, OPT_DEMAND_CYCLE_DAY: int(user_input.get(OPT_DEMAND_CYCLE_DAY, 1))}
    if OPT_DEMAND_APPLIES_TO_AMBER not in answer:
        answer[OPT_DEMAND_APPLIES_TO_AMBER] = current.demand.applies_to_amber if current.demand else True
    return answer


def _region_choices(entry: ConfigEntry[Any]) -> tuple[str, ...]:
    """The NEM regions; without Amber also "outside the NEM" (an Amber site is always in the NEM)."""
    return NEM_REGIONS if CONF_AMBER_API_TOKEN in entry.data else REGION_CHOICES


def _default_region(entry: ConfigEntry[Any]) -> str | None:
    """The region the entry's site is in (its Amber NMI, or the Powerwall's time zone), when it is loaded."""
    runtime = getattr(entry, "runtime_data", None)
    return None if runtime is None else str(runtime.default_region)


class TeslaSyncConfigFlow(
    config_entry_oauth2_flow.AbstractOAuth2FlowHandler,
    ScheduleSteps[ConfigFlowContext, ConfigFlowResult, str],
    domain=DOMAIN,
):
    """Set up one Powerwall with the Amber site that prices it, or with the owner's own schedule."""

    DOMAIN = DOMAIN
    VERSION = 1
    # 2: the AEMO region option is stored in lower case (nsw1), as its translation key.
    MINOR_VERSION = 2

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> TeslaSyncOptionsFlow:
        """Spike, curtailment and demand-charge options."""
        return TeslaSyncOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry[Any]
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """The owner's own time-of-use schedules, one subentry each."""
        return {SCHEDULE_SUBENTRY_TYPE: ScheduleSubentryFlow}

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._data: dict[str, Any] = {}
        self._amber_sites: tuple[AmberSite, ...] = ()
        self._energy_sites: tuple[EnergySiteProduct, ...] = ()
        # Another retailer: the Powerwall's name, and the first schedule as the steps build it.
        self._title = ""
        self._schedule = new_schedule()

    @property
    def logger(self) -> logging.Logger:
        """The integration's logger, for the OAuth2 steps."""
        return LOGGER

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask Tesla for the energy scopes only, and to show any scope the owner has not granted yet."""
        return {"scope": " ".join(FLEET_SCOPES), "prompt_missing_scopes": "true"}

    def _teslemetry_route(self, token: str) -> EnergyRoute:
        return EnergyRoute.teslemetry(token, self._base_url(CONF_TESLEMETRY_BASE_URL, TESLEMETRY_BASE_URL))

    def _base_url(self, key: str, default: str) -> str:
        """The API address chosen in the collapsed section (or stored in the entry), or the public one."""
        return str(self._data.get(key) or default)

    async def _amber_sites_for(self, token: str) -> tuple[AmberSite, ...]:
        client = AmberClient(
            async_get_clientsession(self.hass),
            token,
            base_url=self._base_url(CONF_AMBER_BASE_URL, AMBER_BASE_URL),
        )
        try:
            sites = await client.get_sites()
        except ApiError as err:
            LOGGER.debug("Amber token check failed: %s", err)
            raise _FlowError(_error_key("amber", err)) from err
        if not sites:
            raise _FlowError("no_sites")
        return sites

    async def _energy_sites_for(self, route: EnergyRoute | str) -> tuple[EnergySiteProduct, ...]:
        """The Powerwalls a route reaches (a string is a Teslemetry token)."""
        route = self._teslemetry_route(route) if isinstance(route, str) else route
        client = EnergySiteClient(async_get_clientsession(self.hass), route)
        try:
            products = await client.get_energy_sites()
        except ApiError as err:
            LOGGER.debug("%s check failed: %s", route.service, err)
            raise _FlowError(_error_key(route.kind.value, err)) from err
        batteries = tuple(product for product in products if product.has_battery)
        if not batteries:
            raise _FlowError("no_energy_sites")
        return batteries

    async def _site_info_for(self, route: EnergyRoute, energy_site_id: int) -> None:
        """Check that a route reads this Powerwall's settings."""
        client = EnergySiteClient(async_get_clientsession(self.hass), route)
        try:
            await client.get_site_info(energy_site_id)
        except ApiError as err:
            LOGGER.debug("%s site check failed: %s", route.service, err)
            raise _FlowError(_error_key(route.kind.value, err)) from err

    async def _check_energy_site(self, route: EnergyRoute | str, energy_site_id: str | None) -> None:
        """Check that a route (a string is a Teslemetry token) still reaches this entry's Powerwall."""
        route = self._teslemetry_route(route) if isinstance(route, str) else route
        energy_sites = await self._energy_sites_for(route)
        # A token for another Tesla account would leave this entry without its Powerwall.
        if energy_site_id not in {str(site.energy_site_id) for site in energy_sites}:
            raise _FlowError("energy_site_missing")
        await self._site_info_for(route, int(energy_site_id))

    def _read_addresses(self, user_input: dict[str, Any], data: dict[str, Any]) -> None:
        """Put the API addresses of the collapsed section into `data`; only a changed one is stored, so
        entries follow the public default if it moves."""
        addresses = user_input.get(SECTION_API_ADDRESSES) or {}
        for key, default in ADVANCED_URLS.items():
            url = str(addresses.get(key) or default).rstrip("/")
            if url != default:
                data[key] = url
            else:
                data.pop(key, None)

    def _addresses_section(
        self, current: Mapping[str, Any], *, amber: bool = True
    ) -> dict[probatio.Marker, Any]:
        """The collapsed section of API addresses, filled in with `current` ones or the defaults (Amber's
        only for an entry with Amber)."""
        # Only someone pointing the entry at a simulator or a proxy opens it (Home Assistant retired the
        # "advanced mode" flag for flows in favour of sections).
        addresses = probatio.Schema(
            {
                probatio.Optional(key, default=current.get(key, default)): _URL_SELECTOR
                for key, default in ADVANCED_URLS.items()
                if amber or key != CONF_AMBER_BASE_URL
            }
        )
        return {probatio.Optional(SECTION_API_ADDRESSES): section(addresses, {"collapsed": True})}

    def _amber_site_schema(self, preselected: str) -> probatio.Schema:
        """A list of the Amber sites, each shown by its NMI and status."""
        options = [
            SelectOptionDict(value=site.id, label=f"{site.nmi} ({site.status.value})")
            for site in self._amber_sites
        ]
        return probatio.Schema(
            {
                probatio.Required(CONF_AMBER_SITE_ID, default=preselected): SelectSelector(
                    SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                )
            }
        )

    def _first_active_site(self) -> str:
        return next(
            (site for site in self._amber_sites if site.status is SiteStatus.ACTIVE), self._amber_sites[0]
        ).id

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose who prices the Powerwall: Amber Electric, or another retailer's time-of-use schedule."""
        return self.async_show_menu(step_id="user", menu_options=["amber", "own_schedule"])

    async def async_step_amber(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the Amber token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._read_addresses(user_input, self._data)
            try:
                self._amber_sites = await self._amber_sites_for(user_input[CONF_AMBER_API_TOKEN])
            except _FlowError as err:
                errors["base"] = err.error
            else:
                self._data[CONF_AMBER_API_TOKEN] = user_input[CONF_AMBER_API_TOKEN]
                active = [site for site in self._amber_sites if site.status is SiteStatus.ACTIVE]
                if len(active) == 1:
                    return await self.async_step_amber_site({CONF_AMBER_SITE_ID: active[0].id})
                return await self.async_step_amber_site()
        schema = probatio.Schema(
            {probatio.Required(CONF_AMBER_API_TOKEN): _TOKEN_SELECTOR, **self._addresses_section(self._data)}
        )
        return self.async_show_form(step_id="amber", data_schema=schema, errors=errors)

    async def async_step_amber_site(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the Amber site, showing each NMI and status."""
        if user_input is not None:
            self._data[CONF_AMBER_SITE_ID] = user_input[CONF_AMBER_SITE_ID]
            return await self.async_step_powerwall_route()
        return self.async_show_form(
            step_id="amber_site", data_schema=self._amber_site_schema(self._first_active_site())
        )

    async def async_step_powerwall_route(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how to reach the Powerwall: Teslemetry's relay or Tesla's own Fleet API."""
        return self.async_show_menu(step_id="powerwall_route", menu_options=["teslemetry", "fleet"])

    async def async_step_fleet(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in to Tesla with the owner's developer application (Application Credentials)."""
        return await self.async_step_pick_implementation()

    async def async_step_auth(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Send the owner to Tesla's sign-in page, or to the sign-in server the API addresses name."""
        if user_input is None:
            self.flow_impl = at_auth_server(self.flow_impl, self._data.get(CONF_FLEET_AUTH_URL))
        return await super().async_step_auth(user_input)

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Tesla signed the owner in: find the account's regional host, then its Powerwalls."""
        session = async_get_clientsession(self.hass)
        access_token = str(data["token"]["access_token"])
        try:
            base_url = await find_fleet_base_url(
                session, access_token, base_url=self._base_url(CONF_FLEET_REGION_URL, FLEET_NA_BASE_URL)
            )
        except InvalidResponseError as err:
            # Tesla answered, but named no host this entry could use: "could not reach" would mislead.
            LOGGER.debug("Tesla Fleet API region check failed: %s", err)
            return self.async_abort(reason="fleet_region_unknown")
        except ApiError as err:
            LOGGER.debug("Tesla Fleet API region check failed: %s", err)
            return self.async_abort(reason=_error_key("fleet", err))
        route = EnergyRoute.fleet(access_token, base_url)
        fleet_data = {**data, CONF_FLEET_BASE_URL: base_url}
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            return await self._async_store_fleet_sign_in(route, fleet_data)
        try:
            self._energy_sites = await self._energy_sites_for(route)
        except _FlowError as err:
            return self.async_abort(reason=err.error)
        self._data.update(fleet_data)
        self._data[CONF_POWERWALL_ROUTE] = RouteKind.FLEET.value
        if len(self._energy_sites) == 1:
            return await self.async_step_energy_site(
                {CONF_ENERGY_SITE_ID: str(self._energy_sites[0].energy_site_id)}
            )
        return await self.async_step_energy_site()

    async def _async_store_fleet_sign_in(
        self, route: EnergyRoute, fleet_data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Signed in again (reauth), or as a second route (reconfigure): if the sign-in reaches this entry's
        Powerwall, store it and reload. The entry keeps its primary route: a Fleet API sign-in added to a
        Teslemetry entry is its fallback until the owner chooses otherwise."""
        entry = self._get_reauth_entry() if self.source == SOURCE_REAUTH else self._get_reconfigure_entry()
        try:
            await self._check_energy_site(route, entry.unique_id)
        except _FlowError as err:
            return self.async_abort(reason=err.error)
        return self.async_update_reload_and_abort(entry, data_updates=fleet_data)

    async def async_step_teslemetry(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the Teslemetry token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                self._energy_sites = await self._energy_sites_for(user_input[CONF_TESLEMETRY_API_TOKEN])
            except _FlowError as err:
                errors["base"] = err.error
            else:
                self._data[CONF_TESLEMETRY_API_TOKEN] = user_input[CONF_TESLEMETRY_API_TOKEN]
                if len(self._energy_sites) == 1:
                    return await self.async_step_energy_site(
                        {CONF_ENERGY_SITE_ID: str(self._energy_sites[0].energy_site_id)}
                    )
                return await self.async_step_energy_site()
        return self.async_show_form(
            step_id="teslemetry",
            data_schema=probatio.Schema({probatio.Required(CONF_TESLEMETRY_API_TOKEN): _TOKEN_SELECTOR}),
            errors=errors,
        )

    async def async_step_energy_site(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the Powerwall site; it names the entry and makes it unique."""
        if user_input is not None:
            energy_site_id = int(user_input[CONF_ENERGY_SITE_ID])
            await self.async_set_unique_id(str(energy_site_id))
            self._abort_if_unique_id_configured()
            site = next(site for site in self._energy_sites if site.energy_site_id == energy_site_id)
            self._data[CONF_ENERGY_SITE_ID] = energy_site_id
            if CONF_AMBER_API_TOKEN not in self._data:
                self._title = site.site_name or "Powerwall"
                return await self.async_step_schedule_details()
            return self.async_create_entry(title=site.site_name or "Powerwall", data=self._data)
        options = [
            SelectOptionDict(value=str(site.energy_site_id), label=site.site_name or str(site.energy_site_id))
            for site in self._energy_sites
        ]
        return self.async_show_form(
            step_id="energy_site",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_ENERGY_SITE_ID): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Find which token was rejected, then ask for that one only, naming its service."""
        self._data = dict(entry_data)
        if CONF_AMBER_API_TOKEN not in entry_data:
            return await self._async_reauth_without_amber(entry_data)
        failing: list[str] = []
        site_id = int(entry_data[CONF_ENERGY_SITE_ID])
        if entry_data.get(CONF_POWERWALL_ROUTE) == RouteKind.FLEET:
            # Tesla's sign-in is renewed by signing in again; only a rejected Amber token is asked for.
            try:
                await self._amber_sites_for(entry_data[CONF_AMBER_API_TOKEN])
            except _FlowError as err:
                if err.error.endswith("_invalid_auth"):
                    return await self.async_step_reauth_amber()
            if await self._teslemetry_fallback_rejected():
                return await self.async_step_reauth_teslemetry()
            return await self.async_step_reauth_fleet()
        for key, check in (
            (CONF_AMBER_API_TOKEN, self._amber_sites_for),
            # The Powerwall's own settings too: a 401 there alone must still point at Teslemetry's token.
            (CONF_TESLEMETRY_API_TOKEN, lambda token: self._check_energy_site(token, str(site_id))),
        ):
            try:
                await check(entry_data[key])
            except _FlowError as err:
                if err.error.endswith("_invalid_auth"):
                    failing.append(key)
        if failing == [CONF_AMBER_API_TOKEN]:
            return await self.async_step_reauth_amber()
        if failing == [CONF_TESLEMETRY_API_TOKEN]:
            return await self.async_step_reauth_teslemetry()
        if not failing and await self._fleet_sign_in_rejected():
            # Teslemetry's token is not the problem: Tesla stopped accepting the Fleet API fallback's sign-in.
            return await self.async_step_reauth_fleet()
        # Both rejected, or neither check conclusive (say the network is down): the owner may replace both.
        return await self.async_step_reauth_confirm()

    async def _rejects(self, check: Awaitable[object]) -> bool:
        """Whether a credential's check failed because its service rejected it (not merely unreachable)."""
        try:
            await check
        except _FlowError as err:
            return err.error.endswith("_invalid_auth")
        return False

    async def _fleet_sign_in_rejected(self) -> bool:
        """Whether Tesla rejects the entry's Fleet API sign-in: its refresh token, or its access token at the
        Powerwall's endpoints. A sign-in whose developer application is gone needs signing in again too."""
        entry = self._get_reauth_entry()
        if "token" not in entry.data:
            return False
        try:
            token = await async_fleet_token_provider(self.hass, entry)
        except UnknownImplementationError:
            return True
        except ConfigEntryNotReady:
            # The application credentials cannot be loaded right now: nothing is known about the sign-in.
            return False
        route = EnergyRoute.fleet(token, str(entry.data.get(CONF_FLEET_BASE_URL, FLEET_NA_BASE_URL)))
        return await self._rejects(self._check_energy_site(route, entry.unique_id))

    async def _teslemetry_fallback_rejected(self) -> bool:
        """For a Fleet API entry: whether it is the Teslemetry token kept as its fallback that was rejected,
        while Tesla still accepts the sign-in."""
        entry = self._get_reauth_entry()
        token = entry.data.get(CONF_TESLEMETRY_API_TOKEN)
        if not token or await self._fleet_sign_in_rejected():
            return False
        return await self._rejects(self._check_energy_site(token, entry.unique_id))

    async def async_step_reauth_amber(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Amber rejected its token: ask for a new one."""
        return await self._async_reauth_form("reauth_amber", (CONF_AMBER_API_TOKEN,), user_input)

    async def async_step_reauth_teslemetry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Teslemetry rejected its token: ask for a new one."""
        return await self._async_reauth_form("reauth_teslemetry", (CONF_TESLEMETRY_API_TOKEN,), user_input)

    async def async_step_reauth_fleet(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Tesla no longer accepts the sign-in: sign in again with the same developer application."""
        entry = self._get_reauth_entry()
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_fleet", description_placeholders={"title": entry.title}
            )
        return await self.async_step_pick_implementation(
            {"implementation": entry.data["auth_implementation"]}
        )

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for both tokens."""
        return await self._async_reauth_form(
            "reauth_confirm", (CONF_AMBER_API_TOKEN, CONF_TESLEMETRY_API_TOKEN), user_input
        )

    async def _check_new_tokens(self, user_input: dict[str, Any], *, energy_site_id: str | None) -> None:
        if CONF_AMBER_API_TOKEN in user_input:
            await self._amber_sites_for(user_input[CONF_AMBER_API_TOKEN])
        if CONF_TESLEMETRY_API_TOKEN in user_input:
            await self._check_energy_site(user_input[CONF_TESLEMETRY_API_TOKEN], energy_site_id)

    async def _async_reauth_form(
        self, step_id: str, keys: tuple[str, ...], user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Check the new token(s) and reload the entry with them."""
        errors: dict[str, str] = {}
        entry = self._get_reauth_entry()
        if user_input is not None:
            try:
                await self._check_new_tokens(user_input, energy_site_id=entry.unique_id)
            except _FlowError as err:
                errors["base"] = err.error
            else:
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema({probatio.Required(key): _TOKEN_SELECTOR for key in keys}),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """What to change: the tokens and addresses; a Teslemetry entry can sign in to Tesla's Fleet API as a
        second route; an entry with both routes can choose which comes first."""
        entry = self._get_reconfigure_entry()
        # Without Amber there is no Amber token or site to offer: the option says so.
        options = ["reconfigure_tokens" if CONF_AMBER_API_TOKEN in entry.data else "reconfigure_powerwall"]
        if "token" not in entry.data:
            options.append("reconfigure_fleet")
        elif entry.data.get(CONF_TESLEMETRY_API_TOKEN):
            options.append("reconfigure_primary_route")
        if len(options) == 1:
            # A Fleet API entry without Teslemetry: adding a Teslemetry token is on the tokens form.
            return await self.async_step_reconfigure_tokens()
        return self.async_show_menu(
            step_id="reconfigure", menu_options=options, description_placeholders={"title": entry.title}
        )

    async def async_step_reconfigure_fleet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in to Tesla's Fleet API as the entry's second route, at the sign-in server and region lookup
        address its API addresses name; `async_oauth_create_entry` stores it as the fallback."""
        self._data = dict(self._get_reconfigure_entry().data)
        return await self.async_step_pick_implementation()

    async def async_step_reconfigure_primary_route(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose which of the entry's two routes is tried first; the other stands in while it is down."""
        entry = self._get_reconfigure_entry()
        if user_input is not None:
            route = RouteKind(user_input[CONF_POWERWALL_ROUTE])
            return self.async_update_reload_and_abort(entry, data_updates={CONF_POWERWALL_ROUTE: route.value})
        current = entry.data.get(CONF_POWERWALL_ROUTE) or RouteKind.TESLEMETRY.value
        schema = probatio.Schema(
            {
                probatio.Required(CONF_POWERWALL_ROUTE, default=current): SelectSelector(
                    SelectSelectorConfig(
                        options=[kind.value for kind in RouteKind],
                        mode=SelectSelectorMode.LIST,
                        translation_key="powerwall_route",
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="reconfigure_primary_route",
            data_schema=schema,
            description_placeholders={"title": entry.title},
        )

    def _reconfigured(
        self, current: Mapping[str, Any], user_input: dict[str, Any], tokens: tuple[str, ...]
    ) -> dict[str, Any]:
        """The entry's data with a reconfigure form's answers: each of `tokens` given (left empty, a token
        stays as it is) and the API addresses (absent, say from a script, they stay as they are)."""
        data = dict(current)
        if SECTION_API_ADDRESSES in user_input:
            self._read_addresses(user_input, data)
        for key in tokens:
            if user_input.get(key):
                data[key] = user_input[key]
        return data

    async def async_step_reconfigure_tokens(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Rotate a token early or change the API addresses; the Amber site comes next. The Powerwall is
        the entry's identity and stays."""
        entry = self._get_reconfigure_entry()
        if CONF_AMBER_API_TOKEN not in entry.data:
            return await self.async_step_reconfigure_powerwall(user_input)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = self._reconfigured(
                entry.data, user_input, (CONF_AMBER_API_TOKEN, CONF_TESLEMETRY_API_TOKEN)
            )
            self._data = data
            try:
                self._amber_sites = await self._amber_sites_for(data[CONF_AMBER_API_TOKEN])
                # A Fleet API entry may have no Teslemetry token; one given here becomes its fallback.
                if CONF_TESLEMETRY_API_TOKEN in data:
                    await self._check_energy_site(data[CONF_TESLEMETRY_API_TOKEN], entry.unique_id)
            except _FlowError as err:
                errors["base"] = err.error
            else:
                return await self.async_step_reconfigure_amber_site()
        schema = probatio.Schema(
            {
                # Left empty, a token stays as it is.
                probatio.Optional(CONF_AMBER_API_TOKEN): _TOKEN_SELECTOR,
                probatio.Optional(CONF_TESLEMETRY_API_TOKEN): _TOKEN_SELECTOR,
                **self._addresses_section(entry.data),
            }
        )
        return self.async_show_form(
            step_id="reconfigure_tokens",
            data_schema=schema,
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure_amber_site(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the Amber site (the current one preselected), then reload the entry."""
        entry = self._get_reconfigure_entry()
        active = [site for site in self._amber_sites if site.status is SiteStatus.ACTIVE]
        if user_input is None and len(active) == 1:
            # As when the entry was added: one active site is no choice.
            user_input = {CONF_AMBER_SITE_ID: active[0].id}
        if user_input is not None:
            self._data[CONF_AMBER_SITE_ID] = user_input[CONF_AMBER_SITE_ID]
            return self.async_update_reload_and_abort(entry, data=self._data)
        current = str(entry.data[CONF_AMBER_SITE_ID])
        preselected = current if any(site.id == current for site in self._amber_sites) else None
        return self.async_show_form(
            step_id="reconfigure_amber_site",
            data_schema=self._amber_site_schema(preselected or self._first_active_site()),
        )

    # Another retailer: no Amber, the owner's own time-of-use schedule.

    async def async_step_own_schedule(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Another retailer: the route to the Powerwall comes next, then the first schedule. Only the API
        addresses (collapsed) are asked here."""
        if user_input is not None:
            self._read_addresses(user_input, self._data)
            return await self.async_step_powerwall_route()
        return self.async_show_form(
            step_id="own_schedule",
            data_schema=probatio.Schema(self._addresses_section(self._data, amber=False)),
        )

    async def async_step_schedule_details(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The first schedule's name, retailer and daily supply charge; its seasons and periods follow."""
        return await self._details("schedule_details", user_input)

    async def _async_schedule_finished(self) -> ConfigFlowResult:
        """Create the entry with its first schedule (a subentry), which setup makes the chosen tariff."""
        return self.async_create_entry(
            title=self._title,
            data=self._data,
            subentries=[
                ConfigSubentryData(
                    data=self._schedule,
                    subentry_type=SCHEDULE_SUBENTRY_TYPE,
                    title=self._schedule[SCHEDULE_NAME],
                    unique_id=None,
                )
            ],
        )

    async def _async_reauth_without_amber(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Without Amber, only the routes to the Powerwall have a sign-in or a token to renew: the entry's
        own route's, unless it is its fallback's that was rejected."""
        if entry_data.get(CONF_POWERWALL_ROUTE) == RouteKind.FLEET:
            if await self._teslemetry_fallback_rejected():
                return await self.async_step_reauth_teslemetry()
            return await self.async_step_reauth_fleet()
        token_rejected = await self._rejects(
            self._check_energy_site(
                entry_data[CONF_TESLEMETRY_API_TOKEN], str(entry_data[CONF_ENERGY_SITE_ID])
            )
        )
        if not token_rejected and await self._fleet_sign_in_rejected():
            return await self.async_step_reauth_fleet()
        return await self.async_step_reauth_teslemetry()

    async def async_step_reconfigure_powerwall(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """An entry without Amber: rotate the Teslemetry token or change the API addresses (no Amber token
        or site to ask for), then reload."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = self._reconfigured(entry.data, user_input, (CONF_TESLEMETRY_API_TOKEN,))
            self._data = data
            try:
                # A Fleet API entry may have no Teslemetry token; one given here becomes its fallback.
                if CONF_TESLEMETRY_API_TOKEN in data:
                    await self._check_energy_site(data[CONF_TESLEMETRY_API_TOKEN], entry.unique_id)
            except _FlowError as err:
                errors["base"] = err.error
            else:
                return self.async_update_reload_and_abort(entry, data=data)
        schema = probatio.Schema(
            {
                probatio.Optional(CONF_TESLEMETRY_API_TOKEN): _TOKEN_SELECTOR,
                **self._addresses_section(entry.data, amber=False),
            }
        )
        return self.async_show_form(
            step_id="reconfigure_powerwall",
            data_schema=schema,
            description_placeholders={"title": entry.title},
            errors=errors,
        )
