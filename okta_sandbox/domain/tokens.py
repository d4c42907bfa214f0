"""SSWS API tokens. There is no API to create one: a person signed in to the Admin Console makes it
and sees its value once (:func:`issue_token`, used by the sandbox console and by tests).

A token acts as its owner with the owner's *current* roles, expires after 30 days without use (each
use moves the window), and is revoked when its owner is deactivated. Only a hash of the value is
kept, as a real org would."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.domain import syslog
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import ApiToken, Json
from okta_sandbox.errors import validation_failed
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import SECONDS_PER_DAY, iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

TOKEN_WINDOW_DAYS = 30
NETWORK_CONNECTIONS = ("ANYWHERE", "ZONE")


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_target(token: ApiToken) -> Json:
    return syslog.target(token.id, "Token", token.name, token.name)


def check_network(org: SandboxOrg, network: Any) -> Json:
    if network is None:
        return {"connection": "ANYWHERE"}
    if not isinstance(network, Mapping) or network.get("connection") not in NETWORK_CONNECTIONS:
        raise validation_failed("network", "network: connection must be ANYWHERE or ZONE.")
    if network["connection"] == "ANYWHERE":
        return {"connection": "ANYWHERE"}
    checked: Json = {"connection": "ZONE"}
    for key in ("include", "exclude"):
        zone_ids = network.get(key)
        if zone_ids is None:
            continue
        if not isinstance(zone_ids, list) or not all(isinstance(zone, str) for zone in zone_ids):
            raise validation_failed("network", f"network.{key}: must be a list of network zone ids.")
        unknown = [zone for zone in zone_ids if zone not in org.network_zones]
        if unknown:
            raise validation_failed("network", f"network.{key}: unknown network zone(s) {', '.join(unknown)}.")
        checked[key] = list(zone_ids)
    if not checked.get("include") and not checked.get("exclude"):
        # Okta accepts a zone list on either side (recorded: ZONE with only ``exclude``), not neither.
        raise validation_failed("network", "network.include: a ZONE connection needs at least one zone.")
    return checked


def issue_token(org: SandboxOrg, user_id: str, name: str, network: Json, *, value: str | None = None,
                actor: Actor | None = None) -> tuple[ApiToken, str]:
    """Create a token as ``user_id`` would in the Admin Console; returns it and its value."""
    user = org.users.get(user_id)
    if user is None:
        raise ValueError(f"no user {user_id}")
    if user.status != "ACTIVE":
        raise ValueError(f"{user.login} is {user.status}; only an active user can sign in and create a token")
    if not name.strip():
        raise ValueError("a token needs a name")
    secret = value or ids.api_token_value()
    if hash_value(secret) in org.token_index:
        raise ValueError("that token value is already in use")
    now = org.clock.now()
    token = ApiToken(id=ids.okta_id(ids.API_TOKEN), seq=next_seq(), name=name.strip(), user_id=user_id,
                     value_hash=hash_value(secret), network=check_network(org, network), created=now,
                     last_updated=now, last_used=now)
    org.api_tokens.add(token)
    org.token_index[token.value_hash] = token.id
    syslog.record(org, actor, "system.api_token.create", "Create API token", [token_target(token)])
    return token, secret


def expires_at(token: ApiToken) -> float:
    return token.last_used + TOKEN_WINDOW_DAYS * SECONDS_PER_DAY


def okta_time(epoch_seconds: float) -> str:
    """A token's time as Okta shows it: to the second (every recorded token's ``created``,
    ``lastUpdated`` and ``expiresAt`` ends in ".000Z"). A call in the same second as the last one
    does not move the expiry Okta lists; the sandbox's milliseconds showed it, which Okta would not."""
    return iso(math.floor(epoch_seconds))


def authenticate(org: SandboxOrg, value: str) -> ApiToken | None:
    """The live token with this value, its use window refreshed; None if unknown or expired."""
    token_id = org.token_index.get(hash_value(value))
    token = org.api_tokens.get(token_id) if token_id else None
    if token is None:
        return None
    now = org.clock.now()
    if now > expires_at(token):
        return None
    token.last_used = now
    return token


def render_token(org: SandboxOrg, token: ApiToken) -> Json:
    href = f"{org.base_url}/api/v1/api-tokens/{token.id}"
    return {
        "id": token.id,
        "name": token.name,
        "userId": token.user_id,
        "clientName": token.client_name,
        "network": dict(token.network),
        "tokenWindow": f"P{TOKEN_WINDOW_DAYS}D",
        "expiresAt": okta_time(expires_at(token)),
        "created": okta_time(token.created),
        "lastUpdated": okta_time(token.last_updated),
        "_links": {"self": {"href": href, "hints": {"allow": ["GET", "DELETE", "PUT"]}},
                   "user": {"href": f"{org.base_url}/api/v1/users/{token.user_id}", "hints": {"allow": ["GET"]}}},
    }


def update_token(org: SandboxOrg, token: ApiToken, body: Mapping[str, Any], actor: Actor | None) -> ApiToken:
    if "userId" in body and body["userId"] not in (None, token.user_id):
        raise validation_failed("userId", "userId: A token's owner can't be changed.")
    name = body.get("name", token.name)
    if not isinstance(name, str) or not name.strip():
        raise validation_failed("name", "name: The field cannot be left blank")
    network = check_network(org, body["network"]) if "network" in body else token.network
    if name.strip() != token.name or network != token.network:
        token.name, token.network = name.strip(), network
        token.last_updated = org.clock.now()
        syslog.record(org, actor, "system.api_token.update", "Update API token", [token_target(token)])
    return token


def revoke_token(org: SandboxOrg, token: ApiToken, actor: Actor | None) -> None:
    org.api_tokens.remove(token.id)
    org.token_index.pop(token.value_hash, None)
    syslog.record(org, actor, "system.api_token.revoke", "Revoke API token", [token_target(token)])


def revoke_user_tokens(org: SandboxOrg, user_id: str, *, actor: Actor | None) -> None:
    for token in [token for token in org.api_tokens if token.user_id == user_id]:
        revoke_token(org, token, actor)
