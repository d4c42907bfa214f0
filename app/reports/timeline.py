"""The audit report's timeline: what people and the wizard did (the trail's operator events), with
the waits Okta's rate limit imposed, which the trail holds only as raw Okta calls (a 429, then the
same call sent again once the wait was over) and the report left out (QA walk 11, L8)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.browse import who
from app.store.models import AuditEvent
from app.store.statuses import Outcome

RATE_LIMITED = 429


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    summary: str
    outcome: str
    note: str | None = None  # a handoff's note (the event's summary says only where it went)
    seq: int = 0  # the trail's order (a wait is placed where its first 429 was recorded)


def _call(event: AuditEvent) -> tuple[str, str, int]:
    details = event.details or {}
    return str(details.get("method") or ""), str(details.get("path") or ""), int(details.get("attempt") or 0)


async def _next_attempt(session: AsyncSession, event: AuditEvent) -> AuditEvent | None:
    """The same call sent again after ``event`` (its next attempt), or None: not sent again (the
    wait was longer than the job may wait, and the step failed, which the timeline says)."""
    method, path, attempt = _call(event)
    found = (await session.execute(
        select(AuditEvent).where(AuditEvent.onboarding_id == event.onboarding_id, AuditEvent.category == "okta",
                                 AuditEvent.seq > event.seq,
                                 AuditEvent.summary.startswith(f"{method} {path} → ", autoescape=True))
        .order_by(AuditEvent.seq).limit(1))).scalars().first()
    return found if found is not None and _call(found) == (method, path, attempt + 1) else None


async def rate_limit_waits(session: AsyncSession, onboarding_id: uuid.UUID,
                           names: Mapping[uuid.UUID, str] | None = None) -> list[TimelineEntry]:
    """Each wait for Okta's rate limit that ended with the call sent again, as a line: how long, on
    which call, how many 429s. Read from the calls' records (a 429 and the next attempt of the same
    call): one query for the 429s, one for each 429's next attempt (there are few)."""
    limited = [e for e in (await session.execute(
        select(AuditEvent).where(AuditEvent.onboarding_id == onboarding_id, AuditEvent.category == "okta",
                                 AuditEvent.outcome == Outcome.failed).order_by(AuditEvent.seq))).scalars()
               if (e.details or {}).get("status") == RATE_LIMITED]
    seen: set[int] = set()
    entries: list[TimelineEntry] = []
    for first in limited:
        if first.seq in seen:
            continue
        chain: list[AuditEvent] = [first]
        after = await _next_attempt(session, first)
        while after is not None and (after.details or {}).get("status") == RATE_LIMITED:
            chain.append(after)
            after = await _next_attempt(session, after)
        seen.update(e.seq for e in chain)
        if after is None:
            continue
        method, path, _attempt = _call(first)
        # The waits Okta asked for, as recorded; calls recorded before that was kept: the time between.
        asked = [(e.details or {}).get("wait_s") for e in chain]
        waited = round(sum(float(s) for s in asked if s is not None) if all(s is not None for s in asked)
                       else (after.occurred_at - first.occurred_at).total_seconds())
        times = "once" if len(chain) == 1 else "twice" if len(chain) == 2 else f"{len(chain)} times"
        answer = (after.details or {}).get("status") or (after.details or {}).get("outcome")
        entries.append(TimelineEntry(
            at=first.occurred_at, actor=_named(first, names), action="rate_limit_wait", outcome=Outcome.ok,
            seq=first.seq,
            summary=f"Waited {waited} s for Okta's rate limit ({method} {path} answered 429 {times}, then "
                    f"{answer} on attempt {_call(after)[2]})"))
    return entries


def timeline_of(events: Sequence[AuditEvent], waits: list[TimelineEntry],
                names: Mapping[uuid.UUID, str] | None = None) -> list[TimelineEntry]:
    """The operator events as lines, with the rate-limit waits where they happened. With ``names``
    (operators' names by id), a person is named as the rest of the report names them, with the
    username the trail keeps: "Alex Admin (alex.admin)" (the timeline said "alex.admin" under
    "Operators involved: Alex Admin": QA walk 15, L8). The record's export keeps the username."""
    lines = [TimelineEntry(at=e.occurred_at, actor=_named(e, names), action=e.action, summary=e.summary,
                           outcome=e.outcome,
                           note=(e.details or {}).get("note") if e.action == "handoff" else None, seq=e.seq)
             for e in events]
    return sorted([*lines, *waits], key=lambda entry: entry.seq)


def _named(event: AuditEvent, names: Mapping[uuid.UUID, str] | None) -> str:
    username = who(event)
    name = (names or {}).get(event.actor_id) if event.actor_id is not None else None
    return f"{name} ({username})" if name and name != username else username
