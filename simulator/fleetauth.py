"""Tesla's OAuth2 server for third-party applications, as far as the simulator needs it: authorization codes
for one developer application, access tokens that expire, refresh tokens that are single use (Tesla rotates
them), and revoking every grant at once. Tokens expire on the real (monotonic) clock, as the integration
counts them, whatever speed the simulated clock runs at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import secrets
import time
from typing import Final

# Tesla's access tokens last eight hours.
DEFAULT_LIFETIME: Final = 28800.0
CODE_LIFETIME: Final = 600.0


@dataclass(frozen=True, slots=True)
class Grant:
    """What a code or a token was issued for."""

    client_id: str
    scopes: tuple[str, ...]
    redirect_uri: str = ""


@dataclass(frozen=True, slots=True)
class Tokens:
    """One token reply."""

    access_token: str
    refresh_token: str
    expires_in: int


class OAuthError(Exception):
    """A token request refused: `error` is OAuth2's code, `status` the HTTP status Tesla answers with."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(slots=True)
class FleetAuth:
    """The signed-in state of the one simulated developer application."""

    client_id: str
    client_secret: str
    lifetime: float = DEFAULT_LIFETIME
    clock: Callable[[], float] = time.monotonic
    # The next sign-in is refused by the owner (the authorize page redirects back with access_denied).
    deny_next: bool = False
    _codes: dict[str, tuple[Grant, float]] = field(default_factory=dict)
    _access: dict[str, tuple[Grant, float]] = field(default_factory=dict)
    _refresh: dict[str, Grant] = field(default_factory=dict)
    issued: int = 0
    refreshed: int = 0

    def authorize(self, client_id: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        """A one-time code for a sign-in the owner allowed."""
        if client_id != self.client_id:
            raise OAuthError(400, "invalid_client", "Unknown client_id")
        if not redirect_uri:
            raise OAuthError(400, "invalid_request", "redirect_uri is required")
        code = secrets.token_urlsafe(16)
        self._codes[code] = (Grant(client_id, scopes, redirect_uri), self.clock() + CODE_LIFETIME)
        return code

    def _check_client(self, client_id: str | None, client_secret: str | None) -> None:
        if client_id != self.client_id or client_secret != self.client_secret:
            raise OAuthError(401, "invalid_client", "Client authentication failed")

    def exchange_code(
        self, code: str, redirect_uri: str, client_id: str | None, client_secret: str | None
    ) -> Tokens:
        """The `authorization_code` grant: a code (once) for tokens."""
        self._check_client(client_id, client_secret)
        grant, expires = self._codes.pop(code, (None, 0.0))
        if grant is None or expires < self.clock():
            raise OAuthError(400, "invalid_grant", "The authorization code is invalid or expired")
        if grant.redirect_uri != redirect_uri:
            raise OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
        self.issued += 1
        return self._issue(grant)

    def refresh(self, refresh_token: str, client_id: str | None, client_secret: str | None) -> Tokens:
        """The `refresh_token` grant: a refresh token (once: Tesla rotates them) for new tokens."""
        self._check_client(client_id, client_secret)
        grant = self._refresh.pop(refresh_token, None)
        if grant is None:
            raise OAuthError(401, "login_required", "The refresh token is invalid, used or revoked")
        self.refreshed += 1
        return self._issue(grant)

    def _issue(self, grant: Grant) -> Tokens:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._access[access] = (grant, self.clock() + self.lifetime)
        self._refresh[refresh] = grant
        return Tokens(access, refresh, round(self.lifetime))

    def access_valid(self, token: str) -> bool:
        """Whether a bearer token is an access token issued here, not expired nor revoked."""
        found = self._access.get(token)
        return found is not None and found[1] > self.clock()

    def expire_access_tokens(self) -> int:
        """End every access token now (refresh tokens still work); returns how many were live."""
        now = self.clock()
        live = sum(1 for _, expires in self._access.values() if expires > now)
        self._access = {token: (grant, now) for token, (grant, _) in self._access.items()}
        return live

    def revoke(self) -> None:
        """The owner revoked the application's access: every code and token stops working."""
        self._codes.clear()
        self._access.clear()
        self._refresh.clear()

    def status(self) -> dict[str, int | bool]:
        """Counts for the control API (never the tokens themselves)."""
        now = self.clock()
        return {
            "live_access_tokens": sum(1 for _, expires in self._access.values() if expires > now),
            "refresh_tokens": len(self._refresh),
            "codes_issued_tokens": self.issued,
            "refreshes": self.refreshed,
            "deny_next": self.deny_next,
        }
