"""A log stream to AWS EventBridge, found by its name. An existing stream with the same name and
the same AWS settings is adopted; one with other settings is a conflict (Okta cannot change a
stream's settings after creation, and the wizard never replaces someone else's stream); otherwise
the stream is created. Undo deletes the stream only if this onboarding created it."""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator

from app.common.aws import AWS_ACCOUNT, AWS_REGIONS, EVENT_SOURCE, partner_event_source
from app.common.patterns import matching
from app.engine.actions.base import Action, ActionError, Applied, Params, PlanItem, Record, register
from app.engine.context import Context
from app.okta.errors import OktaApiError, OktaBadRequest
from app.okta.models import LogStream
from app.store.statuses import ActionOutcome, Intent, Verdict

EVENTBRIDGE = "aws_eventbridge"
# Okta allows this many log streams in an org.
MAX_STREAMS = 2


class EventBridgeParams(Params):
    name: str
    account_id: Annotated[str, matching(AWS_ACCOUNT, "The AWS account id must be exactly 12 digits, not “{value}”.")]
    event_source_name: Annotated[str, matching(
        EVENT_SOURCE, "The event source name “{value}” must be 1 to 75 letters, digits, dots, dashes or underscores, "
        "with no spaces.")]
    region: str
    fact: str = "log_stream_id"
    # The fact that names the partner event source Okta creates in AWS with the stream, for the step
    # that associates it there: known once the stream is made (it was known only after a verification).
    partner_source_fact: str | None = None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in AWS_REGIONS:
            raise ValueError(f"Okta cannot stream to the AWS region “{value}”; choose one of {', '.join(AWS_REGIONS)}.")
        return value

    def settings(self) -> dict[str, str]:
        return {"accountId": self.account_id, "eventSourceName": self.event_source_name, "region": self.region}


def _differences(stream: LogStream, p: EventBridgeParams) -> list[str]:
    wanted = p.settings()
    found = []
    if stream.type != EVENTBRIDGE:
        found.append(f"it is of type {stream.type}, not AWS EventBridge")
    for key, value in wanted.items():
        if stream.settings.get(key) != value:
            found.append(f"its {key} is “{stream.settings.get(key) or 'not set'}”, not “{value}”")
    return found


@register
class EnsureEventBridgeLogStream(Action):
    kind = "okta_log_stream"
    produces = frozenset({"{fact}", "{partner_source_fact}"})
    params_model = EventBridgeParams
    description = "Create or adopt an AWS EventBridge log stream"

    def params(self, ctx: Context) -> EventBridgeParams:
        try:
            p: EventBridgeParams = super().params(ctx)
        except ValueError as exc:
            # pydantic's ValidationError is a ValueError; its first message is the operator's.
            errors = getattr(exc, "errors", None)
            message = errors()[0]["msg"].removeprefix("Value error, ") if callable(errors) else str(exc)
            raise ActionError(f"{message} Correct the value on this step and continue.") from None
        return p

    async def _streams(self, ctx: Context) -> list[LogStream]:
        streams: list[LogStream] = await ctx.cached("log_streams", ctx.okta.log_streams.all)
        return streams

    async def _named(self, ctx: Context, name: str) -> LogStream | None:
        return next((s for s in await self._streams(ctx) if s.name.lower() == name.lower()), None)

    def _conflict(self, stream: LogStream, p: EventBridgeParams) -> str:
        return (f"A log stream named “{p.name}” already exists ({stream.id}) and {'; '.join(_differences(stream, p))}. "
                "Okta cannot change a log stream's settings and the wizard will not replace it: choose another "
                "name for this stream, or delete that one in Reports > Log Streaming, then plan again.")

    async def plan(self, ctx: Context) -> PlanItem:
        raw_name = self.raw_params.get("name", "the log stream")
        name = ctx.scope.render(raw_name) if ctx.scope.can_render(raw_name) else raw_name
        calls = ['POST /api/v1/logStreams {"type": "aws_eventbridge", "name": ..., "settings": {accountId, '
                 'eventSourceName, region}}']
        if not ctx.scope.can_render(self.raw_params):
            return PlanItem(Verdict.create, f"Create the AWS EventBridge log stream “{name}” once its AWS account, "
                            "event source name and region are given", calls=calls, object_type="log_stream")
        try:
            p = self.params(ctx)
        except ActionError as exc:
            return PlanItem(Verdict.conflict, f"Log stream “{name}”", object_type="log_stream", detail=exc.message)
        found = await self._named(ctx, p.name)
        if found is not None:
            if _differences(found, p):
                return PlanItem(Verdict.conflict, f"A log stream named “{p.name}” exists with other settings",
                                object_type="log_stream", object_id=found.id, detail=self._conflict(found, p))
            if found.status == "INACTIVE":
                # It sends nothing: said before apply, and in a plan made after the wizard made it (the
                # line read "Done earlier: Created the log stream (ACTIVE)": QA walk 29, M3).
                return PlanItem(Verdict.conflict, f"The log stream “{p.name}” exists with the same AWS settings but "
                                "is INACTIVE, so it sends the vendor nothing", object_type="log_stream",
                                object_id=found.id, detail="Activate it in Reports > Log Streaming, then make "
                                "the plan again.")
            return PlanItem(Verdict.adopt, f"Use the existing log stream “{p.name}” (same AWS settings, "
                            f"{found.status or 'status unknown'})", object_type="log_stream", object_id=found.id,
                            facts={p.fact: found.id})
        if len(await self._streams(ctx)) >= MAX_STREAMS:
            return PlanItem(Verdict.conflict, f"Create the log stream “{p.name}”", object_type="log_stream",
                            detail=f"The org already has {MAX_STREAMS} log streams, the most Okta allows. Remove one "
                                   "in Reports > Log Streaming, then plan again.")
        return PlanItem(Verdict.create, f"Create the AWS EventBridge log stream “{p.name}” to account {p.account_id}, "
                        f"event source {p.event_source_name}, region {p.region}", calls=calls,
                        object_type="log_stream")

    async def apply(self, ctx: Context, record: Record) -> Applied:
        p = self.params(ctx)
        ctx.forget("log_streams")
        found = await self._named(ctx, p.name)
        if found is None and record.intent == Intent.create:
            # Our create may have reached Okta before the answer was lost: look again, patiently.
            found = await ctx.look_again(lambda: self._find_fresh(ctx, p.name))
        ours = record.intent == Intent.create or record.created_by_us
        if found is None:
            await ctx.intend(Intent.create, {"name": p.name})
            try:
                found = await ctx.okta.log_streams.create(EVENTBRIDGE, p.name, p.settings())
            except OktaBadRequest as exc:
                found = await self._find_fresh(ctx, p.name)
                if found is None:
                    raise ActionError(f"Okta refused the log stream: {exc.okta_said}. Check the AWS values on "
                                      "this step, and that the org has fewer than two log streams.") from None
            ours = True
        if _differences(found, p):
            raise ActionError(self._conflict(found, p), conflict=True)
        ctx.forget("log_streams")
        status = found.status or "status unknown"
        return Applied(ActionOutcome.created if ours else ActionOutcome.adopted,
                       f"{'Created' if ours else 'Adopted'} the log stream “{p.name}” ({status})",
                       object_type="log_stream", object_id=found.id,
                       details={"name": p.name, **p.settings()}, facts={p.fact: found.id, **self._partner(ctx, p)})

    @staticmethod
    def _partner(ctx: Context, p: EventBridgeParams) -> dict[str, str]:
        if p.partner_source_fact is None or ctx.scope.org is None:
            return {}
        return {p.partner_source_fact: partner_event_source(ctx.scope.org.display_domain, p.event_source_name)}

    async def _find_fresh(self, ctx: Context, name: str) -> LogStream | None:
        ctx.forget("log_streams")
        return await self._named(ctx, name)

    async def undo(self, ctx: Context, record: Record) -> str | None:
        if not record.object_id:
            return None
        # Already gone is nothing to undo: its 404 is an answer, not a failure.
        stream = await ctx.okta.log_streams.get(record.object_id, absent_ok=True)
        if stream is None:
            return None
        try:
            if stream.status == "ACTIVE":
                # Okta deletes only an inactive stream.
                await ctx.okta.log_streams.deactivate(stream.id)
            await ctx.okta.log_streams.delete(stream.id)
        except OktaApiError as exc:
            raise ActionError(f"Okta would not delete the log stream “{stream.name}” ({exc.okta_said}); delete it "
                              "in Reports > Log Streaming.") from exc
        return f"Deleted the log stream “{record.details.get('name', stream.name)}”"
