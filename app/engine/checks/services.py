"""Checks on API service integrations: the integration is installed with exactly the scopes its
vendor's document lists (more would give the vendor more than it asked for; fewer breaks it)."""

from __future__ import annotations

from app.engine.checks.base import START_AGAIN, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.models import ApiServiceIntegration


class IntegrationParams(CheckParams):
    integration: str  # the integration's id (its client id)
    scopes: list[str]
    name: str = "the integration"
    # Scopes beyond the listed ones are noted, not failed (an integration a person installed by
    # hand may carry more; the wizard adopts it as it is).
    extra_allowed: bool = False


@register
class ServiceIntegrationScopes(Check):
    kind = "api_service_integration"
    params_model = IntegrationParams

    def unready(self) -> CheckOutcome:
        return CheckOutcome.failed(f"{self.raw_params.get('name', 'The integration')} is not installed yet",
                                       "Apply the plan: the wizard installs it.")

    async def check(self, ctx: Context, state: CheckState, p: IntegrationParams) -> CheckOutcome:
        found: ApiServiceIntegration | None = await ctx.cached(
            f"api_service:{p.integration}", lambda: ctx.okta.services.get(p.integration))
        if found is None:
            return CheckOutcome.failed(f"{p.name} ({p.integration}) is no longer installed in Okta",
                                       f"{START_AGAIN.capitalize()}, then give the vendor the new client id and "
                                       "secret.",
                                       integration=p.integration)
        have, want = set(found.grantedScopes), set(p.scopes)
        evidence = {"integration": found.id, "type": found.type, "scopes": sorted(have)}
        if p.extra_allowed and have > want:
            return CheckOutcome.passed(f"'{found.name or p.name}' (client id {found.id}) has the {len(want)} scopes "
                                       f"{', '.join(sorted(want))}, and also {', '.join(sorted(have - want))}, which "
                                       "the document does not list", extra=sorted(have - want), **evidence)
        if have != want:
            problems = ([f"missing {', '.join(sorted(want - have))}"] if want - have else []) + \
                ([f"unexpected {', '.join(sorted(have - want))}"] if have - want else [])
            return CheckOutcome.failed(
                f"'{found.name or p.name}' ({found.id}) has the scopes {', '.join(sorted(have)) or 'none'}; "
                + "; ".join(problems),
                "Okta grants an integration's scopes when it is installed: uninstall it in Applications > API "
                f"Services Integrations, then {START_AGAIN}.", **evidence,
                problem=f"{found.name or p.name} does not have the scopes the vendor needs: " + "; ".join(problems))
        return CheckOutcome.passed(f"'{found.name or p.name}' (client id {found.id}) has exactly the "
                                   f"{len(want)} scopes: {', '.join(sorted(want))}", **evidence)
