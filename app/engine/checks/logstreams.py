"""Log stream checks: the stream the document asks for exists in Okta with the AWS settings the
vendor gave, and is active (an inactive stream sends nothing)."""

from __future__ import annotations

from app.common.aws import partner_event_source
from app.engine.checks.base import Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.okta.models import LogStream


class LogStreamParams(CheckParams):
    name: str
    account_id: str
    event_source_name: str
    region: str
    # A fact to keep the name of the partner event source Okta creates in the AWS account, for the
    # step that associates it with an event bus there.
    partner_source_fact: str | None = None


@register
class LogStreamCheck(Check):
    kind = "log_stream"
    produces = frozenset({"{partner_source_fact}"})
    params_model = LogStreamParams

    def unready(self) -> CheckOutcome:
        # Not a fault: the vendor's console shows them only once its side is set up.
        return CheckOutcome.waiting("The AWS account, event source name and region are not given yet",
                                    "Write them on the step that asks for them (the vendor's console shows them), "
                                    "save, then make the plan again and confirm it.")

    async def check(self, ctx: Context, state: CheckState, p: LogStreamParams) -> CheckOutcome:
        streams: list[LogStream] = await ctx.cached("log_streams", ctx.okta.log_streams.all)
        stream = next((s for s in streams if s.name.lower() == p.name.lower()), None)
        if stream is None:
            return CheckOutcome.failed(f"No log stream named “{p.name}” in Okta",
                                       "Apply the plan (again) to create it.",
                                       problem=f"The log stream “{p.name}” is no longer in Okta: Okta sends the vendor "
                                               "no events")
        wanted = {"accountId": p.account_id, "eventSourceName": p.event_source_name, "region": p.region}
        wrong = [f"{key} is “{stream.settings.get(key) or 'not set'}”, not “{value}”" for key, value in wanted.items()
                 if stream.settings.get(key) != value]
        evidence = {"log_stream_id": stream.id, "status": stream.status, "settings": dict(stream.settings)}
        if stream.type != "aws_eventbridge" or wrong:
            return CheckOutcome.failed(f"Log stream “{stream.name}” ({stream.type}): " + "; ".join(wrong or [
                "not an AWS EventBridge stream"]), "Okta cannot change a stream's settings: delete it in Reports > "
                "Log Streaming and apply again.", **evidence,
                problem=f"The log stream “{stream.name}” does not send where the vendor reads: "
                        + "; ".join(wrong or ["it is not an AWS EventBridge stream"]))
        if stream.status != "ACTIVE":
            return CheckOutcome.failed(f"Log stream “{stream.name}” is {stream.status}, so it sends nothing",
                                       "Activate it in Reports > Log Streaming.", **evidence,
                                       problem=f"The log stream “{stream.name}” is {stream.status} in Okta, so it "
                                               "sends the vendor no events")
        outcome = CheckOutcome.passed(f"Log stream “{stream.name}” is active, to AWS account {p.account_id}, "
                                      f"event source {p.event_source_name}, region {p.region}", **evidence)
        if p.partner_source_fact and ctx.scope.org is not None:
            outcome.facts[p.partner_source_fact] = partner_event_source(ctx.scope.org.display_domain,
                                                                        p.event_source_name)
        return outcome
