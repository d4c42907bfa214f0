"""The one place an onboarding's `revision` moves.

The page cache (`app/web/pagecache.py`) serves an onboarding's page again for as long as its
revision has not moved, so every change a person could see on that page must move it; a change
that forgets to is a stale page. Every writer (the services, the engine, the job runner) calls
`touch` in the transaction that makes its change, instead of writing `revision` itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.base import utcnow
from app.store.models import Onboarding


async def touch(session: AsyncSession, onboarding_id: uuid.UUID, *, activity: bool = True,
                **values: Any) -> None:
    """Move the onboarding's revision by one in this transaction, with `values` set alongside.

    One `UPDATE ... SET revision = revision + 1`, so two writers at once both count (a read, add
    and write in Python would lose one). Objects of this onboarding already in the session are
    updated in memory too. `activity` also stamps `last_activity_at`, which orders the lists: a
    person's or a phase's change counts as activity, a job starting or ending does not.
    """
    if activity:
        values.setdefault("last_activity_at", utcnow())
    await session.execute(update(Onboarding).where(Onboarding.id == onboarding_id)
                          .values(revision=Onboarding.revision + 1, **values))
