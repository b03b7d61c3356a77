"""The config flow and reauthentication, with HTTP mocked at the boundary."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_amber_sync.const import (
    CONF_AMBER_API_TOKEN,
    CONF_AMBER_SITE_ID,
    CONF_ENERGY_SITE_ID,
    CONF_TESLEMETRY_API_TOKEN,
    DOMAIN,
)

from .conftest import AMBER_TOKEN, TESLEMETRY_TOKEN
from .fake_cloud import AMBER_SITE_ID, ENERGY_SITE_ID, FakeCloud, load_fixture

pytestmark = pytest.mark.usefixtures("cloud")


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep the flow tests to the flow: setting the entry up is tested elsewhere."""
    with patch("custom_components.tesla_amber_sync.async_setup_entry", return_value=True) as mock:
        yield mock


async def _choose(hass: HomeAssistant, result: Any, route: str = "teslemetry") -> Any:
    """Answer the route menu that follows the Amber site."""
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "powerwall_route"
    assert result["menu_options"] == ["teslemetry", "fleet"]
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": route})


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    """Open the flow and choose Amber Electric in its first menu."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["amber", "own_schedule"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "amber"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "amber"
    return dict(result)


async def test_full_flow_skips_single_choices(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """One active Amber site and one Powerwall: two forms, then an entry named after the Powerwall."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    result = await _choose(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "teslemetry"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home Powerwall"
    assert result["result"].unique_id == str(ENERGY_SITE_ID)
    assert result["data"] == {
        CONF_AMBER_API_TOKEN: AMBER_TOKEN,
        CONF_AMBER_SITE_ID: AMBER_SITE_ID,
        CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN,
        CONF_ENERGY_SITE_ID: ENERGY_SITE_ID,
    }
    # The tokens went to the right services.
    (sites_request,) = cloud.requests_to("/v1/sites")
    assert sites_request.headers["Authorization"] == f"Bearer {AMBER_TOKEN}"
    (products_request,) = cloud.requests_to("/products")
    assert products_request.headers["Authorization"] == f"Bearer {TESLEMETRY_TOKEN}"


async def test_flow_asks_for_sites_when_there_is_a_choice(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Two active Amber sites and two Powerwalls: both choices are shown, first active preselected."""
    cloud.amber_sites[1]["status"] = "active"
    cloud.amber_sites.insert(0, {**cloud.amber_sites[1], "id": "01HPENDING", "status": "pending"})
    cloud.products["response"].append(
        {
            "energy_site_id": 555,
            "resource_type": "battery",
            "site_name": "Holiday house",
            "components": {"battery": True},
        }
    )
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    assert result["step_id"] == "amber_site"
    schema = result["data_schema"].schema
    (site_key,) = schema
    assert site_key.default() == AMBER_SITE_ID
    labels = [option["label"] for option in schema[site_key].config["options"]]
    assert labels == ["4102000002 (pending)", "4102000001 (active)", "4102000002 (active)"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_SITE_ID: "01HAMBERSITECLOSED0000000"}
    )
    result = await _choose(hass, result)
    assert result["step_id"] == "teslemetry"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN}
    )
    assert result["step_id"] == "energy_site"
    options = result["data_schema"].schema[CONF_ENERGY_SITE_ID].config["options"]
    assert [option["value"] for option in options] == [str(ENERGY_SITE_ID), "555"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_ENERGY_SITE_ID: "555"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Holiday house"
    assert result["data"][CONF_AMBER_SITE_ID] == "01HAMBERSITECLOSED0000000"
    assert result["data"][CONF_ENERGY_SITE_ID] == 555


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (401, None, "amber_invalid_auth"),
        (500, None, "amber_cannot_connect"),
        (200, [], "no_sites"),
    ],
)
async def test_amber_token_errors(
    hass: HomeAssistant, cloud: FakeCloud, status: int, payload: Any, error: str
) -> None:
    """A bad Amber token, an outage and an empty account each show their error, then recover."""
    if status != 200:
        cloud.fail("/v1/sites", status)
    else:
        cloud.amber_sites = payload
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: "psk_x"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    # What the owner reads names the service it is about.
    assert "Amber" in await _flow_text(hass, f"error.{error}")
    cloud.amber_sites = load_fixture("amber_sites.json")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    result = await _choose(hass, result)
    assert result["step_id"] == "teslemetry"


@pytest.mark.parametrize(
    ("status", "batteries", "error"),
    [
        (403, True, "teslemetry_invalid_auth"),
        (503, True, "teslemetry_cannot_connect"),
        (200, False, "no_energy_sites"),
    ],
)
async def test_teslemetry_token_errors(
    hass: HomeAssistant, cloud: FakeCloud, status: int, batteries: bool, error: str
) -> None:
    """A bad Teslemetry token, an outage, or no battery site each show their error."""
    if status != 200:
        cloud.fail("/products", status)
    if not batteries:
        cloud.products["response"] = [
            p for p in cloud.products["response"] if p.get("resource_type") != "battery"
        ]
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    result = await _choose(hass, result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: "bad"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "teslemetry"
    assert result["errors"] == {"base": error}
    assert "Teslemetry" in await _flow_text(hass, f"error.{error}")


async def test_second_entry_for_same_powerwall_aborts(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """One entry per Powerwall."""
    config_entry.add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AMBER_API_TOKEN: AMBER_TOKEN}
    )
    result = await _choose(hass, result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def _flow_text(hass: HomeAssistant, key: str, **placeholders: str) -> str:
    """What the owner reads for a config flow string, with its placeholders filled in."""
    translations = await async_get_translations(hass, "en", "config", [DOMAIN])
    return translations[f"component.{DOMAIN}.config.{key}"].format(**placeholders)


@pytest.mark.parametrize(
    ("failing_path", "step", "asked_for", "new_token", "service"),
    [
        ("/v1/sites", "reauth_amber", CONF_AMBER_API_TOKEN, "psk_new_amber", "Amber Electric"),
        ("/products", "reauth_teslemetry", CONF_TESLEMETRY_API_TOKEN, "new_teslemetry", "Teslemetry"),
        # Only the Powerwall's settings rejected the token: still Teslemetry's token alone is asked for.
        ("/site_info", "reauth_teslemetry", CONF_TESLEMETRY_API_TOKEN, "new_teslemetry", "Teslemetry"),
    ],
)
async def test_reauth_asks_only_for_the_failing_token(
    hass: HomeAssistant,
    cloud: FakeCloud,
    config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
    failing_path: str,
    step: str,
    asked_for: str,
    new_token: str,
    service: str,
) -> None:
    """Reauth checks both tokens, names the service that rejected one, asks for that one only, updates
    the entry and reloads it."""
    config_entry.add_to_hass(hass)
    cloud.fail(failing_path, 401)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == step
    assert list(result["data_schema"].schema) == [asked_for]
    description = await _flow_text(hass, f"step.{step}.description", **result["description_placeholders"])
    assert description.startswith(f"{service} rejected the")
    assert "Home Powerwall" in description
    cloud.fail(failing_path, 401)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {asked_for: "still_bad"})
    error = result["errors"]["base"]
    assert error.endswith("_invalid_auth")
    assert (await _flow_text(hass, f"error.{error}")).startswith(f"{service} rejected the")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {asked_for: new_token})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[asked_for] == new_token
    await hass.async_block_till_done()
    # The entry was reloaded with the new token.
    assert mock_setup_entry.await_count == 1


async def test_reauth_inconclusive_asks_for_both(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """When neither service answers, the owner may replace both tokens."""
    config_entry.add_to_hass(hass)
    cloud.fail("/v1/sites", 503)
    cloud.fail("/products", 503)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == [CONF_AMBER_API_TOKEN, CONF_TESLEMETRY_API_TOKEN]


async def test_reauth_when_both_tokens_are_rejected_asks_for_both(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """Both services rejected their tokens: both are asked for, and the text names both."""
    config_entry.add_to_hass(hass)
    cloud.fail("/v1/sites", 401)
    cloud.fail("/products", 401)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == [CONF_AMBER_API_TOKEN, CONF_TESLEMETRY_API_TOKEN]
    description = await _flow_text(hass, "step.reauth_confirm.description", title="Home Powerwall")
    assert "Amber Electric and Teslemetry" in description


async def test_reauth_rejects_a_token_without_the_powerwall(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry
) -> None:
    """A Teslemetry token for another account cannot replace this entry's."""
    config_entry.add_to_hass(hass)
    cloud.fail("/products", 401)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_teslemetry"
    cloud.products["response"] = [
        {"energy_site_id": 999, "resource_type": "battery", "components": {"battery": True}}
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: "other_account"}
    )
    assert result["errors"] == {"base": "energy_site_missing"}
    assert config_entry.data[CONF_TESLEMETRY_API_TOKEN] == TESLEMETRY_TOKEN


async def test_api_addresses_point_every_api_elsewhere(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """The collapsed API addresses section points the entry at a simulator; the flow itself uses them too."""
    result = await _start(hass)
    schema = result["data_schema"].schema
    assert [str(key) for key in schema] == [CONF_AMBER_API_TOKEN, "api_addresses"]
    (addresses,) = [value for key, value in schema.items() if str(key) == "api_addresses"]
    assert addresses.options == {"collapsed": True}
    assert [str(key) for key in addresses.schema.schema] == [
        "amber_base_url",
        "teslemetry_base_url",
        "aemo_base_url",
        "fleet_region_url",
        "fleet_auth_url",
    ]
    cloud.mock.get("http://127.0.0.1:8080/amber/sites", payload=load_fixture("amber_sites.json"))
    cloud.mock.get(
        "http://127.0.0.1:8080/teslemetry/api/1/products", payload=load_fixture("teslemetry_products.json")
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_AMBER_API_TOKEN: AMBER_TOKEN,
            "api_addresses": {
                "amber_base_url": "http://127.0.0.1:8080/amber/",
                "teslemetry_base_url": "http://127.0.0.1:8080/teslemetry",
                "aemo_base_url": "http://127.0.0.1:8080/aemo/summary",
            },
        },
    )
    result = await _choose(hass, result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TESLEMETRY_API_TOKEN: TESLEMETRY_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["amber_base_url"] == "http://127.0.0.1:8080/amber"
    assert result["data"]["teslemetry_base_url"] == "http://127.0.0.1:8080/teslemetry"
    assert result["data"]["aemo_base_url"] == "http://127.0.0.1:8080/aemo/summary"
    assert cloud.requests_to("/v1/sites") == []
