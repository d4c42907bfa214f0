"""Reading the audit trail a page at a time, newest first, as the audit page browses it, and who
each event names, in words a person reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import AuditEvent

CATEGORIES = ("operator", "okta")
# The subject of every Okta call's record: the org it went to, by host (never a credential).
ORG_SUBJECT = "okta_org"

# The actors the server records for itself (``Actor.system``), as the pages name them: the
# wizard's own runs and the watch's re-verifications. Any other name is shown as recorded.
SYSTEM_ACTORS: dict[str, str] = {
    "engine": "The wizard (background run)",
    "job": "The wizard (background run)",
    "system": "The wizard",
    "watch": "The watch (background re-verification)",
    "command line": "The command line (onboard)",
}


def who(event: AuditEvent) -> str:
    """The Who of an event: the operator's username, or the server's own actor in words. Only an
    event with no operator and no address is the server's (an anonymous visitor has an address),
    so nobody is shown as the wizard for signing in as "engine"."""
    name = event.actor_name or "system"
    if event.actor_id is None and event.source_ip is None:
        return SYSTEM_ACTORS.get(name, name)
    return name


def org_of(event: AuditEvent) -> str | None:
    """The Okta org an Okta call went to (its host), which its row names beside the call: a
    connection check's calls read "GET /.well-known/okta-organization → connect" with no word of
    the org that was tried, though the record kept it (QA walk 13, L6)."""
    if event.category == "okta" and event.subject_type == ORG_SUBJECT and event.subject_id:
        return event.subject_id
    return None


def _anywhere(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own ``%`` and ``_`` taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
    category (operator or okta) when given, an unknown category being no filter. `action` is what
    the person filtering reads in the table: words of an event's description ("Verified"), in any
    case, or else an action's internal key ("verify"); an Okta call also by the org its row names."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    term = " ".join(action.split()).lower()
    if term:
        query = query.where(or_(AuditEvent.action == term,
                                func.lower(AuditEvent.summary).like(_anywhere(term), escape="\\"),
                                and_(AuditEvent.category == "okta", AuditEvent.subject_type == ORG_SUBJECT,
                                     func.lower(AuditEvent.subject_id).like(_anywhere(term), escape="\\"))))
    if category in CATEGORIES:
        query = query.where(AuditEvent.category == category)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    events = (await session.execute(query.limit(size + 1))).scalars().all()
    return EventPage(events=events[:size], more=len(events) > size)
