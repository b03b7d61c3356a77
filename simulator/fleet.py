"""Tesla's Fleet API: its OAuth2 server (`/oauth2/v3/authorize` and `/oauth2/v3/token`), the account's region
(`/fleet/api/1/users/region`) and the energy endpoints under `/fleet/api/1` (those of `teslemetry`), which
take an access token issued here. `/_sim/fleet` shows the grants; `/_sim/fleet/expire`, `/_sim/fleet/revoke`
and `/_sim/fleet/deny` end access tokens, revoke every grant, or refuse the next sign-in.

The authorize page allows the sign-in at once: it redirects to the `redirect_uri` with a code and the
`state`, as Tesla does once the owner has signed in and consented.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from yarl import URL

from . import teslemetry
from .fleetauth import OAuthError, Tokens
from .responses import SIMULATOR_KEY, tesla_ok

FLEET_PREFIX: Final = "/fleet/api/1"
OAUTH_PREFIX: Final = "/oauth2/v3"
# Form fields of the token request that are secrets: the request log shows them redacted.
SECRET_FIELDS: Final = frozenset({"client_secret", "code", "refresh_token"})


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """OAuth2's error body."""
    return web.json_response({"error": error, "error_description": description}, status=status)


def _tokens_body(tokens: Tokens, scopes: str) -> dict[str, object]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": scopes,
    }


async def get_authorize(request: web.Request) -> web.Response:
    """GET /oauth2/v3/authorize?response_type=code&client_id&redirect_uri&state&scope: back to the
    redirect URI with a code (or `error=access_denied` when the control API said to refuse)."""
    auth = request.app[SIMULATOR_KEY].fleet_auth
    query = request.query
    redirect_uri = query.get("redirect_uri", "")
    if query.get("response_type") != "code":
        return web.Response(status=400, text="response_type must be code")
    back = {"state": query["state"]} if "state" in query else {}
    if auth.deny_next:
        auth.deny_next = False
        back["error"] = "access_denied"
    else:
        try:
            back["code"] = auth.authorize(
                query.get("client_id", ""), redirect_uri, tuple(query.get("scope", "").split())
            )
        except OAuthError as err:
            # Tesla shows an error page rather than redirecting to an address it cannot trust.
            return web.Response(status=err.status, text=err.description)
    raise web.HTTPFound(URL(redirect_uri).update_query(back))


async def post_token(request: web.Request) -> web.Response:
    """POST /oauth2/v3/token (form): the `authorization_code` and `refresh_token` grants."""
    auth = request.app[SIMULATOR_KEY].fleet_auth
    form = await request.post()

    def field(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) else None

    grant_type = field("grant_type")
    try:
        if grant_type == "authorization_code":
            tokens = auth.exchange_code(
                field("code") or "", field("redirect_uri") or "", field("client_id"), field("client_secret")
            )
        elif grant_type == "refresh_token":
            tokens = auth.refresh(field("refresh_token") or "", field("client_id"), field("client_secret"))
        else:
            return oauth_error(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    except OAuthError as err:
        return oauth_error(err.status, err.error, err.description)
    return web.json_response(_tokens_body(tokens, field("scope") or ""))


async def get_region(request: web.Request) -> web.Response:
    """GET /fleet/api/1/users/region: the account is served by this simulator's own Fleet API."""
    base = f"{request.scheme}://{request.host}{FLEET_PREFIX.removesuffix('/api/1')}"
    return tesla_ok({"region": "na", "fleet_api_base_url": base})


async def get_status(request: web.Request) -> web.Response:
    """GET /_sim/fleet: counts of the grants (never the tokens)."""
    return web.json_response(request.app[SIMULATOR_KEY].fleet_auth.status())


async def post_expire(request: web.Request) -> web.Response:
    """POST /_sim/fleet/expire: every access token expires now; refreshing still works."""
    return web.json_response({"expired": request.app[SIMULATOR_KEY].fleet_auth.expire_access_tokens()})


async def post_revoke(request: web.Request) -> web.Response:
    """POST /_sim/fleet/revoke: the owner revoked the application; only signing in again helps."""
    auth = request.app[SIMULATOR_KEY].fleet_auth
    auth.revoke()
    return web.json_response(auth.status())


async def post_deny(request: web.Request) -> web.Response:
    """POST /_sim/fleet/deny: the owner refuses the next sign-in."""
    auth = request.app[SIMULATOR_KEY].fleet_auth
    auth.deny_next = True
    return web.json_response(auth.status())


def add_routes(app: web.Application) -> None:
    """Register the OAuth2 server, the region endpoint, the Fleet API energy endpoints and their controls."""
    router = app.router
    router.add_get(f"{OAUTH_PREFIX}/authorize", get_authorize, name="oauth.authorize")
    router.add_post(f"{OAUTH_PREFIX}/token", post_token, name="oauth.token")
    router.add_get(f"{FLEET_PREFIX}/users/region", get_region, name="fleet.region")
    teslemetry.add_routes(app, FLEET_PREFIX, service="fleet")
    router.add_get("/_sim/fleet", get_status, name="sim.fleet")
    router.add_post("/_sim/fleet/expire", post_expire, name="sim.fleet_expire")
    router.add_post("/_sim/fleet/revoke", post_revoke, name="sim.fleet_revoke")
    router.add_post("/_sim/fleet/deny", post_deny, name="sim.fleet_deny")
