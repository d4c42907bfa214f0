"""Typed views of the Okta objects the wizard uses. Parsing is lenient: unknown fields are kept
(``model_extra``), missing optional fields are ``None``; only what the wizard relies on is named."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OktaObject(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)

    links: dict[str, Any] = Field(default_factory=dict, alias="_links")

    def link(self, rel: str) -> str | None:
        value = self.links.get(rel)
        if isinstance(value, dict) and value.get("href"):
            return str(value["href"])
        return None


class UserProfile(OktaObject):
    login: str | None = None
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    userType: str | None = None
    title: str | None = None


class User(OktaObject):
    id: str
    status: str | None = None
    transitioningToStatus: str | None = None
    created: str | None = None
    profile: UserProfile = Field(default_factory=UserProfile)

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.profile.firstName, self.profile.lastName) if p)
        return name or self.profile.login or self.id

    @property
    def status_words(self) -> str:
        """Its status as the Admin Console's People list shows it, with the API's name beside:
        "“Pending user action”, status PROVISIONED"; a report read "status then PROVISIONED" (QA walk 15, L5)."""
        shown = CONSOLE_STATUS.get(self.status or "")
        return f"“{shown}”, status {self.status}" if shown else f"status {self.status or 'unknown'}"


# The Admin Console's names of the API's user statuses (Directory > People).
CONSOLE_STATUS = {"STAGED": "Staged", "PROVISIONED": "Pending user action", "ACTIVE": "Active",
                  "RECOVERY": "Password reset", "PASSWORD_EXPIRED": "Password expired", "LOCKED_OUT": "Locked out",
                  "SUSPENDED": "Suspended", "DEPROVISIONED": "Deactivated"}


class RoleAssignment(OktaObject):
    id: str
    type: str
    label: str | None = None
    status: str | None = None
    assignmentType: str | None = None
    role: str | None = None  # custom role id (CUSTOM only)
    resource_set: str | None = Field(default=None, alias="resource-set")

    @property
    def via_group(self) -> bool:
        """Held through a group: it shows in the user's role list but belongs to the group, and
        only the group's assignment can be removed."""
        return (self.assignmentType or "").upper() == "GROUP"

    @property
    def group_id(self) -> str | None:
        href = self.link("assignee") or ""
        return href.rstrip("/").rsplit("/", 1)[-1] if self.via_group and "/groups/" in href else None


class CustomRole(OktaObject):
    id: str
    label: str
    description: str | None = None


class Permission(OktaObject):
    label: str


class ResourceSet(OktaObject):
    id: str
    label: str
    description: str | None = None


class Resource(OktaObject):
    id: str
    orn: str | None = None


class Binding(OktaObject):
    id: str  # the role id


class BindingMember(OktaObject):
    id: str


class ApiToken(OktaObject):
    id: str
    name: str | None = None
    userId: str | None = None
    clientName: str | None = None
    network: dict[str, Any] = Field(default_factory=dict)
    tokenWindow: str | None = None
    expiresAt: str | None = None
    created: str | None = None

    @property
    def network_connection(self) -> str | None:
        value = self.network.get("connection")
        return str(value) if value else None


class NetworkZone(OktaObject):
    id: str
    name: str


class App(OktaObject):
    id: str
    name: str | None = None
    label: str | None = None
    status: str | None = None
    signOnMode: str | None = None
    credentials: dict[str, Any] = Field(default_factory=dict)

    @property
    def client_id(self) -> str | None:
        client = (self.credentials.get("oauthClient") or {}).get("client_id")
        return str(client) if client else None


class Grant(OktaObject):
    id: str
    scopeId: str
    issuer: str | None = None
    status: str | None = None


class AppUser(OktaObject):
    id: str
    scope: str | None = None


class AppGroup(OktaObject):
    id: str


class ApiServiceIntegration(OktaObject):
    id: str
    type: str
    name: str | None = None
    grantedScopes: list[str] = Field(default_factory=list)
    createdAt: str | None = None


class ApiServiceIntegrationSecret(OktaObject):
    """A client secret of an API service integration. ``client_secret`` is the value only in the
    answer that created it; lists and lifecycle answers carry a masked form."""

    id: str
    status: str | None = None
    created: str | None = None
    lastUpdated: str | None = None
    # Masked in lists ("***MQGQ"): its last characters are what the Admin Console's Client secrets
    # list shows of each secret, the one detail that tells two made in the same minute apart.
    client_secret: str | None = None
    secret_hash: str | None = None

    @property
    def ending(self) -> str | None:
        """The value's last four characters, as the console shows them; never more of it (the
        answer that made a secret carries its whole value)."""
        shown = (self.client_secret or "").lstrip("*")
        return shown[-4:] if len(shown) >= 4 else None


class LogStream(OktaObject):
    id: str
    type: str
    name: str
    status: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class Group(OktaObject):
    id: str
    type: str | None = None
    profile: dict[str, Any] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.profile.get("name") or self.id)


class OrgMetadata(OktaObject):
    """``/.well-known/okta-organization``."""

    id: str
    pipeline: str | None = None

    @property
    def organization_url(self) -> str | None:
        return self.link("organization")

    @property
    def custom_domain_url(self) -> str | None:
        return self.link("alternate")

    @property
    def identity_engine(self) -> bool:
        return self.pipeline == "idx"


class OrgSettings(OktaObject):
    id: str
    companyName: str | None = None
    subdomain: str | None = None
    status: str | None = None


class LogEvent(OktaObject):
    uuid: str
    published: str
    eventType: str
    displayMessage: str | None = None
    actor: dict[str, Any] = Field(default_factory=dict)
    target: list[dict[str, Any]] = Field(default_factory=list)


class UserType(OktaObject):
    id: str
    name: str
    displayName: str | None = None
    default: bool = False

    @property
    def label(self) -> str:
        """The type as the Profile Editor lists it: "User (default)", "Contractor"."""
        shown = self.displayName or self.name
        return f"{shown} (default)" if self.default else shown

    @property
    def schema_id(self) -> str | None:
        """What to read this type's schema by. The default type's is "default", the name every
        other step reads it by, so a phase reads it once; another type's is the id that ends its
        ``_links.schema`` (Okta's schema ids are not derived from the type's)."""
        if self.default:
            return "default"
        href = self.link("schema")
        return href.rstrip("/").rsplit("/", 1)[-1] if href else None


class UserSchema(OktaObject):
    id: str | None = None
    definitions: dict[str, Any] = Field(default_factory=dict)

    def properties(self, section: str) -> dict[str, Any]:
        props = (self.definitions.get(section) or {}).get("properties") or {}
        return props if isinstance(props, dict) else {}

    def custom_property(self, name: str) -> dict[str, Any] | None:
        value = self.properties("custom").get(name)
        return value if isinstance(value, dict) else None

    def base_property(self, name: str) -> dict[str, Any] | None:
        value = self.properties("base").get(name)
        return value if isinstance(value, dict) else None


# The end user's permission on an attribute: its order, and its name in the Admin Console's Profile Editor.
PERMISSION_RANK = {"HIDE": 0, "READ_ONLY": 1, "READ_WRITE": 2}
PERMISSION_WORDS = {"HIDE": "Hide", "READ_ONLY": "Read Only", "READ_WRITE": "Read-Write"}


def permission_words(value: str | None) -> str:
    """A user permission as the Admin Console shows it ("Read Only"); no permission is "not set"."""
    return PERMISSION_WORDS.get(value or "", value or "not set")


def self_permission(attribute: dict[str, Any]) -> str | None:
    """The end user's own permission on an attribute (READ_ONLY, READ_WRITE or HIDE)."""
    for entry in attribute.get("permissions") or []:
        if isinstance(entry, dict) and entry.get("principal") == "SELF":
            return str(entry.get("action")) if entry.get("action") else None
    return None
