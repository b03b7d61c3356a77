"""TeslemetryClient: reads, exact write bodies, write-reply interpretation, absent-key meanings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.tesla_amber_sync.api import USER_AGENT
from custom_components.tesla_amber_sync.api.errors import (
    AuthenticationError,
    CommandRejectedError,
    InvalidResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)
from custom_components.tesla_amber_sync.api.models import (
    EnergyHistoryEntry,
    EnergySiteProduct,
    ExportRule,
    LiveStatus,
    OperationMode,
)
from custom_components.tesla_amber_sync.api.teslemetry import (
    TeslemetryClient,
    command_rejection,
    parse_site_info,
)

from .conftest import load_fixture, sent

if TYPE_CHECKING:
    import aiohttp
    from aioresponses import aioresponses

BASE = "https://api.teslemetry.com"
TOKEN = "tslm_secret_0123456789"
SITE_ID = 1689484658412121
SITE = f"{BASE}/api/1/energy_sites/{SITE_ID}"
BRISBANE = timezone(timedelta(hours=10))


@pytest.fixture
def client(session: aiohttp.ClientSession) -> TeslemetryClient:
    return TeslemetryClient(session, TOKEN)


def site_info(**overrides: Any) -> dict[str, Any]:
    """The site_info fixture's `response`, with top-level or components keys replaced."""
    data: dict[str, Any] = load_fixture("teslemetry_site_info.json")["response"]
    components = overrides.pop("components", {})
    data.update(overrides)
    data["components"].update(components)
    return data


# Products


async def test_get_energy_sites_keeps_energy_sites_only(
    client: TeslemetryClient, mock_http: aioresponses
) -> None:
    mock_http.get(f"{BASE}/api/1/products", payload=load_fixture("teslemetry_products.json"))

    sites = await client.get_energy_sites()

    headers = sent(mock_http, "GET", f"{BASE}/api/1/products").kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"] == USER_AGENT
    assert sites == (
        EnergySiteProduct(
            energy_site_id=1689484658412121,
            site_name="Home",
            resource_type="battery",
            gateway_id="GW-1",
            has_battery=True,
            has_solar=True,
        ),
        EnergySiteProduct(energy_site_id=98765),
        EnergySiteProduct(energy_site_id=55555, site_name="Shed", resource_type="solar", has_solar=True),
    )


async def test_battery_from_resource_type_alone(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.get(
        f"{BASE}/api/1/products",
        payload={"response": [{"energy_site_id": "42", "resource_type": "battery"}, "junk"]},
    )

    (site,) = await client.get_energy_sites()

    assert site.energy_site_id == 42
    assert site.has_battery is True
    assert site.has_solar is False


async def test_products_that_are_not_a_list(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.get(f"{BASE}/api/1/products", payload={"response": {"count": 0}})

    with pytest.raises(InvalidResponseError, match="not a list"):
        await client.get_energy_sites()


# Envelope errors on reads


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("[1, 2]", "not a JSON object"),
        ("", "not a JSON object"),
        ('{"result": {}}', "no 'response'"),
        ('{"response": null, "error": "not_found", "error_description": "no site"}', "not_found: no site"),
        ('{"response": null, "error": true}', "unknown error"),
        ('{"response": [1]}', "'response' is not a JSON object"),
        ('{"response": null}', "'response' is not a JSON object"),
    ],
)
async def test_read_envelope_problems(
    client: TeslemetryClient, mock_http: aioresponses, body: str, match: str
) -> None:
    mock_http.get(f"{SITE}/site_info", body=body)

    with pytest.raises(InvalidResponseError, match=match):
        await client.get_site_info(SITE_ID)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimitedError),
        (500, ServiceUnavailableError),
        (503, ServiceUnavailableError),
    ],
)
async def test_http_errors_never_show_the_token(
    client: TeslemetryClient, mock_http: aioresponses, status: int, error: type[Exception]
) -> None:
    mock_http.get(
        f"{SITE}/live_status",
        status=status,
        payload={"response": None, "error": "invalid bearer token", "error_description": TOKEN},
    )

    with pytest.raises(error) as caught:
        await client.get_live_status(SITE_ID)

    assert TOKEN not in str(caught.value)
    assert "Bearer tslm" not in str(caught.value)


# Site info


async def test_get_site_info(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.get(f"{SITE}/site_info", payload=load_fixture("teslemetry_site_info.json"))

    info = await client.get_site_info(SITE_ID)

    assert info.energy_site_id == SITE_ID
    assert info.site_name == "Home"
    # "" is what some Powerwalls report: the caller falls back to Home Assistant's zone.
    assert info.installation_time_zone is None
    assert info.operation_mode is OperationMode.AUTONOMOUS
    assert info.backup_reserve_percent == 20.0
    # Neither key is present: Tesla's defaults apply (net_meter_mode is a different setting).
    assert info.export_rule is ExportRule.BATTERY_OK
    assert info.grid_charging_allowed is True
    assert info.firmware_version == "24.4.0 0fe780c9"
    assert info.gateway_serial == "CN00000000J50D"
    assert info.battery_count == 2
    assert info.nameplate_power == 10000.0
    assert info.nameplate_energy == 27000.0
    assert info.model == "Powerwall 2"
    assert info.tariff_content_v2 is not None
    assert info.tariff_content_v2["code"] == "TEST"
    assert info.tariff_content_v2["sell_tariff"] == {"energy_charges": {"ALL": {"rates": {"ALL": 0.05}}}}


@pytest.mark.parametrize(
    ("components", "rule"),
    [
        ({"customer_preferred_export_rule": "pv_only"}, ExportRule.PV_ONLY),
        ({"customer_preferred_export_rule": "never"}, ExportRule.NEVER),
        ({"customer_preferred_export_rule": "battery_ok"}, ExportRule.BATTERY_OK),
        ({"customer_preferred_export_rule": None}, ExportRule.BATTERY_OK),
        ({"customer_preferred_export_rule": "solar_only_v2"}, ExportRule.UNKNOWN),
        ({"non_export_configured": True, "customer_preferred_export_rule": "battery_ok"}, ExportRule.NEVER),
        ({"non_export_configured": False, "customer_preferred_export_rule": "pv_only"}, ExportRule.PV_ONLY),
    ],
)
def test_export_rule(components: dict[str, Any], rule: ExportRule) -> None:
    assert parse_site_info(SITE_ID, site_info(components=components)).export_rule is rule


def test_export_rule_at_top_level_is_not_read() -> None:
    # It lives under components; a stray top-level key must not be mistaken for it.
    info = parse_site_info(SITE_ID, site_info(customer_preferred_export_rule="never"))

    assert info.export_rule is ExportRule.BATTERY_OK


@pytest.mark.parametrize(
    ("value", "allowed"),
    [(True, False), (False, True), (None, True), ("true", True)],
)
def test_grid_charging(value: object, allowed: bool) -> None:
    components = {"disallow_charge_from_grid_with_solar_installed": value}

    assert parse_site_info(SITE_ID, site_info(components=components)).grid_charging_allowed is allowed


def test_site_info_from_a_bare_response() -> None:
    info = parse_site_info(SITE_ID, {"default_real_mode": "grid_only", "tariff_content_v2": "x"})

    assert info.energy_site_id == SITE_ID
    assert info.operation_mode is OperationMode.UNKNOWN
    assert info.export_rule is ExportRule.BATTERY_OK
    assert info.grid_charging_allowed is True
    assert info.tariff_content_v2 is None
    assert info.installation_time_zone is None
    assert info.firmware_version is None
    assert info.gateway_serial is None
    assert info.model is None
    assert info.backup_reserve_percent is None


def test_site_info_time_zone_and_hardware_fallbacks() -> None:
    data = site_info(
        installation_time_zone="Australia/Sydney",
        version=None,
        components={
            "gateways": ["junk", {"firmware_version": ""}, {"firmware_version": "25.10.1"}],
            "batteries": [{"part_name": None}],
            "battery_type": "ac_powerwall",
        },
    )

    info = parse_site_info(SITE_ID, data)

    assert info.installation_time_zone == "Australia/Sydney"
    assert info.firmware_version == "25.10.1"
    assert info.model == "Powerwall"


def test_site_info_model_unknown_without_powerwall_hints() -> None:
    info = parse_site_info(SITE_ID, site_info(components={"batteries": [], "battery_type": "solar_inverter"}))

    assert info.model is None


# Live status


async def test_get_live_status(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.get(f"{SITE}/live_status", payload=load_fixture("teslemetry_live_status.json"))

    status = await client.get_live_status(SITE_ID)

    assert sent(mock_http, "GET", f"{SITE}/live_status").kwargs["params"] is None
    assert status == LiveStatus(
        solar_power=1185.0,
        battery_power=-2500.0,
        grid_power=-1315.5,
        load_power=2000.0,
        percentage_charged=95.50537403739663,
        energy_left=12893.2,
        total_pack_energy=13500.0,
        grid_status="Active",
        island_status="on_grid",
        storm_mode_active=False,
        timestamp=datetime(2024, 9, 5, 10, 15, tzinfo=BRISBANE),
    )
    assert isinstance(status.solar_power, float)


async def test_live_status_fields_are_all_optional(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.get(
        f"{SITE}/live_status",
        payload={
            "response": {"solar_power": None, "battery_power": "n/a", "timestamp": "2024-09-05T10:15:00"}
        },
    )

    # A timestamp without an offset is dropped rather than guessed.
    assert await client.get_live_status(SITE_ID) == LiveStatus()


# Energy history


async def test_get_energy_history(client: TeslemetryClient, mock_http: aioresponses) -> None:
    url = f"{SITE}/calendar_history?kind=energy&period=day&time_zone=Australia/Brisbane"
    mock_http.get(url, payload=load_fixture("teslemetry_energy_history.json"))

    history = await client.get_energy_history(SITE_ID, time_zone="Australia/Brisbane")

    assert sent(mock_http, "GET", url).kwargs["params"] == {
        "kind": "energy",
        "period": "day",
        "time_zone": "Australia/Brisbane",
    }
    assert history.period == "day"
    assert history.time_zone == "Australia/Brisbane"
    # The third entry has no timestamp and is skipped; absent counters are zero.
    assert history.entries == (
        EnergyHistoryEntry(
            timestamp=datetime(2024, 9, 18, 0, 0, tzinfo=BRISBANE),
            battery_energy_exported=36.0,
            consumer_energy_imported_from_battery=36.0,
        ),
        EnergyHistoryEntry(
            timestamp=datetime(2024, 9, 18, 8, 45, tzinfo=BRISBANE),
            solar_energy_exported=724.0,
            grid_energy_imported=12.5,
            grid_energy_exported_from_solar=2.0,
            battery_energy_imported_from_solar=684.0,
            consumer_energy_imported_from_solar=38.0,
        ),
    )


async def test_energy_history_with_range(client: TeslemetryClient, mock_http: aioresponses) -> None:
    start = datetime(2024, 9, 1, 0, 0, tzinfo=BRISBANE)
    end = datetime(2024, 9, 7, 23, 59, 59, 999999, tzinfo=UTC)
    params = {
        "kind": "energy",
        "period": "week",
        "time_zone": "Australia/Brisbane",
        "start_date": "2024-09-01T00:00:00+10:00",
        "end_date": "2024-09-07T23:59:59+00:00",
    }
    url = f"{SITE}/calendar_history"
    mock_http.get(
        f"{url}?kind=energy&period=week&time_zone=Australia/Brisbane"
        "&start_date=2024-09-01T00:00:00%2B10:00&end_date=2024-09-07T23:59:59%2B00:00",
        payload={"response": {"period": "week", "installation_time_zone": "", "time_series": None}},
    )

    history = await client.get_energy_history(
        SITE_ID, period="week", time_zone="Australia/Brisbane", start=start, end=end
    )

    assert next(iter(mock_http.requests.values()))[-1].kwargs["params"] == params
    assert history.time_zone is None
    assert history.entries == ()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period": "hour"}, "period"),
        ({"time_zone": ""}, "time_zone"),
        ({"start": datetime(2024, 9, 1)}, "start_date must be timezone-aware"),
        ({"end": datetime(2024, 9, 1)}, "end_date must be timezone-aware"),
    ],
)
async def test_energy_history_rejects_bad_arguments(
    client: TeslemetryClient, kwargs: dict[str, Any], match: str
) -> None:
    kwargs.setdefault("time_zone", "Australia/Brisbane")

    with pytest.raises(ValueError, match=match):
        await client.get_energy_history(SITE_ID, **kwargs)


# Writes: exact bodies


async def test_set_time_of_use_settings(client: TeslemetryClient, mock_http: aioresponses) -> None:
    tariff = load_fixture("teslemetry_site_info.json")["response"]["tariff_content_v2"]
    mock_http.post(f"{SITE}/time_of_use_settings", payload={"response": {"code": 201, "message": "Updated"}})

    await client.set_time_of_use_settings(SITE_ID, tariff)

    call = sent(mock_http, "POST", f"{SITE}/time_of_use_settings")
    assert call.kwargs["json"] == {"tou_settings": {"tariff_content_v2": tariff}}
    assert call.kwargs["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert call.kwargs["headers"]["User-Agent"] == USER_AGENT


@pytest.mark.parametrize(
    "mode", [OperationMode.AUTONOMOUS, OperationMode.SELF_CONSUMPTION, OperationMode.BACKUP]
)
async def test_set_operation_mode(
    client: TeslemetryClient, mock_http: aioresponses, mode: OperationMode
) -> None:
    mock_http.post(f"{SITE}/operation", payload={"response": {"code": 201, "message": "Updated"}})

    await client.set_operation_mode(SITE_ID, mode)

    assert sent(mock_http, "POST", f"{SITE}/operation").kwargs["json"] == {"default_real_mode": mode.value}


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"export_rule": ExportRule.NEVER}, {"customer_preferred_export_rule": "never"}),
        ({"grid_charging_allowed": False}, {"disallow_charge_from_grid_with_solar_installed": True}),
        ({"grid_charging_allowed": True}, {"disallow_charge_from_grid_with_solar_installed": False}),
        (
            {"export_rule": ExportRule.PV_ONLY, "grid_charging_allowed": True},
            {
                "customer_preferred_export_rule": "pv_only",
                "disallow_charge_from_grid_with_solar_installed": False,
            },
        ),
    ],
)
async def test_set_grid_import_export_sends_only_given_keys(
    client: TeslemetryClient, mock_http: aioresponses, kwargs: dict[str, Any], body: dict[str, Any]
) -> None:
    mock_http.post(f"{SITE}/grid_import_export", payload={"response": "Updated"})

    await client.set_grid_import_export(SITE_ID, **kwargs)

    assert sent(mock_http, "POST", f"{SITE}/grid_import_export").kwargs["json"] == body


@pytest.mark.parametrize("percent", [0, 20, 100])
async def test_set_backup_reserve(client: TeslemetryClient, mock_http: aioresponses, percent: int) -> None:
    mock_http.post(f"{SITE}/backup", payload={"response": {"code": 201, "message": "Updated"}})

    await client.set_backup_reserve(SITE_ID, percent)

    assert sent(mock_http, "POST", f"{SITE}/backup").kwargs["json"] == {"backup_reserve_percent": percent}


async def test_invalid_write_arguments_send_nothing(
    client: TeslemetryClient, mock_http: aioresponses
) -> None:
    with pytest.raises(ValueError, match="export_rule, grid_charging_allowed"):
        await client.set_grid_import_export(SITE_ID)
    with pytest.raises(ValueError, match="unknown export rule"):
        await client.set_grid_import_export(SITE_ID, export_rule=ExportRule.UNKNOWN)
    with pytest.raises(ValueError, match="unknown operation mode"):
        await client.set_operation_mode(SITE_ID, OperationMode.UNKNOWN)
    for percent in (-1, 101, True, 50.5):
        with pytest.raises(ValueError, match="0 to 100"):
            await client.set_backup_reserve(SITE_ID, percent)  # type: ignore[arg-type]

    assert mock_http.requests == {}


# Writes: how replies are read


@pytest.mark.parametrize(
    "body",
    [
        '{"response": {"code": 201, "message": "Updated"}}',
        '{"response": {"Code": 201, "Message": "Updated"}}',
        '{"response": {"result": true, "reason": ""}}',
        '{"response": "Updated"}',
        '{"response": null}',
        "",
    ],
)
async def test_write_successes(client: TeslemetryClient, mock_http: aioresponses, body: str) -> None:
    mock_http.post(f"{SITE}/backup", body=body)

    await client.set_backup_reserve(SITE_ID, 30)  # returns quietly: no exception means accepted


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            {"response": None, "error": "invalid_command", "error_description": "Site is offline"},
            "invalid_command: Site is offline",
        ),
        ({"response": None, "error": True}, "Tesla rejected the command"),
        ({"response": {"error": "busy"}}, "busy"),
        ({"response": {"error": True}}, "Tesla rejected the command"),
        (
            {"response": {"result": False, "reason": "Powerwall is in storm mode"}},
            "Powerwall is in storm mode",
        ),
        ({"response": {"result": False, "reason": ""}}, "Tesla rejected the command"),
        ({"response": {"code": 400, "message": "Invalid tariff"}}, "Invalid tariff"),
        ({"response": {"Code": 412, "Message": "Precondition failed"}}, "Precondition failed"),
        ({"response": {"code": "500"}}, "Tesla rejected the command (code 500)"),
    ],
)
async def test_write_rejections(
    client: TeslemetryClient, mock_http: aioresponses, reply: dict[str, Any], message: str
) -> None:
    mock_http.post(f"{SITE}/time_of_use_settings", payload=reply)

    with pytest.raises(CommandRejectedError) as caught:
        await client.set_time_of_use_settings(SITE_ID, {"code": "X"})

    assert caught.value.message == message
    assert str(caught.value) == message


async def test_write_rejected_by_http_400(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.post(
        f"{SITE}/operation",
        status=400,
        payload={"response": None, "error": "invalid_field", "error_description": "mode not supported"},
    )

    with pytest.raises(CommandRejectedError) as caught:
        await client.set_operation_mode(SITE_ID, OperationMode.BACKUP)

    assert caught.value.message == "invalid_field: mode not supported"


async def test_write_rejection_never_shows_the_token(
    client: TeslemetryClient, mock_http: aioresponses
) -> None:
    mock_http.post(
        f"{SITE}/backup", payload={"response": {"result": False, "reason": f"token {TOKEN} lacks scope"}}
    )

    with pytest.raises(CommandRejectedError) as caught:
        await client.set_backup_reserve(SITE_ID, 30)

    assert TOKEN not in caught.value.message
    assert "lacks scope" in caught.value.message


async def test_write_reply_that_is_not_an_object(client: TeslemetryClient, mock_http: aioresponses) -> None:
    mock_http.post(f"{SITE}/backup", payload=["Updated"])

    with pytest.raises(InvalidResponseError, match="command reply"):
        await client.set_backup_reserve(SITE_ID, 30)


@pytest.mark.parametrize("status", [408, 503])
async def test_write_that_times_out_upstream_is_unavailable(
    client: TeslemetryClient, mock_http: aioresponses, status: int
) -> None:
    mock_http.post(f"{SITE}/backup", status=status)

    with pytest.raises(ServiceUnavailableError):
        await client.set_backup_reserve(SITE_ID, 30)


def test_command_rejection_accepts_success_shapes() -> None:
    assert command_rejection({"response": {"code": 201}}) is None
    assert command_rejection({"response": {"result": True}}) is None
    assert command_rejection(None) is None
