"""API service integrations from the Okta Integration Network (Authomize, for one): installed
through the API with the scopes the vendor's document lists, or, when a person installed it by
hand, found by its catalog type or display name and adopted.

Okta returns an integration's client secret in the install response only, so the wizard keeps
that secret sealed until the vendor-side step is attested (a colleague can finish the step after a
handoff), then the engine destroys it. An adopted integration's secret was never shown to the
wizard and is not kept. Undo uninstalls only an integration this onboarding installed."""

from __future__ import annotations

from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register
from app.engine.context import Context
from app.okta.errors import OktaBadRequest, OktaNotFound
from app.okta.models import ApiServiceIntegration
from app.vault import Secret


class ServiceIntegrationParams(Params):
    type: str  # the catalog key; unpublished for some vendors, so playbooks take it from a setting
    name: str  # the catalog's display name: finds a hand install whose key differs from the setting
    scopes: list[str]
    fact: str = "api_service_id"  # the integration's id, which is also its OAuth client id
    # Where the client secret is kept; the fact "<secret_purpose>_kept" records that it was.
    secret_purpose: str
    secret_label: str
    destroy_on: str | None = None  # the attestation that ends the kept secret's life


def kept_fact(purpose: str) -> str:
    """The fact that says a secret was kept under ``purpose`` (checks use it in ``when:``)."""
    return f"{purpose}_kept"


def _matching(services: list[ApiServiceIntegration], p: ServiceIntegrationParams) -> list[ApiServiceIntegration]:
    by_type = [s for s in services if s.type == p.type]
    if by_type:
        return by_type
    # Okta does not publish some vendors' type keys; a person may have installed the integration
    # under the real key, which the wizard then recognises by its display name.
    wanted = p.name.casefold().strip()
    return [s for s in services if (s.name or "").casefold().strip() == wanted]


def _scope_gaps(found: ApiServiceIntegration, p: ServiceIntegrationParams) -> str:
    have, want = set(found.grantedScopes), set(p.scopes)
    parts = []
    if want - have:
        parts.append("lacks " + ", ".join(sorted(want - have)))
    if have - want:
        parts.append("also has " + ", ".join(sorted(have - want)))
    return "; ".join(parts)


@register
class EnsureServiceIntegration(Action):
    kind = "okta_api_service_integration"
    params_model = ServiceIntegrationParams
    description = "Install or adopt an API service integration"

    async def _find(self, ctx: Context, p: ServiceIntegrationParams, *, fresh: bool = False
                    ) -> ApiServiceIntegration | None:
        if fresh:
            ctx.forget("api_services")
        services: list[ApiServiceIntegration] = await ctx.cached("api_services", ctx.okta.services.all)
        found = _matching(services, p)
        if len(found) > 1:
            ids = ", ".join(s.id for s in found)
            raise ActionError(f"{len(found)} '{p.name}' integrations are installed ({ids}); the wizard cannot tell "
                              "which one the vendor should use. Uninstall the extra ones in Applications > API "
                              "Services Integrations, then plan again.", conflict=True)
        return found[0] if found else None

    async def plan(self, ctx: Context) -> PlanItem:
        p: ServiceIntegrationParams = self.params(ctx)
        try:
            found = await self._find(ctx, p)
        except ActionError as exc:
            return PlanItem("conflict", f"Install '{p.name}'", object_type="api_service", detail=exc.message)
        if found is None:
            return PlanItem("create", f"Install '{p.name}' (catalog type {p.type}) with the scopes "
                            f"{', '.join(p.scopes)}; Okta shows its client secret once: the wizard keeps it sealed "
                            "until the vendor step is attested",
                            calls=[f'POST /integrations/api/v1/api-services {{"type": "{p.type}", "grantedScopes": '
                                   f'[{", ".join(p.scopes)}]}}'], object_type="api_service")
        gaps = _scope_gaps(found, p)
        if gaps:
            return PlanItem("conflict", f"'{found.name or p.name}' is installed with other scopes",
                            object_type="api_service", object_id=found.id,
                            detail=f"It {gaps}. Okta does not change an installed integration's scopes through the "
                                   "API and the wizard will not reinstall it: uninstall it in Applications > API "
                                   "Services Integrations (or fix its scopes there), then plan again.")
        return PlanItem("adopt", f"Use '{found.name or p.name}', installed by hand (client id {found.id}). Okta "
                        "showed its client secret only at install, so the wizard cannot hand it on",
                        object_type="api_service", object_id=found.id, facts={p.fact: found.id})

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p: ServiceIntegrationParams = self.params(ctx)
        found = await self._find(ctx, p, fresh=True)
        if found is None and record.intent == "create":
            # Our earlier install may have reached Okta without its answer reaching us.
            found = await ctx.look_again(lambda: self._find(ctx, p, fresh=True))
        ours = record.intent == "create" or record.created_by_us
        details = {"type": p.type, "name": p.name, "scopes": list(p.scopes)}
        if found is None:
            await ctx.intend("create", details)
            try:
                installed, secret = await ctx.okta.services.install(p.type, p.scopes)
            except (OktaBadRequest, OktaNotFound) as exc:
                raise ActionError(
                    f"Okta refused to install '{p.name}' with the type key '{p.type}' ({exc.okta_said}). Okta does "
                    "not publish every vendor's key, so this one may be wrong: install the integration by hand "
                    "(Applications > API Services Integrations > Add Integration) and select Retry (the wizard "
                    "finds it by name), or set the right key in Settings.") from exc
            facts = {p.fact: installed.id, **await self._keep(ctx, p, secret)}
            return Applied("created", f"Installed '{installed.name or p.name}' (client id {installed.id}) with "
                           f"{len(installed.grantedScopes)} scopes", object_type="api_service",
                           object_id=installed.id, details={**details, "id": installed.id}, facts=facts)
        if ours:
            facts = {p.fact: found.id}
            summary = f"Installed '{found.name or p.name}' (client id {found.id})"
            if await ctx.read_secret(p.secret_purpose) is None:
                # The install reached Okta but its answer, the only one carrying the secret, was lost:
                # a new secret (an integration may hold two) takes the lost one's place.
                await ctx.intend("create", {**details, "new_secret": True})
                _secret_id, secret = await ctx.okta.services.new_client_secret(found.id)
                facts.update(await self._keep(ctx, p, secret))
                summary += "; its first client secret never reached the wizard, so a new one was made"
            return Applied("created", summary, object_type="api_service", object_id=found.id,
                           details={**details, "id": found.id}, facts=facts)
        gaps = _scope_gaps(found, p)
        if gaps:
            raise ActionError(f"'{found.name or p.name}' ({found.id}) is installed with other scopes: it {gaps}. It "
                              "was not changed; uninstall it (or fix its scopes) in Applications > API Services "
                              "Integrations, then plan again.", conflict=True)
        return Applied("adopted", f"Adopted '{found.name or p.name}' installed by hand (client id {found.id}); its "
                       "client secret was shown only to whoever installed it", object_type="api_service",
                       object_id=found.id, details={**details, "id": found.id}, facts={p.fact: found.id})

    @staticmethod
    async def _keep(ctx: Context, p: ServiceIntegrationParams, secret: Secret) -> dict[str, bool]:
        if not secret:
            return {}
        await ctx.keep_secret(p.secret_purpose, p.secret_label, secret, p.destroy_on)
        return {kept_fact(p.secret_purpose): True}

    async def undo(self, ctx: Context, record: Record) -> str | None:
        if not record.object_id or await ctx.okta.services.get(record.object_id) is None:
            return None
        # Uninstalling also revokes the scopes Okta granted at install.
        await ctx.okta.services.uninstall(record.object_id)
        return f"Uninstalled '{record.details.get('name', record.object_id)}'"
