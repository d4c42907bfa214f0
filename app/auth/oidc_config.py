"""The administrator's settings for signing in with the company's identity provider (OpenID
Connect): issuer, client id, the client secret (sealed in the vault, never shown again), the claim
to read and which of its values make an administrator, an operator or an auditor.

Stored as one row of ``app_settings``; the secret's plaintext lives only in ``sealed_secrets``."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common import destinations
from app.common.validation import Fields
from app.store.models import AppSetting, OperatorRole
from app.store.repositories.secrets import SecretRepository
from app.vault import Secret, Vault

SETTINGS_KEY = "oidc_sign_in"
SECRET_PURPOSE = "oidc-client-secret"  # noqa: S105 - a purpose label, not a secret
SECRET_OWNER = "oidc-sign-in"  # noqa: S105 - whose secret it is: the sign-in settings
DEFAULT_CLAIM = "groups"
DEFAULT_PROVIDER_NAME = "your identity provider"
# First match wins, in this order: someone in both the admin and the auditor group is an admin.
ROLE_ORDER = (OperatorRole.ADMIN, OperatorRole.OPERATOR, OperatorRole.AUDITOR)
MAX_VALUES_PER_ROLE = 50

CLAIM_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:@\-]{1,200}")


@dataclass(frozen=True)
class OidcConfig:
    enabled: bool = False
    provider_name: str = ""
    issuer: str = ""
    client_id: str = ""
    client_secret_id: uuid.UUID | None = None
    claim: str = DEFAULT_CLAIM
    # Claim values that grant each role, keyed by the role's value ("admin", "operator", "auditor").
    role_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # An administrator's explicit choice: the provider is on the company's private network. Without
    # it, an issuer whose name resolves to a private address is refused (loopback and link-local
    # addresses always are), so the server cannot be made to call into its own network.
    allow_private_network: bool = False

    @property
    def display_name(self) -> str:
        return self.provider_name or DEFAULT_PROVIDER_NAME

    def values_for(self, role: OperatorRole) -> tuple[str, ...]:
        return tuple(self.role_values.get(role.value, ()))

    def role_for(self, claim_values: Iterable[str]) -> OperatorRole | None:
        """The role the claim's values grant: the first of admin, operator, auditor with a matching
        value (compared exactly, case included), or None."""
        held = set(claim_values)
        for role in ROLE_ORDER:
            if held.intersection(self.values_for(role)):
                return role
        return None

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "provider_name": self.provider_name, "issuer": self.issuer,
                "client_id": self.client_id,
                "client_secret_id": str(self.client_secret_id) if self.client_secret_id else None,
                "claim": self.claim, "role_values": {role: list(values) for role, values in self.role_values.items()},
                "allow_private_network": self.allow_private_network}

    @classmethod
    def from_json(cls, value: object) -> OidcConfig:
        if not isinstance(value, dict):
            return cls()
        secret_id = value.get("client_secret_id")
        roles = value.get("role_values") if isinstance(value.get("role_values"), dict) else {}
        return cls(
            enabled=bool(value.get("enabled")),
            provider_name=str(value.get("provider_name") or ""),
            issuer=str(value.get("issuer") or ""),
            client_id=str(value.get("client_id") or ""),
            client_secret_id=uuid.UUID(secret_id) if isinstance(secret_id, str) and secret_id else None,
            claim=str(value.get("claim") or DEFAULT_CLAIM),
            role_values={role.value: tuple(str(v) for v in (roles or {}).get(role.value, []) or [])
                         for role in ROLE_ORDER},
            allow_private_network=value.get("allow_private_network") is True,
        )


async def load_config(session: AsyncSession) -> OidcConfig:
    row = await session.get(AppSetting, SETTINGS_KEY)
    return OidcConfig.from_json(row.value if row else None)


async def read_client_secret(session: AsyncSession, vault: Vault, config: OidcConfig) -> Secret | None:
    if config.client_secret_id is None or not await SecretRepository(session, vault).exists(config.client_secret_id):
        return None
    return await SecretRepository(session, vault).read(config.client_secret_id, purpose=SECRET_PURPOSE,
                                                       owner=SECRET_OWNER)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def issuer_problem(issuer: str, sandbox_origin: str | None) -> str | None:
    """Why this issuer may not be used, or None. Only https, except the sandbox Okta's own
    address while the sandbox is enabled (it runs on plain http on this machine)."""
    if sandbox_origin and issuer.rstrip("/").lower() == sandbox_origin.rstrip("/").lower():
        return None
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        return "The issuer is not a valid address. Enter it like https://acme.okta.com."
    if parts.scheme != "https":
        hint = " (or the sandbox Okta's address, while the sandbox is enabled)" if sandbox_origin else ""
        return f"The issuer must be an https:// address, like https://acme.okta.com{hint}."
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment or port == 0:
        return ("Enter only the issuer's address, like https://acme.okta.com or "
                "https://acme.okta.com/oauth2/default: no user name, query or fragment.")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    return "Enter the issuer by its name, like https://acme.okta.com, not by an IP address."


def address_problem(host: str, addresses: Iterable[str], allow_private: bool) -> str | None:
    """Why the server must not connect to the provider at ``host`` at these resolved addresses, or
    None: the one rule of app/common/destinations.py. This machine is never the provider (the
    sandbox Okta is let through by its exact address before this is asked)."""
    return destinations.address_problem(host, addresses, private_ok=allow_private, loopback_ok=False,
                                        service="the identity provider",
                                        private_choice="The provider is on our private network")


async def resolve(host: str) -> list[str]:
    """The addresses ``host`` resolves to (empty when it does not resolve)."""
    return await destinations.resolve(host)


def _values(form: Fields, role: OperatorRole) -> tuple[str, ...]:
    name = f"oidc_{role.value}_values"
    text = form.text(name, label=f"{role.label} values", required=False, max_length=10_000, multiline=True)
    values = tuple(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if len(values) > MAX_VALUES_PER_ROLE:
        form.errors[name] = f"List at most {MAX_VALUES_PER_ROLE} values for a role."
    elif any(len(value) > 200 for value in values):
        form.errors[name] = "Each value must be at most 200 characters."
    return values


@dataclass(frozen=True)
class SignInSettings:
    """The identity provider's sign-in as an administrator sets it (each role's claim values one
    per line; an empty client secret keeps the stored one)."""

    oidc_enabled: bool = False
    oidc_provider_name: str = ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_claim: str = ""
    oidc_admin_values: str = ""
    oidc_operator_values: str = ""
    oidc_auditor_values: str = ""
    oidc_allow_private_network: bool = False


async def save_config(session: AsyncSession, vault: Vault, given: SignInSettings, actor: Actor, *,
                      sandbox_origin: str | None,
                      resolver: Callable[[str], Awaitable[list[str]]] = resolve) -> list[str]:
    """Check and store the settings; returns what changed, for the page. Raises ValidationFailed
    with a message per field. The client secret is replaced only when a new one was typed."""
    current = await load_config(session)
    form = Fields.of(given)
    enabled = given.oidc_enabled
    provider_name = form.text("oidc_provider_name", label="Provider name", required=enabled, max_length=60,
                              missing="Enter the name shown on the sign-in button, like Acme Okta.")
    issuer = form.text("oidc_issuer", label="Issuer URL", required=enabled, max_length=300,
                       missing="Enter the issuer URL, like https://acme.okta.com.")
    if issuer and "oidc_issuer" not in form.errors:
        problem = issuer_problem(issuer, sandbox_origin)
        if problem:
            form.errors["oidc_issuer"] = problem
        elif sandbox_origin and issuer.rstrip("/").lower() == sandbox_origin.rstrip("/").lower():
            issuer = sandbox_origin.rstrip("/")
    client_id = form.text("oidc_client_id", label="Client ID", required=enabled, max_length=200,
                          pattern=CLIENT_ID_PATTERN, pattern_hint="Paste the client ID exactly as the provider shows "
                          "it (letters, digits and . _ : @ -).")
    secret = form.secret("oidc_client_secret", label="Client secret", required=False, max_length=1000)
    claim = form.text("oidc_claim", label="Claim to read", required=False, max_length=100, pattern=CLAIM_PATTERN,
                      pattern_hint="Enter a claim name such as groups (letters, digits and . _ : -).") or DEFAULT_CLAIM
    role_values = {role.value: _values(form, role) for role in ROLE_ORDER}
    allow_private = given.oidc_allow_private_network
    is_sandbox = bool(sandbox_origin) and issuer.rstrip("/").lower() == (sandbox_origin or "").rstrip("/").lower()
    if issuer and "oidc_issuer" not in form.errors and not is_sandbox:
        host = urlsplit(issuer).hostname or ""
        problem = address_problem(host, await resolver(host), allow_private)
        if problem:
            form.errors["oidc_issuer"] = problem
    has_secret = current.client_secret_id is not None and await SecretRepository(session, vault).exists(
        current.client_secret_id)
    if enabled and not secret and not has_secret and "oidc_client_secret" not in form.errors:
        form.errors["oidc_client_secret"] = "Enter the client secret the provider showed for this app."  # noqa: S105
    # The secret kept is sent only where it was given: a new issuer (or app) left the box empty sent
    # it to whatever answered there, the client secret "never shown again" (security review, L1). So
    # another issuer or client ID, cleared too, asks for it again, or (turned off) lets it go: cleared
    # while off, then set anew, kept it for the new issuer (review of this change, M2).
    moved = has_secret and not secret and (issuer.rstrip("/").lower() != current.issuer.rstrip("/").lower()
                                           or client_id != current.client_id)
    if moved and enabled and "oidc_client_secret" not in form.errors:
        form.errors["oidc_client_secret"] = ("Enter the client secret again: the one kept is sent only to the "  # noqa: S105
                                             "issuer and client ID it was given for.")
    if enabled and not any(role_values.values()):
        form.errors["oidc_admin_values"] = ("Map at least one claim value to a role; with none, nobody could sign "
                                            "in with the identity provider.")
    form.raise_if_invalid("The sign-in settings were not saved. Check the fields below.")

    secret_id = current.client_secret_id
    repository = SecretRepository(session, vault)
    dropped = moved and secret_id is not None
    if dropped:
        assert secret_id is not None
        await repository.destroy(secret_id, purpose=SECRET_PURPOSE, owner=SECRET_OWNER)
        secret_id = None
    if secret:
        replaced = False
        if secret_id is not None:
            try:
                await repository.replace(secret_id, Secret(secret), purpose=SECRET_PURPOSE, owner=SECRET_OWNER)
                replaced = True
            except KeyError:  # the sealed row is gone (say, a partial restore): store a new one
                pass
        if not replaced:
            secret_id = await repository.store(SECRET_PURPOSE, Secret(secret), owner=SECRET_OWNER)
    config = OidcConfig(enabled=enabled, provider_name=provider_name, issuer=issuer, client_id=client_id,
                        client_secret_id=secret_id, claim=claim, role_values=role_values,
                        allow_private_network=allow_private)
    changes = []
    if config.enabled != current.enabled:
        changes.append("turned on" if enabled else "turned off")
    compared: dict[str, Callable[[OidcConfig], object]] = {
        "provider name": lambda c: c.provider_name, "issuer": lambda c: c.issuer,
        "client ID": lambda c: c.client_id, "claim": lambda c: c.claim,
        "private network": lambda c: c.allow_private_network,
        "role mapping": lambda c: [c.values_for(role) for role in ROLE_ORDER]}
    changes += [label for label, value in compared.items() if value(config) != value(current)]
    if secret:
        changes.append("client secret replaced" if has_secret else "client secret stored")
    elif dropped:
        changes.append("client secret destroyed (given for another issuer or client ID)")
    if not changes:
        return []
    row = await session.get(AppSetting, SETTINGS_KEY)
    if row is None:
        session.add(AppSetting(key=SETTINGS_KEY, value=config.to_json(), updated_by_id=actor.id))
    else:
        row.value = config.to_json()
        row.updated_by_id = actor.id
    await record(session, action="settings_change", actor=actor, subject_type="setting", subject_id=SETTINGS_KEY,
                 summary=f"Sign-in with the identity provider: {', '.join(changes)}",
                 details={"enabled": enabled, "issuer": issuer, "client_id": client_id, "claim": claim,
                          "role_values": {role: list(values) for role, values in role_values.items()},
                          "changed": changes})
    return changes

