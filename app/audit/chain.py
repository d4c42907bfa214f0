"""The hash chain over audit events, and its verification.

Each event's hash covers its own fields and the previous event's hash. Editing an event breaks
its hash; deleting or reordering events breaks the sequence or the link to the previous hash;
deleting the newest events is caught by comparing the last event with the chain head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    payload: dict[str, Any] = {
        "seq": event.seq,
        "occurred_at": _iso(event.occurred_at),
        "category": event.category,
        "action": event.action,
        "outcome": event.outcome,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_name": event.actor_name,
        "onboarding_id": str(event.onboarding_id) if event.onboarding_id else None,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "summary": event.summary,
        "details": event.details,
        "source_ip": event.source_ip,
        "user_agent": event.user_agent,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None

    @property
    def message(self) -> str:
        if self.ok:
            return f"Audit chain intact: {self.events_checked} events verified."
        return f"Audit chain broken at event {self.first_broken_seq}: {self.problem}"


async def verify_range(session: AsyncSession, first_seq: int, last_seq: int, *, batch_size: int = 2000
                       ) -> ChainReport:
    """Verify the stretch of the chain from ``first_seq`` to ``last_seq``: each event's hash, each
    link, and the link into the stretch from the event before it."""
    if first_seq > 1:
        before = (await session.execute(select(AuditEvent).where(AuditEvent.seq == first_seq - 1))).scalar_one_or_none()
        if before is None:
            return ChainReport(False, 0, first_seq - 1, f"event {first_seq - 1} is missing")
        prev_hash = before.hash
    else:
        prev_hash = GENESIS_HASH
    expected = first_seq
    checked = 0
    while expected <= last_seq:
        events = (await session.execute(
            select(AuditEvent).where(AuditEvent.seq >= expected, AuditEvent.seq <= last_seq)
            .order_by(AuditEvent.seq).limit(batch_size))).scalars().all()
        if not events:
            return ChainReport(False, checked, expected, f"event {expected} is missing")
        for event in events:
            if event.seq != expected:
                return ChainReport(False, checked, expected,
                                   f"event {expected} is missing (next found is {event.seq})")
            if event.prev_hash != prev_hash:
                return ChainReport(False, checked, event.seq,
                                   "it does not follow the event before it (deleted or reordered)")
            if event_hash(event, prev_hash) != event.hash:
                return ChainReport(False, checked, event.seq, "its contents were changed after it was written")
            prev_hash = event.hash
            expected += 1
            checked += 1
        session.expunge_all()
    return ChainReport(True, checked)


async def verify_chain(session: AsyncSession, *, batch_size: int = 2000) -> ChainReport:
    head = await session.get(AuditChainHead, 1)
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_seq = 0
    while True:
        query = (
            select(AuditEvent)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        )
        events = (await session.execute(query)).scalars().all()
        for event in events:
            if event.seq != expected_seq:
                return ChainReport(False, checked, expected_seq,
                                   f"event {expected_seq} is missing (next found is {event.seq})")
            if event.prev_hash != prev_hash:
                return ChainReport(False, checked, event.seq,
                                   "it does not follow the event before it (deleted or reordered)")
            if event_hash(event, prev_hash) != event.hash:
                return ChainReport(False, checked, event.seq, "its contents were changed after it was written")
            prev_hash = event.hash
            last_seq = event.seq
            expected_seq += 1
            checked += 1
        session.expunge_all()
        if len(events) < batch_size:
            break
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    if head_seq != last_seq or head_hash != prev_hash:
        if head_seq > last_seq:
            return ChainReport(False, checked, last_seq + 1,
                               f"events {last_seq + 1} to {head_seq} were deleted (the chain head is at {head_seq})")
        return ChainReport(False, checked, head_seq + 1 if head_seq < last_seq else last_seq,
                           "the chain head does not match the last event")
    return ChainReport(True, checked)
