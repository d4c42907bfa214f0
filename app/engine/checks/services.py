"""Checks on API service integrations: the integration is installed with the scopes its vendor's
document lists (fewer breaks it; more are named, where a hand install may carry them), and the only
client secret live on it is the one the wizard gave the vendor."""

from __future__ import annotations

from typing import Any

from app.common.moments import okta_moment, stamp
from app.common.text import counted
from app.engine.actions.services import CONSOLE_SECRETS, secret_named
from app.engine.checks.base import START_AGAIN, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.errors import OktaNotFound
from app.okta.models import ApiServiceIntegration, ApiServiceIntegrationSecret


class IntegrationParams(CheckParams):
    integration: str  # the integration's id (its client id)
    scopes: list[str]
    name: str = "the integration"
    # Scopes beyond the listed ones are noted, not failed (an integration a person installed by
    # hand may carry more; the wizard adopts it as it is).
    extra_allowed: bool = False


def _not_installed(raw_params: dict[str, Any]) -> CheckOutcome:
    return CheckOutcome.failed(f"{raw_params.get('name', 'The integration')} is not installed yet",
                               "Apply the plan: the wizard installs it.")


def _uninstalled(name: str, integration: str, vendor: str) -> CheckOutcome:
    return CheckOutcome.failed(f"{name} ({integration}) is no longer installed in Okta",
                               f"{START_AGAIN.capitalize()}, then give {vendor} the new client id and secret.",
                               integration=integration)


@register
class ServiceIntegrationScopes(Check):
    kind = "api_service_integration"
    params_model = IntegrationParams

    def unready(self) -> CheckOutcome:
        return _not_installed(self.raw_params)

    async def check(self, ctx: Context, state: CheckState, p: IntegrationParams) -> CheckOutcome:
        found: ApiServiceIntegration | None = await ctx.cached(
            f"api_service:{p.integration}", lambda: ctx.okta.services.get(p.integration))
        if found is None:
            return _uninstalled(p.name, p.integration, "the vendor")
        have, want = set(found.grantedScopes), set(p.scopes)
        evidence = {"integration": found.id, "type": found.type, "scopes": sorted(have)}
        if p.extra_allowed and have > want:
            return CheckOutcome.passed(f"“{found.name or p.name}” (client id {found.id}) has the {len(want)} scopes "
                                       f"{', '.join(sorted(want))}, and also {', '.join(sorted(have - want))}, which "
                                       "the document does not list", extra=sorted(have - want), **evidence)
        if have != want:
            problems = ([f"missing {', '.join(sorted(want - have))}"] if want - have else []) + \
                ([f"unexpected {', '.join(sorted(have - want))}"] if have - want else [])
            return CheckOutcome.failed(
                f"“{found.name or p.name}” ({found.id}) has the scopes {', '.join(sorted(have)) or 'none'}; "
                + "; ".join(problems),
                "Okta grants an integration's scopes when it is installed: uninstall it in Applications > API "
                f"Services Integrations, then {START_AGAIN}.", **evidence,
                problem=f"{found.name or p.name} does not have the scopes the vendor needs: " + "; ".join(problems))
        return CheckOutcome.passed(f"“{found.name or p.name}” (client id {found.id}) has exactly the "
                                   f"{len(want)} scopes: {', '.join(sorted(want))}", **evidence)


class SecretsParams(CheckParams):
    integration: str  # the integration's id (its client id)
    # The fact naming the id of the secret the wizard made and gave the vendor (``made_fact``; a
    # fact's name, not a kept secret's purpose: a check naming that purpose would read as needing the
    # secret, and attesting the vendor's step would be refused until it passed). Absent when the
    # wizard installed the integration: the install's answer carries the secret, not its id.
    made: str
    name: str = "the integration"
    vendor: str = "the vendor"
    # The attestation that the vendor shows Okta connected: until it is given, the vendor has not been
    # given the wizard's secret, and another active one is to deactivate later, not a fault now (it
    # read "failed … Authomize was given it" before the secret was even revealed: QA walk 17, M8).
    connected: str | None = None


def _listed(secrets: list[ApiServiceIntegrationSecret]) -> str:
    return "; ".join(secret_named(s) for s in secrets)


def _short(secret: ApiServiceIntegrationSecret) -> str:
    """A secret in a remedy: as the console list shows it, its ending and when it was made."""
    made = okta_moment(secret.created)
    named = f"the one ending …{secret.ending}" if secret.ending else f"secret id {secret.id}"
    return named + (f", created {stamp(made, seconds=True)}" if made else "")


@register
class VendorSecretOnly(Check):
    """The document's intent is one credential, the vendor's. A person who installed the integration
    by hand (where the wizard sends them when Okta refuses the catalog key) was shown a client secret
    the wizard never saw, and the wizard gave the vendor a new one: the first stays active, a working
    credential with the integration's scopes that nobody uses, until someone deactivates it. The
    wizard does not deactivate it itself: nothing in Okta says which secret a vendor connects with
    (its token grants name the client, not the secret), so it could cut a vendor that was given the
    first one. The check keeps the onboarding open, naming the secret and where it is, until it is."""

    kind = "api_service_secrets"
    params_model = SecretsParams

    def unready(self) -> CheckOutcome:
        return _not_installed(self.raw_params)

    async def check(self, ctx: Context, state: CheckState, p: SecretsParams) -> CheckOutcome:
        # One read per verification (GET .../credentials/secrets, okta.oauthIntegrations.read):
        # values come back masked; their ids, statuses, dates and masked endings are used.
        try:
            secrets = await ctx.okta.services.client_secrets(p.integration)
        except OktaNotFound:
            return _uninstalled(p.name, p.integration, p.vendor)
        ours = str(ctx.scope.facts.get(p.made) or "")
        active = [s for s in secrets if s.status == "ACTIVE"]
        evidence = {"integration": p.integration, "active": [s.id for s in active],
                    "inactive": [s.id for s in secrets if s.status != "ACTIVE"], "wizards": ours or None}
        where = CONSOLE_SECRETS.format(name=p.name)
        mine = next((s for s in secrets if s.id == ours), None)
        others = [s for s in active if s.id != ours] if ours else active[1:]
        if not active:
            again = f"activate {secret_named(mine)} again" if mine else "generate a new client secret"
            return CheckOutcome.failed(f"No client secret of {p.name} is active: {p.vendor} cannot connect",
                                       f"In {where}, {again} and give it to {p.vendor} if it is a new one, then "
                                       "verify again.", **evidence)
        if ours and (mine is None or mine.status != "ACTIVE"):
            state_of = "is inactive" if mine else "is gone"
            return CheckOutcome.failed(
                f"The client secret the wizard gave {p.vendor} ({secret_named(mine) if mine else 'secret id ' + ours}) "
                f"{state_of}, while "
                f"{_listed(others)} {'is' if len(others) == 1 else 'are'} active",
                f"If {p.vendor} connected with the secret the wizard gave it, it cannot connect now: in {where}, "
                f"{'activate it again' if mine else 'generate a new secret and give it to ' + p.vendor}, then "
                f"deactivate and delete the other. Then verify again.", **evidence)
        if not others:
            made = f"the one the wizard gave {p.vendor}, {secret_named(active[0])}" if ours else \
                f"{secret_named(active[0])}, the one Okta made when the wizard installed it"
            return CheckOutcome.passed(f"One client secret of {p.name} is active: {made}", **evidence)
        if mine is not None and p.connected and p.connected not in state.attestations:
            one = len(others) == 1
            return CheckOutcome.waiting(
                f"Besides the client secret the wizard made for {p.vendor}, {secret_named(mine)}, "
                f"{counted(len(others), 'other client secret')} {'is' if one else 'are'} active: {_listed(others)}",
                f"Give {p.vendor} the wizard's secret, {_short(mine)}, as this section's steps say. Once {p.vendor} "
                f"shows Okta as connected, deactivate {'the other' if one else 'the others'} in {where}, then "
                f"delete {'it' if one else 'them'}.", **evidence)
        if mine is not None:  # the wizard's, active, and others beside it
            one = len(others) == 1
            # The Admin Console lists secrets with their masked endings and dates: the page names
            # each the same way, and says which to keep (QA walk 12, M4).
            older = f" (the older {'one' if one else 'ones'}: the wizard's was made after)" \
                if all((s.created or "") < (mine.created or "") for s in others) else ""
            drop = "; ".join(_short(s) for s in others)
            return CheckOutcome.failed(
                f"Besides the client secret the wizard gave {p.vendor}, {secret_named(mine)}, "
                f"{counted(len(others), 'other client secret')} {'is' if one else 'are'} active: {_listed(others)}",
                f"Keep the wizard's secret, {_short(mine)}: {p.vendor} was given it, so nothing should need "
                f"{'the other' if one else 'the others'}. Once {p.vendor} shows Okta as connected, open {where}: "
                f"deactivate {drop}{older}, then delete {'it' if one else 'them'}. Then verify again.",
                **evidence)
        return CheckOutcome.failed(
            f"{counted(len(active), 'client secret')} of {p.name} are active: {_listed(active)}",
            f"{p.vendor} needs only the one it connects with. In {where}: deactivate the others, then delete "
            "them. Then verify again.", **evidence)
