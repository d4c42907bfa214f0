"""An onboarding's checkpoints: one row per playbook action saying how far Apply got with it
(pending, applying with the intent it declared before a write, done with what it made, failed with
why), the facts done actions learnt, and undo's marks. A resumed Apply (after a crash, a retry or
a handoff) starts from these rows, so they are written in their own short transactions, before and
after each Okta write; the engine writes them only through here. The secrets actions keep are with
the other kept-secret functions, in progress.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import Onboarding, OnboardingAction
from app.store.repositories.state import get_onboarding, learn, touch
from app.store.statuses import ActionOutcome, ActionState


async def action_row(session: AsyncSession, onboarding_id: uuid.UUID, action_key: str) -> OnboardingAction | None:
    found: OnboardingAction | None = (await session.execute(select(OnboardingAction).where(
        OnboardingAction.onboarding_id == onboarding_id,
        OnboardingAction.action_key == action_key))).scalar_one_or_none()
    return found


async def checkpoint(session: AsyncSession, onboarding_id: uuid.UUID, *, step_key: str, action_key: str,
                     kind: str, position: int, **values: Any) -> OnboardingAction:
    """The action's row with `values` set, made (pending) the first time the action is reached."""
    row = await action_row(session, onboarding_id, action_key)
    if row is None:
        row = OnboardingAction(onboarding_id=onboarding_id, step_key=step_key, action_key=action_key, kind=kind,
                               position=position, state=ActionState.pending, details={})
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    await session.flush()
    return row


async def mark_done(session: AsyncSession, onboarding_id: uuid.UUID, action_key: str, *, outcome: ActionOutcome,
                    created_by_us: bool, object_type: str | None, object_id: str | None, summary: str,
                    details: dict[str, Any], facts: dict[str, Any]) -> OnboardingAction:
    """The action done: what it made or found, and the facts later actions use, kept on the
    onboarding. Moves the onboarding's revision (its page shows the step done)."""
    row = await action_row(session, onboarding_id, action_key)
    assert row is not None, "an action is checkpointed before it is done"
    row.state = ActionState.done
    row.outcome = outcome
    row.created_by_us = created_by_us
    row.object_type = object_type
    row.object_id = object_id
    row.summary = summary
    row.details = dict(details)
    row.error = None
    if facts:
        await learn(session, await get_onboarding(session, onboarding_id), facts, activity=True)
    else:
        await touch(session, onboarding_id)
    return row


async def action_rows(session: AsyncSession, onboarding_id: uuid.UUID) -> dict[str, OnboardingAction]:
    """Every checkpoint of the onboarding, by action key."""
    return {row.action_key: row for row in (await session.execute(
        select(OnboardingAction).where(OnboardingAction.onboarding_id == onboarding_id))).scalars()}


async def set_action_state(session: AsyncSession, row_id: uuid.UUID, state: ActionState) -> OnboardingAction:
    """Undo's mark on a checkpoint: the object removed (undone) or kept for another onboarding."""
    row = await session.get(OnboardingAction, row_id)
    assert row is not None, "undo marks checkpoints it has just read"
    row.state = state
    return row


async def adopters(session: AsyncSession, rows: Collection[OnboardingAction], onboarding: Onboarding,
                   finished: Collection[str]) -> dict[str, list[Onboarding]]:
    """For each Okta object of these checkpoints, the other onboardings of the same org (not
    `finished`) whose done actions made or adopted it. An object is its type and id in one org, and
    a role assignment also its user: Okta gives a standard role's assignment the same id for every
    user of every org (base32 of the role's type, as the recordings show), so matching on the id
    alone kept a role undo should have removed (the Okta review, M2)."""
    mine = {row.object_id: row for row in rows if row.object_id}
    if not mine:
        return {}
    found = (await session.execute(
        select(OnboardingAction, Onboarding)
        .join(Onboarding, Onboarding.id == OnboardingAction.onboarding_id)
        .where(OnboardingAction.object_id.in_(list(mine)), OnboardingAction.onboarding_id != onboarding.id,
               Onboarding.org_origin == onboarding.org_origin,
               OnboardingAction.state == ActionState.done, Onboarding.status.not_in(list(finished))))).all()
    shared: dict[str, list[Onboarding]] = {}
    for theirs, other in found:
        object_id = str(theirs.object_id)
        if _same_object(mine[object_id], theirs) and other not in shared.setdefault(object_id, []):
            shared[object_id].append(other)
    return {object_id: others for object_id, others in shared.items() if others}


def _same_object(mine: OnboardingAction, theirs: OnboardingAction) -> bool:
    if mine.object_type != theirs.object_type:
        return False
    if mine.object_type == "role_assignment":
        return (mine.details or {}).get("user") == (theirs.details or {}).get("user")
    return True
