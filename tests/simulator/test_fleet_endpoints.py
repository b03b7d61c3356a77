"""Tesla's Fleet API in the simulator: the sign-in server (authorize, code and refresh grants, expiry,
revocation), the region, and the energy endpoints behind access tokens it issued."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yarl import URL

from simulator.config import DEFAULT_FLEET_CLIENT_ID, DEFAULT_FLEET_CLIENT_SECRET

from .conftest import TESLA

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

REDIRECT = "http://127.0.0.1:8123/auth/external/callback"
FLEET_SITE = "/fleet/api/1/energy_sites/2252150123456789"
CLIENT = {"client_id": DEFAULT_FLEET_CLIENT_ID, "client_secret": DEFAULT_FLEET_CLIENT_SECRET}


async def authorize(client: TestClient[Any, Any], **params: str) -> URL:
    """Where the authorize page sends the owner back to."""
    query = {
        "response_type": "code",
        "client_id": DEFAULT_FLEET_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "state": "opaque-state",
        "scope": "energy_device_data energy_cmds offline_access",
        **params,
    }
    response = await client.get("/oauth2/v3/authorize", params=query, allow_redirects=False)
    assert response.status == 302, await response.text()
    return URL(response.headers["Location"])


async def token(client: TestClient[Any, Any], **form: str) -> tuple[int, dict[str, Any]]:
    response = await client.post("/oauth2/v3/token", data=form)
    return response.status, await response.json()


async def sign_in(client: TestClient[Any, Any]) -> dict[str, Any]:
    back = await authorize(client)
    status, tokens = await token(
        client, grant_type="authorization_code", code=back.query["code"], redirect_uri=REDIRECT, **CLIENT
    )
    assert status == 200, tokens
    return tokens


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_authorize_redirects_back_with_a_code_and_the_state(client: TestClient[Any, Any]) -> None:
    back = await authorize(client)
    assert str(back.with_query(None)) == REDIRECT
    assert back.query["state"] == "opaque-state"
    assert back.query["code"]


async def test_authorize_refuses_an_unknown_application(client: TestClient[Any, Any]) -> None:
    response = await client.get(
        "/oauth2/v3/authorize",
        params={"response_type": "code", "client_id": "other", "redirect_uri": REDIRECT, "state": "s"},
        allow_redirects=False,
    )
    assert response.status == 400


async def test_a_denied_sign_in_redirects_back_with_the_error(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/_sim/fleet/deny")).status == 200
    back = await authorize(client)
    assert back.query["error"] == "access_denied"
    assert "code" not in back.query
    # Only the next one.
    assert "code" in (await authorize(client)).query


async def test_code_grant_gives_tokens_once(client: TestClient[Any, Any]) -> None:
    back = await authorize(client)
    form = {
        "grant_type": "authorization_code",
        "code": back.query["code"],
        "redirect_uri": REDIRECT,
        **CLIENT,
    }
    status, tokens = await token(client, **form)
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 28800
    assert tokens["access_token"] != tokens["refresh_token"]
    status, refused = await token(client, **form)
    assert (status, refused["error"]) == (400, "invalid_grant")


async def test_code_grant_checks_the_secret_and_the_redirect_uri(client: TestClient[Any, Any]) -> None:
    code = (await authorize(client)).query["code"]
    status, refused = await token(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=DEFAULT_FLEET_CLIENT_ID,
        client_secret="wrong",
    )
    assert (status, refused["error"]) == (401, "invalid_client")
    status, refused = await token(
        client, grant_type="authorization_code", code=code, redirect_uri="http://elsewhere/cb", **CLIENT
    )
    assert (status, refused["error"]) == (400, "invalid_grant")
    status, refused = await token(client, grant_type="password", **CLIENT)
    assert (status, refused["error"]) == (400, "unsupported_grant_type")


async def test_fleet_energy_paths_take_only_issued_access_tokens(client: TestClient[Any, Any]) -> None:
    # Teslemetry's token is no Fleet API token.
    refused = await client.get(f"{FLEET_SITE}/site_info", headers=TESLA)
    assert refused.status == 401
    assert (await refused.json())["error"] == "invalid_token"
    tokens = await sign_in(client)
    info = await client.get(f"{FLEET_SITE}/site_info", headers=bearer(tokens))
    assert info.status == 200
    assert (await info.json())["response"]["site_name"] == "Home Powerwall"
    products = await (await client.get("/fleet/api/1/products", headers=bearer(tokens))).json()
    assert [p["energy_site_id"] for p in products["response"] if "energy_site_id" in p] == [2252150123456789]


async def test_a_fleet_write_changes_the_same_powerwall(client: TestClient[Any, Any]) -> None:
    tokens = await sign_in(client)
    response = await client.post(
        f"{FLEET_SITE}/backup", headers=bearer(tokens), json={"backup_reserve_percent": 35}
    )
    assert response.status == 200
    state = await (await client.get("/_sim/state")).json()
    assert state["powerwall"]["backup_reserve_percent"] == 35
    counters = await (await client.get("/_sim/counters")).json()
    assert counters["fleet.backup"] == 1
    assert "teslemetry.backup" not in counters


async def test_region_names_the_simulators_fleet_host(client: TestClient[Any, Any]) -> None:
    tokens = await sign_in(client)
    body = await (await client.get("/fleet/api/1/users/region", headers=bearer(tokens))).json()
    assert body["response"]["region"] == "na"
    assert body["response"]["fleet_api_base_url"] == str(client.make_url("/fleet"))
    assert (await client.get("/fleet/api/1/users/region")).status == 401


async def test_expired_access_token_is_refused_and_a_refresh_rotates_the_refresh_token(
    client: TestClient[Any, Any],
) -> None:
    tokens = await sign_in(client)
    assert (await (await client.post("/_sim/fleet/expire")).json()) == {"expired": 1}
    assert (await client.get(f"{FLEET_SITE}/live_status", headers=bearer(tokens))).status == 401
    status, renewed = await token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"], **CLIENT
    )
    assert status == 200
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert (await client.get(f"{FLEET_SITE}/live_status", headers=bearer(renewed))).status == 200
    # Refresh tokens are single use.
    status, refused = await token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"], **CLIENT
    )
    assert (status, refused["error"]) == (401, "login_required")


async def test_revoking_ends_access_and_refresh(client: TestClient[Any, Any]) -> None:
    tokens = await sign_in(client)
    status = await (await client.post("/_sim/fleet/revoke")).json()
    assert status["live_access_tokens"] == 0
    assert (await client.get(f"{FLEET_SITE}/live_status", headers=bearer(tokens))).status == 401
    code, refused = await token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"], **CLIENT
    )
    assert (code, refused["error"]) == (401, "login_required")


async def test_a_reset_keeps_the_sign_in(client: TestClient[Any, Any]) -> None:
    tokens = await sign_in(client)
    assert (await client.post("/_sim/reset")).status == 200
    assert (await client.get(f"{FLEET_SITE}/live_status", headers=bearer(tokens))).status == 200


async def test_the_request_log_redacts_the_token_forms_secrets(client: TestClient[Any, Any]) -> None:
    tokens = await sign_in(client)
    log = await (await client.get("/_sim/requests", params={"endpoint": "oauth.token"})).json()
    (entry,) = log
    assert entry["body"]["grant_type"] == "authorization_code"
    assert entry["body"]["client_secret"] == "<redacted>"
    assert entry["body"]["code"] == "<redacted>"
    assert DEFAULT_FLEET_CLIENT_SECRET not in str(log)
    assert tokens["refresh_token"] not in str(log)


async def test_a_fault_on_the_token_endpoint_answers_in_oauths_shape(client: TestClient[Any, Any]) -> None:
    tokens = await sign_in(client)
    response = await client.post("/_sim/faults", json={"endpoint": "oauth.token", "status": 503})
    assert response.status in {200, 201}, await response.text()
    status, body = await token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"], **CLIENT
    )
    assert status == 503
    assert body["error"] == "injected"
