"""A step's timer: the wait a document asks for (Azure's 15 minutes for a role; 30 minutes for
Sentinel's first data), started from the page, or counted from a moment the person declares ("Done
earlier? Count the wait from N minutes ago"), a person's word the record names as such."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.moments import okta_moment, stamp
from app.common.validation import ValidationFailed
from app.engine.scope import Scope
from app.engine.status import timer_fact, timer_until
from app.onboardings.attestations import refuse_before_the_wizard, refuse_during_a_wait, scope_of
from app.playbooks.schema import Playbook, StepSpec
from app.playbooks.tasks import TOKEN_CREATED
from app.store.base import utcnow
from app.store.models import Onboarding
from app.store.repositories.state import learn
from app.store.statuses import OnboardingStatus

# How long ago a person may say what a wait waits for was done: a day is past any wait a document
# asks for, and the connector's backfill preview counts from it; a week-old "done earlier" is a
# mistyped number more often than a memory.
DECLARED_AGO_MINUTES = 24 * 60


# How far Okta's clock (a token's creation) and this server's may differ, in seconds.
CLOCKS_APART = 120


def _earliest_start(playbook: Playbook, step: StepSpec, scope: Scope) -> tuple[float, str, float]:
    """The earliest moment what ``step``'s timer waits for can have begun, and what happened then:
    a step at or after the one that takes the service account's token, not before Okta made the
    token (Sentinel's connector is made with it); a step a wait holds ("before proceeding"), not
    before that wait ended. 0 when nothing bounds it (an Azure role assigned before the onboarding).
    The last: how much earlier is let pass (the token's moment is Okta's clock: CLOCKS_APART)."""
    floor, after, slack = 0.0, "", 0.0
    steps = [s for _section, s in playbook.steps() if scope.condition(s.when)]
    keys = [s.key for s in steps]
    taking = next((s for s in steps if s.task is not None and s.task.kind == "service_token"), None)
    created = okta_moment(scope.facts.get(TOKEN_CREATED))
    if taking is not None and created is not None and step.key in keys and keys.index(step.key) >= keys.index(
            taking.key):
        floor, after, slack = created.timestamp(), "Okta made the service account's token", CLOCKS_APART
    for wait in steps:
        until = timer_until(scope.facts, wait.key) if wait.task is not None and step.key in wait.task.holds else None
        if until is not None and until > floor:
            floor, after, slack = until, f"the wait of step {wait.number} ({wait.title}) ended", 0.0
    return floor, after, slack


async def start_timer(session: AsyncSession, playbook: Playbook, onboarding: Onboarding, step_key: str,
                      now: float, actor: Actor, minutes_ago: str = "", *, reopen: bool = False) -> dict[str, Any]:
    """Start (or restart) the wait a step asks for; the page and the checks count down from it.
    ``minutes_ago``: what it waits for began that long ago (a colleague assigned the Azure role
    before handing over), so the wait is counted from then: any moment of the last day (at most the
    timer's own length refused the Azure role assigned two hours before)."""
    try:
        step = playbook.step(step_key)
    except KeyError:
        raise LookupError("There is no such step.") from None
    if step.task is None or step.task.kind != "timer" or not step.task.timer_minutes:
        raise LookupError("This step has no timer.")
    if onboarding.status == OnboardingStatus.completed and not reopen:
        # A wait restarted makes what counts from it wait again: the completed onboarding reopens, which
        # one press inside its folded step did unasked (QA walk 23, L1).
        raise ValidationFailed({"reopen": "Tick the box to restart the wait: this reopens the completed onboarding "
                                          "until the checks that count from it pass again."},
                               "The timer was not restarted.")
    ago = minutes_ago.strip()
    if ago and not (ago.isascii() and ago.isdigit() and int(ago) <= DECLARED_AGO_MINUTES):
        raise ValidationFailed({"minutes_ago": f"Give whole minutes from 0 to {DECLARED_AGO_MINUTES} (a day ago), or "
                                               "leave it empty to start the wait now."}, "The timer was not started.")
    # Refused where its attestation would be (Sentinel's connector: before its token, during the
    # Azure role's 15 minutes): the backfill preview counts from the moment it is started.
    scope = await scope_of(session, playbook, onboarding)
    await refuse_before_the_wizard(session, playbook, onboarding, step, scope, refused="Timer not started",
                                   then="start the timer")
    refuse_during_a_wait(playbook, step, scope, now, refused="Timer not started", then="start the timer")
    started = now - int(ago or 0) * 60
    floor, after, slack = _earliest_start(playbook, step, scope)
    # Only a moment declared: one started now is now, whatever Okta's clock says (review, L4).
    if ago and int(ago) and started < floor - slack:
        # Five hours before the token it is made with, in an onboarding of minutes: the backfill
        # preview counted from then, and the record said the 30 minutes passed (QA walk 20, M2).
        most = max(int((now - floor) // 60), 0)
        raise ValidationFailed({"minutes_ago": f"It cannot have begun before {after}, {stamp(floor)}: give at most "
                                               f"{most} minute{'s' if most != 1 else ''}, or leave it empty to start "
                                               "the wait now."}, "The timer was not started.")
    # "recorded_at": the database's time, as verification runs are stamped (a run before it did not see it).
    timer: dict[str, Any] = {"started": started, "until": started + step.task.timer_minutes * 60,
                             "recorded_at": utcnow().timestamp()}
    if ago and int(ago):
        # A person's word, not the wizard's measure: the checklist and the exports name who declared
        # it and when (they read "Waited 30 minutes" of an onboarding done in 2: QA walk 10, H2).
        timer["declared"] = {"minutes": int(ago), "by": actor.name, "by_id": str(actor.id) if actor.id else None,
                             "at": now}
    await learn(session, onboarding, {timer_fact(step.key): timer}, activity=True)
    await record(session, action="timer_start", actor=actor, onboarding_id=onboarding.id, subject_type="step",
                 subject_id=step.key, summary=_timer_summary(step.task.timer_minutes, step.title, timer, now, actor))
    return timer


def _timer_summary(minutes: int, title: str, timer: dict[str, Any], now: float, actor: Actor) -> str:
    """The trail's words for a started wait; one counted from earlier says from when, and that it is
    the person's word (it read "..., begun 120 minutes before", which nobody could place)."""
    started = f"Started the {minutes}-minute wait of “{title}”"
    if "declared" not in timer:
        return started
    ago = int(timer["declared"]["minutes"])
    over = "; the wait was already over" if float(timer["until"]) <= now else ""
    return f"{started}, counted from {stamp(float(timer['started']))} ({_span(ago)} earlier): {actor.name} " \
           f"declared that what it waits for was done then{over}"


def _span(minutes: int) -> str:
    """A number of minutes as a person says it: "45 minutes", "2 hours", "1 hour 5 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + \
        ([f"{rest} minute{'s' if rest != 1 else ''}"] if rest or not hours else [])
    return " ".join(parts)


def timer_started_note(timer: dict[str, Any], now: float) -> str:
    """What the page says once a timer is started: the minutes left, or that a wait declared begun
    long enough ago is over already (it read "Timer started: 0 minutes left.")."""
    left = round((float(timer["until"]) - now) / 60)
    if left > 0:
        return f"Timer started: {left} minutes left."
    minutes = round((float(timer["until"]) - float(timer["started"])) / 60)
    return f"Timer started, counted from {_span(round((now - float(timer['started'])) / 60))} ago: the " \
           f"{minutes}-minute wait is already over."
