"""A step's state on the page (done, failed, waiting, to do...) from its actions and the latest
results, and whether a verification run is older than what was done since it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.engine.checks.base import READ_AT, CheckOutcome
from app.engine.checks.timers import declarer_named
from app.engine.runtime import Loaded
from app.engine.status import timer_until
from app.onboardings.lost_token import zoned
from app.playbooks.tasks import TOKEN_VERIFIED
from app.store.statuses import GOOD, NOT_AGAINST, ActionState, CheckStatus, StepState

if TYPE_CHECKING:
    from app.onboardings.view import ActionView, StepView
    from app.playbooks.schema import CheckSpec, Playbook
    from app.store.models import CheckResult, VerificationRun


ACTORS = {
    "wizard": "The wizard, through the Okta API",
    "okta_console": "You, in the Okta Admin Console",
    "service_account": "You, signed in as the service account",
    "vendor_console": "You, in the vendor's console",
    "cloud_console": "You, in the cloud provider's console",
}
# A wizard's step that calls nothing (a value to copy, the domain, a note): not "through the Okta API".
SHOWN_BY_WIZARD = "Shown by the wizard (no Okta call)"


def evidence_until(evidence: dict[str, Any] | None) -> float | None:
    """A timer check's end, from its result's evidence."""
    value = (evidence or {}).get("until")
    return float(value) if isinstance(value, int | float) else None


def found_words(shown: CheckOutcome | CheckResult | None, people: Mapping[str, str]) -> str | None:
    """What the page says a check found: a wait declared begun earlier names its person by name, as
    the page names people (it gave the username where the report gave the name)."""
    if shown is None or not shown.found:
        return shown.found if shown is not None else None
    evidence = shown.evidence or {}
    return declarer_named(shown.found, evidence, people.get(str(evidence.get("declared_by_id")), ""))


def answered_by_the_token(check: CheckSpec) -> bool:
    """A check only the service account's pasted token can answer: the token's own checks, and a
    step's "done while signed in as the account" (Defender's step 5). Before the paste it is not
    failing: it waits for the token step (it read "failed", and its card looped: QA walk 8)."""
    return check.kind in ("service_token", "token_probe") or (check.kind == "fact"
                                                               and check.params.get("fact") == TOKEN_VERIFIED)

# Action states after which the action needs nothing more (applied, or removed by Undo).
SETTLED = (ActionState.done, ActionState.undone)


def read_since(answer: CheckOutcome | None, run: VerificationRun | None, ran: bool) -> CheckOutcome | None:
    """``answer`` (what the facts answer of a check), unless it is a read of Okta made outside a
    verification (``READ_AT``: the org's engine, read when the connection was checked) that the last
    run, which ran the check (``ran``), read again since: the newer read is the one shown."""
    read_at = answer.evidence.get(READ_AT) if answer is not None else None
    if read_at is not None and ran and run is not None and run.finished_at.timestamp() > float(read_at):
        return None
    return answer


def attested_in_full(sv: StepView) -> bool:
    """A person's step whose attestations are all given and none of whose checks failed: the
    person's word says it is done, and what Okta shows of it (a check no verification has read yet)
    the next verification checks; a failure brings the step back. The status line waits only for
    attestations not given (`app.engine.status`), and so do the card, the badge and the count."""
    attests = [c for c in sv.checks if c.spec.kind == "attest"]
    return sv.step.actor != "wizard" and bool(attests) \
        and all(c.status == CheckStatus.attested for c in attests) \
        and not any(c.status == CheckStatus.failed for c in sv.checks)


def shown_by_the_token(sv: StepView, loaded: Loaded) -> bool:
    """A service account's step once its token is verified: the token was made signed in as it, so
    the step evidently happened. Done and counted, as a step attested in full is, what Okta shows of
    it for the next verification to read; a failure brings it back. (It read "to do" and "not
    checked yet" beside "Done, as the token you pasted shows" until a verification: QA walk 14.)"""
    return sv.step.actor == "service_account" and bool(loaded.scope.facts.get(TOKEN_VERIFIED)) \
        and bool(sv.checks) and all(c.status in NOT_AGAINST for c in sv.checks) and not zoned(loaded, sv)


def step_state(view: StepView, loaded: Loaded) -> StepState:
    if any(a.state == ActionState.failed for a in view.actions):
        return StepState.failed
    statuses = [c.status for c in view.checks]
    if view.actions and all(a.state in SETTLED for a in view.actions) and all(s in NOT_AGAINST for s in statuses):
        return StepState.done
    if view.actions and any(a.waiting_on for a in view.actions if a.state != ActionState.done):
        return StepState.waiting
    if view.step.task is not None and view.step.task.kind == "service_token":
        # A verified token found lost since (revoked with its account, expired) opens it again (QA walk 12,
        # H1), and so does any check of the token failing (it read "Done, as the token you pasted shows"
        # above "Token … no longer exists in Okta", counted done: QA walk 21, M1).
        if any(c.status == CheckStatus.failed for c in view.checks):
            return StepState.attention
        return StepState.done if loaded.scope.facts.get(TOKEN_VERIFIED) else StepState.todo
    if view.step.task is not None and view.step.task.kind == "timer" and view.checks \
            and timer_until(loaded.scope.facts, view.step.key) is None:
        # Attested without its timer (Sentinel's connector): the wait the later steps count from is not started.
        return StepState.todo
    if statuses and all(s in GOOD for s in statuses):
        return StepState.done
    if CheckStatus.failed in statuses:
        return StepState.attention
    if shown_by_the_token(view, loaded):
        return StepState.done
    if zoned(loaded, view):  # the token lacks the Any IP it asks for
        return StepState.attention
    if attested_in_full(view) and not (view.step.task is not None and view.step.task.kind == "timer"):
        # Done, as attested: the badge, the section's count and the card agree with the status line
        # (Oort's step 4 read "to do" and was not counted beside "Done, as attested": QA, M4).
        return StepState.done
    if CheckStatus.waiting in statuses:
        return StepState.waiting
    if view.actions or view.checks:
        return StepState.todo
    if view.step.task is None and view.step.inputs \
            and not any(loaded.playbook.input(key).required for key in view.step.inputs):
        return StepState.optional
    return StepState.guide if view.step.task is not None and view.step.actor != "wizard" else StepState.info


def served_by_the_token(playbook: Playbook) -> set[str]:
    """Kept secrets revealed only at the service account's own steps (its activation link): the
    account made its token signed in as itself, so once that is verified they have served."""
    by_account: set[str] = set()
    elsewhere: set[str] = set()
    for _section, step in playbook.steps():
        if step.task is not None:
            (by_account if step.actor == "service_account" else elsewhere).update(step.task.reveals)
    return by_account - elsewhere


def secret_end(playbook: Playbook, secret: Any) -> str:
    """When a kept secret is destroyed, in the words of the page's "Kept for a later step" (it said
    "destroyed when its step is done" of the activation link, kept until the token: QA walk 8, L10)."""
    if secret.purpose in served_by_the_token(playbook):
        return "destroyed once the service account's token is verified"
    attested = next((step for step, check in playbook.checks() if check.kind == "attest" and check.destroys(secret)),
                    None)
    if attested is not None:
        return f"destroyed when step {attested.number} is attested"
    if any(secret.purpose in check.names() for _step, check in playbook.checks()):
        return "kept while a check reads it at each verification; destroyed by Undo or Close"
    return "destroyed when the onboarding completes"


def before_its_actions(actions: list[ActionView], shown: CheckOutcome | CheckResult) -> CheckOutcome | CheckResult:
    """A check failing on a step whose actions have not run yet says "not yet", not what to mend:
    Defender's "no Super Admin" failed, with "remove it in Security > Administrators", while the
    Super Admin the token needs was still to be removed by the step itself (QA walk 9, M1)."""
    pending = [a for a in actions if a.state in (ActionState.pending, ActionState.applying)]
    if not pending:
        return shown
    label = next((a.waiting_label for a in pending if a.waiting_on and a.waiting_label), "")
    when = f"once {label}" if label else "when the plan is applied"
    return CheckOutcome.waiting(f"Not yet: the wizard does this step {when}; verify afterwards.", "")
