"""The steps a person follows elsewhere (the vendor's console, another admin console) that the
wizard cannot check, split at where the onboarding stands: the handoff summary asks whoever worked
on it about those before that point, and lists those after it as still to do. Asking about a step
that cannot have been done yet sent a help-desk person after a colleague for nothing (Drata's C1,
which needs the token and the app's values, listed as "done elsewhere" while the token was awaited:
QA walk 11, M4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.store.statuses import ActionState, OnboardingStatus, StepState

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView, StepView
    from app.playbooks.schema import SectionSpec

Listed = list[tuple["SectionSpec", "StepView"]]


def guided_steps(view: OnboardingView) -> tuple[Listed, Listed]:
    """The instruction steps not shown done, while the onboarding is under way: (those the document
    puts before where it stands, those at or after it). Neither holds a wait, nor a step a later step
    of its section shows was done (Sentinel's connector attested as created covers the connector
    wizard's pages before it)."""
    if view.finished or view.onboarding.status == OnboardingStatus.completed:
        return [], []
    steps = [sv for _section, svs in view.sections for sv in svs]
    point = _where_it_stands(view, steps)
    before: Listed = []
    after: Listed = []
    for section, svs in view.sections:
        for i, sv in enumerate(svs):
            if sv.state == StepState.guide and not (sv.step.task is not None and sv.step.task.kind == "timer") \
                    and not any(later.tracked and later.state == StepState.done for later in svs[i + 1:]):
                (before if steps.index(sv) < point else after).append((section, sv))
    return before, after


def _where_it_stands(view: OnboardingView, steps: list[StepView]) -> int:
    """The position in the document of the card's next step (those it draws before it may have been
    done: whoever worked on it is asked), else of the first step whose Okta action has not run (plan,
    confirm, apply, a job under way); past the last step when only verifying is left."""
    step = view.next.step
    if step is not None and step in steps:
        return steps.index(step)
    return next((i for i, sv in enumerate(steps) if any(a.state != ActionState.done for a in sv.actions)),
                len(steps))
