"""Everything an engine phase needs about one onboarding, loaded in one place: its playbook,
scope (inputs with defaults, facts, settings with overrides, org, admin), action records and
attestations."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.moments import stamp
from app.engine.actions import Record
from app.engine.checks import CheckState
from app.engine.requirements import Stale, action_settings, plan_is_stale
from app.engine.scope import OrgInfo, Scope, TemplateError
from app.playbooks.loader import PlaybookLibrary, effective_settings
from app.playbooks.schema import Playbook
from app.store.models import AppSetting, Attestation, OktaConnection, Onboarding, OnboardingAction, OnboardingPlan
from app.store.repositories.app_settings import ALLOWED_DOMAINS_KEY
from app.store.repositories.checkpoints import action_rows
from app.store.repositories.plans import settings_changed
from app.store.repositories.progress import live_attestations
from app.store.repositories.state import get_onboarding
from app.store.statuses import ActionState


def org_info(connection: OktaConnection, admin_console: str = "") -> OrgInfo:
    # Okta's own domain where the API or a document needs it (grant issuers, resource URLs, the
    # domain a vendor asks for), not the custom domain the connection may use to reach the org.
    origin = str(connection.preflight.get("okta_domain") or connection.org_origin).rstrip("/")
    # Preflight read the custom URL domain from /.well-known/okta-organization (_links.alternate).
    custom = str(connection.preflight.get("custom_domain") or "")
    return OrgInfo(origin=origin, display_domain=origin.split("://", 1)[1],
                   org_id=str(connection.preflight.get("org_id", "")),
                   pipeline=str(connection.preflight.get("pipeline", "")),
                   # Learned from the ORNs Okta returns, never guessed from the domain.
                   partition=str(connection.preflight.get("partition") or ""),
                   admin_console=admin_console, custom_domain=urlsplit(custom).netloc or custom,
                   read_at=connection.checked_at.timestamp() if connection.checked_at else None)


def admin_info(connection: OktaConnection) -> dict[str, Any]:
    owner = connection.preflight.get("owner") or {}
    email = str(owner.get("email") or owner.get("login") or "")
    return {"id": owner.get("id"), "login": owner.get("login"), "email": email,
            "email_domain": email.split("@", 1)[1] if "@" in email else "example.com",
            # Its standard admin roles as the preflight read them (`UserRoles.from_facts`); not a template name.
            "roles": list(connection.preflight.get("roles") or [])}


def fill_inputs(playbook: Playbook, given: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The inputs as given, with each missing one taken from its (rendered) default, in order."""
    values = dict(given)
    scope.inputs = values
    for spec in playbook.inputs:
        if values.get(spec.key) in (None, "") and spec.default is not None:
            try:
                values[spec.key] = scope.render(spec.default)
            except TemplateError:
                continue
    return values


async def overrides(session: AsyncSession, playbook: Playbook) -> dict[str, Any]:
    rows = (await session.execute(select(AppSetting).where(AppSetting.key.like(f"playbook:{playbook.key}:%"))))
    return {row.key: row.value for row in rows.scalars()}


@dataclass
class Loaded:
    onboarding: Onboarding
    connection: OktaConnection
    playbook: Playbook
    scope: Scope
    records: dict[str, OnboardingAction] = field(default_factory=dict)
    attestations: dict[str, Attestation] = field(default_factory=dict)
    # The custom domains an administrator allows now (read only for a connection that uses one):
    # a stored address is checked against them at every use.
    custom_domains: list[str] = field(default_factory=list)
    # The vendor's settings as an administrator keeps them (defaults filled in, not yet rendered).
    settings_kept: dict[str, Any] = field(default_factory=dict)

    def record(self, action_key: str) -> Record:
        row = self.records.get(action_key)
        if row is None:
            return Record()
        return Record(state=row.state, outcome=row.outcome, created_by_us=row.created_by_us,
                      object_id=row.object_id, details=dict(row.details or {}))

    def pending_settings(self, restoring: Collection[str] = ()) -> dict[str, Any]:
        """The settings (as kept) that the actions still to apply use (not done yet, or done and made
        again by the plan: ``restoring``): a plan made with others is stale."""
        scope = self.scope
        names = {name for step, spec in self.playbook.actions()
                 if scope.condition(step.when) and scope.condition(spec.when)
                 and (self.record(spec.key).state != ActionState.done or spec.key in restoring)
                 for name in action_settings(spec)}
        return {name: self.settings_kept.get(name) for name in sorted(names)}

    def restoring(self, plan: OnboardingPlan) -> set[str]:
        """The done actions ``plan`` makes again (gone from Okta, or changed, since), not yet made again under it."""
        confirmed = plan.confirmed_at
        return {str(item["action_key"]) for item in plan.items if item.get("restore")
                and not (confirmed is not None and (row := self.records.get(str(item["action_key"]))) is not None
                         and row.state == ActionState.done and row.updated_at > confirmed)}

    def plan_stale(self, plan: OnboardingPlan) -> Stale | None:
        """Why ``plan`` no longer shows what Apply would do (values or settings changed), or None."""
        return plan_is_stale(self.playbook, plan, self.onboarding.inputs, self.onboarding.facts,
                             self.pending_settings(self.restoring(plan)))

    def settings_changed_since(self, plan: OnboardingPlan) -> list[str]:
        """The labels of the settings its actions still to apply use that differ from ``plan``'s."""
        return [self.playbook.settings[name].label
                for name in settings_changed(plan, self.pending_settings(self.restoring(plan)))]

    def check_state(self) -> CheckState:
        return CheckState(
            actions={key: {"state": row.state, "outcome": row.outcome, "object_id": row.object_id,
                           "summary": row.summary, "at": stamp(row.updated_at)} for key, row in self.records.items()},
            attestations={key: {"by": a.operator_name, "at": stamp(a.attested_at),
                                "note": a.note, "operator_id": str(a.operator_id),
                                **({"warning": a.warning} if a.warning else {})}
                          for key, a in self.attestations.items()},
        )


def rendered_settings(scope: Scope, kept: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as kept, rendered in ``scope`` (``{org.origin}``); one that cannot be is kept as is."""
    rendered: dict[str, Any] = {}
    for name, value in kept.items():
        try:
            rendered[name] = scope.render(value)
        except TemplateError:
            rendered[name] = value
    return rendered


async def load(session: AsyncSession, library: PlaybookLibrary, onboarding_id: uuid.UUID) -> Loaded:
    onboarding = await get_onboarding(session, onboarding_id)
    connection = await session.get(OktaConnection, onboarding.connection_id)
    if connection is None:
        raise LookupError("the onboarding's Okta connection is gone")
    playbook = library.get(onboarding.vendor)
    scope = Scope(facts=dict(onboarding.facts or {}), org=org_info(connection), admin=admin_info(connection))
    raw_settings = effective_settings(playbook, await overrides(session, playbook))
    scope.settings = rendered_settings(scope, raw_settings)
    scope.inputs = fill_inputs(playbook, dict(onboarding.inputs or {}), scope)
    records = await action_rows(session, onboarding_id)
    attestations = await live_attestations(session, onboarding_id)
    custom_domains: list[str] = []
    if connection.org_kind == "custom":
        allowed = await session.get(AppSetting, ALLOWED_DOMAINS_KEY)
        custom_domains = [str(d) for d in (allowed.value if allowed else None) or []]
    return Loaded(onboarding, connection, playbook, scope, records, attestations, custom_domains, raw_settings)
