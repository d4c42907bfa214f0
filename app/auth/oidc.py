"""Signing in with the company's identity provider: the OpenID Connect authorization code flow
with PKCE, as a relying party.

authlib does the protocol (state, nonce and PKCE values, the authorize URL, the callback's state
check, client authentication at the token endpoint, ID-token claim rules) and joserfc, authlib's
JOSE library, checks the ID token's signature against the issuer's published keys. The HTTP goes
through one ``httpx.AsyncClient`` per sign-in, whose transport tests replace (authlib's own httpx
integration is not used: it binds to whichever httpx package it finds, not to ours).

Between the redirect to the provider and the callback, the flow's values (state, nonce, PKCE
verifier, where to land) travel in a cookie sealed by the vault: the browser carries them but can
neither read nor change them, and no row is written for a sign-in that never comes back.

Every way this can fail raises :class:`OidcFailure` with a reason code for the audit trail and a
message for the person; no token ever goes into either."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.errors import MismatchingStateException, MissingCodeException
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from app.auth.oidc_config import OidcConfig, address_problem, issuer_problem, origin_of, resolve
from app.common import network
from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.destinations import PinnedTransport
from app.store.statuses import Outcome
from app.vault import SealContext, SealError, Secret, Vault

FLOW_COOKIE = "onboard_oidc"
FLOW_COOKIE_PATH = "/sign-in/oidc"
# Long enough to type a password and answer MFA at the provider; short enough that a stolen
# half-finished flow is worth little.
FLOW_SECONDS = 600
SCOPES = ("openid", "profile", "email", "groups")
# ID tokens from a clock a little ahead of ours are still accepted.
CLOCK_LEEWAY_SECONDS = 60
TIMEOUT_SECONDS = 10.0
# Asymmetric algorithms only: an HS256 "ID token" would be signed with our own client secret.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_MAX_RESPONSE_BYTES = 1_000_000
USER_AGENT = "okta-onboarding-wizard (OpenID Connect sign-in)"

TransportFactory = Callable[[], httpx.AsyncBaseTransport | None]


class OidcFailure(Exception):
    """A sign-in with the identity provider that did not succeed.

    ``reason`` is a short code for the audit trail ("state_mismatch", "bad_signature", ...);
    ``message`` says to the person what happened and what to do; ``details`` add facts for the
    audit trail (never a token or secret)."""

    def __init__(self, reason: str, message: str, *, status: int = 400, outcome: str = Outcome.failed,
                 details: Mapping[str, Any] | None = None, operator_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.outcome = outcome
        self.details = dict(details or {})
        self.operator_id = operator_id


@dataclass(frozen=True)
class Flow:
    """One sign-in on its way: what the callback needs to check the provider's answer."""

    state: str
    nonce: str
    code_verifier: str
    next_url: str
    issuer: str
    client_id: str
    started_at: float


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider says signed in, from an ID token whose signature and claims were checked."""

    issuer: str
    subject: str
    claims: Mapping[str, Any]

    def text(self, name: str) -> str:
        value = self.claims.get(name)
        return value.strip() if isinstance(value, str) else ""

    def values_of(self, claim: str) -> tuple[str, ...] | None:
        """The claim as a list of strings (a single string counts as one); None when absent."""
        value = self.claims.get(claim)
        if value is None:
            return None
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(item for item in value if isinstance(item, str))
        return ()


# -- the flow cookie --------------------------------------------------------------------------

def _flow_context(flow_id: str) -> SealContext:
    return SealContext(table="cookie", column=FLOW_COOKIE, row_id=flow_id, purpose="oidc-sign-in")


def seal_flow(vault: Vault, flow: Flow) -> str:
    flow_id = secrets.token_urlsafe(12)
    sealed = vault.seal(json.dumps(asdict(flow)), _flow_context(flow_id))
    return flow_id + "." + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


_START_AGAIN = ("Start the sign-in again from the sign-in page, in the same browser window, and finish it within "
                f"{FLOW_SECONDS // 60} minutes.")


def open_flow(vault: Vault, cookie: str | None, now: float) -> Flow:
    if not cookie:
        raise OidcFailure("no_flow", "This browser has no sign-in in progress (it may have been started in another "
                          "browser, or cookies are blocked). " + _START_AGAIN)
    flow_id, _, body = cookie.partition(".")
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        flow = Flow(**json.loads(vault.open(sealed, _flow_context(flow_id)).reveal()))
    except (SealError, ValueError, TypeError, binascii.Error):
        raise OidcFailure("bad_flow", "The sign-in in progress could not be read. " + _START_AGAIN) from None
    if not 0 <= now - flow.started_at <= FLOW_SECONDS:
        raise OidcFailure("flow_expired", "The sign-in took too long. " + _START_AGAIN)
    return flow


# -- the relying party ------------------------------------------------------------------------

@dataclass
class RelyingParty:
    """The wizard as an OpenID Connect client of the configured provider."""

    transport_factory: TransportFactory | None = None
    clock: Clock = SYSTEM_CLOCK
    timeout_seconds: float = TIMEOUT_SECONDS
    sandbox_origin: str | None = None
    # Resolves a host name before every connection (tests give their own; see address_problem).
    resolver: Callable[[str], Awaitable[list[str]]] = resolve

    def _client(self, pin: tuple[str, list[str]] | None) -> httpx.AsyncClient:
        """``pin``: the issuer's host and its addresses checked, where each request goes (None: the sandbox)."""
        transport = self.transport_factory() if self.transport_factory else None
        if pin is not None:
            transport = PinnedTransport(transport or httpx.AsyncHTTPTransport(trust_env=False), *pin)
        return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False,
                                 timeout=httpx.Timeout(self.timeout_seconds),
                                 headers={"Accept": "application/json", "User-Agent": USER_AGENT})

    def check_config(self, config: OidcConfig) -> None:
        """Settings are checked again at every use: the sandbox may have been turned off since."""
        if not config.enabled:
            raise OidcFailure("disabled", "Sign-in with the identity provider is turned off. Sign in with your "
                              "username and password, or ask an administrator to turn it on in Settings.",
                              status=404)
        problem = issuer_problem(config.issuer, self.sandbox_origin)
        if problem or not config.client_id:
            raise OidcFailure("not_configured", "Sign-in with the identity provider is not set up completely. "
                              "Sign in with your username and password, and ask an administrator to check the "
                              "issuer and client ID in Settings.", status=503,
                              details={"problem": problem or "no client id"})

    def _is_sandbox(self, issuer: str) -> bool:
        return bool(self.sandbox_origin) and origin_of(issuer) == origin_of(self.sandbox_origin or "")

    def _endpoint_problem(self, url: object, issuer: str) -> bool:
        if not isinstance(url, str) or not url:
            return True
        if self._is_sandbox(issuer):
            # The sandbox's endpoints are on the sandbox's own http address, and only there.
            return origin_of(url) != origin_of(self.sandbox_origin or "")
        # On the issuer's own host: a provider's document cannot send the server elsewhere.
        return issuer_problem(url, None) is not None or origin_of(url) != origin_of(issuer)

    async def _check_address(self, config: OidcConfig) -> tuple[str, list[str]] | None:
        """Before connecting: the issuer's name must not resolve to this machine, its local link or
        (unless allowed) a private network. The host and the addresses checked (None: the sandbox)."""
        if self._is_sandbox(config.issuer):
            return None
        host = urlsplit(config.issuer).hostname or ""
        if problem := address_problem(host, addresses := await self.resolver(host), config.allow_private_network):
            # Why, in the trail only: a visitor, signed out, read which private address the name has.
            raise OidcFailure("private_address", "Sign-in with the identity provider is refused: its address is "
                              "not one this server may call. Sign in with your username and password, and tell an "
                              "administrator (the audit trail says why).", status=503,
                              details={"host": host, "problem": problem})
        return host, addresses

    async def _get_json(self, client: httpx.AsyncClient, url: str, what: str, issuer: str) -> dict[str, Any]:
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            raise OidcFailure("unreachable", f"The identity provider at {issuer} could not be reached to read its "
                              f"{what}: {network.told_cause(exc)}. Try again in a minute; if it keeps failing, sign in "
                              "with your username and password and tell an administrator.", status=502,
                              details={"url": url, "error": type(exc).__name__}) from None
        return self._json(response, what, issuer, url)

    @staticmethod
    def _json(response: httpx.Response, what: str, issuer: str, url: str) -> dict[str, Any]:
        body: object = None
        if len(response.content) <= _MAX_RESPONSE_BYTES:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise OidcFailure("bad_response", f"The identity provider at {issuer} answered the request for its "
                              f"{what} with HTTP {response.status_code} and no usable document. An administrator "
                              "should check the issuer URL in Settings.", status=502,
                              details={"url": url, "status": response.status_code})
        return body

    async def discover(self, client: httpx.AsyncClient, issuer: str) -> ProviderMetadata:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(client, url, "OpenID configuration", issuer)
        if document.get("issuer") != issuer:
            raise OidcFailure("issuer_mismatch", f"The identity provider calls itself "
                              f"“{str(document.get('issuer'))[:200]}”, not “{issuer}”. An administrator should enter "
                              "its issuer exactly as the provider publishes it in Settings.", status=502,
                              details={"published_issuer": str(document.get("issuer"))[:300]})
        endpoints = {name: document.get(name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")}
        bad = [name for name, value in endpoints.items() if self._endpoint_problem(value, issuer)]
        if bad:
            raise OidcFailure("bad_metadata", f"The identity provider's configuration lacks a usable "
                              f"{', '.join(bad)} (each must be an https address on the issuer's own host). An "
                              "administrator should check "
                              "the issuer URL in Settings.", status=502, details={"missing": bad})
        published = document.get("id_token_signing_alg_values_supported")
        algorithms = tuple(a for a in published if a in ALLOWED_ALGORITHMS) if isinstance(published, list) else ()
        return ProviderMetadata(issuer=issuer, authorization_endpoint=str(endpoints["authorization_endpoint"]),
                                token_endpoint=str(endpoints["token_endpoint"]), jwks_uri=str(endpoints["jwks_uri"]),
                                algorithms=algorithms or ("RS256",))

    async def begin(self, config: OidcConfig, redirect_uri: str, next_url: str) -> tuple[str, Flow]:
        """The provider's authorize URL to send the browser to, and the flow to keep for the callback."""
        self.check_config(config)
        pin = await self._check_address(config)
        async with self._client(pin) as client:
            metadata = await self.discover(client, config.issuer)
        flow = Flow(state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64),
                    next_url=next_url, issuer=config.issuer, client_id=config.client_id,
                    started_at=self.clock.now())
        url = prepare_grant_uri(metadata.authorization_endpoint, config.client_id, "code", redirect_uri,
                                list(SCOPES), flow.state, nonce=flow.nonce,
                                code_challenge=create_s256_code_challenge(flow.code_verifier),
                                code_challenge_method="S256")
        return str(url), flow

    async def finish(self, config: OidcConfig, client_secret: Secret, flow: Flow, query: Mapping[str, str],
                     redirect_uri: str) -> VerifiedIdentity:
        """Check the callback against the flow, exchange the code, and verify the ID token."""
        self.check_config(config)
        if (flow.issuer, flow.client_id) != (config.issuer, config.client_id):
            raise OidcFailure("config_changed", "The identity provider settings changed while you were signing in. "
                              + _START_AGAIN)
        if not secrets.compare_digest(str(query.get("state") or "").encode(), flow.state.encode()):
            # Checked before anything else the answer says: a forged error description is never shown.
            raise OidcFailure("state_mismatch", "The answer from the identity provider does not belong to the "
                              "sign-in this browser started, so it was refused. " + _START_AGAIN)
        if query.get("error"):
            error = str(query.get("error"))[:100]
            description = str(query.get("error_description") or "")[:300]
            said = f" It said: {description}" if description else ""
            raise OidcFailure("provider_error", f"The identity provider did not sign you in ({error}).{said} "
                              "Try again, or sign in with your username and password.", status=401,
                              details={"error": error, "error_description": description})
        try:
            # authlib compares the returned state with ours and takes the code out.
            answer = parse_authorization_code_response("?" + urlencode(dict(query)), state=flow.state)
        except MismatchingStateException:
            raise OidcFailure("state_mismatch", "The answer from the identity provider does not belong to the "
                              "sign-in this browser started, so it was refused. " + _START_AGAIN) from None
        except MissingCodeException:
            raise OidcFailure("no_code", "The identity provider sent this browser back without a sign-in code. "
                              + _START_AGAIN) from None
        pin = await self._check_address(config)
        async with self._client(pin) as client:
            metadata = await self.discover(client, config.issuer)
            tokens = await self._exchange(client, metadata, config, client_secret, str(answer["code"]), flow,
                                          redirect_uri)
            keys = await self._get_json(client, metadata.jwks_uri, "signing keys", config.issuer)
        return self._verify(metadata, config, tokens, keys, flow)

    async def _exchange(self, client: httpx.AsyncClient, metadata: ProviderMetadata, config: OidcConfig,
                        client_secret: Secret, code: str, flow: Flow, redirect_uri: str) -> dict[str, Any]:
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri,
                                     code_verifier=flow.code_verifier)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        # The one place the client secret's plaintext is used.
        _uri, headers, body = ClientAuth(config.client_id, client_secret.reveal(), "client_secret_basic").prepare(
            "POST", metadata.token_endpoint, headers, body)
        try:
            response = await client.post(metadata.token_endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise OidcFailure("unreachable", f"The identity provider at {config.issuer} could not be reached to "
                              f"finish the sign-in: {network.told_cause(exc)}. Try again in a minute.", status=502,
                              details={"url": metadata.token_endpoint, "error": type(exc).__name__}) from None
        if response.status_code != 200:
            error, description = "", ""
            try:
                answer = response.json()
                error = str(answer.get("error") or "")[:100]
                description = str(answer.get("error_description") or "")[:300]
            except (ValueError, AttributeError):
                pass
            if error == "invalid_client" or response.status_code == 401:
                message = ("The identity provider refused the wizard's client ID or client secret. An administrator "
                           "should check both in Settings (and that the secret is still active at the provider).")
            elif error == "invalid_grant":
                message = "The identity provider refused the sign-in code (it was used already or expired). " + \
                    _START_AGAIN
            else:
                message = (f"The identity provider refused to finish the sign-in (HTTP {response.status_code}"
                           f"{', ' + error if error else ''}). Try again; if it keeps failing, tell an administrator.")
            raise OidcFailure("token_refused", message, status=502,
                              details={"status": response.status_code, "error": error,
                                       "error_description": description})
        return self._json(response, "tokens", config.issuer, metadata.token_endpoint)

    def _verify(self, metadata: ProviderMetadata, config: OidcConfig, tokens: Mapping[str, Any],
                keys: Mapping[str, Any], flow: Flow) -> VerifiedIdentity:
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcFailure("no_id_token", "The identity provider sent no ID token. An administrator should check "
                              "that the app at the provider is an OpenID Connect web app.", status=502)
        refused = ("The identity provider's ID token was refused: {}. " + _START_AGAIN +
                   " If it keeps happening, tell an administrator.")
        try:
            key_set = KeySet.import_key_set(dict(keys))  # type: ignore[arg-type]
            token = jwt.decode(id_token, key_set, algorithms=list(metadata.algorithms))
        except BadSignatureError:
            raise OidcFailure("bad_signature", refused.format("its signature does not match the provider's keys"),
                              status=401) from None
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcFailure("bad_id_token", refused.format("it could not be read or verified"), status=401,
                              details={"error": type(exc).__name__}) from None
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": config.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True, "value": flow.nonce},
        }
        params = {"nonce": flow.nonce, "client_id": config.client_id}
        if isinstance(tokens.get("access_token"), str):
            params["access_token"] = tokens["access_token"]  # checked against at_hash when there is one
        claims = CodeIDToken(token.claims, token.header, options, params)
        try:
            claims.validate(now=int(self.clock.now()), leeway=CLOCK_LEEWAY_SECONDS)
        except ExpiredTokenError:
            raise OidcFailure("expired", refused.format("it has expired (check that this server's clock is right)"),
                              status=401) from None
        except ClaimError as exc:
            reason = {"nonce": "nonce_mismatch", "iss": "wrong_issuer", "aud": "wrong_audience"}.get(
                exc.claim, "bad_claims")
            raise OidcFailure(reason, refused.format(f"its “{exc.claim}” claim is missing or wrong"), status=401,
                              details={"claim": exc.claim}) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise OidcFailure("bad_claims", refused.format("its subject is not usable"), status=401)
        return VerifiedIdentity(issuer=metadata.issuer, subject=subject, claims=dict(claims))
