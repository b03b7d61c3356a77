"""Drive a fresh Home Assistant over its REST API: onboard a user, log in, add Tesla Sync pointed at us.

Shared by `scripts/develop` (via `simulator.devhome`) and the end-to-end test, so both set Home Assistant up
exactly as an owner would, through onboarding and the integration's real config flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from .config import (
    DEFAULT_AMBER_TOKEN,
    DEFAULT_FLEET_CLIENT_ID,
    DEFAULT_FLEET_CLIENT_SECRET,
    DEFAULT_TESLEMETRY_TOKEN,
)
from .state import AMBER_SITE_ID, ENERGY_SITE_ID

DOMAIN: Final = "tesla_amber_sync"
ONBOARDING_STEPS: Final = ("user", "core_config", "analytics", "integration")


class SetupError(RuntimeError):
    """Home Assistant did not do what a step expected."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Owner:
    """The local user scripts/develop and the end-to-end test create."""

    name: str = "Developer"
    username: str = "dev"
    password: str = "dev"  # noqa: S105 - a throwaway local login, printed for the developer.


def simulator_urls(simulator: str, *, amber: bool = True) -> dict[str, dict[str, str]]:
    """The config flow's collapsed "API addresses" section for a simulator at `simulator` (without Amber's
    address for another retailer, whose form has none)."""
    addresses = {
        "amber_base_url": f"{simulator}/amber/v1",
        "teslemetry_base_url": f"{simulator}/teslemetry",
        "aemo_base_url": f"{simulator}/aemo/ELEC_NEM_SUMMARY",
        "fleet_region_url": f"{simulator}/fleet",
        "fleet_auth_url": f"{simulator}/oauth2/v3",
    }
    if not amber:
        del addresses["amber_base_url"]
    return {"api_addresses": addresses}


class HomeAssistantSetup:
    """A REST client of one Home Assistant instance at `base_url`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to Home Assistant at `base_url` (no trailing slash)."""
        self._session = session
        self.base_url = base_url.rstrip("/")
        # IndieAuth: the client id is a URL; Home Assistant's own address is always accepted.
        self.client_id = f"{self.base_url}/"
        self.token: str | None = None

    async def wait_until_up(self, *, within: float, is_alive: Callable[[], bool] | None = None) -> None:
        """Poll until Home Assistant's HTTP server answers.

        `/auth/providers` needs no login; before onboarding it answers 400 `onboarding_required`, which
        still means the server is up.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if is_alive is not None and not is_alive():
                raise SetupError("Home Assistant exited while starting")
            try:
                async with self._session.get(f"{self.base_url}/auth/providers") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if loop.time() > deadline:
                raise SetupError(f"Home Assistant did not answer within {within:g} s")
            await asyncio.sleep(0.5)

    async def wait_for_component(self, component: str, *, within: float) -> None:
        """Poll `/api/config` until Home Assistant has set `component` up (needs the signed-in token)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while component not in (await self._json("GET", "/api/config")).get("components", ()):
            if loop.time() > deadline:
                raise SetupError(f"Home Assistant did not set up {component} within {within:g} s")
            await asyncio.sleep(0.5)

    async def _json(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        # As the frontend sends it: where Home Assistant's pages are, for an OAuth2 flow's callback address.
        headers["HA-Frontend-Base"] = self.base_url
        async with self._session.request(
            method, f"{self.base_url}{path}", headers=headers, **kwargs
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise SetupError(f"{method} {path}: HTTP {response.status}: {text[:300]}")
            return await response.json(content_type=None) if text else None

    async def onboarding_done(self) -> set[str]:
        """The onboarding steps already done."""
        async with self._session.get(f"{self.base_url}/api/onboarding") as response:
            if response.status == 404:
                # Once onboarding is complete, Home Assistant no longer serves the onboarding API.
                return set(ONBOARDING_STEPS)
            response.raise_for_status()
            steps = await response.json()
        return {step["step"] for step in steps if step.get("done")}

    async def _token_from_code(self, code: str) -> str:
        body = await self._json(
            "POST",
            "/auth/token",
            auth=False,
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        return str(body["access_token"])

    async def sign_in(self, owner: Owner) -> str:
        """Onboard `owner` on a fresh instance, or log in as them on an onboarded one; returns a token."""
        done = await self.onboarding_done()
        if "user" not in done:
            created = await self._json(
                "POST",
                "/api/onboarding/users",
                auth=False,
                json={
                    "client_id": self.client_id,
                    "name": owner.name,
                    "username": owner.username,
                    "password": owner.password,
                    "language": "en",
                },
            )
            self.token = await self._token_from_code(created["auth_code"])
        else:
            self.token = await self._login(owner)
        # The remaining steps only mark onboarding finished, so the UI opens on the dashboard.
        for step, body in (("core_config", None), ("analytics", None)):
            if step not in done:
                await self._json("POST", f"/api/onboarding/{step}", json=body)
        if "integration" not in done:
            await self._json(
                "POST",
                "/api/onboarding/integration",
                json={"client_id": self.client_id, "redirect_uri": self.client_id},
            )
        return self.token

    async def _login(self, owner: Owner) -> str:
        flow = await self._json(
            "POST",
            "/auth/login_flow",
            auth=False,
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self._json(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            auth=False,
            json={"username": owner.username, "password": owner.password, "client_id": self.client_id},
        )
        if result.get("type") != "create_entry":
            raise SetupError(f"login as {owner.username} failed: {result.get('errors')}")
        return await self._token_from_code(str(result["result"]))

    async def long_lived_token(self, name: str, *, days: int = 3650) -> str:
        """A long-lived access token (as the profile page makes one), used from now on: it outlives a test
        that moves Home Assistant's clock days ahead (`sharedclock`), which a sign-in's 30 minutes do not."""
        token = str(
            await self.command(
                {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": days}
            )
        )
        self.token = token
        return token

    async def entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        """The config entries of `domain`."""
        entries: list[dict[str, Any]] = await self._json(
            "GET", "/api/config/config_entries/entry", params={"domain": domain}
        )
        return entries

    async def add_application_credential(
        self,
        *,
        client_id: str = DEFAULT_FLEET_CLIENT_ID,
        client_secret: str = DEFAULT_FLEET_CLIENT_SECRET,
        name: str = "Tesla developer application (simulator)",
    ) -> None:
        """Add the owner's Tesla developer application under Application Credentials (a websocket command,
        as the settings page sends it), unless it is there already (say from a run stopped half way)."""
        # The HTTP server answers before every component is set up; a command sent to one still loading is
        # refused as `unknown_command`.
        await self.wait_for_component("application_credentials", within=60.0)
        existing = await self.command({"type": "application_credentials/list"})
        if any(item.get("domain") == DOMAIN and item.get("client_id") == client_id for item in existing):
            return
        async with self._session.ws_connect(f"{self.base_url}/api/websocket") as socket:
            if (await socket.receive_json())["type"] != "auth_required":
                raise SetupError("websocket did not ask to authenticate")
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (await socket.receive_json())["type"] != "auth_ok":
                raise SetupError("websocket refused the access token")
            await socket.send_json(
                {
                    "id": 1,
                    "type": "application_credentials/create",
                    "domain": DOMAIN,
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "name": name,
                }
            )
            reply = await socket.receive_json()
            if not reply.get("success"):
                raise SetupError(f"adding the application credential failed: {reply.get('error')}")

    async def _complete_sign_in(self, flow: dict[str, Any]) -> dict[str, Any]:
        """Finish an OAuth2 external step as the owner's browser would: open the sign-in page, follow it
        back to Home Assistant's callback (which hands the code to the flow), then let the flow go on."""
        async with self._session.get(str(flow["url"]), allow_redirects=False) as page:
            callback = page.headers.get("Location")
            if page.status != 302 or callback is None:
                raise SetupError(f"the sign-in page did not redirect back: HTTP {page.status}")
        async with self._session.get(callback) as response:
            if response.status >= 400:
                raise SetupError(f"Home Assistant's OAuth2 callback answered HTTP {response.status}")
        # As the frontend does once the external step is done: asking for the flow moves it on.
        result: dict[str, Any] = await self._json("GET", f"/api/config/config_entries/flow/{flow['flow_id']}")
        return result

    async def add_tesla_sync(
        self,
        simulator: str,
        *,
        amber_token: str = DEFAULT_AMBER_TOKEN,
        teslemetry_token: str = DEFAULT_TESLEMETRY_TOKEN,
        route: str = "teslemetry",
    ) -> dict[str, Any]:
        """Create the Tesla Sync entry through the config flow, with the simulator's addresses.

        `route` "fleet" signs in to the simulator's Tesla Fleet API (add the application credential first).
        """
        return await self._config_flow(
            {
                "user": [{"next_step_id": "amber"}],
                "amber": [{"amber_api_token": amber_token, **simulator_urls(simulator)}],
                "amber_site": [{"amber_site_id": AMBER_SITE_ID}],
                "powerwall_route": [{"next_step_id": route}],
                "teslemetry": [{"teslemetry_api_token": teslemetry_token}],
                "energy_site": [{"energy_site_id": str(ENERGY_SITE_ID)}],
            }
        )

    async def add_tesla_sync_without_amber(
        self,
        simulator: str,
        *,
        details: dict[str, Any],
        simple: dict[str, Any],
        teslemetry_token: str = DEFAULT_TESLEMETRY_TOKEN,
    ) -> dict[str, Any]:
        """Create a Tesla Sync entry for another retailer through the config flow: the route, then the first
        schedule from `details` (name, retailer, supply charge) and the simple time-of-use form `simple`."""
        return await self._config_flow(
            {
                "user": [{"next_step_id": "own_schedule"}],
                "own_schedule": [simulator_urls(simulator, amber=False)],
                "powerwall_route": [{"next_step_id": "teslemetry"}],
                "teslemetry": [{"teslemetry_api_token": teslemetry_token}],
                "energy_site": [{"energy_site_id": str(ENERGY_SITE_ID)}],
                "schedule_details": [details],
                "schedule": [{"next_step_id": "simple"}, {"next_step_id": "finish"}],
                "simple": [simple],
            }
        )

    async def _config_flow(self, answers: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        """Run Tesla Sync's config flow, answering each step with the next of its answers; the entry made.

        The site steps are skipped when there is one site; they are answered anyway should they appear.
        """
        flow = await self._json("POST", "/api/config/config_entries/flow", json={"handler": DOMAIN})
        pending = {step: list(replies) for step, replies in answers.items()}
        for _ in range(sum(len(replies) for replies in answers.values()) + 1):
            if flow.get("type") == "create_entry":
                return dict(flow["result"])
            if flow.get("type") == "external":
                flow = await self._complete_sign_in(flow)
                continue
            if flow.get("type") not in {"form", "menu"} or flow.get("errors"):
                raise SetupError(f"config flow stopped: {flow}")
            step = str(flow.get("step_id"))
            if not pending.get(step):
                raise SetupError(f"unexpected config flow step {step!r}")
            flow = await self._json(
                "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", json=pending[step].pop(0)
            )
        raise SetupError("config flow did not finish")

    async def add_fleet_route(self, entry_id: str) -> dict[str, Any]:
        """Sign a Teslemetry entry in to the simulator's Tesla Fleet API as its second route, through the
        entry's Reconfigure menu (add the application credential first); returns the flow's last answer."""
        flow = await self._json(
            "POST", "/api/config/config_entries/flow", json={"handler": DOMAIN, "entry_id": entry_id}
        )
        if flow.get("type") != "menu" or "reconfigure_fleet" not in flow.get("menu_options", []):
            raise SetupError(f"the Reconfigure menu offers no Tesla Fleet API sign-in: {flow}")
        flow = await self._json(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            json={"next_step_id": "reconfigure_fleet"},
        )
        if flow.get("type") != "external":
            raise SetupError(f"the Tesla sign-in did not start: {flow}")
        result = await self._complete_sign_in(flow)
        if result.get("type") != "abort" or result.get("reason") != "reconfigure_successful":
            raise SetupError(f"signing in to the Tesla Fleet API failed: {result}")
        return result

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """One entity's state object, or None when it does not exist."""
        try:
            state: dict[str, Any] = await self._json("GET", f"/api/states/{entity_id}")
        except SetupError as err:
            if "HTTP 404" in str(err):
                return None
            raise
        return state

    async def states(self) -> list[dict[str, Any]]:
        """Every entity's state."""
        states: list[dict[str, Any]] = await self._json("GET", "/api/states")
        return states

    async def command(self, message: dict[str, Any]) -> Any:
        """One command over Home Assistant's websocket API (what the frontend uses); returns its result."""
        ws_url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
        async with self._session.ws_connect(ws_url) as socket:
            await socket.receive_json()
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (await socket.receive_json()).get("type") != "auth_ok":
                raise SetupError("the websocket API refused the token")
            await socket.send_json({"id": 1, **message})
            reply: dict[str, Any] = await socket.receive_json()
        if not reply.get("success"):
            raise SetupError(f"{message['type']} failed: {reply.get('error')}")
        return reply.get("result")

    async def configure_energy(self, sources: list[dict[str, Any]]) -> bool:
        """Set up the Energy dashboard with `sources` unless it already has some; True when it did."""
        try:
            prefs = await self.command({"type": "energy/get_prefs"})
        except SetupError:
            prefs = None  # "not_found": never configured
        if prefs and prefs.get("energy_sources"):
            return False
        await self.command({"type": "energy/save_prefs", "energy_sources": sources})
        return True
