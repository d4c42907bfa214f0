"""The org authorization server's token endpoint, for API service integrations.

``POST /oauth2/v1/token`` with ``grant_type=client_credentials``, the client authenticated with
HTTP Basic (client_secret_basic, which is what OIN API service integrations use), and a ``scope``
that must be a subset of the scopes the integration was granted. Errors use OAuth's format,
``{"error": …, "error_description": …}``, not Okta's. Access tokens live one hour and work on
``/api/v1`` limited to their scopes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor, RequestInfo
from okta_sandbox.entities import AccessToken, ApiServiceIntegration, Json

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

ACCESS_TOKEN_SECONDS = 3600


@dataclass
class OAuthError(Exception):
    status: int
    error: str
    description: str

    def body(self) -> Json:
        return {"error": self.error, "error_description": self.description}


def _invalid_client() -> OAuthError:
    return OAuthError(401, "invalid_client",
                      "Client authentication failed. Either the client or the client credentials are invalid.")


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (client_id, secret) if separator else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(org: SandboxOrg, integration: ApiServiceIntegration, scopes: list[str], now: float) -> str:
    """A JWT-shaped token with Okta's claims; signed with a sandbox key, so clients that peek at
    ``exp`` or ``scp`` can, and nothing outside the sandbox can verify it."""
    header = {"kid": "sandbox", "alg": "HS256"}
    claims = {"ver": 1, "jti": f"AT.{secrets.token_urlsafe(24)}", "iss": org.base_url,
              "aud": org.base_url, "iat": int(now), "exp": int(now) + ACCESS_TOKEN_SECONDS,
              "cid": integration.id, "scp": scopes, "sub": integration.id}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(org.signing_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue(org: SandboxOrg, form: Mapping[str, str], authorization: str | None, request: RequestInfo) -> Json:
    credentials = _basic_credentials(authorization)
    if credentials is None:
        if form.get("client_id") or form.get("client_secret") or form.get("client_assertion"):
            raise OAuthError(401, "invalid_client", "The client's token endpoint authentication method is"
                                                    " client_secret_basic; send the credentials in the"
                                                    " Authorization header.")
        raise OAuthError(401, "invalid_client", "No client credentials found.")
    client_id, client_secret = credentials
    integration = org.api_services.get(client_id)
    if integration is None or not any(
            secret.status == "ACTIVE" and hmac.compare_digest(secret.value, client_secret)
            for secret in integration.secrets):
        raise _invalid_client()
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "The 'grant_type' parameter is required.")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type",
                         "The authorization grant type is not supported by the authorization server.")
    requested = (form.get("scope") or "").split()
    if not requested:
        raise OAuthError(400, "invalid_scope", "The authorization server resource does not have any configured"
                                               " default scopes, 'scope' must be provided.")
    if any(scope not in integration.granted_scopes for scope in requested):
        raise OAuthError(400, "invalid_scope", "One or more scopes are not configured for the authorization"
                                               " server resource.")
    now = org.clock.now()
    scopes = list(dict.fromkeys(requested))
    value = _jwt(org, integration, scopes, now)
    org.access_tokens[token_hash(value)] = AccessToken(value_hash=token_hash(value), client_id=integration.id,
                                                       scopes=frozenset(scopes), issued_at=now,
                                                       expires_at=now + ACCESS_TOKEN_SECONDS)
    actor = Actor(integration.id, "PublicClientApp", integration.id, integration.name, request)
    syslog.record(org, actor, "app.oauth2.as.token.grant.access_token", "OAuth2 access token is granted",
                  [syslog.target(integration.id, "AppInstance", integration.name, integration.name)])
    return {"token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS, "access_token": value,
            "scope": " ".join(scopes)}


def authenticate(org: SandboxOrg, value: str) -> AccessToken | None:
    token = org.access_tokens.get(token_hash(value))
    if token is None or org.clock.now() >= token.expires_at:
        return None
    if token.client_id not in org.api_services:
        return None
    return token
