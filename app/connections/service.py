"""Adding an Okta connection: the address is validated, a preflight runs with the credential
(who it belongs to, whether it is Super Admin, the org, Identity Engine or Classic, rate-limit
headroom), and only if that succeeds is the credential sealed and the connection kept. A bad
credential gets Okta's answer in plain words, and nothing is stored."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.validation import Fields, ValidationFailed
from app.okta.client import OktaClient
from app.okta.credentials import ApiTokenCredential, static_secret
from app.okta.errors import OktaError, OktaForbidden, OktaRateLimited, OktaTransportError, OktaUnauthorized
from app.okta.gateway import ConnectionUnusable, OktaGateway
from app.okta.orgurl import OrgUrl, OrgUrlError, typed_host
from app.okta.ratelimit import INTERACTIVE
from app.store.base import fold_name, name_taken, utcnow
from app.store.db import Database
from app.store.models import OktaConnection, Operator, OperatorRole

# The routes ask this service which custom domains are allowed (the query lives with the settings).
from app.store.repositories.app_settings import allowed_custom_domains as allowed_custom_domains
from app.store.repositories.onboardings import onboardings_using
from app.store.repositories.secrets import CREDENTIAL_PURPOSE, SecretRepository, connection_owner
from app.store.repositories.state import mark_check_failed, mark_refused, set_status
from app.store.statuses import OnboardingStatus, Outcome, retired_note
from app.vault import Secret, Vault


@dataclass
class PreflightReport:
    org_id: str
    pipeline: str
    domain: str
    owner: dict[str, Any]
    roles: list[str]
    is_super_admin: bool
    headroom: dict[str, Any] | None = None
    custom_domain: str | None = None
    # The org's own Okta address (``_links.organization`` of its well-known document): what the
    # API and the vendors' documents need, even when the wizard reaches the org by a custom domain.
    okta_domain: str | None = None
    problems: list[str] = field(default_factory=list)
    # Set when the operator already had a connection to this org with this account's token: its
    # label (that connection now holds the new token; no second one was added).
    replaced: str | None = None

    @property
    def engine_label(self) -> str:
        return {"idx": "Identity Engine", "v1": "Classic Engine"}.get(self.pipeline, self.pipeline or "unknown")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def run_preflight(okta: OktaClient) -> PreflightReport:
    metadata = await okta.org.metadata()
    owner = await okta.users.me()
    roles = await okta.roles.of_user(owner.id)
    types = sorted({r.type for r in roles})
    headroom = None
    buckets = okta.http.limiter.buckets
    if buckets:
        tightest = min(buckets.values(), key=lambda b: b.remaining / max(b.limit, 1))
        headroom = {"limit": tightest.limit, "remaining": tightest.remaining, "reset": tightest.reset}
    return PreflightReport(
        org_id=metadata.id, pipeline=metadata.pipeline or "", domain=okta.http.org.display_domain,
        owner={"id": owner.id, "login": owner.profile.login, "email": owner.profile.email,
               "name": owner.display_name},
        roles=types, is_super_admin="SUPER_ADMIN" in types, headroom=headroom,
        custom_domain=metadata.custom_domain_url, okta_domain=metadata.organization_url,
    )


def explain(exc: OktaError) -> str:
    if isinstance(exc, OktaUnauthorized):
        return ("Okta did not accept this API token: it is wrong, expired, revoked, or its owner is deactivated. "
                f"({exc.okta_said})")
    if isinstance(exc, OktaForbidden):
        return ("The token works but its owner may not read their own roles; the wizard needs a Super "
                f"Administrator's token. ({exc.okta_said})")
    return exc.message


async def check_credential(gateway: OktaGateway, org: OrgUrl, token: Secret, actor: Actor) -> PreflightReport:
    """The preflight of a connection being added. A person waits on the form, so Okta's rate limit
    or silence fails it within seconds (``INTERACTIVE``), before anything is stored."""
    async with gateway.client(org, ApiTokenCredential(static_secret(token)), actor=actor,
                              patience=INTERACTIVE) as okta:
        try:
            return await run_preflight(okta)
        except OktaRateLimited as exc:
            # Okta asks the org's callers to slow down: neither the address nor the token is at fault.
            raise ValidationFailed({}, f"{exc.message} Nothing was stored.") from None
        except OktaTransportError as exc:
            # The org could not be reached at all: a fault of the address or the network, not the token.
            raise ValidationFailed({"org_url": exc.message}, "The Okta org could not be reached; nothing was "
                                   "stored.") from None
        except OktaError as exc:
            raise ValidationFailed({"api_token": explain(exc)}, "The token could not be checked with Okta; "
                                   "nothing was stored.") from None


@dataclass(frozen=True)
class NewConnection:
    org_url: str  # the org's address as the operator typed it
    api_token: str = field(repr=False)
    label: str = ""  # as typed: refused when another connection in use has it
    default_label: str = ""  # the name when none is typed (the org's address if none): told apart if taken


async def add_connection(db: Database, vault: Vault, gateway: OktaGateway, new: NewConnection, actor: Actor,
                         custom_domains: Collection[str]) -> tuple[OktaConnection, PreflightReport]:
    """Validate, preflight and keep a new connection; a refused one is recorded (who tried which
    org, and why), though nothing else of it is stored."""
    try:
        return await _add(db, vault, gateway, new, actor, custom_domains)
    except ValidationFailed as exc:
        await _record_refusal(db, gateway, new.org_url, custom_domains, exc, actor)
        raise


async def _record_refusal(db: Database, gateway: OktaGateway, raw_url: str, custom_domains: Collection[str],
                          refused: ValidationFailed, actor: Actor) -> None:
    """The trail's record of a connection that was not added: the only trace was the preflight's
    Okta calls, naming neither the org nor the person's intent (QA walk 13, L6). The org is named
    by its host alone (no path, no user-info), and only when it reads as a host name: whatever
    else was typed in the address field (a token pasted there, say) stays out of the trail."""
    try:
        host: str | None = gateway.org(raw_url, custom_domains).display_domain
    except ValueError:
        host = typed_host(raw_url)
    typed = bool((raw_url or "").strip())
    reasons = list(refused.errors.values()) or [refused.message]
    if host is None and typed and "org_url" in refused.errors:
        reasons = ["The address is not a host name.", *(m for f, m in refused.errors.items() if f != "org_url")]
    why = " ".join(r if r.endswith(".") else r + "." for r in reasons)
    target = host or ("an address that is not a host name" if typed else "no address")
    async with db.session() as session:
        await record(session, action="connection_refused", actor=actor, outcome=Outcome.failed,
                     subject_type="okta_org", subject_id=host, summary=f"Okta connection to {target} not added: {why}",
                     details={"org": host, "fields": sorted(refused.errors)})


async def _add(db: Database, vault: Vault, gateway: OktaGateway, new: NewConnection, actor: Actor,
               custom_domains: Collection[str]) -> tuple[OktaConnection, PreflightReport]:
    form = Fields.of(new)
    raw_url = form.text("org_url", label="Okta address", max_length=300)
    token_text = form.api_token("api_token", label="API token")
    label = form.text("label", label="Name", required=False, max_length=200)
    org: OrgUrl | None = None
    if raw_url and "org_url" not in form.errors:
        try:
            org = gateway.org(raw_url, custom_domains)
        except OrgUrlError as exc:
            form.errors["org_url"] = str(exc)
    async with db.sessions() as session:
        names = await _names_in_use(session)
    holder = names.get(fold_name(label)) if label else None
    if holder is not None and org is not None and holder[:2] != (org.origin, actor.id):
        # Two connections of one name cannot be told apart where one is chosen (QA walk 24, L2); one's
        # own to the same org may be the one whose token this renews.
        form.errors["label"] = _name_taken(holder[2])
    form.raise_if_invalid("The connection was not added.")
    assert org is not None
    token = Secret(token_text, remember=False)  # until Okta accepts it (security review, H1)
    report = await check_credential(gateway, org, token, actor)
    token.remember()
    # Another add may take the name after the names were read (two people at one moment, on Postgres; on
    # SQLite writers queue): read again, so a name typed is refused and one chosen is told apart.
    for _attempt in range(3):
        try:
            return await _keep(db, vault, org, report, token, new, label, actor)
        except IntegrityError as exc:
            if not name_taken(exc, OktaConnection.__tablename__):
                raise
    raise ValidationFailed({"label": "Other connections were being added with this name at the same moment: "
                                     "add it again."}, "The connection was not added.")


async def _keep(db: Database, vault: Vault, org: OrgUrl, report: PreflightReport, token: Secret, new: NewConnection,
                label: str, actor: Actor) -> tuple[OktaConnection, PreflightReport]:
    """The connection kept (or the token of this operator's twin renewed), with the names in use read
    in the transaction that writes it: the preflight took seconds, in which a colleague may have added
    one (the database's unique index refuses what this read cannot see yet)."""
    async with db.session() as session:
        names = await _names_in_use(session)
        twin = await _same_account(session, org.origin, report, actor)
        if twin is not None and twin.credential_secret_id is not None:
            # Two connections to one org with one account's token cannot be told apart in the
            # lists: the one this operator has keeps the token just pasted instead.
            await SecretRepository(session, vault).replace(twin.credential_secret_id, token,
                                                           purpose=CREDENTIAL_PURPOSE, owner=connection_owner(twin.id))
            report.replaced = twin.label
            twin.preflight = report.as_dict()
            twin.checked_at = utcnow()
            await record(session, action="connection_token_replaced", actor=actor, subject_type="okta_connection",
                         subject_id=str(twin.id),
                         summary=f"Okta connection {twin.label} to {org.display_domain}: token of "
                                 f"{report.owner.get('login')} replaced (fingerprint {token.fingerprint()})")
            return twin, report
        if label and fold_name(label) in names:  # one's own of that name, which this token did not renew
            raise ValidationFailed({"label": _name_taken(names[fold_name(label)][2])}, "The connection was not added.")
        if not label:  # the org's name, told apart from another's of that name by the token's owner, or who added it
            base = new.default_label or org.display_domain
            login = report.owner.get("login")
            # (Not by the owner when the one named so has the same: it told apart nothing, QA walk 25, L1.)
            same_owner = names.get(fold_name(base), ("", None, "", ""))[3] == login
            # Who added it as the lists name them (by their name, not their username: QA walk 28, L5).
            adder = await session.get(Operator, actor.id) if actor.id else None
            who = adder.display_name if adder is not None else actor.name
            candidates = (base, "" if same_owner else f"{base} ({login})", f"{base} (added by {who})",
                          f"{base} ({login}, added by {who})", f"{base} #{uuid.uuid4().hex[:6]}")
            label = next(name for name in candidates if name and fold_name(name) not in names)
        connection = OktaConnection(id=uuid.uuid4(), label=label, org_origin=org.origin,
                                    org_kind=org.kind, credential_kind="api_token", scopes=[],
                                    preflight=report.as_dict(), checked_at=utcnow(), created_by_id=actor.id)
        connection.credential_secret_id = await SecretRepository(session, vault).store(
            CREDENTIAL_PURPOSE, token, owner=connection_owner(connection.id))
        session.add(connection)
        await record(session, action="connection_add", actor=actor, subject_type="okta_connection",
                     subject_id=str(connection.id),
                     summary=f"Okta connection to {org.display_domain} added (token of "
                             f"{report.owner.get('login')}, fingerprint {token.fingerprint()})",
                     details={"org": org.origin, "super_admin": report.is_super_admin,
                              "pipeline": report.pipeline})
    return connection, report


def _name_taken(existing: str) -> str:
    """The refusal of a name another connection has, named as that one is written (not as typed)."""
    return f"Another Okta connection is named “{existing}”: choose a name that tells them apart."


async def _names_in_use(session: AsyncSession) -> dict[str, tuple[str, uuid.UUID | None, str, str]]:
    """The names of the connections in use (not retired), folded, with each one's org, who added it,
    the name as written and its token's owner."""
    rows = (await session.execute(select(OktaConnection.label, OktaConnection.org_origin, OktaConnection.created_by_id,
                                         OktaConnection.preflight).where(OktaConnection.retired_at.is_(None)))).all()
    return {fold_name(label): (origin, added_by, label, str(((preflight or {}).get("owner") or {}).get("login") or ""))
            for label, origin, added_by, preflight in rows}


async def _same_account(session: AsyncSession, origin: str, report: PreflightReport,
                        actor: Actor) -> OktaConnection | None:
    """This operator's connection (not retired) to the same org with a token of the same account."""
    rows = (await session.execute(select(OktaConnection).where(
        OktaConnection.org_origin == origin, OktaConnection.created_by_id == actor.id,
        OktaConnection.retired_at.is_(None)))).scalars()
    return next((row for row in rows if (row.preflight or {}).get("owner", {}).get("id") == report.owner.get("id")),
                None)


async def recheck(db: Database, gateway: OktaGateway, connection_id: uuid.UUID, actor: Actor,
                  custom_domains: Collection[str]) -> PreflightReport:
    async with db.sessions() as session:
        connection = await session.get(OktaConnection, connection_id)
    if connection is None:
        raise LookupError("no such connection")
    if connection.retired_at is not None:
        raise ConnectionUnusable("This Okta connection was retired: its credential was destroyed, so there is "
                                 "nothing to check. Add the connection again to use this org.")
    org = gateway.stored_org(connection, custom_domains)
    async with gateway.client(org, gateway.stored_credential(connection), actor=actor,
                              patience=INTERACTIVE) as okta:  # a person waits on the Check button
        asked_at = utcnow()
        try:
            report = await run_preflight(okta)
        except OktaError as exc:
            async with db.session() as session:  # its row (and the onboardings using it) say so
                if isinstance(exc, OktaUnauthorized):
                    await mark_refused(session, connection_id, asked_at)
                else:
                    await mark_check_failed(session, connection_id, asked_at, explain(exc))
            raise ValidationFailed({}, explain(exc)) from None
    async with db.session() as session:
        stored = await session.get(OktaConnection, connection_id)
        assert stored is not None
        stored.preflight = report.as_dict()
        stored.checked_at = utcnow()
        await record(session, action="connection_check", actor=actor, subject_type="okta_connection",
                     subject_id=str(connection_id), summary=f"Preflight of {org.display_domain} passed")
    return report


async def list_connections(session: AsyncSession) -> list[OktaConnection]:
    rows = await session.execute(select(OktaConnection).where(OktaConnection.retired_at.is_(None))
                                 .order_by(OktaConnection.label))
    return list(rows.scalars())


class NotAllowed(Exception):
    """This operator may not run a preflight with, or retire, this connection."""


def may_manage(connection: OktaConnection, operator_id: uuid.UUID, role: str) -> bool:
    """Administrators may check and retire any connection; others only the ones they added."""
    return role == OperatorRole.ADMIN.value or (connection.created_by_id is not None
                                                and connection.created_by_id == operator_id)


def require_manage(connection: OktaConnection, operator_id: uuid.UUID, role: str) -> None:
    if not may_manage(connection, operator_id, role):
        raise NotAllowed("Only an administrator or the person who added this Okta connection may check it, "
                         "retire it, or say who may use it.")


async def set_sharing(session: AsyncSession, connection: OktaConnection, shareable: bool, actor: Actor) -> bool:
    """Whether colleagues may use ``connection``'s credential (its owner and those taking over its
    onboardings), as an administrator or its owner says: a Super Administrator's token any operator
    could use was a way to make a Super Administrator of one's own (security probe, M1). Returns
    whether anything changed; audited when it did."""
    if connection.shareable == shareable:
        return False
    connection.shareable = shareable
    await record(session, action="connection_sharing", actor=actor, subject_type="okta_connection",
                 subject_id=str(connection.id),
                 summary=f"Okta connection {connection.label}: " + (
                     "colleagues may use its credential" if shareable else
                     "its credential is its owner's only; colleagues continue with their own"),
                 details={"shareable": shareable})
    return True


async def retire(session: AsyncSession, vault: Vault, connection_id: uuid.UUID, actor: Actor) -> OktaConnection:
    connection = await session.get(OktaConnection, connection_id)
    if connection is None:
        raise LookupError("no such connection")
    if connection.credential_secret_id is not None:
        await SecretRepository(session, vault).destroy(connection.credential_secret_id, purpose=CREDENTIAL_PURPOSE,
                                                       owner=connection_owner(connection.id))
    connection.retired_at = utcnow()
    # The onboardings it served stop now, and say so at once (they read "Completed" and "watched"
    # until a Re-verify failed): blocked, until another connection to the org is chosen for them.
    for onboarding in await onboardings_using(session, connection_id):
        await set_status(session, onboarding.id, OnboardingStatus.blocked, note=retired_note(connection.label))
    await record(session, action="connection_retire", actor=actor, subject_type="okta_connection",
                 subject_id=str(connection_id), summary=f"Okta connection {connection.label} retired; its "
                                                        "credential was destroyed")
    return connection
