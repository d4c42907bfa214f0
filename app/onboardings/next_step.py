"""The one thing to do now on an onboarding's page, and where the operator is in the document.

The page draws it as the card at its top, holding the action itself: the button (make the plan,
apply, retry, verify) or the person's whole step (the paste field, the reveal, the attest button),
so nobody hunts for it on a page thousands of pixels tall. It is derived here, in one place, from
the same view the rest of the page is drawn from, in the order a person works: finish what runs,
fix what failed, plan, confirm, apply, then the person's steps in the document's order, then verify.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from app.common.text import counted
from app.engine.checks.base import MAKE_AGAIN
from app.engine.checks.library import ServiceToken, UserStatus
from app.engine.requirements import Stale
from app.engine.status import ATTESTATION_LINE, checked_only_before, timer_until
from app.onboardings.dead_ends import attest_would_destroy
from app.onboardings.lost_token import renew_words, token_to_replace, zoned_token_step, zoned_words
from app.onboardings.person_steps import (
    failed_once_attested,
    held_by_a_wait,
    needs_person,
    steps_named,
    token_track,
    waits_first,
    waits_for_the_token,
    why_later,
)
from app.store.statuses import (
    ActionState,
    CheckStatus,
    OnboardingStatus,
    StepState,
    Verdict,
)

if TYPE_CHECKING:
    from app.onboardings.view import OnboardingView, StepView


class NextKind(StrEnum):
    finished = "finished"  # completed, closed or retired: nothing more to do here
    working = "working"  # the wizard is running a job
    retry = "retry"  # an action failed
    plan = "plan"  # no plan, or one made from other values
    confirm = "confirm"  # a plan waits to be read and confirmed
    apply = "apply"  # confirmed actions are ready to run
    person = "person"  # a step only a person can do
    wait = "wait"  # a wait the document asks for runs: nothing to do until it ends
    connection = "connection"  # its Okta connection was retired: another one to the org, first
    verify = "verify"  # everything is done: check it against Okta


@dataclass
class NextStep:
    kind: NextKind
    title: str
    detail: str | None = None
    step: StepView | None = None  # the person's step, drawn inside the card with its controls
    until: float | None = None  # a running wait's end (``wait``; ``person``: one that runs meanwhile)
    meanwhile: str = ""  # ``person``: the number of the step whose wait runs meanwhile
    # Steps to do just before ``step``, drawn in the card above it: what only guides (Sentinel's
    # connector pages with the values its Connect needs) and, before the token, the account's steps
    # the token answers (Defender's "sign in as the account", "create the token").
    before: list[StepView] = field(default_factory=list)
    # What someone who may not act on it reads instead of ``detail`` (an auditor has no button to press,
    # nor has a help-desk operator before taking it from the queue): never "verify now" (QA walk).
    reader_detail: str | None = None
    # Nothing is left but to verify everything done since the last look: an attestation that leads
    # here verifies at once (the last one was followed by a "Verify again" to press: QA walk 9, M2).
    finishes: bool = False
    # The token verified is limited to network zones: the step's own instructions, how to make a token,
    # are folded (followed, they made a second token the wizard does not watch: QA walk 20, M5).
    made_already: bool = False


# Who may act on an onboarding (handoffs.may_act), as the card names them to someone who may not.
WHO_ACTS = "the person it is assigned to, or an administrator,"


def credential_refused(view: OnboardingView) -> bool:
    """Whether Okta did not accept the credential of the connection the onboarding uses, the last
    time it was asked (a run, a plan, a check on Okta connections), and no new token was accepted
    since (``REFUSED_AT``: a new token writes a fresh preflight; another connection is another)."""
    connection = view.loaded.connection
    return connection.retired_at is None and connection.refused


def kept_to_its_owner(view: OnboardingView, owner: str) -> NextStep:
    """The card of someone who may act on the onboarding but not use its connection's credential
    (kept to the person who added it): every button that reads Okta would be refused, and "Make the
    plan" led to a bare "Not allowed" page (QA walk 24, M4)."""
    return NextStep(NextKind.connection, "Continue with your own Okta connection",
                    f"The Okta credential this onboarding uses belongs to {owner}, who keeps it to themselves "
                    "(Okta connections): nothing can be planned, applied, verified or undone with it by anyone "
                    f"else. Choose a connection of yours to {view.onboarding.org_origin}; the onboarding continues "
                    "where it stopped.")


def next_step(view: OnboardingView) -> NextStep:
    onboarding = view.onboarding
    if view.finished:
        return NextStep(NextKind.finished, "Nothing more to do", onboarding.status_note)
    connection = view.loaded.connection
    if connection.retired_at is not None:
        return NextStep(NextKind.connection, "Choose another Okta connection",
                        f"The connection “{connection.label}” it used was retired and its credential destroyed: "
                        f"nothing can be applied, verified or undone until it uses another connection to "
                        f"{view.onboarding.org_origin}.")
    if view.job is not None:
        return NextStep(NextKind.working, "The wizard is working in Okta",
                        "This page follows it below; you can leave and come back.")
    if credential_refused(view):
        # Verifying again reads the same refusal: the card read "Verify again", and the checks of the
        # run before read as drift, "mend what changed in Okta" (the token of a person who left).
        return NextStep(NextKind.connection, "Renew the Okta connection's token",
                        f"Okta did not accept the credential of the connection “{connection.label}” when last asked: "
                        "its API token was revoked, expired (30 days without use), or its owner was deactivated. "
                        "Nothing can be verified or watched until the onboarding uses a credential Okta accepts: "
                        "create a new API token in Okta and add it in Okta connections, or choose another "
                        f"connection to {onboarding.org_origin}; then re-verify.")
    if view.plan_stale:  # before a failed step: Retry would be refused until it is made again
        changed = ("An administrator changed this vendor's settings" if view.plan_stale == Stale.settings
                   else "Values were saved")
        return NextStep(NextKind.plan, "Make the plan again",
                        f"{changed} after the plan was made, so it no longer shows what the wizard would do.")
    steps = [sv for _section, svs in view.sections for sv in svs]
    failed = next((sv for sv in steps if any(a.state == ActionState.failed for a in sv.actions)), None)
    if failed is not None:
        # The step, drawn in the card, shows the whole error once, with what to do.
        # "step 1-5" read as a range of steps: the document's steps of its section, said so.
        number = failed.step.number
        where = f"steps {number} of “{failed.section.title}”" if "-" in number else f"step {number}"
        # Said of a passing failure too (an Okta 500: "this usually passes"), so not "fix" (QA walk 9, L7).
        return NextStep(NextKind.retry, f"{where[0].upper()}{where[1:]} stopped: do what it says, then retry",
                        "What Okta answered and what to do are below, then Retry: it continues from there.",
                        failed, reader_detail=f"What Okta answered and what to do are below; then {WHO_ACTS} "
                                              "retries, and the wizard continues from there.")
    if view.plan is None:
        return NextStep(NextKind.plan, "Make the plan",
                        "The wizard reads Okta and lists what it would create, adopt or leave alone. "
                        "Nothing is written to Okta until you confirm the plan.",
                        reader_detail=f"Once {WHO_ACTS} makes it, the plan lists what the wizard would create, adopt "
                                      "or leave alone. Nothing is written to Okta until it is confirmed.")
    conflicts = sum(1 for item in view.plan.items if item.get("verdict") == Verdict.conflict)
    if conflicts and not view.plan_confirmed:
        found = f"The plan below has {counted(conflicts, 'conflict')}, so it cannot be confirmed."
        return NextStep(NextKind.plan, "Make the plan again",
                        f"{found} Change what each says, in Okta or in this onboarding's values, then make the plan "
                        "again.", reader_detail=f"{found} Each says what {WHO_ACTS} changes, in Okta or in this "
                                                "onboarding's values, before making the plan again.")
    nothing_to_do = all(item.get("verdict") == Verdict.unchanged for item in view.plan.items) \
        and not view.runnable_actions
    if not view.plan_confirmed and not nothing_to_do:
        # A plan made again of a finished onboarding, every line unchanged, has nothing to confirm.
        return NextStep(NextKind.confirm, "Read the plan, then confirm it",
                        "Each line says what the wizard will do and the exact Okta calls.")
    if view.runnable_actions:
        count = view.runnable_actions
        ready = "1 action of the confirmed plan is" if count == 1 else f"{count} actions of the confirmed plan are"
        return NextStep(NextKind.apply, "Continue: apply the plan" if view.applied_any else "Apply the plan",
                        f"{ready} ready to run.")
    gone = _gone_from_okta(view, steps)
    if gone is not None:
        return NextStep(NextKind.plan, "Make the plan again",
                        f"The last verification found that something the wizard made is gone from Okta (“{gone}” "
                        "failed). A new plan reads Okta again and makes again only what is gone; read it, confirm it, "
                        "then verify.", reader_detail=f"The last verification found that something the wizard made is "
                        f"gone from Okta (“{gone}” failed). A new plan, once {WHO_ACTS} makes and confirms it, makes "
                        "again only what is gone.")
    run = view.last_run
    if run is not None and run.unchecked and not view.run_outdated:
        return NextStep(NextKind.verify, "Verify again in a few minutes",
                        f"{counted(run.unchecked, 'check')} went unanswered at the last verification (an error "
                        "on Okta's side, or its rate limit): nothing was found wrong, and nothing changed. Each says "
                        "what Okta answered.")
    renew = token_to_replace(view, steps)
    if renew is not None:
        # The paste field, in the card: the step read "done" with the dead token (QA walk 12, H1).
        return NextStep(NextKind.person, f"Step {renew.step.number}: {renew.step.title}", renew_words(view, renew),
                        renew)
    zoned = zoned_token_step(view, steps)
    if zoned is not None:
        return NextStep(NextKind.person, f"Step {zoned.step.number}: {zoned.step.title}", zoned_words(view), zoned,
                        reader_detail=zoned_words(view, f"{_cap(WHO_ACTS)} sets it to Any IP"), made_already=True)
    drifted = _drifted_since_completed(view, steps)
    if drifted is not None:
        # Not the step's first-time instructions (an activation link destroyed long ago): what changed.
        label, remedy = drifted
        return NextStep(NextKind.verify, "Mend what changed in Okta, then re-verify",
                        f"“{label}” failed at the last verification. {remedy}")
    held = held_by_a_wait(view)
    track = token_track(view, steps)
    person = next((sv for sv in waits_first(view, steps) + track + steps if needs_person(view, sv)
                   and sv.step.key not in held), None)
    unchecked = _unchecked_prerequisites(view, steps, person) if person is not None else []
    if person is not None and unchecked:
        names = " and ".join(f"{sv.step.number} ({sv.step.title})" for sv in unchecked)
        many = len(unchecked) > 1
        unseen = (f"Step{'s' if many else ''} {names} {'are' if many else 'is a'} prerequisite{'s' if many else ''} "
                  f"the wizard checks against Okta, and {'have' if many else 'has'} not been checked yet.")
        vendor = view.loaded.playbook.vendor
        return NextStep(NextKind.verify, "Check the prerequisites in Okta first",
                        f"{unseen} Verify now, before you give {vendor} the values (step {person.step.number}).",
                        reader_detail=f"{unseen} {_cap(WHO_ACTS)} verifies {'them' if many else 'it'} before "
                                      f"{vendor} is given the values (step {person.step.number}).")
    blocked = attest_would_destroy(view, person) if person is not None else None
    if person is not None and blocked:
        # With the step itself (its values to give the vendor): the card asked to verify before the
        # step had been shown at all (QA walk 9, M3).
        before = _before(view, person, steps)
        where = f"In “{person.section.title}”.{_first(person, before)}"
        return NextStep(NextKind.verify, f"Step {person.step.number}: {person.step.title}",
                        f"{where} Verify before you attest it: attesting destroys the value kept for it, which the "
                        f"check “{blocked}” still needs and has not passed yet. Once that check has passed, attest.",
                        person, before=before, reader_detail=f"{where} It is attested only once the check "
                        f"“{blocked}” has passed (attesting destroys the value kept for it, which that check still "
                        f"needs): {WHO_ACTS} verifies first.")
    if person is not None:
        unmet = failed_once_attested(person)
        if unmet is not None:
            # Its steps done and attested, a check of it failed: what is wrong leads, not the steps
            # before it drawn again (Authomize's 1-2 to 5 above a secret to deactivate: QA walk 12, L6).
            return NextStep(NextKind.person, f"Step {person.step.number}: {person.step.title}",
                            f"In “{person.section.title}”. “{unmet}” failed at the last verification: what to do "
                            "is below, then verify again.", person)
        before = _before(view, person, steps)
        # A wait that runs meanwhile, and its end (Sentinel's 15 minutes while the token is made: neither
        # the card nor the line said how long was left: QA walk 12, L1).
        waited = _running_wait(view, steps)
        meanwhile = waited if waited is not None and waited[0] is not person else None
        return NextStep(NextKind.person, f"Step {person.step.number}: {person.step.title}",
                        f"In “{person.section.title}”.{_first(person, before)}{why_later(view, person, track, steps)}",
                        person, before=before, until=meanwhile[1] if meanwhile else None,
                        meanwhile=meanwhile[0].step.number if meanwhile else "")
    waited = _running_wait(view, steps)
    if waited is not None:
        sv, until = waited
        holds = [s for s in steps if s.state != StepState.done and s.step.key in held
                 and sv.step.task is not None and s.step.key in sv.step.task.holds]
        if holds:  # the document asks to let it pass "before proceeding" (its card read "Step 8: Connect": QA walk 10)
            return NextStep(NextKind.wait, f"Step {sv.step.number}: {sv.step.title}", f"The document asks to let this "
                            f"wait pass before going on with “{holds[0].section.title}”. Nothing to do until it ends.",
                            sv, until)
        return NextStep(NextKind.wait, f"Step {sv.step.number}: {sv.step.title}",
                        "Nothing to do until the wait ends. Then verify: the wizard checks the rest of the "
                        "checklist against Okta.", sv, until,
                        reader_detail=f"Nothing can be done until the wait ends. Then {WHO_ACTS} verifies: the wizard "
                                      "checks the rest of the checklist against Okta.")
    if onboarding.status == OnboardingStatus.completed and not (run is not None and run.failed):
        return NextStep(NextKind.verify, "Completed: every item passed or was attested",
                        "Re-verify at any time to see whether anything changed in Okta since (drift).",
                        reader_detail=f"{_cap(WHO_ACTS)} can re-verify it at any time to see whether anything "
                                      "changed in Okta since (drift).")
    if view.last_run is None:
        return NextStep(NextKind.verify, "Verify the onboarding",
                        "The wizard checks every item of the document's checklist against Okta.", finishes=True)
    still = [sv for sv in steps if sv.tracked and sv.state != StepState.done]
    if still:
        # Steps the last verification did not find done, or that changed since (it said "Every step is done").
        numbers = ", ".join(sv.step.number for sv in still[:4]) + (" and more" if len(still) > 4 else "")
        many = len(still) > 1
        shown = f"Step{'s' if many else ''} {numbers} {'are' if many else 'is'} not shown done yet"
        return NextStep(NextKind.verify, "Verify again",
                        f"{shown}: verify to check {'them' if many else 'it'} against Okta as it is now.",
                        finishes=True, reader_detail=f"{shown}: a verification by {WHO_ACTS} checks "
                                                     f"{'them' if many else 'it'} against Okta as it is now.")
    return NextStep(NextKind.verify, "Verify again",
                    "Every step is done; verify to see the checklist as Okta has it now.", finishes=True,
                    reader_detail=f"Every step is done; a verification by {WHO_ACTS} shows the checklist "
                                  "as Okta has it now.")


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _gone_from_okta(view: OnboardingView, steps: list[StepView]) -> str | None:
    """The label of the first check the last verification failed with something a new plan makes
    again (a role unassigned since: drift), while no plan was made since that verification."""
    run = view.last_run
    if run is None or run.finished_at is None or (view.plan is not None and view.plan.created_at > run.finished_at):
        return None
    return next((c.spec.label for sv in steps for c in sv.checks
                 if c.status == CheckStatus.failed and (c.remedy or "").startswith(MAKE_AGAIN)), None)


# Failures that stop the vendor connecting at all, mended first: the account (deactivated, its
# token revoked with it), then the token; a role to remove from a deactivated account led the card
# (QA walk 11, M3).
MENDED_FIRST = (UserStatus.kind, ServiceToken.kind)


def _drifted_since_completed(view: OnboardingView, steps: list[StepView]) -> tuple[str, str] | None:
    """A completed onboarding's check the last verification failed (drift) to mend first, with its
    remedy: the account's or the token's before the rest, else the first in the document."""
    if view.onboarding.completed_at is None or view.last_run is None or view.run_outdated:
        return None
    failed = [c for sv in steps for c in sv.checks if c.status == CheckStatus.failed]
    failed.sort(key=lambda c: MENDED_FIRST.index(c.spec.kind) if c.spec.kind in MENDED_FIRST else len(MENDED_FIRST))
    return (failed[0].spec.label, failed[0].remedy or "") if failed else None


def _unchecked_prerequisites(view: OnboardingView, steps: list[StepView], person: StepView) -> list[StepView]:
    """The prerequisites to verify before the vendor is given the values (`checked_only_before`)
    that no verification has looked at yet."""
    before = {step.key for step in checked_only_before(view.loaded, person.step)}
    return [sv for sv in steps if sv.step.key in before and sv.tracked and sv.checks
            and all(c.status is None for c in sv.checks)]


def _before(view: OnboardingView, person: StepView, steps: list[StepView]) -> list[StepView]:
    """The steps to do just before ``person``, in the document's order: the run of steps only to
    read before it in its section (Sentinel's connector pages 1-4, 5 and 6-7, whose values step 8's
    Connect needs), and for the token step the account's steps the token answers, across sections
    (Defender's 5, "sign in as the account"; 1-3; 4-5, "create the token"). The card draws them, since
    it never leads to a step it cannot know done (their values were in folds below: QA walk 8, M2)."""
    if person.state == StepState.done:
        return []
    task = person.step.task
    if task is not None and task.kind == "service_token":
        track = token_track(view, steps)
        if person not in track:
            return []
        return [sv for sv in track[:track.index(person)] if sv.state != StepState.done
                and (sv.state == StepState.guide or waits_for_the_token(view, sv))]
    own = next(svs for section, svs in view.sections if section is person.section)
    before: list[StepView] = []
    for sv in own[:own.index(person)]:
        before = [*before, sv] if sv.state == StepState.guide else []
    return before


def _first(person: StepView, before: list[StepView]) -> str:
    """The card's words for the steps it draws before ``person``, by section: "Steps 1-3 and 4-5
    come first", "Step 5 of “Create a dedicated Okta account”, then steps 1-3 and 4-5, come first"."""
    if not before:
        return ""
    text, groups = steps_named(person, before)
    many = len(before) > 1
    verb = f", come{'' if many else 's'}" if groups > 1 else f" come{'' if many else 's'}"
    return f" {text}{verb} first: {'they are' if many else 'it is'} in this card, above it."


def _running_wait(view: OnboardingView, steps: list[StepView]) -> tuple[StepView, float] | None:
    """The step that waits on a running timer (Sentinel's "Allow 30 minutes for the first data",
    whose check counts from the connector's timer), and when the wait ends; None when none runs."""
    started = {sv.step.key: until for sv in steps if sv.step.task is not None and sv.step.task.kind == "timer"
               and (until := timer_until(view.loaded.scope.facts, sv.step.key)) is not None and until > view.now}
    if not started:
        return None
    key, until = max(started.items(), key=lambda item: item[1])
    waiting = [sv for sv in steps if sv.step.key == key or any(
        c.spec.kind == "timer_elapsed" and c.spec.params.get("step") == key for c in sv.checks)]
    return waiting[-1], until


def header_line(view: OnboardingView) -> str:
    """The line under the page's title: the status line kept (the lists show it), unless it names an
    attestation while the card leads to another step first (a wait over, to verify; a timer to start;
    the token to set to Any IP; a check of an earlier step failed): then the card's, so the page says
    one thing to do, not two (QA walk 20, M1: "Waiting for attestation: Connect" above a card at
    "Step b: Wait 15 minutes after assigning a role")."""
    note = view.onboarding.status_note or ""
    card = view.next
    if note.startswith(ATTESTATION_LINE) and card.step is not None \
            and card.kind in (NextKind.person, NextKind.wait, NextKind.verify) \
            and note.removeprefix(ATTESTATION_LINE) != card.step.step.title:
        return f"Next: {card.title}"
    return note
