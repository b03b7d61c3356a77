"""Config flow: Amber token -> Amber site -> Teslemetry token -> Powerwall site; and reauthentication."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
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
)
import probatio

from .api.aemo import AEMO_SUMMARY_URL
from .api.amber import AMBER_BASE_URL, AmberClient
from .api.errors import ApiError, AuthenticationError
from .api.models import AmberSite, EnergySiteProduct, SiteStatus
from .api.teslemetry import TESLEMETRY_BASE_URL, TeslemetryClient
from .const import (
    CONF_AEMO_BASE_URL,
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_BASE_URL,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    CONF_TESLEMETRY_API_TOKEN,
    CONF_TESLEMETRY_BASE_URL,
    DOMAIN,
    LOGGER,
)
from .control.regions import NEM_REGIONS, region_for_nmi
from .control.spike import SpikeSettingsField, spike_settings_problem
from .options import (
    OPT_AEMO_REGION,
    OPT_CURTAILMENT_THRESHOLD,
    OPT_SOLAR_CURTAILMENT,
    OPT_SPIKE_DETECTION,
    OPT_SPIKE_EXIT_THRESHOLD,
    OPT_SPIKE_MIN_HOLD,
    OPT_SPIKE_THRESHOLD,
    TeslaSyncOptions,
    entry_options,
)

_TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECTION_API_ADDRESSES = "api_addresses"
# The API address fields and their public defaults; a simulator or proxy can stand in for each API.
ADVANCED_URLS: dict[str, str] = {
    CONF_AMBER_BASE_URL: AMBER_BASE_URL,
    CONF_TESLEMETRY_BASE_URL: TESLEMETRY_BASE_URL,
    CONF_AEMO_BASE_URL: AEMO_SUMMARY_URL,
}


class _FlowError(Exception):
    """A validation failure, carrying the translated error key for the form."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _error_key(err: ApiError) -> str:
    return "invalid_auth" if isinstance(err, AuthenticationError) else "cannot_connect"


def _number(minimum: float, maximum: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


# What an owner could mean by a spike or a curtailment threshold; beyond these it is a typo.
_MAX_SPIKE_PRICE = 20000.0
_MAX_FEED_IN_CENTS = 100.0


class TeslaSyncOptionsFlow(OptionsFlowWithReload):
    """Spike response and export curtailment settings."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form; the values are checked together, so the machines can never flap."""
        current = entry_options(self.config_entry, default_region=_default_region(self.config_entry))
        errors: dict[str, str] = {}
        if user_input is not None:
            problem = spike_settings_problem(
                threshold=float(user_input[OPT_SPIKE_THRESHOLD]),
                exit_threshold=float(user_input[OPT_SPIKE_EXIT_THRESHOLD]),
                min_hold=timedelta(minutes=float(user_input[OPT_SPIKE_MIN_HOLD])),
            )
            if problem is not None:
                errors[_SPIKE_FIELDS[problem]] = f"invalid_{problem.value}"
            else:
                options = TeslaSyncOptions.from_mapping(user_input, default_region=current.aemo_region)
                return self.async_create_entry(data=options.as_mapping())
        values = current.as_mapping() if user_input is None else {**current.as_mapping(), **user_input}
        schema = probatio.Schema(
            {
                probatio.Required(OPT_AEMO_REGION): SelectSelector(
                    SelectSelectorConfig(
                        options=[region.lower() for region in NEM_REGIONS],
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key="region",
                    )
                ),
                probatio.Required(OPT_SPIKE_DETECTION): BooleanSelector(),
                probatio.Required(OPT_SPIKE_THRESHOLD): _number(1, _MAX_SPIKE_PRICE, 1, "$/MWh"),
                probatio.Required(OPT_SPIKE_EXIT_THRESHOLD): _number(
                    -_MAX_SPIKE_PRICE, _MAX_SPIKE_PRICE, 1, "$/MWh"
                ),
                probatio.Required(OPT_SPIKE_MIN_HOLD): _number(1, 240, 1, "min"),
                probatio.Required(OPT_SOLAR_CURTAILMENT): BooleanSelector(),
                probatio.Required(OPT_CURTAILMENT_THRESHOLD): _number(
                    -_MAX_FEED_IN_CENTS, _MAX_FEED_IN_CENTS, 0.1, "c/kWh"
                ),
            }
        )
        return self.async_show_form(
            step_id="init", data_schema=self.add_suggested_values_to_schema(schema, values), errors=errors
        )


_SPIKE_FIELDS: dict[SpikeSettingsField, str] = {
    SpikeSettingsField.THRESHOLD: OPT_SPIKE_THRESHOLD,
    SpikeSettingsField.EXIT_THRESHOLD: OPT_SPIKE_EXIT_THRESHOLD,
    SpikeSettingsField.MIN_HOLD: OPT_SPIKE_MIN_HOLD,
}


def _default_region(entry: ConfigEntry[Any]) -> str | None:
    """The region the Amber site's NMI names, when the entry is loaded."""
    runtime = getattr(entry, "runtime_data", None)
    return region_for_nmi(runtime.prices.data.site.nmi) if runtime is not None else None


class TeslaSyncConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one Powerwall with the Amber site that prices it."""

    VERSION = 1
    # 2: the AEMO region option is stored in lower case (nsw1), as its translation key.
    MINOR_VERSION = 2

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> TeslaSyncOptionsFlow:
        """Spike and curtailment options."""
        return TeslaSyncOptionsFlow()

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._data: dict[str, Any] = {}
        self._amber_sites: tuple[AmberSite, ...] = ()
        self._energy_sites: tuple[EnergySiteProduct, ...] = ()
        self._reauth_keys: tuple[str, ...] = ()

    def _base_url(self, key: str, default: str) -> str:
        """The API address chosen in advanced mode, or the public one."""
        source = self._data if self.source != SOURCE_REAUTH else self._get_reauth_entry().data
        return str(source.get(key) or default)

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
            raise _FlowError(_error_key(err)) from err
        if not sites:
            raise _FlowError("no_sites")
        return sites

    async def _energy_sites_for(self, token: str) -> tuple[EnergySiteProduct, ...]:
        client = TeslemetryClient(
            async_get_clientsession(self.hass),
            token,
            base_url=self._base_url(CONF_TESLEMETRY_BASE_URL, TESLEMETRY_BASE_URL),
        )
        try:
            products = await client.get_energy_sites()
        except ApiError as err:
            LOGGER.debug("Teslemetry token check failed: %s", err)
            raise _FlowError(_error_key(err)) from err
        batteries = tuple(product for product in products if product.has_battery)
        if not batteries:
            raise _FlowError("no_energy_sites")
        return batteries

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the Amber token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            addresses = user_input.get(SECTION_API_ADDRESSES) or {}
            for key, default in ADVANCED_URLS.items():
                # Only a changed address is stored, so entries follow the public default if it moves.
                url = str(addresses.get(key) or default).rstrip("/")
                if url != default:
                    self._data[key] = url
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
        # The API addresses sit in a collapsed section: only someone pointing the entry at a simulator or a
        # proxy opens it (Home Assistant retired the "advanced mode" flag for flows in favour of sections).
        addresses = probatio.Schema(
            {
                probatio.Optional(key, default=self._data.get(key, default)): _URL_SELECTOR
                for key, default in ADVANCED_URLS.items()
            }
        )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_AMBER_API_TOKEN): _TOKEN_SELECTOR,
                probatio.Optional(SECTION_API_ADDRESSES): section(addresses, {"collapsed": True}),
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_amber_site(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the Amber site, showing each NMI and status."""
        if user_input is not None:
            self._data[CONF_AMBER_SITE_ID] = user_input[CONF_AMBER_SITE_ID]
            return await self.async_step_teslemetry()
        first_active = next(
            (site for site in self._amber_sites if site.status is SiteStatus.ACTIVE), self._amber_sites[0]
        )
        options = [
            SelectOptionDict(value=site.id, label=f"{site.nmi} ({site.status.value})")
            for site in self._amber_sites
        ]
        return self.async_show_form(
            step_id="amber_site",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_AMBER_SITE_ID, default=first_active.id): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

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
        """Find which token was rejected, then ask for that one only."""
        failing: list[str] = []
        for key, check in (
            (CONF_AMBER_API_TOKEN, self._amber_sites_for),
            (CONF_TESLEMETRY_API_TOKEN, self._energy_sites_for),
        ):
            try:
                await check(entry_data[key])
            except _FlowError as err:
                if err.error == "invalid_auth":
                    failing.append(key)
        # When neither check is conclusive (say the network is down), let the owner replace both.
        self._reauth_keys = tuple(failing) or (CONF_AMBER_API_TOKEN, CONF_TESLEMETRY_API_TOKEN)
        return await self.async_step_reauth_confirm()

    async def _check_new_tokens(self, user_input: dict[str, Any], *, energy_site_id: str | None) -> None:
        if CONF_AMBER_API_TOKEN in user_input:
            await self._amber_sites_for(user_input[CONF_AMBER_API_TOKEN])
        if CONF_TESLEMETRY_API_TOKEN in user_input:
            energy_sites = await self._energy_sites_for(user_input[CONF_TESLEMETRY_API_TOKEN])
            # A token for another Tesla account would leave this entry without its Powerwall.
            if energy_site_id not in {str(site.energy_site_id) for site in energy_sites}:
                raise _FlowError("energy_site_missing")

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
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
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {probatio.Required(key): _TOKEN_SELECTOR for key in self._reauth_keys}
            ),
            description_placeholders={"title": entry.title},
            errors=errors,
        )
