"""The Okta layer: one typed, rate-limit-aware client. Nothing else builds an Okta URL or reads
an Okta response."""

from app.okta.calllog import OktaCall, RateLimitWait
from app.okta.client import OktaClient
from app.okta.credentials import ApiTokenCredential, ClientSecretCredential, ServiceAppCredential, static_secret
from app.okta.errors import (
    OktaApiError,
    OktaBadRequest,
    OktaConflict,
    OktaError,
    OktaForbidden,
    OktaMalformedResponse,
    OktaNotFound,
    OktaRateLimited,
    OktaServerError,
    OktaTransportError,
    OktaUnauthorized,
)
from app.okta.http import OktaHttp
from app.okta.orgurl import OrgUrl, OrgUrlError, normalise_org_url
from app.okta.ratelimit import OrgRateLimiter, RateLimiterRegistry, RateLimitPolicy

__all__ = [
    "ApiTokenCredential",
    "ClientSecretCredential",
    "OktaApiError",
    "OktaBadRequest",
    "OktaCall",
    "OktaClient",
    "OktaConflict",
    "OktaError",
    "OktaForbidden",
    "OktaHttp",
    "OktaMalformedResponse",
    "OktaNotFound",
    "OktaRateLimited",
    "OktaServerError",
    "OktaTransportError",
    "OktaUnauthorized",
    "OrgRateLimiter",
    "OrgUrl",
    "OrgUrlError",
    "RateLimitPolicy",
    "RateLimitWait",
    "RateLimiterRegistry",
    "ServiceAppCredential",
    "normalise_org_url",
    "static_secret",
]
