"""The engine's phases for one onboarding: plan (read only), apply (checkpoint after every
action), verify and re-verify (the document's checklist; drift against the last run), undo
(reverse order, only what this onboarding created). No database transaction is held while
Okta is being called: each phase reads, calls Okta, then writes its checkpoint in a short unit
of work."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.clock import Clock
from app.engine.actions import Action, ActionError, Applied, PlanItem, registry
from app.engine.asked_inputs import FACT as ASKED_INPUTS
from app.engine.checks import CheckOutcome, check_registry
from app.engine.context import Context
from app.engine.jobs import JobHandle
from app.engine.requirements import describe, unmet
from app.engine.runtime import Loaded, load
from app.engine.scope import TemplateError
from app.engine.status import derive_status
from app.okta.calllog import RateLimitWait
from app.okta.client import OktaClient
from app.okta.errors import OktaError
from app.okta.gateway import OktaGateway
from app.playbooks.loader import PlaybookLibrary
from app.playbooks.schema import ActionSpec, StepSpec
from app.store.base import utcnow
from app.store.db import Database
from app.store.models import (
    CheckResult,
    Onboarding,
    OnboardingAction,
    OnboardingPlan,
    OnboardingSecret,
    VerificationRun,
)
from app.store.repositories.secrets import SecretRepository, onboarding_owner
from app.store.repositories.state import touch
from app.store.statuses import ActionState, CheckStatus, OnboardingStatus, Outcome
from app.vault import Secret, Vault


class EngineError(Exception):
    """A phase cannot run; the message says why (no confirmed plan, for instance)."""


@dataclass
class Engine:
    db: Database
    vault: Vault
    library: PlaybookLibrary
    gateway: OktaGateway
    clock: Clock

    # -- shared plumbing ---------------------------------------------------------------------

    async def _load(self, onboarding_id: uuid.UUID) -> Loaded:
        async with self.db.sessions() as session:
            return await load(session, self.library, onboarding_id)

    def _client(self, loaded: Loaded, actor: Actor, handle: JobHandle | None = None) -> OktaClient:
        org = self.gateway.stored_org(loaded.connection, loaded.custom_domains)
        credential = self.gateway.stored_credential(loaded.connection)

        async def on_event(wait: RateLimitWait) -> None:
            if handle is not None:
                await handle.progress(waiting=wait.message, waiting_until=wait.until)

        return self.gateway.client(org, credential, actor=actor, onboarding_id=loaded.onboarding.id,
                                   on_event=on_event)

    def _context(self, okta: OktaClient, loaded: Loaded, handle: JobHandle | None = None) -> Context:
        ctx = Context(okta=okta, scope=loaded.scope, clock=self.clock,
                      records={key: loaded.record(key) for key in loaded.records})
        onboarding_id = loaded.onboarding.id

        async def read_secret(purpose: str) -> Secret | None:
            return await self.kept_secret(onboarding_id, purpose)

        ctx.read_secret = read_secret
        if handle is not None:
            async def progress(message: str, *, done: int | None = None, total: int | None = None) -> None:
                await handle.progress(detail=message, done=done, total=total)

            ctx.progress = progress
        return ctx

    async def kept_secret(self, onboarding_id: uuid.UUID, purpose: str) -> Secret | None:
        """A secret the onboarding still keeps, for a check that needs it (never shown)."""
        async with self.db.sessions() as session:
            row = (await session.execute(select(OnboardingSecret).where(
                OnboardingSecret.onboarding_id == onboarding_id, OnboardingSecret.purpose == purpose))
            ).scalar_one_or_none()
            if row is None or row.destroyed_at is not None:
                return None
            return await SecretRepository(session, self.vault).read(
                row.secret_id, purpose=f"onboarding:{purpose}", owner=onboarding_owner(onboarding_id))

    @staticmethod
    def _active_actions(loaded: Loaded) -> list[tuple[StepSpec, ActionSpec]]:
        scope = loaded.scope
        return [(step, spec) for step, spec in loaded.playbook.actions()
                if scope.condition(step.when) and scope.condition(spec.when)]

    @staticmethod
    def _instance(spec: ActionSpec) -> Action:
        return registry()[spec.kind](spec.params)

    async def _touch(self, onboarding_id: uuid.UUID, **values: Any) -> None:
        async with self.db.session() as session:
            await touch(session, onboarding_id, **values)

    async def refresh_status(self, onboarding_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            await self._refresh_status(session, onboarding_id)

    async def _refresh_status(self, session: AsyncSession, onboarding_id: uuid.UUID) -> None:
        loaded = await load(session, self.library, onboarding_id)
        last_run = (await session.execute(
            select(VerificationRun).where(VerificationRun.onboarding_id == onboarding_id)
            .order_by(VerificationRun.finished_at.desc()).limit(1))).scalar_one_or_none()
        status, waiting_for, note = derive_status(loaded, last_run, self.clock.now())
        onboarding = loaded.onboarding
        if onboarding.status in OnboardingStatus.finished():
            return
        onboarding.status = status
        onboarding.waiting_for = waiting_for
        onboarding.status_note = note
        if status == OnboardingStatus.completed and onboarding.completed_at is None:
            onboarding.completed_at = utcnow()
        await touch(session, onboarding.id)

    def guarded(self, run: Any) -> Any:
        """A job handler that, when a run stops for a reason the phase did not record itself (the
        vault cannot open the credential, Okta is unreachable before the first action...), marks
        the onboarding blocked with that reason, so the page says why instead of spinning."""

        async def handler(handle: JobHandle) -> None:
            try:
                await run(handle)
            except EngineError:
                raise
            except Exception as exc:
                message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                note = f"The {handle.kind} run stopped: {message}"[:500]
                await self._touch(handle.onboarding_id, status=OnboardingStatus.blocked, status_note=note)
                async with self.db.session() as session:
                    await record(session, action=handle.kind, outcome=Outcome.failed,
                                 actor=await self._job_actor(handle),
                                 onboarding_id=handle.onboarding_id, subject_type="job",
                                 subject_id=str(handle.job_id), summary=note)
                raise

        return handler

    # -- plan ---------------------------------------------------------------------------------

    async def plan(self, onboarding_id: uuid.UUID, actor: Actor) -> uuid.UUID:
        loaded = await self._load(onboarding_id)
        items: list[dict[str, Any]] = []
        asked: dict[str, list[Any]] = {}  # inputs the org makes necessary, by step (app/engine/asked_inputs.py)
        async with self._client(loaded, actor) as okta:
            ctx = self._context(okta, loaded)
            for step, spec in self._active_actions(loaded):
                done = loaded.records.get(spec.key)
                if done is not None and done.state == ActionState.done:
                    item = PlanItem("unchanged", f"Done earlier: {done.summary}", object_type=done.object_type,
                                    object_id=done.object_id)
                else:
                    action = self._instance(spec)
                    try:
                        item = await action.plan(ctx)
                    except TemplateError:
                        item = PlanItem("create", f"{action.description} (once the earlier steps exist)")
                    except ActionError as exc:
                        item = PlanItem("conflict", action.description, detail=exc.message)
                found = item.facts.pop(ASKED_INPUTS, None)
                if found:
                    asked.setdefault(step.key, []).extend(found)
                ctx.scope.facts.update(item.facts)
                entry = asdict(item)
                entry.pop("facts", None)
                entry.update(step_key=step.key, step_title=step.title, action_key=spec.key, kind=spec.kind,
                             requires=list(spec.requires), requires_text=describe(loaded.playbook, spec.requires))
                items.append(entry)
        plan = OnboardingPlan(id=uuid.uuid4(), onboarding_id=onboarding_id, created_by_id=actor.id, items=items)
        async with self.db.session() as session:
            session.add(plan)
            onboarding = await session.get(Onboarding, onboarding_id)
            if onboarding is not None and (onboarding.facts or {}).get(ASKED_INPUTS, {}) != asked:
                # Kept so the step's form asks for them and apply sends what the operator gave.
                onboarding.facts = {**(onboarding.facts or {}), ASKED_INPUTS: asked}
            counts = {v: sum(1 for i in items if i["verdict"] == v) for v in {i["verdict"] for i in items}}
            await record(session, action="plan", actor=actor, onboarding_id=onboarding_id, subject_type="plan",
                         subject_id=str(plan.id),
                         summary="Plan made: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())),
                         details={"counts": counts})
        await self._touch(onboarding_id)
        return plan.id

    async def confirm_plan(self, onboarding_id: uuid.UUID, plan_id: uuid.UUID, actor: Actor) -> OnboardingPlan:
        async with self.db.session() as session:
            plan = await session.get(OnboardingPlan, plan_id)
            if plan is None or plan.onboarding_id != onboarding_id:
                raise EngineError("That plan does not belong to this onboarding.")
            newest = (await session.execute(select(OnboardingPlan.id).where(
                OnboardingPlan.onboarding_id == onboarding_id).order_by(OnboardingPlan.created_at.desc()).limit(1)
            )).scalar_one()
            if newest != plan.id:
                raise EngineError("A newer plan exists; review and confirm that one.")
            conflicts = [i for i in plan.items if i["verdict"] == "conflict"]
            if conflicts:
                raise EngineError("The plan has conflicts the wizard will not overwrite. Resolve them in Okta, "
                                  "then plan again.")
            if plan.confirmed_at is None:
                plan.confirmed_at = utcnow()
                plan.confirmed_by_id = actor.id
                await record(session, action="plan_confirm", actor=actor, onboarding_id=onboarding_id,
                             subject_type="plan", subject_id=str(plan.id), summary="Plan confirmed")
                await touch(session, onboarding_id)
            return plan

    async def confirmed_plan(self, onboarding_id: uuid.UUID) -> OnboardingPlan | None:
        async with self.db.sessions() as session:
            return (await session.execute(select(OnboardingPlan).where(
                OnboardingPlan.onboarding_id == onboarding_id, OnboardingPlan.confirmed_at.is_not(None))
                .order_by(OnboardingPlan.confirmed_at.desc()).limit(1))).scalar_one_or_none()

    # -- apply --------------------------------------------------------------------------------

    async def _checkpoint(self, loaded: Loaded, step: StepSpec, spec: ActionSpec, position: int,
                          **values: Any) -> OnboardingAction:
        async with self.db.session() as session:
            row = (await session.execute(select(OnboardingAction).where(
                OnboardingAction.onboarding_id == loaded.onboarding.id,
                OnboardingAction.action_key == spec.key))).scalar_one_or_none()
            if row is None:
                row = OnboardingAction(onboarding_id=loaded.onboarding.id, step_key=step.key, action_key=spec.key,
                                       kind=spec.kind, position=position, state=ActionState.pending, details={})
                session.add(row)
            for key, value in values.items():
                setattr(row, key, value)
            await session.flush()
            loaded.records[spec.key] = row
            return row

    async def _store_secret(self, onboarding_id: uuid.UUID, purpose: str, label: str, value: Secret,
                            destroy_on: str | None) -> None:
        async with self.db.session() as session:
            repo = SecretRepository(session, self.vault)
            existing = (await session.execute(select(OnboardingSecret).where(
                OnboardingSecret.onboarding_id == onboarding_id, OnboardingSecret.purpose == purpose))
            ).scalar_one_or_none()
            if existing is not None:
                await repo.replace(existing.secret_id, value, purpose=f"onboarding:{purpose}",
                                   owner=onboarding_owner(onboarding_id))
                existing.destroyed_at = None
                existing.label = label
                return
            secret_id = await repo.store(f"onboarding:{purpose}", value, owner=onboarding_owner(onboarding_id))
            session.add(OnboardingSecret(onboarding_id=onboarding_id, purpose=purpose, label=label,
                                         secret_id=secret_id, destroy_on=destroy_on))

    async def apply(self, handle: JobHandle) -> None:
        actor = await self._job_actor(handle)
        if await self.confirmed_plan(handle.onboarding_id) is None:
            raise EngineError("Nothing is applied before a plan is confirmed.")
        loaded = await self._load(handle.onboarding_id)
        await self._touch(handle.onboarding_id, status=OnboardingStatus.in_progress, status_note=None)
        async with self.db.session() as session:
            await record(session, action="apply_resume" if handle.resumed else "apply", actor=actor,
                         onboarding_id=handle.onboarding_id, subject_type="job", subject_id=str(handle.job_id),
                         summary="Apply resumed after an interruption" if handle.resumed else "Apply started")
        deferred: list[str] = []
        async with self._client(loaded, actor, handle) as okta:
            ctx = self._context(okta, loaded, handle)
            for position, (step, spec) in enumerate(self._active_actions(loaded)):
                current = loaded.record(spec.key)
                if current.state == ActionState.done:
                    continue
                if unmet(loaded.scope, spec.requires):
                    deferred.append(spec.key)
                    continue
                await handle.progress(action=spec.key, step=step.title, waiting=None)
                row = await self._checkpoint(loaded, step, spec, position, state=ActionState.applying, error=None,
                                             attempts=(loaded.records[spec.key].attempts + 1
                                                       if spec.key in loaded.records else 1))
                ctx.intend = self._intent_hook(loaded, step, spec, position, row.details or {})
                ctx.keep_secret = self._secret_hook(handle.onboarding_id)
                try:
                    applied = await self._instance(spec).apply(ctx, current)
                except (ActionError, OktaError, TemplateError) as exc:
                    message = _failure_message(step, spec, exc)
                    await self._checkpoint(loaded, step, spec, position, state=ActionState.failed, error=message)
                    await self._fail(handle.onboarding_id, actor, step, spec, message)
                    raise EngineError(message) from exc
                await self._done(loaded, step, spec, position, applied, current, actor)
        await self.refresh_status(handle.onboarding_id)
        async with self.db.session() as session:
            await record(session, action="apply_done", actor=actor, onboarding_id=handle.onboarding_id,
                         subject_type="job", subject_id=str(handle.job_id),
                         summary="Apply finished" + (f"; waiting to run {', '.join(deferred)}" if deferred else ""))

    def _intent_hook(self, loaded: Loaded, step: StepSpec, spec: ActionSpec, position: int,
                     details: dict[str, Any]) -> Any:
        async def intend(kind: str, data: dict[str, Any]) -> None:
            await self._checkpoint(loaded, step, spec, position, state=ActionState.applying,
                                   details={**details, **data, "intent": kind})

        return intend

    def _secret_hook(self, onboarding_id: uuid.UUID) -> Any:
        async def keep(purpose: str, label: str, value: Secret, destroy_on: str | None) -> None:
            await self._store_secret(onboarding_id, purpose, label, value, destroy_on)

        return keep

    async def _done(self, loaded: Loaded, step: StepSpec, spec: ActionSpec, position: int, applied: Applied,
                    before: Any, actor: Actor) -> None:
        created_by_us = applied.created or bool(before.created_by_us)
        outcome = applied.outcome if not before.created_by_us or applied.outcome != "unchanged" else before.outcome
        async with self.db.session() as session:
            row = (await session.execute(select(OnboardingAction).where(
                OnboardingAction.onboarding_id == loaded.onboarding.id,
                OnboardingAction.action_key == spec.key))).scalar_one()
            row.state = ActionState.done
            row.outcome = outcome
            row.created_by_us = created_by_us
            row.object_type = applied.object_type
            row.object_id = applied.object_id
            row.summary = applied.summary[:500]
            row.details = {**applied.details}
            row.error = None
            onboarding = await session.get(Onboarding, loaded.onboarding.id)
            assert onboarding is not None
            if applied.facts:
                onboarding.facts = {**(onboarding.facts or {}), **applied.facts}
                loaded.scope.facts.update(applied.facts)
            await touch(session, onboarding.id)
            await record(session, action="apply_action", actor=actor, onboarding_id=loaded.onboarding.id,
                         subject_type=applied.object_type or spec.kind, subject_id=applied.object_id,
                         summary=f"{step.title}: {applied.summary}",
                         details={"action": spec.key, "outcome": outcome, "object_id": applied.object_id})
            loaded.records[spec.key] = row

    async def _fail(self, onboarding_id: uuid.UUID, actor: Actor, step: StepSpec, spec: ActionSpec,
                    message: str) -> None:
        async with self.db.session() as session:
            await touch(session, onboarding_id, status=OnboardingStatus.blocked, waiting_for=None,
                        status_note=message[:500])
            await record(session, action="apply_action", outcome=Outcome.failed, actor=actor,
                         onboarding_id=onboarding_id,
                         subject_type=spec.kind, summary=f"{step.title}: failed", details={"action": spec.key,
                                                                                          "error": message})

    async def _job_actor(self, handle: JobHandle) -> Actor:
        from app.store.models import Operator

        if handle.started_by_id is None:
            return Actor.system("job")
        async with self.db.sessions() as session:
            operator = await session.get(Operator, handle.started_by_id)
        name = operator.username if operator else "unknown"
        return Actor(handle.started_by_id, name)

    # -- verify -------------------------------------------------------------------------------

    async def verify(self, handle: JobHandle) -> uuid.UUID:
        actor = await self._job_actor(handle)
        loaded = await self._load(handle.onboarding_id)
        checks = [(step, spec) for step, spec in loaded.playbook.checks()
                  if loaded.scope.condition(step.when) and loaded.scope.condition(spec.when)]
        registry_ = check_registry()
        state = loaded.check_state()
        await handle.progress(action="verify", step="Checking against Okta", waiting=None)
        async with self._client(loaded, actor, handle) as okta:
            ctx = self._context(okta, loaded, handle)

            async def evaluate(spec: Any) -> CheckOutcome:
                try:
                    return await registry_[spec.kind](spec.key, spec.params).evaluate(ctx, state)
                except OktaError as exc:
                    return CheckOutcome.failed(f"Could not check: {exc.message}", "Verify again later.")

            # Independent checks run together; reads they share are made once (the phase cache).
            outcomes = await asyncio.gather(*(evaluate(spec) for _step, spec in checks))
        async with self.db.session() as session:
            previous = (await session.execute(
                select(VerificationRun).where(VerificationRun.onboarding_id == handle.onboarding_id)
                .order_by(VerificationRun.finished_at.desc()).limit(1))).scalar_one_or_none()
            before: dict[str, str] = {}
            if previous is not None:
                before = {r.check_key: r.status for r in (await session.execute(
                    select(CheckResult).where(CheckResult.run_id == previous.id))).scalars()}
            run = VerificationRun(id=uuid.uuid4(), onboarding_id=handle.onboarding_id, kind=handle.kind,
                                  started_by_id=handle.started_by_id)
            session.add(run)
            await session.flush()
            drift: list[dict[str, Any]] = []
            for (step, spec), outcome in zip(checks, outcomes, strict=True):
                session.add(CheckResult(run_id=run.id, onboarding_id=handle.onboarding_id, step_key=step.key,
                                        check_key=spec.key, status=outcome.status, found=outcome.found[:4000],
                                        remedy=outcome.remedy, evidence=_jsonable(outcome.evidence)))
                if before.get(spec.key) in CheckStatus.good() and outcome.status == CheckStatus.failed:
                    drift.append({"check": spec.key, "label": spec.label, "step": step.title, "found": outcome.found,
                                  "remedy": outcome.remedy})
            # What checks learned for later runs (a smoke test's result, say, once its secret is gone).
            learned = {key: value for o in outcomes for key, value in o.facts.items()}
            if learned:
                onboarding = await session.get(Onboarding, handle.onboarding_id)
                assert onboarding is not None
                onboarding.facts = {**(onboarding.facts or {}), **_jsonable(learned)}
            run.passed = sum(1 for o in outcomes if o.status in CheckStatus.good())
            run.failed = sum(1 for o in outcomes if o.status == CheckStatus.failed)
            run.needs_attestation = sum(1 for o in outcomes if o.status == CheckStatus.needs_attestation)
            run.drift = drift
            await record(session, action=handle.kind, actor=actor, onboarding_id=handle.onboarding_id,
                         outcome=Outcome.ok if not run.failed else Outcome.failed, subject_type="verification",
                         subject_id=str(run.id),
                         summary=f"{'Re-verified' if handle.kind == 'reverify' else 'Verified'}: {run.passed} passed, "
                                 f"{run.failed} failed, {run.needs_attestation} to attest"
                                 + (f"; drift in {len(drift)}" if drift else ""),
                         details={"drift": [d["check"] for d in drift]})
            # The onboarding's status follows from this run: written in the same transaction.
            await session.flush()
            await self._refresh_status(session, handle.onboarding_id)
        return run.id

    # -- undo ---------------------------------------------------------------------------------

    async def undo_list(self, onboarding_id: uuid.UUID) -> list[OnboardingAction]:
        """What undo would remove or restore, in the order it would do it."""
        loaded = await self._load(onboarding_id)
        rows = [row for row in loaded.records.values()
                if row.state in ActionState.acted() and (row.created_by_us or row.outcome == "changed")]
        return sorted(rows, key=lambda row: row.position, reverse=True)

    async def shared_with(self, onboarding_id: uuid.UUID) -> dict[str, list[Onboarding]]:
        """For each Okta object undo would remove, the other live onboardings that adopted it (and
        so depend on it): undo keeps those unless the operator says to remove them as well."""
        rows = await self.undo_list(onboarding_id)
        ids = {row.object_id for row in rows if row.object_id}
        if not ids:
            return {}
        async with self.db.sessions() as session:
            found = (await session.execute(
                select(OnboardingAction.object_id, Onboarding)
                .join(Onboarding, Onboarding.id == OnboardingAction.onboarding_id)
                .where(OnboardingAction.object_id.in_(ids), OnboardingAction.onboarding_id != onboarding_id,
                       OnboardingAction.state == ActionState.done,
                       Onboarding.status.not_in(OnboardingStatus.finished()))
            )).all()
        shared: dict[str, list[Onboarding]] = {}
        for object_id, other in found:
            if other not in shared.setdefault(str(object_id), []):
                shared[str(object_id)].append(other)
        return shared

    async def undo_shared(self, handle: JobHandle) -> None:
        """Undo that also removes objects other onboardings adopted (the operator confirmed it)."""
        await self.undo(handle, keep_shared=False)

    async def undo(self, handle: JobHandle, *, keep_shared: bool = True) -> None:
        actor = await self._job_actor(handle)
        loaded = await self._load(handle.onboarding_id)
        specs = {spec.key: (step, spec) for step, spec in loaded.playbook.actions()}
        shared = await self.shared_with(handle.onboarding_id) if keep_shared else {}
        kept = 0
        async with self._client(loaded, actor, handle) as okta:
            ctx = self._context(okta, loaded)
            for row in await self.undo_list(handle.onboarding_id):
                step, spec = specs[row.action_key]
                users = shared.get(row.object_id or "")
                if users:
                    async with self.db.session() as session:
                        db_row = await session.get(OnboardingAction, row.id)
                        assert db_row is not None
                        db_row.state = ActionState.kept
                        names = ", ".join(f"{o.vendor} onboarding {str(o.id)[:8]}" for o in users)
                        await record(session, action="undo_action", actor=actor, onboarding_id=handle.onboarding_id,
                                     subject_type=row.object_type, subject_id=row.object_id,
                                     summary=f"Undo {step.title}: kept, because {names} uses it")
                    kept += 1
                    continue
                await handle.progress(action=spec.key, step=f"Undo: {step.title}", waiting=None)
                try:
                    summary = await self._instance(spec).undo(ctx, loaded.record(spec.key))
                except (ActionError, OktaError) as exc:
                    message = f"Undo stopped at '{step.title}': {getattr(exc, 'message', str(exc))}"
                    await self._touch(handle.onboarding_id, status=OnboardingStatus.blocked, status_note=message[:500])
                    async with self.db.session() as session:
                        await record(session, action="undo_action", outcome=Outcome.failed, actor=actor,
                                     onboarding_id=handle.onboarding_id, summary=message)
                    raise EngineError(message) from exc
                async with self.db.session() as session:
                    db_row = await session.get(OnboardingAction, row.id)
                    assert db_row is not None
                    db_row.state = ActionState.undone
                    await record(session, action="undo_action", actor=actor, onboarding_id=handle.onboarding_id,
                                 subject_type=row.object_type, subject_id=row.object_id,
                                 summary=f"Undo {step.title}: {summary or 'nothing left to remove'}")
        async with self.db.session() as session:
            onboarding = await session.get(Onboarding, handle.onboarding_id)
            assert onboarding is not None
            onboarding.status = OnboardingStatus.undone
            onboarding.waiting_for = None
            onboarding.status_note = (
                f"Removed what only this onboarding used; kept {kept} object{'s' if kept != 1 else ''} that other "
                "onboardings use (see the audit trail)." if kept else "Everything this onboarding created was removed.")
            await touch(session, onboarding.id)
            secrets = (await session.execute(select(OnboardingSecret).where(
                OnboardingSecret.onboarding_id == handle.onboarding_id,
                OnboardingSecret.destroyed_at.is_(None)))).scalars().all()
            repo = SecretRepository(session, self.vault)
            for secret in secrets:
                await repo.destroy(secret.secret_id, purpose=f"onboarding:{secret.purpose}",
                                   owner=onboarding_owner(secret.onboarding_id))
                secret.destroyed_at = utcnow()
            await record(session, action="undo", actor=actor, onboarding_id=handle.onboarding_id,
                         summary="Undo finished: the org is as it was before this onboarding")


def _failure_message(step: StepSpec, spec: ActionSpec, exc: Exception) -> str:
    what = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, TemplateError):
        what = f"a value it needs is missing ({exc}); an earlier step may not have run"
    retry = " Retry continues from here." if getattr(exc, "transient", False) else ""
    request = getattr(exc, "request_id", None)
    return f"'{step.title}' ({spec.kind}) failed: {what}{retry}" + (f" [Okta request {request}]" if request else "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
