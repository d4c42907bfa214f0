"""What the service account's token proved it may do when it was pasted (the probes of a
``service_token`` task, stored as boolean facts). The token itself is never kept, so this is the
proof as of that moment; pasting the token again renews it."""

from __future__ import annotations

from app.engine.checks.base import Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.scope import Scope
from app.playbooks.tasks import TOKEN_VERIFIED


class ProbeParams(CheckParams):
    fact: str
    expect: bool  # what the playbook's advice relies on: allowed (true) or refused (false)
    proven: str  # what was found when the probe agrees
    contrary: str  # what was found when it does not
    remedy: str


@register
class TokenProbe(Check):
    kind = "token_probe"
    reads_okta = False  # what the token proved when it was pasted
    params_model = ProbeParams

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        p: ProbeParams = ProbeParams.model_validate(self.raw_params)
        facts = scope.facts
        if not facts.get(TOKEN_VERIFIED) or p.fact not in facts:
            return None
        if bool(facts[p.fact]) == p.expect:
            return CheckOutcome.passed(p.proven, **{p.fact: bool(facts[p.fact])})
        return CheckOutcome.failed(p.contrary, p.remedy, **{p.fact: bool(facts[p.fact])})

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        # Not yet (the paste answers it), not a fault.
        return self.from_facts(ctx.scope, state) or CheckOutcome.waiting(
            "Not proven yet: the service account's token has not been pasted here",
            "Paste the token on the token step; the wizard tries it and records the outcome.")
