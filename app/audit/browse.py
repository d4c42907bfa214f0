"""Reading the audit trail a page at a time, newest first, as the audit page browses it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import AuditEvent

CATEGORIES = ("operator", "okta")


@dataclass(frozen=True)
class EventPage:
    events: Sequence[AuditEvent]
    more: bool  # older events follow

    @property
    def next_before(self) -> int | None:
        """Where the next (older) page starts, if there is one."""
        return self.events[-1].seq if self.events and self.more else None


async def events_page(session: AsyncSession, *, action: str = "", category: str = "", before: int | None = None,
                      size: int = 50) -> EventPage:
    """Up to `size` events older than sequence number `before` (the newest when None), of one
    `action` and one category (operator or okta) when given; an unknown category is no filter."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if category in CATEGORIES:
        query = query.where(AuditEvent.category == category)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    events = (await session.execute(query.limit(size + 1))).scalars().all()
    return EventPage(events=events[:size], more=len(events) > size)
