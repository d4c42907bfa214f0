"""The sandbox org's state: one dataclass per kind of Okta object.

These hold what Okta stores; the JSON Okta returns is rendered from them by the ``domain``
modules (``render_*`` functions), so secrets such as token values never sit in a response-shaped
dict by accident. Times are epoch seconds from the org clock."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(eq=False)
class User:
    id: str
    seq: int
    status: str
    created: float
    last_updated: float
    profile: Json
    type_id: str
    has_password: bool = False
    activated: float | None = None
    status_changed: float | None = None
    password_changed: float | None = None
    last_login: float | None = None
    password_expired: bool = False

    @property
    def login(self) -> str:
        return str(self.profile.get("login", ""))

    @property
    def display_name(self) -> str:
        name = " ".join(str(self.profile.get(part) or "") for part in ("firstName", "lastName")).strip()
        return name or self.login


@dataclass(eq=False)
class Group:
    id: str
    seq: int
    name: str
    description: str
    type: str  # OKTA_GROUP, or BUILT_IN for Everyone (whose members are all users)
    created: float
    last_updated: float
    last_membership_updated: float
    members: set[str] = field(default_factory=set)


@dataclass(eq=False)
class StandardRoleAssignment:
    id: str
    seq: int
    user_id: str  # "" for a group's assignment
    type: str
    created: float
    last_updated: float
    # A role assigned to a group: every member holds it, and it shows in each member's role list
    # with assignmentType GROUP (it can be removed only from the group).
    group_id: str | None = None

    @property
    def key(self) -> str:
        """What names the assignment in the org: its id is the role type's, the same for every
        holder (ids.standard_role_assignment_id), so the holder comes with it."""
        return f"{self.group_id or self.user_id}/{self.id}"


@dataclass(eq=False)
class Permission:
    label: str
    created: float
    last_updated: float
    conditions: Json | None = None


@dataclass(eq=False)
class CustomRole:
    id: str
    seq: int
    label: str
    description: str
    created: float
    last_updated: float
    permissions: dict[str, Permission] = field(default_factory=dict)


@dataclass(eq=False)
class Resource:
    id: str
    seq: int
    orn: str
    href: str | None  # the REST URL form, when the resource has one
    created: float


@dataclass(eq=False)
class BindingMember:
    id: str
    seq: int
    kind: str  # "user" or "group"
    principal_id: str
    href: str
    created: float
    last_updated: float


@dataclass(eq=False)
class Binding:
    role_id: str
    seq: int
    created: float
    members: dict[str, BindingMember] = field(default_factory=dict)


@dataclass(eq=False)
class ResourceSet:
    id: str
    seq: int
    label: str
    description: str
    created: float
    last_updated: float
    resources: dict[str, Resource] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)  # by custom role id


def secret_hash(value: str) -> str:
    # Okta shows a short hash so admins can tell secrets apart without seeing them.
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).decode().rstrip("=")


@dataclass(eq=False)
class ClientSecret:
    id: str
    seq: int
    value: str
    status: str
    created: float
    last_updated: float

    @property
    def hash(self) -> str:
        return secret_hash(self.value)


@dataclass(eq=False)
class AppUserAssignment:
    user_id: str
    seq: int
    created: float
    last_updated: float
    profile: Json = field(default_factory=dict)


@dataclass(eq=False)
class AppGroupAssignment:
    group_id: str
    seq: int
    priority: int
    last_updated: float
    profile: Json = field(default_factory=dict)


@dataclass(eq=False)
class ScopeGrant:
    id: str
    seq: int
    scope_id: str
    issuer: str
    created: float
    last_updated: float
    created_by_id: str
    created_by_type: str  # "User" or "Client"


@dataclass(eq=False)
class Application:
    id: str
    seq: int
    name: str
    label: str
    sign_on_mode: str
    status: str
    created: float
    last_updated: float
    settings: Json = field(default_factory=dict)
    credentials: Json = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    secrets: list[ClientSecret] = field(default_factory=list)
    users: dict[str, AppUserAssignment] = field(default_factory=dict)
    groups: dict[str, AppGroupAssignment] = field(default_factory=dict)
    grants: dict[str, ScopeGrant] = field(default_factory=dict)

    @property
    def client_id(self) -> str | None:
        client = self.credentials.get("oauthClient")
        return str(client["client_id"]) if isinstance(client, dict) and "client_id" in client else None


@dataclass(eq=False)
class ApiToken:
    id: str
    seq: int
    name: str
    user_id: str
    value_hash: str
    network: Json
    created: float
    last_updated: float
    last_used: float
    client_name: str = "Okta API"


@dataclass(eq=False)
class ApiServiceIntegration:
    id: str  # also the OAuth client_id
    seq: int
    type: str
    name: str
    created_at: float
    created_by: str
    granted_scopes: list[str]
    config_guide_url: str
    properties: Json | None = None
    secrets: list[ClientSecret] = field(default_factory=list)


@dataclass(eq=False)
class AccessToken:
    value_hash: str
    client_id: str
    scopes: frozenset[str]
    issued_at: float
    expires_at: float


@dataclass(eq=False)
class LogStream:
    id: str
    seq: int
    type: str
    name: str
    status: str
    created: float
    last_updated: float
    settings: Json


@dataclass(eq=False)
class LogEvent:
    id: str  # the event's uuid
    seq: int
    published: float
    body: Json


@dataclass(eq=False)
class UserType:
    id: str
    seq: int
    name: str
    display_name: str
    description: str
    default: bool
    schema_id: str
    created: float
    last_updated: float


@dataclass(eq=False)
class UserSchema:
    """The profile schema of one user type: Okta's base properties and the org's custom ones."""

    id: str  # the schema id ("osc…"); the default type's schema also answers to "default"
    type_id: str
    base: dict[str, Json]
    custom: dict[str, Json]
    created: float
    last_updated: float


@dataclass(eq=False)
class NetworkZone:
    id: str
    seq: int
    name: str
