"""The engine's phases for one onboarding: plan (read only), apply (checkpoint after every
action), verify and re-verify (the document's checklist; drift against the last run), undo
(reverse order, only what this onboarding created). No database transaction is held while
Okta is being called: each phase reads, calls Okta, then writes its checkpoint in a short unit
of work."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from typing import Any

from app.audit import Actor, record
from app.common.moments import stamp
from app.common.text import first_sentence
from app.engine.actions import ActionError, Applied, PlanItem
from app.engine.asked_inputs import FACT as ASKED_INPUTS
from app.engine.base import EngineError
from app.engine.context import Context
from app.engine.jobs import JobHandle
from app.engine.requirements import Stale, describe, plan_depends_on, unmet
from app.engine.runtime import Loaded, load
from app.engine.scope import TemplateError
from app.engine.status import APPLYING
from app.engine.undo import UndoPhase
from app.engine.verify import VerifyPhase
from app.okta.errors import OktaError
from app.playbooks.schema import ActionSpec, StepSpec
from app.store.models import OnboardingAction, OnboardingPlan
from app.store.repositories import checkpoints
from app.store.repositories.plans import add_plan, confirm, confirmed_plan, new_plan, newest_plan, plan_of
from app.store.repositories.progress import keep_secret, latest_results
from app.store.repositories.state import find_onboarding, get_onboarding, learn, set_status, touch
from app.store.statuses import ActionOutcome, ActionState, CheckStatus, Intent, OnboardingStatus, Outcome, Verdict
from app.vault import Secret

__all__ = ["STALE_CONFIRMED", "STALE_PLAN", "STALE_SETTINGS_CONFIRMED", "STALE_SETTINGS_PLAN", "Engine", "EngineError"]

STALE_PLAN = ("The values changed after this plan was made, so it no longer shows what the wizard would do. "
              "Make the plan again, review it, then confirm.")
STALE_CONFIRMED = ("The values changed after the plan was confirmed: nothing was applied. Make the plan again, "
                   "review it, then confirm.")
# An administrator changed a vendor setting (a custom role's permissions, a grant's scopes) that the
# plan's actions still to apply use: the plan shows the old one.
STALE_SETTINGS_PLAN = ("An administrator changed this vendor's settings after this plan was made, so it no longer "
                       "shows what the wizard would do. Make the plan again, review it, then confirm.")
STALE_SETTINGS_CONFIRMED = ("An administrator changed this vendor's settings after the plan was confirmed: nothing "
                            "was applied. Make the plan again, review it, then confirm.")


# The verdicts of a done action's plan that a plan made after a failed verification applies again,
# with what its line says happened in Okta since.
# What a retry says of an object it found that the attempt before it (failed, or cut short) had
# created: Okta applied the call whose answer was an error or was lost (a 500 that made the user).
FOUND_ON_RETRY = "found in Okta on retry: the attempt that failed had created it"
_RESTORES = {Verdict.create: "Gone from Okta", Verdict.change: "Changed in Okta"}


class Engine(VerifyPhase, UndoPhase):
    """Plan and apply; verify and undo come from their phases (`verify.py`, `undo.py`), the shared
    plumbing from `base.py`."""

    # -- plan ---------------------------------------------------------------------------------

    async def plan(self, onboarding_id: uuid.UUID, actor: Actor) -> OnboardingPlan:
        """A new plan of the onboarding, stored and returned (its items say what each action would do)."""
        loaded = await self._load(onboarding_id)
        items: list[dict[str, Any]] = []
        asked: dict[str, list[Any]] = {}  # inputs the org makes necessary, by step (app/engine/asked_inputs.py)
        async with self.db.sessions() as session:
            _run, results = await latest_results(session, onboarding_id)
        # A verification found something wrong: what was done may be gone from Okta since (drift), so
        # what can be made again is read again; otherwise what was done costs no call.
        drifted = any(result.status == CheckStatus.failed for result in results.values())
        async with self.okta_for(loaded, actor) as okta:
            ctx = self._context(okta, loaded)
            for step, spec in self._active_actions(loaded):
                done = loaded.records.get(spec.key)
                restore = back = None
                if done is not None and done.state == ActionState.done:
                    if drifted:
                        restore, back = await self._since(ctx, spec, done)
                    item = restore or back or PlanItem(Verdict.unchanged, f"Done earlier: {done.summary}",
                                                       object_type=done.object_type, object_id=done.object_id)
                else:
                    action = self._instance(spec)
                    try:
                        item = await action.plan(ctx)
                    except TemplateError:
                        item = PlanItem(Verdict.create, f"{action.description} (once the earlier steps exist)")
                    except ActionError as exc:
                        item = PlanItem(Verdict.conflict, action.description, detail=exc.message)
                found = item.facts.pop(ASKED_INPUTS, None)
                if found:
                    asked.setdefault(step.key, []).extend(found)
                ctx.scope.facts.update(item.facts)
                entry = asdict(item)
                entry.pop("facts", None)
                entry.update(step_key=step.key, step_title=step.title, action_key=spec.key, kind=spec.kind,
                             # Only what is still awaited: "Runs after: 'AWS account id' … are given" stood under
                             # a plan made once they were (QA walk 18, L3).
                             requires=(waiting := unmet(ctx.scope, spec.requires)),
                             requires_text=describe(loaded.playbook, waiting),
                             restore=restore is not None)
                items.append(entry)
        # Bound to the values it depends on (and the profile attributes it asked for), so saving
        # another (a value pasted in the vendor's console) leaves it standing.
        values = {**(loaded.onboarding.inputs or {}), **loaded.scope.inputs}
        used = plan_depends_on(loaded.playbook, {ASKED_INPUTS: asked})
        restoring = {str(item["action_key"]) for item in items if item.get("restore")}
        plan = new_plan(onboarding_id, actor.id, items, {key: values.get(key) for key in sorted(used)},
                        loaded.pending_settings(restoring))
        async with self.db.session() as session:
            await add_plan(session, plan)
            onboarding = await get_onboarding(session, onboarding_id)
            if (onboarding.facts or {}).get(ASKED_INPUTS, {}) != asked:
                # Kept so the step's form asks for them and apply sends what the operator gave.
                await learn(session, onboarding, {ASKED_INPUTS: asked}, activity=True)
            else:
                await touch(session, onboarding_id)  # the page shows the new plan
            counts = {v: sum(1 for i in items if i["verdict"] == v) for v in {i["verdict"] for i in items}}
            # The status line says what the page's card says: the plan waits to be read, or redone.
            await self._refresh_status(session, onboarding_id)
            await record(session, action="plan", actor=actor, onboarding_id=onboarding_id, subject_type="plan",
                         subject_id=str(plan.id),
                         summary="Plan made: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())),
                         details={"counts": counts})
        return plan

    async def _plan_again(self, ctx: Context, spec: ActionSpec) -> PlanItem | None:
        """What a done action's plan reads in Okta now, or None when it cannot be read (the line then
        stays "done earlier")."""
        try:
            return await self._instance(spec).plan(ctx)
        except (ActionError, OktaError, TemplateError):
            return None

    async def _since(self, ctx: Context, spec: ActionSpec,
                     done: OnboardingAction) -> tuple[PlanItem | None, PlanItem | None]:
        """A done action read again after a verification found something wrong: (the line that makes
        it again, or puts right what it set, when Okta no longer has it as done: its own create or
        change, never a conflict's; the line saying what changed in Okta since that applying again
        does not put right). (None, None): as done, or it cannot be read (the line stays "done
        earlier")."""
        item = await self._plan_again(ctx, spec)
        if item is None:
            return None, None
        if self._instance(spec).may_restore() and item.verdict in _RESTORES:
            item.summary = f"{_RESTORES[item.verdict]} since it was done ({done.summary}): {item.summary}"
            return item, None
        if item.verdict == Verdict.conflict:
            # What the wizard made differs now from what this onboarding asks (a permission taken from its
            # custom role in Okta, its log stream deactivated; or a setting changed since): said, with what
            # to do, where the line read "Done earlier" in the state it was made in (QA walk 29, M3). Not
            # a conflict of this plan: applying leaves a done action as it is, and a repair of other drift
            # stays confirmable (the cause may be a setting changed in this wizard, not Okta).
            return None, PlanItem(Verdict.unchanged, f"Done earlier: {done.summary}. Differs now: {item.summary}, "
                                  "which applying again does not change", detail=item.detail,
                                  object_type=done.object_type, object_id=done.object_id)
        if item.verdict == Verdict.remove and not self._instance(spec).may_restore():
            # A removal done earlier whose object is back in Okta (Super Administrator given back to
            # the account), which applying again does not take away: the line says so, and what to do,
            # where it read "unchanged: Done earlier: Removed Super Administrator" under a card asking
            # to remove it (QA walk 20, M3).
            return None, PlanItem(Verdict.unchanged, f"Done earlier: {done.summary}. Found back in Okta since, "
                                  "which applying again does not undo: remove it by hand (for a role, Security > "
                                  "Administrators), then verify again.", object_type=done.object_type,
                                  object_id=done.object_id)
        if self._instance(spec).may_restore():
            ctx.scope.facts.update(item.facts)
        return None, None

    async def is_confirmed(self, onboarding_id: uuid.UUID, plan_id: uuid.UUID) -> bool:
        """Whether the plan was confirmed already (a page left open shows it unconfirmed)."""
        async with self.db.sessions() as session:
            plan = await plan_of(session, onboarding_id, plan_id)
        return plan is not None and plan.confirmed_at is not None

    async def confirm_plan(self, onboarding_id: uuid.UUID, plan_id: uuid.UUID, actor: Actor) -> OnboardingPlan:
        async with self.db.session() as session:
            plan = await plan_of(session, onboarding_id, plan_id)
            onboarding = await find_onboarding(session, onboarding_id)
            if plan is None or onboarding is None:
                raise EngineError("That plan does not belong to this onboarding.")
            newest = await newest_plan(session, onboarding_id)
            if newest is not None and newest.id != plan.id and newest.confirmed_at is not None:
                # Sent again from a page left open: "review and confirm that one" sent the person to a
                # plan confirmed and applied already (QA walk 29, L7).
                raise EngineError(f"A newer plan was confirmed {stamp(newest.confirmed_at)}: the wizard applies "
                                  "that one, and this one is kept only as a record.")
            if newest is None or newest.id != plan.id:
                raise EngineError("A newer plan exists; review and confirm that one.")
            loaded = await load(session, self.library, onboarding_id)
            stale = loaded.plan_stale(plan)
            if stale:
                raise EngineError(STALE_SETTINGS_PLAN if stale == Stale.settings else STALE_PLAN)
            conflicts = [i for i in plan.items if i["verdict"] == Verdict.conflict]
            if conflicts:
                raise EngineError("The plan has conflicts the wizard will not overwrite. Each says what to change, "
                                  "in Okta or in this onboarding's values; then make the plan again.")
            if plan.confirmed_at is None:
                await confirm(session, plan, actor.id)
                await record(session, action="plan_confirm", actor=actor, onboarding_id=onboarding_id,
                             subject_type="plan", subject_id=str(plan.id), summary="Plan confirmed")
                await session.flush()
                # No longer "Read the plan, then confirm it" (confirming changed nothing ``loaded`` holds).
                await self._refresh_status(session, onboarding_id, loaded)
            return plan

    async def why_not_apply(self, onboarding_id: uuid.UUID) -> str | None:
        """Why Apply must not run now (no confirmed plan, or its values changed since), or None."""
        async with self.db.sessions() as session:
            plan = await confirmed_plan(session, onboarding_id)
            onboarding = await find_onboarding(session, onboarding_id)
            if plan is None or onboarding is None:
                return "Make and confirm the plan first: nothing is written before that."
            stale = (await load(session, self.library, onboarding_id)).plan_stale(plan)
            if stale:
                return STALE_SETTINGS_CONFIRMED if stale == Stale.settings else STALE_CONFIRMED
            return None

    async def has_work(self, onboarding_id: uuid.UUID) -> bool:
        """Whether an Apply now would do something: an action not done (or to make again under the
        confirmed plan) whose requirements are met (after the service account's token is verified,
        removing Super Admin is one)."""
        loaded = await self._load(onboarding_id)
        restore = await self._to_restore(onboarding_id, loaded)
        return any((loaded.record(spec.key).state != ActionState.done or spec.key in restore)
                   and not unmet(loaded.scope, spec.requires) for _step, spec in self._active_actions(loaded))

    # -- apply --------------------------------------------------------------------------------

    async def _checkpoint(self, loaded: Loaded, step: StepSpec, spec: ActionSpec, position: int,
                          **values: Any) -> OnboardingAction:
        async with self.db.session() as session:
            row = await checkpoints.checkpoint(session, loaded.onboarding.id, step_key=step.key, action_key=spec.key,
                                               kind=spec.kind, position=position, **values)
            loaded.records[spec.key] = row
            return row

    async def apply(self, handle: JobHandle) -> None:
        actor = await self.job_actor(handle)
        refused = await self.why_not_apply(handle.onboarding_id)
        if refused:
            async with self.db.session() as session:
                await record(session, action="apply", outcome=Outcome.failed, actor=actor,
                             onboarding_id=handle.onboarding_id, subject_type="job", subject_id=str(handle.job_id),
                             summary=f"Apply refused: {refused}")
            raise EngineError(refused)
        loaded = await self._load(handle.onboarding_id)
        await self._set_status(handle.onboarding_id, OnboardingStatus.in_progress, APPLYING)
        async with self.db.session() as session:
            await record(session, action="apply_resume" if handle.resumed else "apply", actor=actor,
                         onboarding_id=handle.onboarding_id, subject_type="job", subject_id=str(handle.job_id),
                         summary="Apply resumed after an interruption" if handle.resumed else "Apply started")
        deferred: list[str] = []
        async with self.okta_for(loaded, actor, handle) as okta:
            ctx = self._context(okta, loaded, handle)
            restore = await self._to_restore(handle.onboarding_id, loaded)
            for position, (step, spec) in enumerate(self._active_actions(loaded)):
                current = loaded.record(spec.key)
                if current.state == ActionState.done and spec.key not in restore:
                    continue
                if unmet(loaded.scope, spec.requires):
                    if step.title not in deferred:
                        deferred.append(step.title)  # the trail names steps, not internal keys
                    continue
                await handle.progress(action=spec.key, step=step.title, waiting=None)
                row = await self._checkpoint(loaded, step, spec, position, state=ActionState.applying, error=None,
                                             attempts=(loaded.records[spec.key].attempts + 1
                                                       if spec.key in loaded.records else 1))
                declared: list[str] = []  # the writes this attempt meant to make (its intents)
                ctx.intend = self._intent_hook(loaded, step, spec, position, row.details or {}, declared)
                ctx.keep_secret = self._secret_hook(handle.onboarding_id)
                try:
                    applied = await self._instance(spec).apply(ctx, current)
                except (ActionError, OktaError, TemplateError) as exc:
                    message = _failure_message(step, exc)
                    await self._checkpoint(loaded, step, spec, position, state=ActionState.failed, error=message)
                    await self._fail(handle.onboarding_id, actor, step, spec, message)
                    raise EngineError(message) from exc
                # An attempt that failed meant to create it, and this one found it without creating it:
                # the failed call reached Okta. Said so (it read "Created", as if this retry had); the
                # record's details stay those of a run that never failed (what undo reads).
                found_on_retry = current.intent == Intent.create and Intent.create not in declared \
                    and applied.outcome == ActionOutcome.created
                if found_on_retry:
                    applied = replace(applied, summary=f"{applied.summary}; {FOUND_ON_RETRY}")
                await self._done(loaded, step, spec, position, applied, current, actor, found_on_retry)
        await self.refresh_status(handle.onboarding_id)
        async with self.db.session() as session:
            await record(session, action="apply_done", actor=actor, onboarding_id=handle.onboarding_id,
                         subject_type="job", subject_id=str(handle.job_id),
                         summary="Apply finished" + (f"; still to do: {'; '.join(deferred)}" if deferred else ""))

    async def _to_restore(self, onboarding_id: uuid.UUID, loaded: Loaded) -> set[str]:
        """The done actions the confirmed plan makes again (gone from Okta, or changed, since), not yet made again
        under it: a Retry after they were does not read Okta for them twice."""
        async with self.db.sessions() as session:
            plan = await confirmed_plan(session, onboarding_id)
        if plan is None or plan.confirmed_at is None:
            return set()
        return {key for key in loaded.restoring(plan) if key in loaded.records}

    def _intent_hook(self, loaded: Loaded, step: StepSpec, spec: ActionSpec, position: int,
                     details: dict[str, Any], declared: list[str]) -> Any:
        async def intend(kind: str, data: dict[str, Any]) -> None:
            declared.append(kind)
            await self._checkpoint(loaded, step, spec, position, state=ActionState.applying,
                                   details={**details, **data, "intent": kind})

        return intend

    def _secret_hook(self, onboarding_id: uuid.UUID) -> Any:
        async def keep(purpose: str, label: str, value: Secret, destroy_on: str | None) -> None:
            async with self.db.session() as session:
                await keep_secret(session, self.vault, onboarding_id, purpose=purpose, label=label,
                                              value=value, destroy_on=destroy_on)

        return keep

    async def _done(self, loaded: Loaded, step: StepSpec, spec: ActionSpec, position: int, applied: Applied,
                    before: Any, actor: Actor, found_on_retry: bool = False) -> None:
        created_by_us = applied.created or bool(before.created_by_us)
        outcome = applied.outcome if not before.created_by_us or applied.outcome != ActionOutcome.unchanged \
            else before.outcome
        async with self.db.session() as session:
            row = await checkpoints.mark_done(session, loaded.onboarding.id, spec.key, outcome=outcome,
                                              created_by_us=created_by_us, object_type=applied.object_type,
                                              object_id=applied.object_id, summary=applied.summary,
                                              details=applied.details, facts=applied.facts)
            loaded.scope.facts.update(applied.facts)
            await record(session, action="apply_action", actor=actor, onboarding_id=loaded.onboarding.id,
                         subject_type=applied.object_type or spec.kind, subject_id=applied.object_id,
                         summary=f"{step.title}: {applied.summary}",
                         details={"action": spec.key, "outcome": outcome, "object_id": applied.object_id,
                                  **({"found_on_retry": True} if found_on_retry else {})})
            loaded.records[spec.key] = row

    async def _fail(self, onboarding_id: uuid.UUID, actor: Actor, step: StepSpec, spec: ActionSpec,
                    message: str) -> None:
        async with self.db.session() as session:
            await set_status(session, onboarding_id, OnboardingStatus.blocked, note=first_sentence(message))
            # The trail says why in its line (it read "...: failed (failed)"); the whole message is in details.
            reason = first_sentence(message.removeprefix(f"“{step.title}” failed: "))
            await record(session, action="apply_action", outcome=Outcome.failed, actor=actor,
                         onboarding_id=onboarding_id, subject_type=spec.kind, summary=f"{step.title}: {reason}",
                         details={"action": spec.key, "error": message})


def _failure_message(step: StepSpec, exc: Exception) -> str:
    what = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, TemplateError):
        what = f"a value it needs is missing ({exc}); an earlier step may not have run"
    # Said once: Okta's own message may already tell to retry ("Retry: the wizard checks what exists").
    retry = " Retry continues from here." if getattr(exc, "transient", False) and "Retry" not in what else ""
    request = getattr(exc, "request_id", None)
    return f"“{step.title}” failed: {what}{retry}" + (f" [Okta request {request}]" if request else "")

