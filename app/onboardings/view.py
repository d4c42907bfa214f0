"""What the onboarding page shows, assembled from the playbook and the records: each section
and step with its state, the wizard's actions (with Okta ids and Admin Console links), what the
operator must do, and the latest check results; plus the plan, the running job and the drift."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.engine import asked_inputs
from app.engine.actions.base import registry as action_registry
from app.engine.checks.base import CheckOutcome, answered_by_facts, settles
from app.engine.requirements import (
    Stale,
    describe,
    locked_inputs,
    missing_required,
    planned_inputs,
    token_step,
    unapplied_before,
    unmet,
)
from app.engine.runtime import Loaded, load
from app.engine.status import changed_since, current_results
from app.onboardings.console import CONSOLE_PAGE_NAMES, console_link, console_path
from app.onboardings.dead_ends import attest_blocked_by
from app.onboardings.lost_token import LostToken, lost_shown, lost_token
from app.onboardings.next_step import NextKind, NextStep, next_step
from app.onboardings.paste import PasteRow, paste_row
from app.onboardings.person_steps import checked_by_okta
from app.onboardings.progress import SectionProgress, progress
from app.onboardings.step_state import (
    ACTORS,
    SETTLED,
    SHOWN_BY_WIZARD,
    answered_by_the_token,
    attested_in_full,
    before_its_actions,
    evidence_until,
    found_words,
    read_since,
    secret_end,
    step_state,
)
from app.onboardings.token_name import TokenName, token_name_of
from app.playbooks.loader import PlaybookLibrary
from app.playbooks.schema import CheckSpec, InputSpec, SectionSpec, StepSpec
from app.playbooks.tasks import TOKEN_VERIFIED
from app.store.models import (
    Alert,
    Attestation,
    CheckResult,
    Job,
    OnboardingAction,
    OnboardingPlan,
    OnboardingSecret,
    Operator,
    VerificationRun,
)
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.plans import newest_plan
from app.store.repositories.progress import kept_secret_rows, latest_job, latest_results
from app.store.repositories.watch import is_watched, open_alerts
from app.store.statuses import (
    ACTED,
    ACTIVE_JOBS,
    BEFORE_A_CHANGE,
    FINISHED,
    GOOD,
    UNTRACKED_STEPS,
    ActionState,
    CheckStatus,
    StepState,
    Verdict,
)


@dataclass
class ActionView:
    key: str
    kind: str
    state: str
    outcome: str | None
    summary: str | None
    object_type: str | None
    object_id: str | None
    console_link: str | None
    error: str | None
    waiting_on: list[str]
    created_by_us: bool
    waiting_label: str = ""  # the requirements in words ("'Region' is given")
    preview: str = ""  # what it does, before a plan said it (``Action.preview``)


@dataclass
class CheckView:
    spec: CheckSpec
    status: str | None
    found: str | None
    remedy: str | None
    attestation: Attestation | None = None  # who attested, when, and their note
    until: float | None = None  # a timer's end, which ``found`` names in UTC


@dataclass
class StepView:
    section: SectionSpec
    step: StepSpec
    actor_label: str
    state: str
    actions: list[ActionView] = field(default_factory=list)
    checks: list[CheckView] = field(default_factory=list)
    paste: list[PasteRow] = field(default_factory=list)
    inputs: list[tuple[InputSpec, Any]] = field(default_factory=list)
    console_link: str | None = None
    console_page: str | None = None  # the console page's name ("Security > API > Tokens")
    # The step's values can no longer change: the wizard has acted in Okta on one of them.
    inputs_locked: bool = False
    # An earlier step whose action is not applied yet: this one's attestation (and timer) waits for it.
    after_unapplied: StepSpec | None = None
    # A person's step the next step's action waits on (Drata's 5a, adding the app 5b finds): not folded until it ran.
    before_pending: bool = False
    # One of its values changes what the plan does ("Save and make the plan" is offered): not so for a
    # value only pasted elsewhere (Sentinel's workspace).
    inputs_planned: bool = False
    # Kept secrets this step needs (their life ends with one of its checks): revealed right here.
    secrets: list[OnboardingSecret] = field(default_factory=list)

    @property
    def missing_values(self) -> list[str]:
        """The labels of the step's required values still empty: its attestation waits for them
        (the service refuses it, and the page says what to write instead of offering it)."""
        return missing_required(self.inputs)

    @property
    def as_attested(self) -> bool:
        """Done on the person's word, what Okta shows of it still for the next verification to read."""
        return self.state == StepState.done and attested_in_full(self) \
            and any(c.status not in GOOD for c in self.checks)

    @property
    def as_token_shows(self) -> bool:
        """Done as the verified token shows (`shown_by_the_token`), Okta's side for the next verification."""
        return self.state == StepState.done and self.step.actor == "service_account" \
            and not attested_in_full(self) and any(c.status not in GOOD for c in self.checks)

    @property
    def tracked(self) -> bool:
        """Whether the step has a done or not-done of its own (counted in a section's progress)."""
        return self.state not in UNTRACKED_STEPS

    @property
    def folds(self) -> bool:
        """Drawn folded: finished, or only to read, with nothing on it to type, paste or reveal."""
        open_inputs = bool(self.inputs) and not self.inputs_locked
        return (self.state == StepState.done or not self.tracked) and not (self.paste or self.secrets or open_inputs
                                                                            or self.before_pending)


@dataclass
class OnboardingView:
    loaded: Loaded
    sections: list[tuple[SectionSpec, list[StepView]]]
    plan: OnboardingPlan | None
    job: Job | None
    last_job: Job | None
    last_run: VerificationRun | None
    results: dict[str, CheckResult]  # the latest run's, by check key
    secrets: list[OnboardingSecret]
    people: dict[str, str]
    operators: list[Operator]
    inputs_locked: bool
    alerts: list[Alert] = field(default_factory=list)  # the watch's open alerts, once completed
    now: float = 0.0  # the clock's time as the view was built: whether a timer still runs
    # The last run came before the last apply, token paste or timer start: its counts are of then.
    run_outdated: bool = False
    token_name: TokenName = field(default_factory=lambda: TokenName("", ""))  # proposed for the account's token
    lost_token: LostToken | None = None  # the verified token, found revoked or expired by the last run

    @property
    def onboarding(self) -> Any:
        return self.loaded.onboarding

    @property
    def playbook(self) -> Any:
        return self.loaded.playbook

    @property
    def preflight(self) -> dict[str, Any]:
        return dict(self.loaded.connection.preflight or {})

    @property
    def plan_confirmed(self) -> bool:
        return self.plan is not None and self.plan.confirmed_at is not None

    @property
    def input_steps(self) -> list[str]:
        """The steps whose values can still change: the page's one form of values holds them all."""
        return [sv.step.key for _s, steps in self.sections for sv in steps if sv.inputs and not sv.inputs_locked]

    @cached_property
    def plan_stale(self) -> Stale | None:
        """Why the plan no longer shows what Apply would do (values or settings changed), or None."""
        return self.loaded.plan_stale(self.plan) if self.plan is not None else None

    @property
    def runnable_actions(self) -> int:
        return sum(1 for _s, steps in self.sections for v in steps for a in v.actions
                   if a.state not in SETTLED and not a.waiting_on)

    @property
    def applied_any(self) -> bool:
        return any(r.state == ActionState.done for r in self.loaded.records.values())

    @property
    def finished(self) -> bool:
        return self.onboarding.status in FINISHED

    @property
    def open_attestations(self) -> int:
        """Attestations still to give now (not as counted by the last run: some were given since)."""
        return sum(1 for _s, steps in self.sections for sv in steps for c in sv.checks
                   if c.status == CheckStatus.needs_attestation)

    @property
    def token_verified(self) -> bool:
        return bool(self.loaded.scope.facts.get(TOKEN_VERIFIED))

    def waits_for_token(self, step: StepSpec) -> bool:
        """Whether the wizard does ``step`` only once the service account's token is verified, not yet."""
        return not self.token_verified and any(TOKEN_VERIFIED in action.requires for action in step.actions)

    @property
    def token_given_at(self) -> StepView | None:
        """The step where the person gives the vendor the token's value (which the wizard never keeps)."""
        return next((sv for _s, steps in self.sections for sv in steps if sv.step.task is not None
                     and any(row.copied_token for row in sv.step.task.paste)), None)

    def verify_first(self, check: CheckSpec) -> str | None:
        """The label of a check that attesting ``check`` now would leave unable to pass (it destroys
        a value the check reads): the step says to verify first instead of offering the button."""
        return attest_blocked_by(self, check)

    def secret_end(self, secret: OnboardingSecret) -> str:
        """When the kept ``secret`` is destroyed, in words."""
        return secret_end(self.loaded.playbook, secret)

    @property
    def held_secrets(self) -> dict[str, StepView]:
        """Kept secrets a step of the page offers to reveal (where they are needed), and that step."""
        return {secret.purpose: sv for _s, steps in self.sections for sv in steps for secret in sv.secrets}

    @property
    def still_to_do(self) -> list[tuple[SectionSpec, StepView]]:
        """The steps not done, as the handoff summary lists them (those the verified token shows
        were done, signing in as the service account, are done: `shown_by_the_token`)."""
        return [(section, sv) for section, steps in self.sections for sv in steps
                if sv.tracked and sv.state != StepState.done]

    @cached_property
    def next(self) -> NextStep:
        """The one thing to do now (the card at the top of the page)."""
        return next_step(self)

    @property
    def next_checked_by_okta(self) -> bool:
        """The next step is a person's task the wizard can check in Okta now."""
        return (self.next.kind == NextKind.person and self.next.step is not None and self.applied_any
                and checked_by_okta(self, self.next.step))

    @property
    def progress(self) -> list[SectionProgress]:
        return progress(self, self.next.step)

    @property
    def folded_sections(self) -> frozenset[str]:
        """Sections whose every step is done (none of them in the next-step card): each is drawn
        as one line that opens, so a finished onboarding reads in a few screens."""
        return frozenset(p.key for p in self.progress if p.total and p.done == p.total and not p.current)


async def build_view(session: AsyncSession, library: PlaybookLibrary, onboarding_id: uuid.UUID,
                     now: float) -> OnboardingView:
    loaded = await load(session, library, onboarding_id)
    scope = loaded.scope
    plan = await newest_plan(session, onboarding_id)
    # What the plan said each action would do: its line until the action has a summary of its own;
    # only a confirmed plan whose values still stand (an unconfirmed or stale one, or a conflict's
    # line, would describe what Apply will not do).
    described = plan if plan is not None and plan.confirmed_at is not None and not loaded.plan_stale(plan) else None
    planned = {str(item.get("action_key")): str(item.get("summary") or "") for item in
               (described.items if described else []) if item.get("verdict") != Verdict.conflict}
    last_job = await latest_job(session, onboarding_id)
    job = last_job if last_job is not None and last_job.state in ACTIVE_JOBS else None
    last_run, results = await latest_results(session, onboarding_id)
    results, person_changed = current_results(loaded, results, last_run)  # none of what a person changed since
    secrets = await kept_secret_rows(session, onboarding_id)
    by_purpose = {secret.purpose: secret for secret in secrets}
    # Every operator (a small table): names for the page, and the colleagues a handoff can go to.
    operators = list(await OperatorRepository(session).by_display_name())
    people = {str(op.id): op.display_name for op in operators}

    revealed_by_task = {purpose for _s, step in loaded.playbook.steps() if step.task is not None
                        for purpose in step.task.reveals}
    locked = locked_inputs(loaded.playbook, {key: row.state for key, row in loaded.records.items()})
    sections: list[tuple[SectionSpec, list[StepView]]] = []
    plan_depends_on = planned_inputs(loaded.playbook)
    states = {key: row.state for key, row in loaded.records.items()}
    outdated = last_run is not None and changed_since(loaded, last_run.finished_at.timestamp())
    written_at = {key: step for _section, step in reversed(list(loaded.playbook.steps())) for key in step.inputs}
    check_state = loaded.check_state()
    naming = token_name_of(loaded)
    taking_token = token_step(loaded.playbook, scope)
    lost = lost_token(loaded, results)
    for section in loaded.playbook.sections:
        views: list[StepView] = []
        for step in section.steps:
            if not scope.condition(step.when):
                continue
            calls = step.actions or step.checks or step.actor != "wizard"
            view = StepView(section=section, step=step, actor_label=ACTORS[step.actor] if calls else SHOWN_BY_WIZARD,
                            state=StepState.todo)
            for spec in step.actions:
                if not scope.condition(spec.when):
                    continue
                row: OnboardingAction | None = loaded.records.get(spec.key)
                waiting = unmet(scope, spec.requires)
                view.actions.append(ActionView(
                    key=spec.key, kind=spec.kind, state=row.state if row else ActionState.pending,
                    outcome=row.outcome if row else None,
                    summary=(row.summary if row else None) or planned.get(spec.key) or None,
                    object_type=row.object_type if row else None, object_id=row.object_id if row else None,
                    console_link=console_link(loaded, row.object_type, row.object_id) if row else None,
                    error=row.error if row else None, waiting_on=waiting,
                    created_by_us=bool(row and row.created_by_us),
                    waiting_label=describe(loaded.playbook, waiting),
                    preview=action_registry()[spec.kind](spec.params).preview(scope)))
            for check in step.checks:
                if not scope.condition(check.when):
                    continue
                attestation = loaded.attestations.get(check.key)
                result = results.get(check.key)
                if result is not None and result.status in BEFORE_A_CHANGE and outdated:
                    # A failure found before the last apply, token paste or timer start may be fixed by
                    # it: it is not shown as current (the card sent people back to a token already
                    # pasted; a running wait read "has not been started").
                    result = None
                if check.kind == "attest" and attestation is None and result and result.status == CheckStatus.attested:
                    result = None  # withdrawn since the run: its "Attested by ..." no longer holds
                # Till a run: a pasted token's proof, say. What the facts and attestations settle since
                # the run wins over it (several email domains accepted by an attestation given since).
                answer = read_since(answered_by_facts(check, scope, check_state), last_run, check.key in results)
                settled = settles(answer) and (
                    result is None or result.status != CheckStatus.unchecked)  # not over "Okta did not answer"
                shown = lost_shown(lost, step, check) or (answer if settled else (result or answer))
                if shown is not None and shown.status == CheckStatus.failed and taking_token is not None \
                        and answered_by_the_token(check):
                    own = step is taking_token
                    shown = CheckOutcome.waiting("Not yet: the service account's token answers it" + (
                        "." if own else f" (step {taking_token.number})."), (shown.remedy or "") if own else "")
                if shown is not None and shown.status == CheckStatus.failed:
                    shown = before_its_actions(view.actions, shown)
                status = shown.status if shown else None
                if check.kind == "attest":
                    status = CheckStatus.attested if attestation else CheckStatus.needs_attestation
                view.checks.append(CheckView(
                    spec=check, status=status, found=found_words(shown, people), attestation=attestation,
                    remedy=shown.remedy if shown else None, until=evidence_until(result.evidence if result else None)))
            if step.task is not None:
                view.paste += [paste_row(scope, paste, written_at, by_purpose, naming) for paste in step.task.paste]
                if step.task.console_path and scope.org is not None:
                    view.console_link = console_path(loaded, step.task.console_path)
                    view.console_page = CONSOLE_PAGE_NAMES.get(step.task.console_path)
            view.inputs = [(library.get(loaded.playbook.key).input(k), scope.inputs.get(k)) for k in step.inputs]
            asked = asked_inputs.asked(scope.facts, step.key)
            view.inputs += [(a.spec(), scope.inputs.get(a.key)) for a in asked]
            view.inputs_planned = bool(asked) or bool(plan_depends_on & set(step.inputs))
            view.inputs_locked = bool(locked & set(step.inputs))
            # A kept secret is offered where a step says it is used (``reveals``), else at the step
            # whose attestation ends its life.
            reveals = step.task.reveals if step.task is not None else []
            view.secrets = [s for s in secrets if s.destroyed_at is None and (s.purpose in reveals or (
                s.purpose not in revealed_by_task and any(c.destroys(s) for c in step.checks)))]
            if any(c.kind == "attest" for c in step.checks) or (step.task is not None and step.task.kind == "timer"):
                view.after_unapplied = unapplied_before(loaded.playbook, scope, states, step.key)
            view.state = step_state(view, loaded)
            if views and views[-1].state == StepState.guide:
                views[-1].before_pending = any(a.state != ActionState.done for a in view.actions)
            views.append(view)
        if views:
            sections.append((section, views))
    alerts = await open_alerts(session, onboarding_id) if is_watched(loaded.onboarding) else []
    return OnboardingView(loaded=loaded, sections=sections, plan=plan, job=job, last_job=last_job, last_run=last_run,
                          results=results, secrets=secrets, people=people, operators=operators, lost_token=lost,
                          inputs_locked=any(r.state in ACTED for r in loaded.records.values()), alerts=alerts,
                          now=now, token_name=naming, run_outdated=outdated or person_changed)
