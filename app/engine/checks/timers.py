"""The waits a document asks for (an Azure role's propagation, a connector's first data): passed
once the operator's timer has run out, or, where a person declared the wait begun before the
wizard counted it, passed on their word, which the finding names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from app.common.moments import stamp
from app.common.text import counted, lasted
from app.engine.checks.base import Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.status import timer_fact, timer_until


class TimerParams(CheckParams):
    step: str
    minutes: int
    # Where the timer is started, when not on the check's own step (Sentinel's "step 8 (Connect)").
    started_at: str = "this step"


def declarer_named(found: str, evidence: Mapping[str, Any] | None, person: str) -> str:
    """What a timer check found, naming the person who declared its wait begun earlier as ``person``
    (the page's and the report's way to name people): the check knows only their username."""
    username = (evidence or {}).get("declared_by")
    return found.replace(f" by {username} at ", f" by {person} at ", 1) if username and person else found


@register
class TimerElapsed(Check):
    """A wait the document asks for (role propagation, ingestion): started by the operator, passed
    once its time is up."""

    kind = "timer_elapsed"
    reads_okta = False
    params_model = TimerParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:

        p: TimerParams = TimerParams.model_validate(self.raw_params)
        until = timer_until(ctx.scope.facts, p.step)
        if until is None:
            return CheckOutcome.waiting(f"The {p.minutes}-minute wait has not been started",
                                       f"Start the timer on {p.started_at} when you have done what it waits for.")
        ends = datetime.fromtimestamp(until, UTC).strftime("%H:%M UTC")
        if until > ctx.clock.now():
            left = max(1, int((until - ctx.clock.now() + 59) // 60))
            return CheckOutcome.waiting(f"Waiting until {ends} ({left} minute{'s' if left != 1 else ''} left)",
                                       "Re-verify when the time is up.", until=until)
        declared = (ctx.scope.facts.get(timer_fact(p.step)) or {}).get("declared")
        if declared:
            # Begun before the wizard counted it, by a person's word: said so, with who and when (the
            # audit record read "Waited 30 minutes" of an onboarding done in 2: QA walk 10, H2).
            at = float(declared["at"])
            measured = max(0, int((until - at) // 60))
            return CheckOutcome.passed(
                f"Declared begun {lasted(int(declared['minutes']) * 60)} before by {declared['by']} at {stamp(at)}; "
                f"the wizard measured {counted(measured, 'minute')} of the {p.minutes} (until {ends})",
                until=until, declared_by=declared["by"], declared_by_id=declared.get("by_id"), declared_at=at,
                declared_minutes=declared["minutes"], measured_minutes=measured)
        return CheckOutcome.passed(f"Waited {p.minutes} minutes (until {ends})", until=until)
