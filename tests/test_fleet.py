"""Tesla's Fleet API route: signing in through Application Credentials, the regional host, tokens refreshed
through Home Assistant's OAuth2 session, a revoked sign-in leading to reauthentication, and failover
between the routes with the clock moved on."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from aioresponses import CallbackResult
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from yarl import URL

from custom_components.tesla_amber_sync.api.routes import FLEET_TOKEN_URL
from custom_components.tesla_amber_sync.const import (
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    CONF_FLEET_BASE_URL,
    CONF_POWERWALL_ROUTE,
    CONF_TESLEMETRY_API_TOKEN,
    DOMAIN,
)

from .conftest import AMBER_TOKEN, TESLEMETRY_TOKEN
from .fake_cloud import AMBER_SITE_ID, ENERGY_SITE_ID, FLEET, FakeCloud

CLIENT_ID = "tesla-dev-app-id"
CLIENT_SECRET = "tesla-dev-app-secret"
REDIRECT = "https://example.com/auth/external/callback"
FLEET_HOST = FLEET.removesuffix("/api/1")


@pytest.fixture
async def credentials(hass: HomeAssistant) -> None:
    """The owner's Tesla developer application, added under Application Credentials."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), DOMAIN)


def _token(access: str, *, expires_in: float = 28800) -> dict[str, Any]:
    return {
        "access_token": access,
        "refresh_token": "refresh_secret",
        "token_type": "Bearer",
        "expires_in": expires_in,
        "expires_at": time.time() + expires_in,
    }


def _fleet_entry(
    *, teslemetry_fallback: bool = False, expires_in: float = 28800, route: str = "fleet"
) -> MockConfigEntry:
    data: dict[str, Any] = {
        CONF_AMBER_API_TOKEN: AMBER_TOKEN,
        CONF_AMBER_SITE_ID: AMBER_SITE_ID,
        CONF_ENERGY_SITE_ID: ENERGY_SITE_ID,
        CONF_POWERWALL_ROUTE: route,
        CONF_FLEET_BASE_URL: FLEET_HOST,
        "auth_implementation": DOMAIN,
        "token": _token("fleet_access_1", expires_in=expires_in),
    }
    if teslemetry_fallback:
        data[CONF_TESLEMETRY_API_TOKEN] = TESLEMETRY_TOKEN
    return MockConfigEntry(
        domain=DOMAIN,
        title="Home Powerwall",
        unique_id=str(ENERGY_SITE_ID),
        data=data,
        version=1,
        minor_version=2,
    )


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_fleet_flow_signs_in_and_finds_the_regional_host(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Amber, then "Tesla Fleet API": Tesla's sign-in page with the energy scopes, the code exchanged for
    tokens, the region asked, and the Powerwall read through the regional host with the access token."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "amber"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "fleet"})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    assert result["url"].startswith("https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/authorize?")
    assert f"client_id={CLIENT_ID}" in result["url"]
    assert "scope=energy_device_data+energy_cmds+offline_access" in result["url"]

    cloud.mock.post(FLEET_TOKEN_URL, payload=_token("fleet_access_1"))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"code": "abcd", "state": state}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP_DONE
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home Powerwall"
    data = result["data"]
    assert data[CONF_POWERWALL_ROUTE] == "fleet"
    assert data[CONF_FLEET_BASE_URL] == FLEET_HOST
    assert data["token"]["access_token"] == "fleet_access_1"
    assert CONF_TESLEMETRY_API_TOKEN not in data
    (region,) = cloud.requests_to("/users/region")
    assert region.headers["Authorization"] == "Bearer fleet_access_1"
    (products,) = cloud.requests_to("/products")
    assert str(products.url).startswith(FLEET_HOST)
    assert products.headers["Authorization"] == "Bearer fleet_access_1"


async def _sign_in_after_amber(hass: HomeAssistant, cloud: FakeCloud) -> Any:
    """An Amber entry's flow through Tesla's sign-in, up to what the flow does with the tokens."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "amber"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "fleet"})
    state = {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    cloud.mock.post(FLEET_TOKEN_URL, payload=_token("fleet_access_1"))
    await hass.config_entries.flow.async_configure(result["flow_id"], {"code": "abcd", "state": state})
    return await hass.config_entries.flow.async_configure(result["flow_id"])


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_fleet_flow_says_when_tesla_names_no_usable_host(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Tesla answers the region question with a region nobody knows and no host: the flow stops saying so,
    not that Tesla could not be reached, and no Powerwall is asked for."""
    cloud.region_reply = {"response": {"region": "mars"}}
    result = await _sign_in_after_amber(hass, cloud)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "fleet_region_unknown"
    assert cloud.requests_to("/products") == []


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_fleet_flow_aborts_when_tesla_refuses(hass: HomeAssistant, cloud: FakeCloud) -> None:
    cloud.fail("/users/region", 401)
    result = await _sign_in_after_amber(hass, cloud)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "fleet_invalid_auth"


@pytest.mark.usefixtures("credentials")
async def test_an_expired_token_is_refreshed_mid_cycle(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """The access token expires between two polls: Home Assistant refreshes it, the next read carries the
    new one, and the entry stores it."""
    entry = _fleet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert cloud.requests_to("/live_status")[-1].headers["Authorization"] == "Bearer fleet_access_1"

    cloud.mock.post(FLEET_TOKEN_URL, payload=_token("fleet_access_2"))
    # The access token's hour runs out between two polls.
    expired = {**entry.data["token"], "expires_at": time.time() - 1}
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": expired})
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert cloud.requests_to("/live_status")[-1].headers["Authorization"] == "Bearer fleet_access_2"
    assert entry.data["token"]["access_token"] == "fleet_access_2"
    assert hass.states.get("sensor.home_powerwall_powerwall_route").state == "fleet"


@pytest.mark.usefixtures("credentials")
async def test_a_revoked_sign_in_starts_reauthentication(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    entry = _fleet_entry(expires_in=0)
    entry.add_to_hass(hass)
    cloud.mock.post(FLEET_TOKEN_URL, status=401, payload={"error": "login_required"})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert flow["step_id"] == "reauth_fleet"
    assert not cloud.requests_to("/live_status")


TESLEMETRY_HOST = "https://api.teslemetry.com"
HOSTS = {"fleet": FLEET_HOST, "teslemetry": TESLEMETRY_HOST}


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(("primary", "fallback"), [("fleet", "teslemetry"), ("teslemetry", "fleet")])
async def test_fallback_takes_over_while_the_primary_is_down_and_each_write_goes_once(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory, primary: str, fallback: str
) -> None:
    """A Fleet API entry with Teslemetry as fallback, and a Teslemetry entry with Fleet as fallback: while
    the primary is down, reads and the route sensor move to the fallback and a battery command's writes go
    out exactly once each, on the fallback only; once the primary answers again, reads return to it."""
    entry = _fleet_entry(teslemetry_fallback=True, route=primary)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    route = "sensor.home_powerwall_powerwall_route"
    assert hass.states.get(route).state == primary
    assert cloud.requests_to("/live_status")[-1].url.host == URL(HOSTS[primary]).host

    cloud.fail("/live_status", 503, times=1)
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    failed, retried = cloud.requests_to("/live_status")[-2:]
    assert str(failed.url).startswith(HOSTS[primary])
    assert str(retried.url).startswith(HOSTS[fallback])
    expected_auth = f"Bearer {TESLEMETRY_TOKEN}" if fallback == "teslemetry" else "Bearer fleet_access_1"
    assert retried.headers["Authorization"] == expected_auth
    assert hass.states.get(route).state == fallback
    assert hass.states.get("sensor.home_powerwall_battery_level").state != "unavailable"

    writes_before = len(cloud.requests_to("", method="POST"))
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.home_powerwall_charge_for_an_hour"}, blocking=True
    )
    await hass.async_block_till_done()
    writes = cloud.requests_to("", method="POST")[writes_before:]
    # Each write once (no resend on the other route), every one on the fallback.
    paths = [r.path.rsplit("/", 1)[-1] for r in writes]
    assert "backup" in paths
    assert len(paths) == len(set(paths)), paths
    assert all(str(r.url).startswith(HOSTS[fallback]) for r in writes), [str(r.url) for r in writes]
    (backup,) = (r for r in writes if r.path.endswith("/backup"))
    assert backup.json == {"backup_reserve_percent": 100}
    assert cloud.site_info["backup_reserve_percent"] == 100

    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(route).state == primary
    assert str(cloud.requests_to("/live_status")[-1].url).startswith(HOSTS[primary])


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_signing_in_again_updates_and_reloads_the_entry(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Tesla refused the refresh: the owner signs in again; the entry keeps its Powerwall, stores the new
    tokens and is reloaded, and the Powerwall is read with the new access token."""
    entry = _fleet_entry(expires_in=0)
    entry.add_to_hass(hass)
    cloud.mock.post(FLEET_TOKEN_URL, status=401, payload={"error": "login_required"})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_fleet"

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert f"client_id={CLIENT_ID}" in result["url"]
    state = {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    cloud.mock.post(FLEET_TOKEN_URL, payload=_token("fleet_access_2"))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"code": "abcd", "state": state}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP_DONE
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"]["access_token"] == "fleet_access_2"
    assert entry.data[CONF_ENERGY_SITE_ID] == ENERGY_SITE_ID
    assert entry.data[CONF_FLEET_BASE_URL] == FLEET_HOST
    assert entry.state is ConfigEntryState.LOADED
    (region,) = cloud.requests_to("/users/region")
    assert region.headers["Authorization"] == "Bearer fleet_access_2"
    assert cloud.requests_to("/live_status")[-1].headers["Authorization"] == "Bearer fleet_access_2"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.usefixtures("credentials")
async def test_errors_name_the_fleet_api_when_it_is_the_route(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A Fleet API entry's failed read says Tesla's Fleet API failed, not Teslemetry."""
    entry = _fleet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    cloud.fail("/live_status", 503)
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    error = entry.runtime_data.live_status.last_exception
    assert error is not None
    assert error.translation_key == "service_unavailable"  # type: ignore[attr-defined]
    assert error.translation_placeholders["service"] == "Tesla Fleet API"  # type: ignore[attr-defined]
    assert hass.states.get("sensor.home_powerwall_battery_level").state == "unavailable"


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_the_api_addresses_point_sign_in_and_region_at_a_simulator(
    hass: HomeAssistant, cloud: FakeCloud
) -> None:
    """With the sign-in server's and Fleet API's addresses set (say to the simulator), Tesla's sign-in page
    is not used: the owner signs in there, the code is exchanged there, and an http regional host on that
    same host is accepted and stored."""
    local = "http://127.0.0.1:8099"
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "amber"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_AMBER_API_TOKEN: AMBER_TOKEN,
            "api_addresses": {"fleet_region_url": f"{local}/fleet", "fleet_auth_url": f"{local}/oauth2/v3/"},
        },
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "fleet"})
    assert result["url"].startswith(f"{local}/oauth2/v3/authorize?")
    assert f"client_id={CLIENT_ID}" in result["url"]
    cloud.mock.post(f"{local}/oauth2/v3/token", payload=_token("local_access"))
    cloud.mock.get(
        f"{local}/fleet/api/1/users/region",
        payload={"response": {"region": "na", "fleet_api_base_url": f"{local}/fleet"}},
    )
    cloud.mock.get(f"{local}/fleet/api/1/products", payload=cloud.products)
    state = {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    await hass.config_entries.flow.async_configure(result["flow_id"], {"code": "abcd", "state": state})
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_FLEET_BASE_URL] == f"{local}/fleet"
    assert result["data"]["fleet_auth_url"] == f"{local}/oauth2/v3"
    assert result["data"]["token"]["access_token"] == "local_access"
    # Tesla's own sign-in server was never asked.
    assert not [key for key in cloud.mock.requests if str(key[1]).startswith(FLEET_TOKEN_URL)]


def _teslemetry_entry() -> MockConfigEntry:
    """An entry added through Teslemetry, as the config flow makes it (no route key: Teslemetry)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Home Powerwall",
        unique_id=str(ENERGY_SITE_ID),
        data={
            CONF_AMBER_API_TOKEN: AMBER_TOKEN,
            CONF_AMBER_SITE_ID: AMBER_SITE_ID,
            CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN,
            CONF_ENERGY_SITE_ID: ENERGY_SITE_ID,
        },
        version=1,
        minor_version=2,
    )


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def _sign_in(hass: HomeAssistant, cloud: FakeCloud, result: Any, access_token: str) -> Any:
    """Tesla's sign-in page, as the owner's browser completes it: the code comes back and is exchanged."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"].startswith("https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/authorize?")
    assert f"client_id={CLIENT_ID}" in result["url"]
    assert "scope=energy_device_data+energy_cmds+offline_access" in result["url"]
    cloud.mock.post(FLEET_TOKEN_URL, payload=_token(access_token))
    state = {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"code": "abcd", "state": state}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP_DONE
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 31) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_a_teslemetry_entry_signs_in_to_the_fleet_api_as_its_second_route(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """Reconfigure → "Sign in to Tesla Fleet API as a second route": Tesla's sign-in, the regional host
    found, this Powerwall checked there; the entry keeps Teslemetry first, and once reloaded a Teslemetry
    outage moves reads and writes to the Fleet API host with the new access token."""
    entry = _teslemetry_entry()
    await _set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["reconfigure_tokens", "reconfigure_fleet"]
    assert result["description_placeholders"] == {"title": "Home Powerwall"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_fleet"}
    )
    cloud.requests.clear()
    result = await _sign_in(hass, cloud, result, "fleet_access_1")
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["token"]["access_token"] == "fleet_access_1"
    assert entry.data["auth_implementation"] == DOMAIN
    assert entry.data[CONF_FLEET_BASE_URL] == FLEET_HOST
    # Teslemetry stays the first route, with its token.
    assert entry.data.get(CONF_POWERWALL_ROUTE, "teslemetry") == "teslemetry"
    assert entry.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN
    assert entry.unique_id == str(ENERGY_SITE_ID)
    # The sign-in was checked against this Powerwall on the regional host.
    (region,) = cloud.requests_to("/users/region")
    assert region.headers["Authorization"] == "Bearer fleet_access_1"
    checked = [r for r in cloud.requests_to("/products") + cloud.requests_to("/site_info") if r.url.host]
    assert any(str(r.url).startswith(FLEET_HOST) for r in checked)
    assert entry.state is ConfigEntryState.LOADED
    route = "sensor.home_powerwall_powerwall_route"
    assert hass.states.get(route).state == "teslemetry"
    assert str(cloud.requests_to("/live_status")[-1].url).startswith(TESLEMETRY_HOST)

    cloud.fail("/live_status", 503)
    await _poll(hass, freezer)
    failed, retried = cloud.requests_to("/live_status")[-2:]
    assert str(failed.url).startswith(TESLEMETRY_HOST)
    assert str(retried.url).startswith(FLEET_HOST)
    assert retried.headers["Authorization"] == "Bearer fleet_access_1"
    assert hass.states.get(route).state == "fleet"

    writes_before = len(cloud.requests_to("", method="POST"))
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.home_powerwall_charge_for_an_hour"}, blocking=True
    )
    writes = cloud.requests_to("", method="POST")[writes_before:]
    assert writes
    assert all(str(r.url).startswith(FLEET_HOST) for r in writes), [str(r.url) for r in writes]
    assert cloud.site_info["backup_reserve_percent"] == 100


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_signing_in_to_another_tesla_account_adds_no_second_route(
    hass: HomeAssistant, cloud: FakeCloud
) -> None:
    """A Tesla account without this Powerwall is refused; the entry is left as it was."""
    entry = _teslemetry_entry()
    await _set_up(hass, entry)
    data_before = dict(entry.data)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_fleet"}
    )
    cloud.products["response"] = [
        {"energy_site_id": 999, "resource_type": "battery", "components": {"battery": True}}
    ]
    result = await _sign_in(hass, cloud, result, "other_account_access")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "energy_site_missing"
    assert dict(entry.data) == data_before
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("current_request_with_host")
async def test_without_a_developer_application_the_second_route_says_what_is_missing(
    hass: HomeAssistant, cloud: FakeCloud
) -> None:
    """No Application Credentials yet: the sign-in stops with the translated reason to add them."""
    assert await async_setup_component(hass, "application_credentials", {})
    entry = _teslemetry_entry()
    await _set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_fleet"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"
    assert "token" not in entry.data


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(("before", "after"), [("teslemetry", "fleet"), ("fleet", "teslemetry")])
async def test_an_entry_with_both_routes_chooses_which_comes_first(
    hass: HomeAssistant, cloud: FakeCloud, before: str, after: str
) -> None:
    """The menu offers the choice only to an entry with both routes; the current one is preselected, and
    after the reload the Powerwall is read through the chosen one first."""
    entry = _fleet_entry(teslemetry_fallback=True, route=before)
    await _set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["menu_options"] == ["reconfigure_tokens", "reconfigure_primary_route"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_primary_route"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_primary_route"
    (key,) = result["data_schema"].schema
    assert key.default() == before
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_POWERWALL_ROUTE: after})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_POWERWALL_ROUTE] == after
    assert entry.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN
    assert entry.data["token"]["access_token"] == "fleet_access_1"
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.home_powerwall_powerwall_route").state == after
    assert str(cloud.requests_to("/live_status")[-1].url).startswith(HOSTS[after])


@pytest.mark.usefixtures("credentials")
async def test_a_fleet_entry_adds_a_teslemetry_token_as_its_second_route(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A Fleet API entry has nothing to choose: Reconfigure opens the tokens form, where a Teslemetry token
    is checked against this Powerwall and kept as the fallback, with the Fleet API still first."""
    entry = _fleet_entry()
    await _set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_tokens"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN
    assert entry.data[CONF_POWERWALL_ROUTE] == "fleet"
    assert str(cloud.requests_to("/live_status")[-1].url).startswith(FLEET_HOST)
    cloud.fail("/live_status", 503)
    await _poll(hass, freezer)
    assert str(cloud.requests_to("/live_status")[-1].url).startswith(TESLEMETRY_HOST)
    assert hass.states.get("sensor.home_powerwall_powerwall_route").state == "teslemetry"


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_a_revoked_fleet_fallback_asks_to_sign_in_again_and_keeps_teslemetry_first(
    hass: HomeAssistant, cloud: FakeCloud, freezer: FrozenDateTimeFactory
) -> None:
    """A Teslemetry entry whose Fleet API fallback's refresh token Tesla revoked: nothing shows until
    Teslemetry has an outage and the fallback is needed. Then the reauthentication asks to sign in to Tesla
    (not for the Teslemetry token that still works); signed in again, the entry keeps Teslemetry first and
    falls back with the new access token."""
    entry = _fleet_entry(teslemetry_fallback=True, route="teslemetry", expires_in=0)
    await _set_up(hass, entry)

    def token_endpoint(url: URL, **kwargs: Any) -> CallbackResult:
        if kwargs["data"]["grant_type"] == "refresh_token":
            return CallbackResult(status=401, reason="Unauthorized", payload={"error": "login_required"})
        return CallbackResult(payload=_token("fleet_access_2"))

    cloud.mock.post(FLEET_TOKEN_URL, callback=token_endpoint, repeat=True)
    cloud.fail("/live_status", 503)
    await _poll(hass, freezer)
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert flow["step_id"] == "reauth_fleet"

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"code": "abcd", "state": state}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"]["access_token"] == "fleet_access_2"
    assert entry.data[CONF_POWERWALL_ROUTE] == "teslemetry"
    assert entry.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN
    assert entry.state is ConfigEntryState.LOADED
    assert str(cloud.requests_to("/live_status")[-1].url).startswith(TESLEMETRY_HOST)

    cloud.fail("/live_status", 503)
    await _poll(hass, freezer)
    retried = cloud.requests_to("/live_status")[-1]
    assert str(retried.url).startswith(FLEET_HOST)
    assert retried.headers["Authorization"] == "Bearer fleet_access_2"


@pytest.mark.parametrize(
    ("route", "revoked", "step"),
    [
        # A Fleet API entry whose Teslemetry fallback token was revoked: that token is asked for.
        ("fleet", TESLEMETRY_TOKEN, "reauth_teslemetry"),
        # Its own sign-in revoked (the fallback token still fine): sign in again.
        ("fleet", "fleet_access_1", "reauth_fleet"),
        # A Teslemetry entry: its own token revoked is asked for, whatever the fallback.
        ("teslemetry", TESLEMETRY_TOKEN, "reauth_teslemetry"),
        ("teslemetry", "fleet_access_1", "reauth_fleet"),
    ],
)
@pytest.mark.usefixtures("credentials")
async def test_reauth_of_an_entry_with_both_routes_names_the_rejected_one(
    hass: HomeAssistant, cloud: FakeCloud, route: str, revoked: str, step: str
) -> None:
    entry = _fleet_entry(teslemetry_fallback=True, route=route)
    entry.add_to_hass(hass)
    cloud.revoked_tokens.add(revoked)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == step


async def test_a_fleet_fallback_whose_developer_application_is_gone_asks_to_sign_in_again(
    hass: HomeAssistant, cloud: FakeCloud
) -> None:
    """The application credentials were removed: the fallback needs a new sign-in, which says to add them."""
    assert await async_setup_component(hass, "application_credentials", {})
    entry = _fleet_entry(teslemetry_fallback=True, route="teslemetry")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_fleet"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"
