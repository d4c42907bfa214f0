"""The sandbox org: all of its state, its configuration, and the helpers tests and seeding use.

Everything a real org would hold lives here in memory: users, groups, apps, role assignments,
custom roles, resource sets, the user schema, API tokens, API service integrations, log streams
and the System Log. Tests read these collections directly to assert the final state of the org.
The helpers (``add_user``, ``assign_role``, ``issue_api_token``, ...) stand for what an org
already had, or for what a person did in the Admin Console, so they record no API event except
the token creation a person would leave in the System Log."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from okta_sandbox import ids
from okta_sandbox.clock import SYSTEM_CLOCK, Clock
from okta_sandbox.domain import api_services as api_services_domain
from okta_sandbox.domain import apps as apps_domain
from okta_sandbox.domain import custom_roles as custom_roles_domain
from okta_sandbox.domain import groups as groups_domain
from okta_sandbox.domain import log_streams as log_streams_domain
from okta_sandbox.domain import oidc as oidc_domain
from okta_sandbox.domain import resource_sets as sets_domain
from okta_sandbox.domain import roles as roles_domain
from okta_sandbox.domain import schema as schema_domain
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain import users as users_domain
from okta_sandbox.domain.actors import Actor
from okta_sandbox.domain.api_services import CatalogEntry
from okta_sandbox.entities import (
    AccessToken,
    ApiServiceIntegration,
    ApiToken,
    Application,
    CustomRole,
    Group,
    Json,
    LogEvent,
    LogStream,
    NetworkZone,
    ResourceSet,
    StandardRoleAssignment,
    User,
    UserSchema,
    UserType,
)
from okta_sandbox.faults import FaultPlan
from okta_sandbox.ratelimit import RateLimitConfig, RateLimiter
from okta_sandbox.tables import Table, next_seq

if TYPE_CHECKING:
    from okta_sandbox.seed import DemoOrg

PIPELINES = ("idx", "v1")
# Seeded users get a password that meets Okta's default policy; nobody signs in with it.
SEED_PASSWORD = "Tq7-Vm2x-Rk9z"  # noqa: S105


class SandboxOrg:
    def __init__(self, *, base_url: str = "http://127.0.0.1:8010", pipeline: str = "idx", clock: Clock | None = None,
                 page_size: int = 20, rate_limits: RateLimitConfig | None = None,
                 eventual_consistency_ms: int = 0, partition: str = "okta") -> None:
        if pipeline not in PIPELINES:
            raise ValueError(f"pipeline must be one of {PIPELINES}")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if eventual_consistency_ms < 0:
            raise ValueError("eventual_consistency_ms cannot be negative")
        self.base_url = base_url.rstrip("/")
        self.pipeline = pipeline
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.page_size = page_size
        self.eventual_consistency_ms = eventual_consistency_ms
        self.rate_limiter = RateLimiter(rate_limits or RateLimitConfig(), self.clock)
        self.faults = FaultPlan()
        self.org_id = ids.okta_id(ids.ORG)
        # The ORN partition of the org's cell ("okta", "oktapreview", ...): Okta shows it only in
        # the ORNs it returns, so a client must learn it from those, not from the domain.
        self.partition = partition
        # A custom URL domain (host) the org is also reached by; Okta's own domain stays base_url.
        self.custom_domain: str | None = None
        self.company_name = "Sandbox Org"
        self.subdomain = "sandbox"
        # Signs the sandbox's OAuth access tokens (JWT-shaped, verifiable by nobody outside).
        self.signing_key = secrets.token_bytes(32)
        # Signs OpenID Connect ID tokens (RS256, published at /oauth2/v1/keys); kept across resets.
        self.oidc_key = oidc_domain.SigningKey()
        self._seeders: list[Callable[[SandboxOrg], object]] = []
        # What seed_demo_org made, when the org is the demo org.
        self.demo: DemoOrg | None = None
        self._install()

    @property
    def rate_limits(self) -> RateLimitConfig:
        return self.rate_limiter.config

    @rate_limits.setter
    def rate_limits(self, config: RateLimitConfig) -> None:
        """Change the buckets; counting starts afresh."""
        self.rate_limiter.config = config
        self.rate_limiter.reset()

    def _table(self, key: Callable[[Any], str] | None = None) -> Table[Any]:
        if key is None:
            return Table(self.clock.now, lambda: self.eventual_consistency_ms)
        return Table(self.clock.now, lambda: self.eventual_consistency_ms, key)

    def _install(self) -> None:
        """A new org: Okta's default user type and schema, the Everyone group, two network zones."""
        self.created = self.clock.now()
        self.users: Table[User] = self._table()
        self.groups: Table[Group] = self._table()
        self.apps: Table[Application] = self._table()
        self.role_assignments: Table[StandardRoleAssignment] = self._table(lambda assignment: assignment.key)
        self.custom_roles: Table[CustomRole] = self._table()
        self.resource_sets: Table[ResourceSet] = self._table()
        self.api_tokens: Table[ApiToken] = self._table()
        self.api_services: Table[ApiServiceIntegration] = self._table()
        self.log_streams: Table[LogStream] = self._table()
        self.user_types: Table[UserType] = self._table()
        self.network_zones: Table[NetworkZone] = self._table()
        self.schemas: dict[str, UserSchema] = {}
        self.events: list[LogEvent] = []
        self.token_index: dict[str, str] = {}  # sha256 of a token value -> token id
        self.activation_tokens: dict[str, str] = {}  # activation token -> user id (until used)
        self.access_tokens: dict[str, AccessToken] = {}
        self.oidc = oidc_domain.OidcRegistry()  # sign-in clients and their authorization codes
        self.api_service_catalog: dict[str, CatalogEntry] = {}
        self.add_catalog_entry(api_services_domain.authomize_entry())
        schema_domain.install_default_type(self)
        groups_domain.create_group(self, groups_domain.EVERYONE, "All users in your organization", built_in=True)
        for name in ("LegacyIpZone", "BlockedIpZone"):
            self.network_zones.add(NetworkZone(id=ids.okta_id(ids.NETWORK_ZONE), seq=next_seq(), name=name))

    def reset(self) -> None:
        """Back to a new org (same id and configuration), then re-run the seeds applied so far."""
        self.faults.clear()
        self.rate_limiter.reset()
        self.demo = None
        self._install()
        for seed in list(self._seeders):
            seed(self)

    def register_seeder(self, seed: Callable[[SandboxOrg], object]) -> None:
        self._seeders.append(seed)

    # Reading the org's state (for tests and the control plane)

    @property
    def default_schema(self) -> UserSchema:
        return schema_domain.find_schema(self, "default")

    def schema_properties(self) -> dict[str, Json]:
        """The default user type's custom profile properties, by variable name."""
        return dict(self.default_schema.custom)

    def events_of(self, event_type: str) -> list[Json]:
        return [event.body for event in self.events if event.body["eventType"] == event_type]

    def find_user(self, login: str) -> Json | None:
        user = users_domain.find_by_login(self, login)
        return users_domain.render_user(self, user) if user else None

    def user_roles(self, user_id: str) -> list[Json]:
        user = self.users[user_id]
        return [roles_domain.render_assignment(self, user, assignment)
                for assignment in roles_domain.assignments_of(self, user_id)]

    def find_group(self, name: str) -> Group | None:
        return next((group for group in self.groups if group.name.lower() == name.lower()), None)

    def find_app(self, label: str) -> Application | None:
        return next((app for app in self.apps if app.label == label), None)

    # Seeding helpers

    def add_user(self, login: str, *, first_name: str = "Sandbox", last_name: str = "User", email: str | None = None,
                 status: str = "ACTIVE", password: str | None = SEED_PASSWORD, profile: Json | None = None,
                 groups: Iterable[str] = ()) -> Json:
        """A user who already exists; ``status`` is ACTIVE, STAGED, PROVISIONED or DEPROVISIONED."""
        if status not in ("ACTIVE", "STAGED", "PROVISIONED", "DEPROVISIONED"):
            raise ValueError(f"unsupported seed status {status}")
        full_profile = {"login": login, "email": email or login, "firstName": first_name, "lastName": last_name,
                        **(profile or {})}
        user = users_domain.create_user(self, full_profile, password=password if status != "PROVISIONED" else None,
                                        activate=status != "STAGED")
        if status == "DEPROVISIONED":
            users_domain.deactivate_user(self, user, actor=None)
        for group_ref in groups:
            group = self.groups.get(group_ref) or self.find_group(group_ref)
            if group is None:
                raise ValueError(f"no group {group_ref}")
            groups_domain.add_member(self, group, user.id)
        return users_domain.render_user(self, user)

    def add_group(self, name: str, description: str = "", *, members: Iterable[str] = ()) -> Json:
        group = groups_domain.create_group(self, name, description)
        for user_id in members:
            groups_domain.add_member(self, group, user_id)
        return groups_domain.render_group(self, group)

    def add_app(self, label: str, *, name: str = "oidc_client", sign_on_mode: str = "OPENID_CONNECT",
                redirect_uris: Sequence[str] = (), grant_types: Sequence[str] = ("authorization_code",)) -> Json:
        app = apps_domain.create_app(self, label=label, name=name, sign_on_mode=sign_on_mode,
                                     redirect_uris=list(redirect_uris), grant_types=list(grant_types))
        return apps_domain.render_app(self, app)

    def client_secret(self, app_id: str) -> str:
        """The app's first active client secret (what the Admin Console's Sign On tab shows)."""
        return next(secret.value for secret in self.apps[app_id].secrets if secret.status == "ACTIVE")

    def add_oidc_client(self, redirect_uris: Sequence[str], *, name: str = "OIDC web app",
                        client_id: str | None = None, client_secret: str | None = None) -> tuple[str, str]:
        """Register a web app for OpenID Connect sign-in, as a person would in the Admin Console;
        returns its (client id, client secret). Only these exact redirect URIs are accepted."""
        client = oidc_domain.register_client(self, redirect_uris, name=name, client_id=client_id,
                                             client_secret=client_secret)
        return client.client_id, client.client_secret

    def add_catalog_entry(self, entry: CatalogEntry) -> None:
        self.api_service_catalog[entry.type] = entry

    def add_custom_role(self, label: str, permissions: Sequence[str], description: str = "Seeded role") -> Json:
        role = custom_roles_domain.create_role(
            self, {"label": label, "description": description, "permissions": list(permissions)}, None)
        return custom_roles_domain.render_role(self, role)

    def add_resource_set(self, label: str, resources: Sequence[str], description: str = "Seeded resource set") -> Json:
        resource_set = sets_domain.create_resource_set(
            self, {"label": label, "description": description, "resources": list(resources)}, None)
        return sets_domain.render_resource_set(self, resource_set)

    def add_set_resources(self, resource_set: str, resources: Sequence[str]) -> None:
        """Add resources to a resource set (by id or label), as an administrator does in the Admin Console."""
        sets_domain.add_resources(self, sets_domain.find_resource_set(self, resource_set, consistent=True),
                                  list(resources), None)

    def assign_role(self, user_id: str, role_type: str, *, role: str | None = None,
                    resource_set: str | None = None) -> Json:
        """Give a user a standard role, or (``role_type="CUSTOM"``) a custom role on a resource set
        (each by id or label)."""
        user = self.users[user_id]
        if role_type == "CUSTOM":
            if role is None or resource_set is None:
                raise ValueError("a CUSTOM assignment needs role and resource_set")
            custom = roles_domain.assign_custom(
                self, user, custom_roles_domain.find_role(self, role, consistent=True),
                sets_domain.find_resource_set(self, resource_set, consistent=True), None)
            return roles_domain.render_assignment(self, user, custom)
        standard = roles_domain.assign_standard(self, user, role_type, None)
        return roles_domain.render_assignment(self, user, standard)

    def assign_group_role(self, group_id: str, role_type: str) -> None:
        """Give a group a standard role: its members hold it through the group (assignmentType GROUP)."""
        roles_domain.assign_standard_to_group(self, group_id, role_type)

    def issue_api_token(self, user_id: str, name: str = "Sandbox token", network_connection: str = "ANYWHERE", *,
                        zones: Sequence[str] = (), value: str | None = None) -> str:
        """Create an API token as ``user_id`` would in the Admin Console; returns its value.

        ``network_connection`` is ANYWHERE ("Any IP") or ZONE, with ``zones`` naming network zones by
        id or name. ``value`` fixes the token's value (the demo org keeps its admin token across
        resets)."""
        user = self.users[user_id]
        network: Json = {"connection": network_connection}
        if network_connection == "ZONE":
            network["include"] = [self._zone_id(zone) for zone in zones]
        actor = Actor(user.id, "User", user.login, user.display_name)
        _, secret = tokens_domain.issue_token(self, user_id, name, network, value=value, actor=actor)
        return secret

    def _zone_id(self, ref: str) -> str:
        zone = self.network_zones.get(ref) or next((z for z in self.network_zones if z.name == ref), None)
        if zone is None:
            raise ValueError(f"no network zone {ref}")
        return zone.id

    def complete_activation(self, user_id: str, password: str = SEED_PASSWORD) -> None:
        """What a person does with an activation link: choose a password; the user becomes ACTIVE."""
        users_domain.complete_activation(self, self.users[user_id], password)

    def set_base_permission(self, name: str, action: str, *, type_id: str | None = None) -> None:
        """Set the end user's permission on a base profile property, e.g. ``("email", "HIDE")``, in
        the default user type's schema or, given ``type_id``, in that type's own."""
        schema_domain.set_base_permission(self, name, action, type_id=type_id)

    def add_user_type(self, name: str, display_name: str, description: str = "") -> Json:
        """A user type besides the default (a Contractor, say), with a schema of its own."""
        return schema_domain.render_user_type(self, schema_domain.add_user_type(self, name, display_name,
                                                                                description))

    def type_schema(self, type_id: str) -> UserSchema:
        return schema_domain.schema_for_type(self, type_id)

    def add_log_stream(self, name: str, settings: Json, stream_type: str = "aws_eventbridge") -> Json:
        stream = log_streams_domain.create(self, {"type": stream_type, "name": name, "settings": settings}, None)
        return log_streams_domain.render(self, stream)

    # The compact dump of the control plane

    def state(self) -> Json:
        return {
            "org": {"id": self.org_id, "baseUrl": self.base_url, "pipeline": self.pipeline,
                    "pageSize": self.page_size, "eventualConsistencyMs": self.eventual_consistency_ms},
            "counts": {"users": len(self.users), "groups": len(self.groups), "apps": len(self.apps),
                       "roleAssignments": len(self.role_assignments), "customRoles": len(self.custom_roles),
                       "resourceSets": len(self.resource_sets), "apiTokens": len(self.api_tokens),
                       "apiServices": len(self.api_services), "logStreams": len(self.log_streams),
                       "events": len(self.events), "faults": len(self.faults)},
            "users": [{"id": user.id, "login": user.login, "status": user.status,
                       "roles": [role["type"] if role["type"] != "CUSTOM" else f"CUSTOM:{role['label']}"
                                 for role in self.user_roles(user.id)]} for user in self.users],
            "customRoles": [{"id": role.id, "label": role.label, "permissions": sorted(role.permissions)}
                            for role in self.custom_roles],
            "resourceSets": [{"id": rs.id, "label": rs.label,
                              "resources": [resource.orn for resource in rs.resources.values()],
                              "bindings": {role_id: [member.href for member in binding.members.values()]
                                           for role_id, binding in rs.bindings.items()}}
                             for rs in self.resource_sets],
            "schema": {"custom": sorted(self.default_schema.custom),
                       "email": self.default_schema.base["email"]["permissions"]},
            "apiTokens": [{"id": token.id, "name": token.name, "userId": token.user_id,
                           "network": token.network} for token in self.api_tokens],
            "apps": [{"id": app.id, "name": app.name, "label": app.label,
                      "grants": sorted(grant.scope_id for grant in app.grants.values()),
                      "users": sorted(app.users), "groups": sorted(app.groups)} for app in self.apps],
            "apiServices": [{"id": service.id, "type": service.type, "grantedScopes": service.granted_scopes}
                            for service in self.api_services],
            "logStreams": [{"id": stream.id, "name": stream.name, "type": stream.type, "status": stream.status}
                           for stream in self.log_streams],
            "faults": [rule.to_json() for rule in self.faults.rules],
        }
