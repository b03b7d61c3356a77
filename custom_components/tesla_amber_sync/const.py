"""Constants shared by the Home Assistant side of Tesla Sync."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "tesla_amber_sync"
LOGGER = logging.getLogger(__package__)

# Config entry data keys: the public contract of the config flow (keep them).
CONF_AMBER_API_TOKEN: Final = "amber_api_token"
CONF_AMBER_SITE_ID: Final = "amber_site_id"
CONF_TESLEMETRY_API_TOKEN: Final = "teslemetry_api_token"
CONF_ENERGY_SITE_ID: Final = "energy_site_id"
# How the Powerwall is reached: "teslemetry" (absent in entries made before the Fleet API) or "fleet".
CONF_POWERWALL_ROUTE: Final = "powerwall_route"
# A Fleet API entry also holds Home Assistant's OAuth2 data ("auth_implementation", "token") and the
# account's regional Fleet API host.
CONF_FLEET_BASE_URL: Final = "fleet_base_url"
# Advanced (shown in advanced mode only): where each API lives, e.g. a local simulator.
CONF_AMBER_BASE_URL: Final = "amber_base_url"
CONF_TESLEMETRY_BASE_URL: Final = "teslemetry_base_url"
CONF_AEMO_BASE_URL: Final = "aemo_base_url"
# Where to ask which regional host serves a Fleet API account.
CONF_FLEET_REGION_URL: Final = "fleet_region_url"
# Where Tesla's OAuth2 server (sign-in and tokens) lives.
CONF_FLEET_AUTH_URL: Final = "fleet_auth_url"

# Amber publishes a new 5-minute price every 5 minutes; asking more often returns the same data.
AMBER_UPDATE_INTERVAL: Final = timedelta(minutes=5)
LIVE_STATUS_UPDATE_INTERVAL: Final = timedelta(seconds=30)
SITE_INFO_UPDATE_INTERVAL: Final = timedelta(minutes=5)
# AEMO dispatches every 5 minutes; a minute keeps a new price at most a minute old without hammering it.
AEMO_UPDATE_INTERVAL: Final = timedelta(minutes=1)
# Teslemetry allows calendar history at most every 5 minutes.
ENERGY_HISTORY_UPDATE_INTERVAL: Final = timedelta(minutes=5)

# How much Amber forecast each refresh asks for (converted to intervals of the site's billing length): a day
# ahead for the rolling tariff. 25, not 24: on the day clocks go back, tomorrow's same wall-clock slot can be
# 25 hours away. How much history it asks for (a day and an hour, more around a clock change) is
# `tariff.wall_clock.history_hours`.
AMBER_HOURS_AHEAD: Final = 25
