"""Appending to the audit trail. The event joins the caller's transaction, so an action and its
record commit together or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import GENESIS_HASH, keyed_hash
from app.audit.keys import chain_key, current_ring
from app.common.text import clip
from app.store.base import utcnow
from app.store.models import AuditChainHead, AuditEvent
from app.store.statuses import Outcome
from app.vault.redaction import REDACTOR


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where. ``system`` actions (jobs, the command line) have no operator."""

    id: uuid.UUID | None
    name: str
    source_ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(id=None, name=name)


def _clip(value: str | None, size: int) -> str | None:
    if value is None:
        return None
    return value if len(value) <= size else value[: size - 1] + "…"


# An event's summary is kept whole up to this (an action's record saying what is left to do ended
# mid-sentence at 500: QA walk 27, L6).
SUMMARY_LIMIT = 4000


def _clip_words(value: str, size: int) -> str:
    """A summary that fits, cut between two words where it is cut ("… it is alwa…" read as garbled)."""
    return value if len(value) <= size else clip(value, size)


async def record(
    session: AsyncSession,
    *,
    action: str,
    summary: str,
    actor: Actor,
    category: str = "operator",
    outcome: str = Outcome.ok,
    onboarding_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    [event] = await record_many(session, [Entry(action=action, summary=summary, actor=actor, category=category,
                                                outcome=outcome, onboarding_id=onboarding_id,
                                                subject_type=subject_type, subject_id=subject_id,
                                                details=details)])
    return event


@dataclass(frozen=True)
class Entry:
    """One event to append (the arguments of :func:`record`)."""

    action: str
    summary: str
    actor: Actor
    category: str = "operator"
    outcome: str = Outcome.ok
    onboarding_id: uuid.UUID | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    details: dict[str, Any] | None = None


async def record_many(session: AsyncSession, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append several events in order, locking the chain head once (the Okta calls of a phase
    answered together are written in one go)."""
    # The key first: with none configured, fail before touching the chain.
    signing = current_ring().primary
    key = chain_key(signing)
    # Lock the head: appends are serial, which is what makes the sequence gap-free.
    head = (
        await session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update())
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    events: list[AuditEvent] = []
    for entry in entries:
        actor = entry.actor
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=utcnow(),
            category=entry.category,
            action=entry.action,
            outcome=entry.outcome,
            actor_id=actor.id,
            actor_name=_clip(actor.name, 200),
            onboarding_id=entry.onboarding_id,
            subject_type=entry.subject_type,
            subject_id=_clip(entry.subject_id, 200),
            summary=_clip_words(REDACTOR.text(entry.summary), SUMMARY_LIMIT),
            details=REDACTOR.data(entry.details or {}),
            source_ip=_clip(actor.source_ip, 64),
            user_agent=_clip(actor.user_agent, 300),
            prev_hash=head.hash,
            hash="",
            key_id=signing.id_hex,
        )
        event.hash = keyed_hash(event, head.hash, key)
        session.add(event)
        head.seq = event.seq
        head.hash = event.hash
        events.append(event)
    await session.flush()
    return events
