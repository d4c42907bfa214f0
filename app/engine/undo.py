"""The undo phase: in reverse order, remove only what this onboarding created (or restore what it
changed), keep what other live onboardings adopted unless the operator says otherwise, then
destroy the secrets the onboarding kept."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.text import counted
from app.engine.actions import ActionError
from app.engine.base import EngineBase, EngineError
from app.engine.jobs import JobHandle
from app.engine.runtime import Loaded
from app.okta.errors import OktaError
from app.store.base import utcnow
from app.store.models import (
    Onboarding,
    OnboardingAction,
)
from app.store.repositories import checkpoints
from app.store.repositories.progress import destroy_kept_secrets
from app.store.repositories.state import set_status
from app.store.repositories.watch import end_alerts
from app.store.statuses import ACTED, FINISHED, ActionOutcome, ActionState, OnboardingStatus, Outcome


class UndoPhase(EngineBase):
    async def undo_list(self, onboarding_id: uuid.UUID) -> list[OnboardingAction]:
        """What undo would remove or restore, in the order it would do it."""
        return _undoable(await self._load(onboarding_id))

    async def undo_words(self, onboarding_id: uuid.UUID) -> dict[uuid.UUID, str]:
        """What undo will do with each checkpoint, where its action says more than "remove" or
        "restore the previous value" (custom attributes: only the ones this onboarding added go)."""
        loaded = await self._load(onboarding_id)
        specs = {spec.key: spec for _step, spec in loaded.playbook.actions()}
        said = {row.id: self._instance(specs[row.action_key]).undo_words(loaded.record(row.action_key))
                for row in _undoable(loaded) if row.action_key in specs}
        return {key: words for key, words in said.items() if words}

    async def shared_with(self, onboarding_id: uuid.UUID) -> dict[str, list[Onboarding]]:
        """For each Okta object undo would remove, the other live onboardings that adopted it (and
        so depend on it): undo keeps those unless the operator says to remove them as well."""
        loaded = await self._load(onboarding_id)
        async with self.db.sessions() as session:
            return await checkpoints.adopters(session, _undoable(loaded), loaded.onboarding, FINISHED)

    async def undo_shared(self, handle: JobHandle) -> None:
        """Undo that also removes objects other onboardings adopted (the operator confirmed it)."""
        await self.undo(handle, keep_shared=False)

    async def undo(self, handle: JobHandle, *, keep_shared: bool = True) -> None:
        actor = await self.job_actor(handle)
        loaded = await self._load(handle.onboarding_id)
        specs = {spec.key: (step, spec) for step, spec in loaded.playbook.actions()}
        shared = await self.shared_with(handle.onboarding_id) if keep_shared else {}
        kept = 0
        async with self.okta_for(loaded, actor, handle) as okta:
            ctx = self._context(okta, loaded)
            for row in await self.undo_list(handle.onboarding_id):
                step, spec = specs[row.action_key]
                users = shared.get(row.object_id or "")
                if users:
                    async with self.db.session() as session:
                        await checkpoints.set_action_state(session, row.id, ActionState.kept)
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
                    message = f"Undo stopped at “{step.title}”: {getattr(exc, 'message', str(exc))}"
                    await self._set_status(handle.onboarding_id, OnboardingStatus.blocked, message)
                    async with self.db.session() as session:
                        await record(session, action="undo_action", outcome=Outcome.failed, actor=actor,
                                     onboarding_id=handle.onboarding_id, summary=message)
                    raise EngineError(message) from exc
                async with self.db.session() as session:
                    await checkpoints.set_action_state(session, row.id, ActionState.undone)
                    await record(session, action="undo_action", actor=actor, onboarding_id=handle.onboarding_id,
                                 subject_type=row.object_type, subject_id=row.object_id,
                                 summary=f"Undo {step.title}: {summary or 'nothing left to remove'}")
        async with self.db.session() as session:
            note = (f"Removed what only this onboarding used; kept {kept} object{'s' if kept != 1 else ''} that "
                    "other onboardings use (see the audit trail)." if kept else
                    "Everything this onboarding created was removed.")
            await set_status(session, handle.onboarding_id, OnboardingStatus.undone, note=note)
            await destroy_kept_secrets(session, self.vault, handle.onboarding_id)
            await ended_alerts(session, handle.onboarding_id, actor, "the onboarding was undone")
            await record(session, action="undo", actor=actor, onboarding_id=handle.onboarding_id,
                         summary="Undo finished: the org is as it was before this onboarding")


async def ended_alerts(session: AsyncSession, onboarding_id: uuid.UUID, actor: Actor, why: str) -> None:
    """Close the watch's open alerts of an onboarding that ended, and say so in the trail (not as
    resolved: what they found was not mended, the onboarding ended)."""
    closed = await end_alerts(session, onboarding_id, utcnow(), why)
    if closed:
        await record(session, action="alert_closed", actor=actor, onboarding_id=onboarding_id, subject_type="alert",
                     summary=f"{counted(len(closed), 'open alert')} closed, {why}: " + "; ".join(closed)[:400],
                     details={"why": why, "alerts": len(closed)})


def _undoable(loaded: Loaded) -> list[OnboardingAction]:
    """The checkpoints undo removes or restores (made by this onboarding, or changed by it), last first;
    not what a later step of it removed already (Defender's Super Administrator, taken away once the
    token exists: the confirmation counted it among what undo removes: QA walk 29, M4)."""
    rows = [row for row in loaded.records.values() if row.state in ACTED]
    removed = {(row.object_type, row.object_id, row.position) for row in rows
               if row.outcome == ActionOutcome.removed and row.object_id}
    return sorted((row for row in rows if (row.created_by_us or row.outcome == ActionOutcome.changed)
                   and not any((kind, oid) == (row.object_type, row.object_id) and after > row.position
                               for kind, oid, after in removed)),
                  key=lambda row: row.position, reverse=True)
