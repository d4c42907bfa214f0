"""Checks on the org itself: whether it runs Identity Engine or Classic Engine, read again from
``/.well-known/okta-organization``, so advice that depends on it (which boxes to tick in a vendor's
console) is proven still right at every verification."""

from __future__ import annotations

from typing import Literal

from app.common.moments import stamp
from app.engine.checks.base import READ_AT, Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.scope import Scope
from app.okta.models import OrgMetadata

ENGINES = {"idx": "Identity Engine", "v1": "Classic Engine"}


class PipelineParams(CheckParams):
    pipeline: Literal["idx", "v1"]


@register
class OrgPipeline(Check):
    kind = "org_pipeline"
    params_model = PipelineParams

    def from_facts(self, scope: Scope, state: CheckState) -> CheckOutcome | None:
        """What the connection's preflight read of the engine when it was checked (the step's advice
        follows that read): shown with its time until a verification reads it again, not "not
        checked yet" beside the Preflight panel's engine (QA, M4)."""
        org = scope.org
        if org is None or not org.pipeline or org.read_at is None:
            return None
        p = PipelineParams.model_validate(self.raw_params)
        return self._outcome(p, org.pipeline, f" when the Okta connection was checked, {stamp(org.read_at)}",
                             **{READ_AT: org.read_at})

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: PipelineParams = self.params(ctx)
        metadata: OrgMetadata = await ctx.cached("org:metadata", ctx.okta.org.metadata)
        return self._outcome(p, metadata.pipeline or "", "")

    @staticmethod
    def _outcome(p: PipelineParams, found: str, when: str, **evidence: object) -> CheckOutcome:
        label = ENGINES.get(found, f"an unknown engine (“{found}”)")
        if found == p.pipeline:
            reports = "reported" if when else "reports"
            return CheckOutcome.passed(f"Okta {reports} {label} (pipeline “{found}”){when}", pipeline=found, **evidence)
        return CheckOutcome.failed(
            f"Okta {'reported' if when else 'now reports'} {label}{when}, but this advice is for {ENGINES[p.pipeline]}",
            "Check the Okta connection again (Connections > Check) so the wizard reads the engine afresh, then "
            "follow the advice it shows for this step.", pipeline=found, **evidence)
