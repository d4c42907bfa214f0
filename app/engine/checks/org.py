"""Checks on the org itself: whether it runs Identity Engine or Classic Engine, read again from
``/.well-known/okta-organization``, so advice that depends on it (which boxes to tick in a vendor's
console) is proven still right at every verification."""

from __future__ import annotations

from typing import Literal

from app.engine.checks.base import Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.models import OrgMetadata

ENGINES = {"idx": "Identity Engine", "v1": "Classic Engine"}


class PipelineParams(CheckParams):
    pipeline: Literal["idx", "v1"]


@register
class OrgPipeline(Check):
    kind = "org_pipeline"
    params_model = PipelineParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p: PipelineParams = self.params(ctx)
        metadata: OrgMetadata = await ctx.cached("org:metadata", ctx.okta.org.metadata)
        found = metadata.pipeline or ""
        label = ENGINES.get(found, f"an unknown engine ('{found}')")
        if found == p.pipeline:
            return CheckOutcome.passed(f"Okta reports {label} (pipeline '{found}')", pipeline=found)
        return CheckOutcome.failed(
            f"Okta now reports {label}, but this advice is for {ENGINES[p.pipeline]}",
            "Check the Okta connection again (Connections > Check) so the wizard reads the engine afresh, then "
            "follow the advice it shows for this step.", pipeline=found)
