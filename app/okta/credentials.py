"""How the client proves who it is. Each credential reads its secret from the vault at the moment
of the call (through a ``SecretSource``), never holds it longer than needed, and never logs it.

- ``ApiTokenCredential``: ``Authorization: SSWS <token>``.
- ``ServiceAppCredential``: an OAuth 2.0 service app with ``private_key_jwt`` (the assertion is
  signed by authlib), exchanging it at the org authorization server for an access token with
  Okta scopes; the access token is cached until shortly before it expires.
- ``ClientSecretCredential``: ``client_secret_basic`` client credentials, used to smoke-test a
  vendor's integration credentials (the Authomize API service integration).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from app.vault import Secret

if TYPE_CHECKING:
    from app.okta.http import OktaHttp

SecretSource = Callable[[], Awaitable[Secret]]

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a path, not a secret
EXPIRY_MARGIN_SECONDS = 60


class Credential(Protocol):
    kind: str

    async def authorization(self, http: OktaHttp) -> str:
        """The value of the Authorization header for the next call."""
        ...

    def forget(self) -> None:
        """Drop any cached access token (after a 401)."""
        ...


@dataclass
class ApiTokenCredential:
    secret: SecretSource
    kind: str = "api_token"
    _reading: asyncio.Future[Secret] | None = field(default=None, repr=False)

    async def authorization(self, http: OktaHttp) -> str:
        # Calls sent at the same moment share one read of the vault; once they have the token it
        # is not kept, and the next call reads it again.
        if self._reading is None:
            reading = asyncio.ensure_future(self.secret())
            reading.add_done_callback(self._read_done)
            self._reading = reading
        return "SSWS " + (await asyncio.shield(self._reading)).reveal()

    def _read_done(self, reading: asyncio.Future[Secret]) -> None:
        if self._reading is reading:
            self._reading = None
        if not reading.cancelled():
            reading.exception()  # observed here; each waiter gets it raised

    def forget(self) -> None:
        return None


@dataclass
class _CachedToken:
    value: Secret
    expires_at: float


@dataclass
class ServiceAppCredential:
    client_id: str
    private_key: SecretSource  # PEM or JWK text
    scopes: Sequence[str]
    key_id: str | None = None
    kind: str = "service_app"
    _cached: _CachedToken | None = field(default=None, repr=False)

    async def authorization(self, http: OktaHttp) -> str:
        now = http.clock.now()
        if self._cached is None or self._cached.expires_at - EXPIRY_MARGIN_SECONDS <= now:
            self._cached = await self._fetch(http)
        return "Bearer " + self._cached.value.reveal()

    async def _fetch(self, http: OktaHttp) -> _CachedToken:
        from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign

        token_url = http.org.origin + TOKEN_PATH
        key = (await self.private_key()).reveal()
        header = {"alg": "RS256", **({"kid": self.key_id} if self.key_id else {})}
        assertion = private_key_jwt_sign(key, self.client_id, token_url, alg="RS256", header=header,
                                         issued_at=int(http.clock.now()))
        data = await http.token_request({
            "grant_type": "client_credentials",
            "scope": " ".join(self.scopes),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }, auth_header=None)
        return _CachedToken(Secret(str(data["access_token"])),
                            http.clock.now() + float(data.get("expires_in", 3600)))

    def forget(self) -> None:
        self._cached = None


@dataclass
class ClientSecretCredential:
    client_id: str
    client_secret: SecretSource
    scopes: Sequence[str]
    kind: str = "client_secret"
    _cached: _CachedToken | None = field(default=None, repr=False)

    async def access_token(self, http: OktaHttp) -> tuple[Secret, list[str]]:
        """Exchange the client credentials for an access token; returns it and the granted scopes."""
        basic = base64.b64encode(f"{self.client_id}:{(await self.client_secret()).reveal()}".encode()).decode()
        data = await http.token_request({"grant_type": "client_credentials", "scope": " ".join(self.scopes)},
                                        auth_header="Basic " + basic)
        token = Secret(str(data["access_token"]))
        self._cached = _CachedToken(token, http.clock.now() + float(data.get("expires_in", 3600)))
        return token, str(data.get("scope", "")).split()

    async def authorization(self, http: OktaHttp) -> str:
        if self._cached is None or self._cached.expires_at - EXPIRY_MARGIN_SECONDS <= http.clock.now():
            await self.access_token(http)
        assert self._cached is not None
        return "Bearer " + self._cached.value.reveal()

    def forget(self) -> None:
        self._cached = None


def static_secret(value: Secret) -> SecretSource:
    """A SecretSource for a value already in hand (a token the operator just pasted, say)."""

    async def source() -> Secret:
        return value

    return source
