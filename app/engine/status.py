"""Where an onboarding stands, derived from its records: blocked by an error, waiting for a
person (the service account's token, the vendor's console, a timer, an attestation), in
progress, or completed (the last verification passed every item)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.common.text import counted, first_sentence
from app.engine.checks.base import answered_by_facts, settles
from app.engine.requirements import INPUT_PREFIX, Stale, describe, unmet, waits_for_inputs
from app.engine.runtime import Loaded
from app.engine.scope import Scope
from app.playbooks.schema import CheckSpec, Playbook, StepSpec
from app.playbooks.tasks import TOKEN_VERIFIED, TOKEN_VERIFIED_AT
from app.playbooks.templates import references
from app.store.models import CheckResult, OnboardingPlan, VerificationRun
from app.store.statuses import ActionState, OnboardingStatus, Verdict, WaitingFor, retired_note

# What a draft's status line says (nothing is applied yet), as the page's card says it.
DRAFT_NEW = "Check the values, then make the plan."
DRAFT_PLANNED = "Read the plan, then confirm it."
DRAFT_CONFLICTS = "Resolve the plan's conflicts, then make the plan again."
APPLYING = "Applying the confirmed plan."
CONFIRMED = "Plan confirmed; nothing applied yet."
DRAFT_STALE = "Values changed after the plan was made: make the plan again."
DRAFT_STALE_SETTINGS = "The vendor's settings changed after the plan was made: make the plan again."
ATTESTATION_LINE = "Waiting for attestation: "  # and the step's title


def draft_note(loaded: Loaded, plan: OnboardingPlan | None) -> str:
    """A draft's status line from its newest plan and the values (and settings) kept now."""
    if plan is None:
        return DRAFT_NEW
    stale = loaded.plan_stale(plan)
    if stale:
        return DRAFT_STALE_SETTINGS if stale == Stale.settings else DRAFT_STALE
    if any(item.get("verdict") == Verdict.conflict for item in plan.items):
        return DRAFT_CONFLICTS
    return DRAFT_PLANNED


def timer_fact(step_key: str) -> str:
    return f"timer_{step_key}"


def timer_started(facts: Mapping[str, Any], step_key: str) -> float | None:
    """When a step's timer was started (None: not started): for Sentinel, the connector's creation
    moment, which the System Log and backfill checks both count from."""
    started = (facts.get(timer_fact(step_key)) or {}).get("started")
    return float(started) if started else None


def timer_until(facts: Mapping[str, Any], step_key: str) -> float | None:
    """When the wait a step's timer counts ends (None: not started)."""
    timer = facts.get(timer_fact(step_key)) or {}
    return float(timer.get("until", 0)) if timer else None


def plan_turn(loaded: Loaded, plan: OnboardingPlan | None) -> str | None:
    """Once some of the plan is applied, what its newest plan asks of the operator before Apply can
    go on (as the page's card says it): make it again, or read and confirm it; None while a
    confirmed plan stands."""
    if plan is None or (plan.confirmed_at is not None and not loaded.plan_stale(plan)):
        return None
    return draft_note(loaded, plan)


def derive_status(loaded: Loaded, last_run: VerificationRun | None, now: float, plan: OnboardingPlan | None = None
                  ) -> tuple[OnboardingStatus, WaitingFor | None, str | None]:
    """``plan`` is the onboarding's newest plan: while actions are still to run, the line follows it."""
    scope = loaded.scope
    if loaded.connection.retired_at is not None:
        return OnboardingStatus.blocked, None, retired_note(loaded.connection.label)
    failed = [row for row in loaded.records.values() if row.state == ActionState.failed]
    if failed:
        # The status line's one sentence; the step shows the whole error, with what to do.
        return OnboardingStatus.blocked, None, first_sentence(failed[0].error or "An action failed.")
    actions = [(step, spec) for step, spec in loaded.playbook.actions()
               if scope.condition(step.when) and scope.condition(spec.when)]
    pending = [(step, spec) for step, spec in actions
               if loaded.records.get(spec.key) is None or loaded.records[spec.key].state != ActionState.done]
    if not loaded.records and pending:
        if plan is not None and plan.confirmed_at is not None and not loaded.plan_stale(plan):
            # Confirmed: the line said "Read the plan, then confirm it" (QA walk 5, M3). Whether Apply
            # runs is the job's to say (APPLYING, set when it starts): a busy or stopped one does not.
            return OnboardingStatus.in_progress, None, CONFIRMED
        return OnboardingStatus.draft, None, draft_note(loaded, plan)
    turn = plan_turn(loaded, plan) if pending else None
    if turn is not None:
        # Values saved after the plan (Oort's AWS values), or a new plan made: Apply waits for the operator.
        return OnboardingStatus.waiting, WaitingFor.operator, turn
    gated = [(step, spec) for step, spec in pending if unmet(scope, spec.requires)]
    runnable = [item for item in pending if item not in gated]
    if runnable:
        return OnboardingStatus.in_progress, None, f"Next: {runnable[0][0].title}"
    running: StepSpec | None = None
    attest_steps = [step for step, check in loaded.playbook.checks()
                    if check.kind == "attest" and check.key not in loaded.attestations
                    and scope.condition(step.when) and scope.condition(check.when)]
    for section, step in loaded.playbook.steps():
        if not scope.condition(step.when):
            continue
        verified = scope.facts.get(TOKEN_VERIFIED)
        if step.task is not None and step.task.holds and timer_until(scope.facts, step.key) is None:
            # The steps up to a wait that holds later ones come first, as the card takes them (Sentinel's
            # 1-3 and a, then b's 15 minutes: the line said "Waiting for the token": QA walk 12, L1).
            earlier = _attestations_before(loaded, attest_steps, step, now) + [
                each for each in attest_steps if each.key == step.key]
            if earlier:
                return _waiting_for_attestation(loaded, earlier[0], now)
            if wait_due(loaded.playbook, scope, step, now):
                return OnboardingStatus.waiting, WaitingFor.operator, f"Waiting for the timer to start: {step.title}"
        if step.task is not None and step.task.kind == "service_token" and not verified \
                and (running is None or step.key not in held_by_waits(loaded.playbook, scope, now)):
            # Before a wait that does not hold it, too: the token is the person's to give meanwhile (the
            # header said "Waiting for the timer" beside a card that asked for step e: QA walk 10, L3).
            # "Up to step 4" read as maybe not step 4 itself, and Oort has a step 4 in another section (QA).
            meanwhile = f"; the wait of step {running.number} runs meanwhile" if running is not None else ""
            return (OnboardingStatus.waiting, WaitingFor.service_token,
                    f"Waiting for the service account's token: the account's own steps, up to and including step "
                    f"{step.number} of “{section.title}” ({step.title}){meanwhile}")
        if step.task is not None and step.task.kind == "timer" and running is None:
            until = timer_until(scope.facts, step.key)
            if until is not None and until > now:
                running = step
    held = held_by_waits(loaded.playbook, scope, now) if running is not None else {}
    if running is not None and not any(each.key not in held for each in attest_steps):
        # An attestation the wait does not hold is the person's to give meanwhile, as the card asks
        # (it said "Waiting for a timer" beside a card at step 1-3: QA walk 12, L1).
        waits = _waiting_on(loaded, running)
        return OnboardingStatus.waiting, WaitingFor.timer, f"Waiting: step {waits.number}, {waits.title}"
    for step, spec in gated:
        missing = unmet(scope, spec.requires)
        if waits_for_inputs(missing):
            # Values the document gives only later (a vendor console shows them): the operator's turn,
            # once the attestations the document puts before the step that asks for them are given,
            # as the card takes them (Oort's line named its AWS values beside a card at step 4, whose
            # console shows them only at 4.4, after Save and Test Connectivity: QA walk 11, M1).
            asked = _asked_at(loaded.playbook, missing, step)
            earlier = _attestations_before(loaded, attest_steps, asked, now)
            if earlier:
                return _waiting_for_attestation(loaded, earlier[0], now)
            # The step that asks for them, as the card names it (the line named 4.5a, the stream that
            # waits for them, beside a card at 4.4, Oort's Event Streaming tab that shows them: QA).
            return (OnboardingStatus.waiting, WaitingFor.operator,
                    f"Waiting until {describe(loaded.playbook, missing)}: {asked.title}")
    if gated:
        return OnboardingStatus.in_progress, None, f"Ready to continue: {gated[0][0].title}"
    # An attestation withdrawn since the run (a value pasted in the vendor's console changed) undoes it.
    if last_run is not None and last_run.failed == 0 and last_run.needs_attestation == 0 and not last_run.waiting \
            and not last_run.unchecked and not attest_steps:
        return OnboardingStatus.completed, None, "Every item of the checklist passed or was attested."
    # An optional step chosen since completion is an open item (QA walk 8, M4: it took the onboarding
    # out of Completed); a required attestation withdrawn since undoes the completion.
    optional = [] if loaded.onboarding.completed_at is None or not all(step.optional for step in attest_steps) \
        else attest_steps
    drift = loaded.onboarding.completed_at is not None and last_run is not None and last_run.failed \
        and not changed_since(loaded, last_run.finished_at.timestamp())
    if attest_steps and not optional and drift and last_run is not None:
        # What drifted first, as the card takes it ("Mend what changed in Okta"): the line asked for an
        # attestation withdrawn since, beside a card asking to mend the drift (QA walk 17, L2).
        return OnboardingStatus.in_progress, None, _failed_words(last_run)
    if attest_steps and not optional:
        unchecked = checked_only_before(loaded, attest_steps[0]) if last_run is None else []
        if unchecked:
            # As the card says (`next_step`): the badge read "Waiting for the vendor's console" and
            # the line named Drata's drawer beside a card asking to verify P1 and P6 first (QA walk 15, M1).
            names = " and ".join(step.number for step in unchecked)
            return (OnboardingStatus.waiting, WaitingFor.operator,
                    f"Check the prerequisites in Okta first: verify step{'s' if len(unchecked) > 1 else ''} {names} "
                    f"before {loaded.playbook.vendor} is given the values (step {attest_steps[0].number})")
        return _waiting_for_attestation(loaded, attest_steps[0], now)
    # Once completed, it stays so (the watch's alerts say what drifted since); the line says what to do.
    after = OnboardingStatus.completed if loaded.onboarding.completed_at is not None else OnboardingStatus.in_progress
    if last_run is not None and last_run.failed and changed_since(loaded, last_run.finished_at.timestamp()):
        # Its failures may be mended by what was done since: the page shows none of them as current (the
        # line said "1 check failed" beside a page that showed none: QA walk 9, M2).
        return after, None, "Steps were done since the last verification: verify again to see the checklist now."
    if last_run is not None and last_run.failed:
        # Re-verifying alone does not complete it (a role gone from Okta stays gone): say what failed.
        return after, None, _failed_words(last_run)
    if last_run is not None and last_run.unchecked:
        return after, None, (f"{counted(last_run.unchecked, 'check')} went unanswered at the last verification (an "
                             "error on Okta's side, or its rate limit; nothing was found wrong): verify again in a "
                             "few minutes.")
    if optional:
        return after, None, f"Completed; chosen since, to attest once done: {optional[0].title}"
    if after == OnboardingStatus.completed and last_run is not None and not last_run.waiting \
            and last_run.needs_attestation <= _optional_attested_since(loaded, last_run):
        return after, None, "Every item of the checklist passed or was attested."
    return OnboardingStatus.in_progress, None, ("Re-verify to complete the onboarding." if last_run is not None
                                                else "Verify to complete the onboarding.")


def _failed_words(run: VerificationRun) -> str:
    """The line for a verification that found checks failed. Several: the card names one at a time,
    the first to mend (it read "do what each says" beside a card naming one: QA walk 12, L5)."""
    # Not "the first the page names": the line is read on the lists and in the PDF too (QA walk 21, L4).
    what = "do what it says" if run.failed == 1 else "mend each (the onboarding's page takes them one at a time)"
    return f"{counted(run.failed, 'check')} failed at the last verification: {what}, then re-verify."


def checked_only_before(loaded: Loaded, first: StepSpec) -> list[StepSpec]:
    """Before a step that hands values to the vendor in its console (Drata's drawer, C2), the steps
    the wizard only checks in Okta (no action, nothing for a person: Drata's P6, every user's email
    domain), and a person's step only Okta can confirm (Drata's O2, the group to sync). Verified
    before the vendor has the values: a prerequisite found wrong after (several
    domains Drata must enable first) is found too late. The line and the card both ask it."""
    if first.actor != "vendor_console" or first.task is None or not first.task.paste:
        return []
    scope, state = loaded.scope, loaded.check_state()
    order = [step for _section, step in loaded.playbook.steps() if scope.condition(step.when)]

    def unknown(step: StepSpec) -> bool:
        # What Okta told the connection's own check (the credential's Super Administrator, Drata's P1)
        # is known already: the line asked to verify P1 beside its "Roles: Super Administrator, as Okta
        # reported when the Okta connection was checked" (QA walk 15, L4).
        checks = [check for check in step.checks if scope.condition(check.when)]
        return bool(checks) and not all(settles(answered_by_facts(check, scope, state)) for check in checks)

    # A person's step whose only checks read Okta (Drata's O2, the group label) too: the label was
    # offered to copy into Drata and found misspelt only at the verification after (QA walk 17, M5).
    return [step for step in order[:order.index(first)]
            if (step.actor == "wizard" or all(check.kind != "attest" for check in step.checks))
            and not step.actions and step.task is None and unknown(step)]


def _waiting_for_attestation(loaded: Loaded, first: StepSpec, now: float
                             ) -> tuple[OnboardingStatus, WaitingFor | None, str | None]:
    # A step done in the vendor's console waits for it, whether or not its playbook says so (Oort's
    # header went "Waiting for you", "Waiting for the vendor's console", "Waiting for you" from one
    # console step to the next: only 4.3 and 4.6 said so; QA walk 14).
    said = first.waiting_for or ("vendor_console" if first.actor == "vendor_console" else None)
    waiting = WaitingFor(said) if said in (WaitingFor.vendor_console, WaitingFor.timer) else WaitingFor.operator
    if waiting == WaitingFor.timer and not timer_runs(loaded.playbook, loaded.scope.facts, now):
        waiting = WaitingFor.operator  # the wait is over: the attestation is the person's to give now
    return OnboardingStatus.waiting, waiting, f"{ATTESTATION_LINE}{first.title}"


def _asked_at(playbook: Playbook, missing: list[str], gated: StepSpec) -> StepSpec:
    """The first step of the document that asks for one of the ``missing`` values (Oort's 4.4, where
    its console shows the AWS values), else the step that waits for them."""
    wanted = {r[len(INPUT_PREFIX):] for r in missing if r.startswith(INPUT_PREFIX)}
    return next((step for _section, step in playbook.steps() if wanted & set(step.inputs)), gated)


def _attestations_before(loaded: Loaded, attest_steps: list[StepSpec], step: StepSpec, now: float) -> list[StepSpec]:
    """The steps with an attestation still to give that the document puts before ``step``, but those a
    wait holds (the card does not ask for them before it passes)."""
    order = [each.key for _section, each in loaded.playbook.steps()]
    held = held_by_waits(loaded.playbook, loaded.scope, now)
    return [each for each in attest_steps
            if order.index(each.key) < order.index(step.key) and each.key not in held]


def _optional_attested_since(loaded: Loaded, run: VerificationRun) -> int:
    """Attestations of optional steps given after ``run`` (what it counted to attest, now given)."""
    return sum(1 for step, check in loaded.playbook.checks() if step.optional and check.kind == "attest"
               and (given := loaded.attestations.get(check.key)) is not None
               and given.attested_at > run.finished_at)


# What a person changed that checks read, other than by an apply or a token, and when: a value
# saved different ("input:<key>"), the token set to Any IP ("token:network"), a test event made
# ("test_event:<check>"). A finding a check made of the old one is not current (it read as current
# beside the fix: QA walk 17, M3). A wait restarted is read from its timer's own record instead.
PERSON_CHANGED = "person_changed_at"
TOKEN_NETWORK = "token:network"  # noqa: S105 (a key of what changed, no secret)
# The inputs saved as the wizard proposed them (its default, unchanged): "Values given" says so.
AS_PROPOSED = "inputs_as_proposed"


def event_made_for(check_key: str) -> str:
    """The key of a test event Okta was made to write for ``check_key`` (Sentinel's "Generate a test
    event"): the check's failure before it is not current (it read failed till a run: QA walk 23, L7)."""
    return f"test_event:{check_key}"


def changed_now(facts: Mapping[str, Any], keys: list[str], now: float) -> dict[str, float]:
    """The ``PERSON_CHANGED`` fact with ``keys`` changed at ``now`` (the database's clock, as a
    verification run's finish)."""
    return {**(facts.get(PERSON_CHANGED) or {}), **dict.fromkeys(keys, now)}


def reads_changed_since(loaded: Loaded, check: CheckSpec, moment: float) -> bool:
    """Whether a person changed something ``check`` reads after ``moment``: a value its parameters
    name, (a token check) the token's network, a test event made for it, or the wait it counts from."""
    facts = loaded.scope.facts
    # A wait (re)started since, by its timer's own record: what a check counting from it found is of
    # the old one ("Waited 30 minutes", passed, beside "Waiting until ...": QA walk 25, M3).
    if any(float((facts.get(timer_fact(str(check.params[name]))) or {}).get("recorded_at", 0)) > moment
           for name in ("step", "timer_step") if check.params.get(name)):
        return True
    stamps = facts.get(PERSON_CHANGED) or {}
    if not isinstance(stamps, dict) or not stamps:
        return False
    keys = [f"input:{name}" for space, name in references(check.params) if space == "input"]
    if check.kind == "service_token":
        keys.append(TOKEN_NETWORK)
    keys.append(event_made_for(check.key))
    return any(float(stamps.get(key) or 0) > moment for key in keys)


def current_results(loaded: Loaded, results: Mapping[str, CheckResult], run: VerificationRun | None
                    ) -> tuple[dict[str, CheckResult], bool]:
    """``results`` without those of checks that read what a person changed since ``run`` (passed or
    failed, they are of the old value: a misspelt label read as passed, "limited to network zones"
    beside "The token now allows Any IP": QA walk 17, M3), and whether any was left out."""
    if run is None:
        return dict(results), False
    checks = {check.key: check for _step, check in loaded.playbook.checks()}
    moment = run.finished_at.timestamp()
    kept = {key: result for key, result in results.items()
            if key not in checks or not reads_changed_since(loaded, checks[key], moment)}
    return kept, len(kept) != len(results)


def changed_since(loaded: Loaded, moment: float) -> bool:
    """Whether an action was applied, the service account's token verified, or a timer started
    after ``moment`` (a wait found "not started" before it was is not one now)."""
    facts = loaded.scope.facts
    stamps = [row.updated_at.timestamp() for row in loaded.records.values()]
    stamps.append(float(facts.get(TOKEN_VERIFIED_AT) or 0))
    stamps += [float((facts.get(timer_fact(step.key)) or {}).get("recorded_at", 0))
               for _s, step in loaded.playbook.steps()]
    return max(stamps) > moment


def _waiting_on(loaded: Loaded, timer: StepSpec) -> StepSpec:
    """The step that waits on ``timer``'s wait, as the card names it: the last in the document that
    counts it (Sentinel's "Allow 30 minutes for the first data" on the timer of step 8), or the timer's
    own step. The line named the timer's step beside a card that named the wait (QA walk 16, L3)."""
    scope = loaded.scope
    counting = [step for _section, step in loaded.playbook.steps() if scope.condition(step.when) and (
        step.key == timer.key or any(check.kind == "timer_elapsed" and check.params.get("step") == timer.key
                                     and scope.condition(check.when) for check in step.checks))]
    return counting[-1] if counting else timer


def timer_runs(playbook: Playbook, facts: Mapping[str, Any], now: float) -> bool:
    """Whether a wait one of the playbook's steps asks for was started and has not ended yet."""
    return any(step.task is not None and step.task.kind == "timer"
               and (timer_until(facts, step.key) or 0) > now
               for _section, step in playbook.steps())


def wait_due(playbook: Playbook, scope: Scope, step: StepSpec, now: float) -> bool:
    """Whether the wait of a timer step is to be waited out now: its timer runs, or it is not started
    while a check counts it (Sentinel's 15 minutes, once "I had to assign one of these roles" is ticked)."""
    until = timer_until(scope.facts, step.key)
    if until is not None:
        return until > now
    return scope.condition(step.when) and any(
        check.kind == "timer_elapsed" and check.params.get("step") == step.key
        and scope.condition(counting.when) and scope.condition(check.when) for counting, check in playbook.checks())


def held_by_waits(playbook: Playbook, scope: Scope, now: float) -> dict[str, str]:
    """The steps the document puts after a wait in its section (Sentinel's "The OktaSystemLogs table
    has Okta's events" after "Allow 30 minutes for the first data", a step whose checks count another
    step's timer), while that wait has not passed, each with the step whose timer it waits for: what
    they ask cannot be seen before, so the card does not ask for it and an attestation is refused.
    So too the steps a wait to finish "before proceeding" declares it holds (``holds``: Sentinel's
    connector steps during the 15 minutes an Azure role takes), while it is due (`wait_due`)."""
    held: dict[str, str] = {}
    for _section, step in playbook.steps():
        if step.task is not None and step.task.holds and wait_due(playbook, scope, step, now):
            held.update({key: step.key for key in step.task.holds if key not in held})
    for section in playbook.sections:
        waiting: str | None = None
        for step in section.steps:
            if not scope.condition(step.when):
                continue
            if waiting is not None:
                held.setdefault(step.key, waiting)
            counted_timers = [str(check.params.get("step")) for check in step.checks
                              if check.kind == "timer_elapsed" and scope.condition(check.when)]
            pending = [key for key in counted_timers if (timer_until(scope.facts, key) or now + 1) > now]
            if step.task is None and pending and waiting is None:
                waiting = pending[0]
    return held
