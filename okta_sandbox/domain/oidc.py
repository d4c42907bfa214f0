"""The org authorization server's OpenID Connect side: web clients registered for sign-in, the
authorization codes the authorize page hands out, and ID tokens signed RS256 with a key that
``/oauth2/v1/keys`` publishes.

What Okta checks, the sandbox checks: the client id, the exact redirect URI registered for it,
``response_type=code``, an ``openid`` scope, ``state`` and ``nonce``, and PKCE (S256 only) when
the client sends a challenge. Codes are single-use and live 60 seconds, like Okta's.

Sign-in clients live in ``org.oidc`` rather than in ``org.apps``: the Management API view of the
demo org (which vendor playbooks read and tests count) stays exactly as it was."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from okta_sandbox import ids
from okta_sandbox.domain import groups as groups_domain
from okta_sandbox.domain.oauth import OAuthError, _basic_credentials
from okta_sandbox.entities import Json, User

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

AUTHORIZATION_CODE = "authorization_code"
AUTHORIZE_PATH = "/oauth2/v1/authorize"
KEYS_PATH = "/oauth2/v1/keys"
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a path, not a secret
DISCOVERY_PATH = "/.well-known/openid-configuration"
# Okta's authorization codes expire after 60 seconds; its ID tokens after an hour.
CODE_SECONDS = 60
ID_TOKEN_SECONDS = 3600
SCOPES = ("openid", "profile", "email", "groups")
SIGNING_ALGORITHM = "RS256"


@dataclass(frozen=True, slots=True)
class OidcClient:
    """A web app registered for sign-in (an OIDC app integration with the authorization code grant)."""

    client_id: str
    client_secret: str
    name: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """An authorize request that passed every check; what the sign-in form carries forward."""

    client: OidcClient
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str | None

    def form_fields(self) -> dict[str, str]:
        """The request's parameters, as the sign-in form posts them back."""
        fields = {"client_id": self.client.client_id, "redirect_uri": self.redirect_uri, "response_type": "code",
                  "scope": " ".join(self.scopes), "state": self.state, "nonce": self.nonce}
        if self.code_challenge is not None:
            fields["code_challenge"] = self.code_challenge
            fields["code_challenge_method"] = "S256"
        return fields


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str
    code_challenge: str | None
    expires_at: float


class AuthorizeError(Exception):
    """An authorize request refused. ``redirect`` says whether the error may go back to the client
    (only once the client and its redirect URI are known good; otherwise the page shows it)."""

    def __init__(self, error: str, description: str, *, redirect: bool) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect


class SigningKey:
    """The RSA key ID tokens are signed with. Made on first use (most sandbox tests never sign an
    ID token, and a 2048-bit key costs tens of milliseconds) and kept across org resets, like a
    real org's key."""

    def __init__(self) -> None:
        self._key: RSAKey | None = None

    @property
    def key(self) -> RSAKey:
        if self._key is None:
            kid = ids.okta_id("kid", 43)
            self._key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": SIGNING_ALGORITHM})
        return self._key

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    def jwks(self) -> Json:
        return dict(KeySet([self.key]).as_dict(private=False))

    def sign(self, claims: Json) -> str:
        return jwt.encode({"alg": SIGNING_ALGORITHM, "kid": self.kid, "typ": "JWT"}, claims, self.key)


@dataclass
class OidcRegistry:
    """The org's sign-in clients and outstanding codes (by SHA-256 of the code value)."""

    clients: dict[str, OidcClient] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def register_client(org: SandboxOrg, redirect_uris: Sequence[str], *, name: str = "OIDC web app",
                    client_id: str | None = None, client_secret: str | None = None) -> OidcClient:
    if not redirect_uris:
        raise ValueError("an OIDC client needs at least one redirect URI")
    for uri in redirect_uris:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise ValueError(f"not a usable redirect URI: {uri}")
    client = OidcClient(client_id=client_id or ids.okta_id(ids.APP), client_secret=client_secret or
                        ids.client_secret_value(), name=name, redirect_uris=tuple(redirect_uris))
    org.oidc.clients[client.client_id] = client
    return client


def discovery(org: SandboxOrg) -> Json:
    """The org authorization server's OpenID Provider metadata, as Okta publishes it."""
    base = org.base_url
    return {
        "issuer": base,
        "authorization_endpoint": base + AUTHORIZE_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "jwks_uri": base + KEYS_PATH,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [AUTHORIZATION_CODE, "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        "scopes_supported": list(SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["iss", "aud", "sub", "iat", "exp", "auth_time", "nonce", "email", "email_verified",
                             "name", "preferred_username", "groups"],
        "code_challenge_methods_supported": ["S256"],
    }


def check_authorization_request(org: SandboxOrg, params: Mapping[str, str]) -> AuthorizationRequest:
    """Check an authorize request in Okta's order: the client and its redirect URI first (errors
    there are shown, never redirected), then the rest (errors go back to the client)."""
    client = org.oidc.clients.get(params.get("client_id", ""))
    if client is None:
        raise AuthorizeError("invalid_client", "The client id is not registered with this org. Check the "
                             "client id the app was configured with.", redirect=False)
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise AuthorizeError("invalid_request", "The 'redirect_uri' parameter must be a Login redirect URI in "
                             f"the client app's settings: {', '.join(client.redirect_uris)}.", redirect=False)
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "The response type is not supported by the "
                             "authorization server. Use response_type=code.", redirect=True)
    scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
    if "openid" not in scopes:
        raise AuthorizeError("invalid_scope", "The 'openid' scope is required.", redirect=True)
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise AuthorizeError("invalid_scope", "One or more scopes are not configured for the authorization "
                             f"server resource: {', '.join(unknown)}.", redirect=True)
    state = params.get("state", "")
    if not state:
        raise AuthorizeError("invalid_request", "The 'state' parameter is required.", redirect=True)
    nonce = params.get("nonce", "")
    if not nonce:
        raise AuthorizeError("invalid_request", "The 'nonce' parameter is required for OpenID Connect "
                             "sign-in.", redirect=True)
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None and method is not None:
        raise AuthorizeError("invalid_request", "'code_challenge_method' was sent without 'code_challenge'.",
                             redirect=True)
    if challenge is not None:
        if method != "S256":
            raise AuthorizeError("invalid_request", "PKCE code challenge method must be S256.", redirect=True)
        # 32 bytes of SHA-256, base64url without padding: always 43 characters.
        if len(challenge) != 43:
            raise AuthorizeError("invalid_request", "The PKCE code challenge is not a SHA-256 digest in "
                                 "base64url.", redirect=True)
    return AuthorizationRequest(client=client, redirect_uri=redirect_uri, scopes=scopes, state=state, nonce=nonce,
                                code_challenge=challenge)


def users_who_can_sign_in(org: SandboxOrg) -> list[User]:
    return sorted((user for user in org.users if user.status == "ACTIVE"), key=lambda user: user.login.lower())


def issue_code(org: SandboxOrg, request: AuthorizationRequest, user: User) -> str:
    if user.status != "ACTIVE":
        raise AuthorizeError("access_denied", "The user is not active.", redirect=True)
    code = secrets.token_urlsafe(32)
    now = org.clock.now()
    # Expired codes are dropped as new ones are made, so the registry does not grow.
    org.oidc.codes = {key: value for key, value in org.oidc.codes.items() if value.expires_at > now}
    org.oidc.codes[_hash(code)] = AuthorizationCode(
        client_id=request.client.client_id, redirect_uri=request.redirect_uri, user_id=user.id,
        scopes=request.scopes, nonce=request.nonce, code_challenge=request.code_challenge,
        expires_at=now + CODE_SECONDS)
    user.last_login = now
    return code


def _client(org: SandboxOrg, form: Mapping[str, str], authorization: str | None) -> OidcClient:
    basic = _basic_credentials(authorization)
    if basic is None and form.get("client_secret"):
        basic = (form.get("client_id", ""), form.get("client_secret", ""))
    if basic is None:
        raise OAuthError(401, "invalid_client", "No client credentials found.")
    client = org.oidc.clients.get(basic[0])
    if client is None or not hmac.compare_digest(client.client_secret.encode(), basic[1].encode()):
        raise OAuthError(401, "invalid_client", "Client authentication failed. Either the client or the client "
                                                "credentials are invalid.")
    return client


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def exchange_code(org: SandboxOrg, form: Mapping[str, str], authorization: str | None) -> Json:
    """``POST /oauth2/v1/token`` with ``grant_type=authorization_code``: an access token and an ID token."""
    client = _client(org, form, authorization)
    value = form.get("code", "")
    if not value:
        raise OAuthError(400, "invalid_request", "The 'code' parameter is required.")
    # Popped whatever happens next: a code is good for one attempt only.
    code = org.oidc.codes.pop(_hash(value), None)
    now = org.clock.now()
    if code is None or code.expires_at <= now or code.client_id != client.client_id:
        raise OAuthError(400, "invalid_grant", "The authorization code is invalid or has expired.")
    if form.get("redirect_uri", "") != code.redirect_uri:
        raise OAuthError(400, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the "
                                               "authorization request.")
    if code.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise OAuthError(400, "invalid_request", "PKCE code verifier is required when the authorization "
                                                     "request included a code challenge.")
        if not hmac.compare_digest(_s256(verifier), code.code_challenge):
            raise OAuthError(400, "invalid_grant", "PKCE verification failed.")
    user = org.users.get(code.user_id)
    if user is None or user.status != "ACTIVE":
        raise OAuthError(400, "invalid_grant", "The user is no longer active.")
    claims = id_token_claims(org, user, client, code, now)
    return {"token_type": "Bearer", "expires_in": ID_TOKEN_SECONDS, "access_token": secrets.token_urlsafe(32),
            "scope": " ".join(code.scopes), "id_token": org.oidc_key.sign(claims)}


def id_token_claims(org: SandboxOrg, user: User, client: OidcClient, code: AuthorizationCode, now: float) -> Json:
    claims: Json = {"ver": 1, "jti": f"ID.{secrets.token_urlsafe(24)}", "iss": org.base_url,
                    "aud": client.client_id, "sub": user.id, "iat": int(now), "exp": int(now) + ID_TOKEN_SECONDS,
                    "auth_time": int(now), "amr": ["pwd"], "idp": org.org_id, "nonce": code.nonce}
    if "email" in code.scopes:
        claims["email"] = str(user.profile.get("email") or user.login)
        claims["email_verified"] = True
    if "profile" in code.scopes:
        claims["name"] = user.display_name
        claims["preferred_username"] = user.login
    if "groups" in code.scopes:
        claims["groups"] = [group.name for group in org.groups
                            if user.id in groups_domain.member_ids(org, group)]
    return claims
