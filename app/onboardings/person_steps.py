"""Which of an onboarding's steps wait for a person now, and in what order the card takes them:
the wizard's steps run by themselves, a person's are the card's, except those the token answers
(done at the token step) and those a running wait holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.common.text import and_list
from app.engine.status import held_by_waits, timer_until
from app.onboardings.step_state import answered_by_the_token
from app.store.statuses import GOOD, CheckStatus, StepState

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView, StepView


def wait_over(view: OnboardingView, step_key: str) -> bool:
    until = timer_until(view.loaded.scope.facts, step_key)
    return until is not None and until <= view.now


def held_by_a_wait(view: OnboardingView) -> set[str]:
    """The steps after a wait the document asks for, while it has not passed (`held_by_waits`)."""
    return set(held_by_waits(view.loaded.playbook, view.loaded.scope, view.now))


def needs_person(view: OnboardingView, sv: StepView) -> bool:
    """Whether this step waits for something only a person can do now."""
    if sv.state == StepState.done:
        return False
    # Values only a person can give (Oort's AWS values on 4.4, a step otherwise only to read): the
    # card asks for them there, not at the wizard's step that waits for them (4.5a: QA).
    if sv.inputs and not sv.inputs_locked and any(s.required and v in (None, "", []) for s, v in sv.inputs):
        return True
    if not sv.tracked:
        return False
    task = sv.step.task
    if task is not None and task.kind == "timer" and timer_until(view.loaded.scope.facts, sv.step.key) is not None \
            and not wait_over(view, sv.step.key) \
            and not any(c.spec.kind == "attest" and c.status != CheckStatus.attested for c in sv.checks):
        return False  # started, nothing to do but wait: the card goes on, and shows the wait once nothing else is left
    if task is not None and task.kind == "service_token":
        return True  # not done: no token verified yet, or the verified one was lost since (lost_token.py)
    if waits_for_the_token(view, sv):
        return False  # the token step is where it is done: the card goes there, with this step in it
    if any(c.status == CheckStatus.failed for c in sv.checks):
        return True
    if any(c.spec.kind == "attest" and c.status != CheckStatus.attested for c in sv.checks):
        return True
    if task is None:
        return False
    # A person's task whose outcome the wizard checks in Okta (the account activated, the token made
    # as the account): it is the next step until a verification finds it done. One the person attested
    # in full is done on their word (`attested_in_full`), and the service account's once its token is
    # verified (`shown_by_the_token`): their state says so, above, as the status line counts them (the
    # card said "check it in Okta" at Oort's step 4 while the line asked for 4.1: QA).
    return task.kind == "timer" or (sv.step.actor != "wizard" and any(c.status not in GOOD for c in sv.checks))


def waits_for_the_token(view: OnboardingView, sv: StepView) -> bool:
    """Before the token is verified, a step whose only open checks the token answers (Defender's
    step 5, "sign in as the account"): nothing on it can be checked until the paste, so its "check
    it in Okta" looped on the same card (QA walk 8, M1)."""
    open_checks = [c for c in sv.checks if c.status not in GOOD]
    return not view.token_verified and bool(open_checks) \
        and all(answered_by_the_token(c.spec) for c in open_checks)



def token_track(view: OnboardingView, steps: list[StepView]) -> list[StepView]:
    """While the wizard waits for the service account's token, the account's person's steps up to
    the token: what unblocks the rest of the plan comes before attestations that can wait."""
    if view.token_verified:
        return []
    track = []
    for sv in steps:
        if sv.step.actor == "service_account":
            track.append(sv)
        if sv.step.task is not None and sv.step.task.kind == "service_token":
            return track
    return []


def waits_first(view: OnboardingView, steps: list[StepView]) -> list[StepView]:
    """The steps up to a wait the document asks to let pass before later steps (``holds``: Azure's 15
    minutes after a role is assigned) that has not started: they come before the token's, so the
    wait runs while the person does the rest (the card led to the token first: QA walk 10, L4). So
    too when the wait is not needed yet: the steps before it may show it is (a role found missing
    at Sentinel's step a), and found after the token it started late (QA walk 12, M2)."""
    for i, sv in enumerate(steps):
        task = sv.step.task
        if task is not None and task.kind == "timer" and task.holds and sv.state != StepState.done \
                and timer_until(view.loaded.scope.facts, sv.step.key) is None:
            return steps[:i + 1]
    return []


def why_later(view: OnboardingView, person: StepView, track: list[StepView], steps: list[StepView]) -> str:
    """Why the card leads to the service account's step before earlier ones of the document that
    still need a person (Sentinel's e before its attestations 1-3 and a: QA walk 10, L4)."""
    if person not in track:
        return ""
    earlier = [sv for sv in steps[:steps.index(person)] if sv not in track and needs_person(view, sv)]
    if not earlier:
        return ""
    text, _groups = steps_named(person, earlier)
    # Not "needs the token" of them: read so of Drata's P6, an e-mail domain a person attests (QA walk 21, L3).
    return (f" {text} can wait until the token is pasted: {'they do' if len(earlier) > 1 else 'it does'} not need "
            "it, but what the wizard still has to do in Okta does.")


def steps_named(person: StepView, svs: list[StepView]) -> tuple[str, int]:
    """``svs`` named by number, by section, as the card beside ``person`` says them ("Steps 1-3 and a",
    "Step 5 of “Create a dedicated Okta account”, then steps 1-3 and 4-5"), and how many sections."""
    groups: list[tuple[StepView, list[str]]] = []
    for sv in svs:
        if groups and groups[-1][0].section is sv.section:
            groups[-1][1].append(sv.step.number)
        else:
            groups.append((sv, [sv.step.number]))
    said = []
    for first, numbers in groups:
        listed = and_list(numbers)
        where = "" if first.section is person.section else f" of “{first.section.title}”"
        said.append(f"step{'s' if len(numbers) > 1 else ''} {listed}{where}")
    text = ", then ".join(said)
    return text[0].upper() + text[1:], len(groups)


def checked_by_okta(view: OnboardingView, sv: StepView) -> bool:
    """The step's open items are checks the wizard runs against Okta (so "check it now" finishes
    it); a wait not over yet (not started, or running) is not one."""
    open_checks = [c for c in sv.checks if c.status not in GOOD]
    if waits_for_the_token(view, sv):
        return False  # the paste answers them (the token step carried a second button: QA walk 8, L7)
    return bool(open_checks) and all(c.spec.kind != "attest" for c in open_checks) and all(
        wait_over(view, str(c.spec.params.get("step"))) for c in open_checks if c.spec.kind == "timer_elapsed")


def failed_once_attested(sv: StepView) -> str | None:
    """The label of the first check of ``sv`` that failed while every attestation of it is given:
    the person did the step, and what Okta shows still differs (a second client secret active)."""
    attests = [c for c in sv.checks if c.spec.kind == "attest"]
    if not attests or any(c.status != CheckStatus.attested for c in attests):
        return None
    return next((c.spec.label for c in sv.checks if c.status == CheckStatus.failed), None)
