"""An onboarding's own row: found, made, and changed only through here, where its `revision` moves.

The page cache (`app/web/pagecache.py`) serves an onboarding's page again for as long as its
revision has not moved, so every change a person could see on that page must move it; a change
that forgets to is a stale page. So nothing else writes the row's values: the services, the engine,
the watch and the job runner call the function that names their change (`learn` facts, `set_inputs`,
`assign`, `set_status`), each of which moves the revision in the caller's transaction, or `touch`
for a change made to a child row (a checkpoint, a plan, an attestation).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.text import clip
from app.store.base import utcnow
from app.store.models import OktaConnection, Onboarding
from app.store.statuses import CHECK_FAILED, REFUSED_AT, OnboardingStatus, WaitingFor


async def find_onboarding(session: AsyncSession, onboarding_id: uuid.UUID) -> Onboarding | None:
    """The onboarding, or None if there is none by that id."""
    return await session.get(Onboarding, onboarding_id)


async def get_onboarding(session: AsyncSession, onboarding_id: uuid.UUID) -> Onboarding:
    """The onboarding, which must exist (a job's or a step's own onboarding): LookupError if not."""
    onboarding = await session.get(Onboarding, onboarding_id)
    if onboarding is None:
        raise LookupError(f"no onboarding {onboarding_id}")
    return onboarding


async def add_onboarding(session: AsyncSession, onboarding: Onboarding) -> Onboarding:
    """Add a new onboarding and give it its id in this transaction (its audit event names it)."""
    session.add(onboarding)
    await session.flush()
    return onboarding


async def touch(session: AsyncSession, onboarding_id: uuid.UUID, *, activity: bool = True,
                if_revision: int | None = None, **values: Any) -> bool:
    """Move the onboarding's revision by one in this transaction, with `values` set alongside.

    One `UPDATE ... SET revision = revision + 1`, so two writers at once both count (a read, add
    and write in Python would lose one). Objects of this onboarding already in the session are
    updated in memory too. `activity` also stamps `last_activity_at`, which orders the lists: a
    person's or a phase's change counts as activity, a job starting or ending does not.

    With `if_revision`, only if the revision is still that one (a compare-and-set, for a claim two
    requests may make at once: the second waits for the first's row lock and then finds nothing to
    change). Whether the row was changed.
    """
    if activity:
        values.setdefault("last_activity_at", utcnow())
    changed = update(Onboarding).where(Onboarding.id == onboarding_id)
    if if_revision is not None:
        changed = changed.where(Onboarding.revision == if_revision)
    result = await session.execute(changed.values(revision=Onboarding.revision + 1, **values))
    return bool(getattr(result, "rowcount", 1))


async def learn(session: AsyncSession, onboarding: Onboarding, facts: Mapping[str, Any], *,
                activity: bool = False) -> None:
    """Add what was learned (from Okta, an action, a check, the watch) to the onboarding's facts;
    a fact learned again replaces the earlier value."""
    onboarding.facts = {**(onboarding.facts or {}), **facts}
    await touch(session, onboarding.id, activity=activity)


async def set_inputs(session: AsyncSession, onboarding: Onboarding, values: Mapping[str, Any]) -> None:
    """Replace the values the operator gave (checked by the service beforehand)."""
    onboarding.inputs = dict(values)
    await touch(session, onboarding.id)


async def assign(session: AsyncSession, onboarding: Onboarding, operator_id: uuid.UUID | None) -> None:
    """Give the onboarding to an operator, or to the help-desk queue (None)."""
    onboarding.assignee_id = operator_id
    await touch(session, onboarding.id)


async def set_status(session: AsyncSession, onboarding_id: uuid.UUID, status: OnboardingStatus, *,
                     waiting_for: WaitingFor | None = None, note: str | None = None) -> None:
    """Where the onboarding stands, what it waits for (nothing unless it waits) and the sentence its
    page shows (at most 500 characters). Completing it stamps when, the first time only. Objects of
    the onboarding already in the session are updated in memory too."""
    await touch(session, onboarding_id, status=status, waiting_for=waiting_for,
                status_note=clip(note, 500) if note is not None else None)
    if status == OnboardingStatus.completed:
        await session.execute(update(Onboarding).where(Onboarding.id == onboarding_id,
                                                       Onboarding.completed_at.is_(None))
                              .values(completed_at=utcnow()))


async def _note_failure(session: AsyncSession, connection_id: uuid.UUID, asked_at: datetime, key: str,
                        value: Any) -> None:
    """Keep ``value`` under ``key`` in the connection's preflight: what Okta answered a request made
    from ``asked_at`` on. Not if the connection was checked since then: a new token (or a check that
    passed) came after the credential Okta answered, and the answer is not the new token's (a token
    renewed while the refused run was still going read refused until the next run: review, L2)."""
    connection = await session.get(OktaConnection, connection_id)
    if connection is not None and not (connection.checked_at is not None and connection.checked_at > asked_at):
        connection.preflight = {**(connection.preflight or {}), key: value}


async def mark_check_failed(session: AsyncSession, connection_id: uuid.UUID, asked_at: datetime, said: str) -> None:
    """A check of the connection's credential failed other than by a refusal (``CHECK_FAILED``)."""
    await _note_failure(session, connection_id, asked_at, CHECK_FAILED,
                        {"at": utcnow().isoformat(), "said": clip(said, 300)})


async def mark_refused(session: AsyncSession, connection_id: uuid.UUID, asked_at: datetime) -> None:
    """Okta did not accept the connection's credential when asked from ``asked_at`` on (``REFUSED_AT``)."""
    await _note_failure(session, connection_id, asked_at, REFUSED_AT, utcnow().isoformat())
