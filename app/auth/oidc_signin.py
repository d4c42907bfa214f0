"""Turning a verified identity from the company's identity provider into a signed-in operator.

The operator is found by the (issuer, subject) pair, never by name or email: a provider account
called "alex.admin" must not become the local account of that name. A first sign-in creates the
operator just in time, without a password. The role comes from the claim mapping at every
sign-in, so a change of groups at the provider takes effect at the next sign-in; no mapped value
means no access. Disabled operators stay out. Success and refusal are both audited.

The operator's e-mail address (where the watch's alerts about their onboardings go) comes from the
ID token's ``email`` claim only when ``email_verified`` is true, and only while no administrator
has set or cleared it: the administrator's choice wins, and an unverified or missing claim changes
nothing. A verified address that changes at the provider follows at the next sign-in."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.auth.oidc import OidcFailure, VerifiedIdentity
from app.auth.oidc_config import OidcConfig
from app.auth.operators import USERNAME_PATTERN, role_label, sessions_ended
from app.auth.sessions import end_all_sessions
from app.common.validation import is_email_address
from app.store.base import utcnow
from app.store.models import AuditEvent, Operator
from app.store.repositories.operators import OperatorRepository
from app.store.statuses import Outcome, SessionEnd

# How many of the claim's values the audit trail keeps when no role matched (enough to see why).
_AUDITED_VALUES = 20


def _provider_actor(config: OidcConfig) -> Actor:
    return Actor.system(f"{config.display_name} (identity provider)")


async def _free_username(repository: OperatorRepository, identity: VerifiedIdentity) -> str:
    """A username for a new operator: the provider's username or email when free and valid,
    otherwise one derived from the subject (which is unique at the issuer)."""
    for candidate in (identity.text("preferred_username"), identity.text("email")):
        name = candidate.lower()[:64]
        if name and USERNAME_PATTERN.fullmatch(name) and await repository.by_username(name) is None:
            return name
    digest = hashlib.sha256(f"{identity.issuer}\x00{identity.subject}".encode()).hexdigest()
    for length in (10, 16, 64):
        name = f"idp-{digest[:length]}"[:64]
        if await repository.by_username(name) is None:
            return name
    raise OidcFailure("username_taken", "No username is free for your account. Ask an administrator.", status=409)


def verified_email(identity: VerifiedIdentity) -> str | None:
    """The address the provider vouches for: its ``email`` claim when ``email_verified`` is the JSON
    true (not a string that says so, nor a missing claim), and the claim is one plain address."""
    if identity.claims.get("email_verified") is not True:
        return None
    email = identity.text("email")
    return email if is_email_address(email) else None


async def _take_email(session: AsyncSession, config: OidcConfig, operator: Operator,
                      identity: VerifiedIdentity) -> None:
    """Fill the operator's address from the provider's verified one, unless an administrator chose it."""
    email = verified_email(identity)
    if email is None or operator.email_by_admin or operator.email == email:
        return
    previous, operator.email = operator.email, email
    await record(session, action="operator_email", actor=_provider_actor(config), subject_type="operator",
                 subject_id=str(operator.id),
                 summary=f"E-mail address of {operator.username} set to {email}, the address {config.display_name} "
                         "verified",
                 details={"from": previous, "to": email, "by": "identity provider", "issuer": identity.issuer})


def role_from_claims(config: OidcConfig, identity: VerifiedIdentity) -> str:
    values = identity.values_of(config.claim)
    if values is None:
        raise OidcFailure(
            "no_claim",
            f"{config.display_name} did not include the “{config.claim}” claim in your sign-in, so the wizard cannot "
            "tell which role you have. Ask an administrator: the app at the provider must send that claim (in Okta, "
            "a groups claim on the app's Sign On tab), or Settings must name the claim it does send.",
            status=403, outcome=Outcome.denied,
            details={"claim": config.claim, "issuer": identity.issuer, "subject": identity.subject})
    role = config.role_for(values)
    if role is None:
        raise OidcFailure(
            "no_role",
            f"You signed in at {config.display_name}, but none of your “{config.claim}” values gives access to this "
            "wizard. Ask an administrator to add you to a group that is mapped to a role.",
            status=403, outcome=Outcome.denied,
            details={"claim": config.claim, "values": list(values[:_AUDITED_VALUES]), "issuer": identity.issuer,
                     "subject": identity.subject})
    return role.value


async def sign_in_with_identity(session: AsyncSession, config: OidcConfig, identity: VerifiedIdentity,
                                actor: Actor) -> Operator:
    """The operator for this identity, created or updated; raises OidcFailure when refused."""
    role = role_from_claims(config, identity)
    repository = OperatorRepository(session)
    operator = await repository.by_external_identity(identity.issuer, identity.subject)
    details: dict[str, Any] = {"method": "oidc", "issuer": identity.issuer, "subject": identity.subject,
                               "role": role}
    if operator is None:
        username = await _free_username(repository, identity)
        display_name = (identity.text("name") or identity.text("preferred_username") or identity.text("email")
                        or username)[:200]
        operator = Operator(username=username, display_name=display_name, role=role, password_hash=None,
                            is_active=True, external_issuer=identity.issuer, external_subject=identity.subject)
        repository.add(operator)
        try:
            await session.flush()
        except IntegrityError:
            # Two first sign-ins racing for the same identity or username: the other one won.
            raise OidcFailure("conflict", "Another sign-in for this account happened at the same moment. Try "
                              "again.", status=409, details=details) from None
        await record(session, action="operator_create", actor=_provider_actor(config), subject_type="operator",
                     subject_id=str(operator.id),
                     summary=f"Operator {username} created at first sign-in with {config.display_name}, role "
                             f"{role_label(role)}",
                     details={"username": username, **details})
    elif not operator.is_active and operator.disabled_by_provider:
        # Removed when the provider last refused; a role maps again, so the provider gives access back.
        operator.is_active, operator.disabled_by_provider, previous = True, False, operator.role
        operator.role = role
        await record(session, action="operator_enable", actor=_provider_actor(config), subject_type="operator",
                     subject_id=str(operator.id),
                     summary=f"Operator {operator.username} enabled again with role {role_label(role)}: the "
                             f"“{config.claim}” claim from {config.display_name} maps to a role again (was "
                             f"{role_label(previous)})",
                     details={"username": operator.username, **details})
    elif not operator.is_active:
        raise OidcFailure("operator_disabled", "Your wizard account is disabled. Ask an administrator to enable it.",
                          status=403, outcome=Outcome.denied, operator_id=str(operator.id),
                          details={"username": operator.username, **details})
    elif operator.role != role:
        previous = operator.role
        operator.role = role
        await record(session, action="operator_role_change", actor=_provider_actor(config),
                     subject_type="operator", subject_id=str(operator.id),
                     summary=f"Role of {operator.username} changed from {role_label(previous)} to "
                             f"{role_label(role)} by the “{config.claim}” claim from {config.display_name}",
                     details={"from": previous, "to": role, **details})
    await _take_email(session, config, operator, identity)
    operator.last_sign_in_at = utcnow()
    await record(session, action="sign_in",
                 actor=Actor(operator.id, operator.username, actor.source_ip, actor.user_agent),
                 summary=f"{operator.username} signed in with {config.display_name}", subject_type="operator",
                 subject_id=str(operator.id), details=details)
    return operator


# Refusals that say the provider no longer gives this person any role.
_NO_ROLE = frozenset({"no_role", "no_claim"})


def _refusal_head(failure: OidcFailure, provider: str) -> str:
    return f"Sign-in with {provider} refused: {failure.reason.replace('_', ' ')}"


def _refusal_words(failure: OidcFailure, provider: str) -> str:
    # Why an address was refused is for the trail's readers (signed in), not the visitor's page.
    why = f": {failure.details['problem']}" if failure.details.get("problem") else ""
    return _refusal_head(failure, provider) + why


async def recorded_lately(session: AsyncSession, failure: OidcFailure, provider: str) -> bool:
    """Whether the same refusal was recorded in the last minute."""
    since = utcnow() - timedelta(minutes=1)
    found = await session.execute(select(AuditEvent.seq).where(
        AuditEvent.occurred_at >= since, AuditEvent.action == "sign_in",
        # The same refusal, whatever address a name answered this time (round-robin DNS).
        AuditEvent.summary.startswith(_refusal_head(failure, provider), autoescape=True)).limit(1))
    return found.first() is not None


async def record_refusal(session: AsyncSession, failure: OidcFailure, actor: Actor, provider: str) -> None:
    """Audit a refused sign-in. When the provider says the person has no role any more (they left
    the mapped groups), an operator they already are loses access now: every session ends and the
    account is disabled, not left working until its sessions expire."""
    issuer, subject = failure.details.get("issuer"), failure.details.get("subject")
    if failure.reason in _NO_ROLE and isinstance(issuer, str) and isinstance(subject, str):
        operator = await OperatorRepository(session).by_external_identity(issuer, subject)
        if operator is not None and operator.is_active:
            operator.is_active = False
            operator.disabled_by_provider = True
            ended = await end_all_sessions(session, operator, SessionEnd.disabled)
            failure.operator_id = str(operator.id)
            await record(session, action="operator_disable", actor=Actor.system(f"{provider} (identity provider)"),
                         subject_type="operator", subject_id=str(operator.id),
                         summary=f"Operator {operator.username} disabled: {provider} gives no role any more"
                                 + sessions_ended(ended),
                         details={"method": "oidc", "reason": failure.reason, "sessions_ended": ended})
    await record(session, action="sign_in", outcome=failure.outcome, actor=actor, subject_type="operator",
                 subject_id=failure.operator_id,
                 summary=_refusal_words(failure, provider),
                 details={"method": "oidc", "reason": failure.reason, **failure.details})

