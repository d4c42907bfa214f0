"""The hash chain over audit events, and its verification.

Each event's hash is an HMAC, under a key derived from the vault's key ring (never stored in the
database), over its own fields and the previous event's hash. Editing an event breaks its hash,
and someone with only the database cannot compute a new one; deleting or reordering events breaks
the sequence or the link to the previous hash; deleting the newest events is caught by comparing
the last event with the chain head, and, when the head was moved too, by an anchor kept outside
the database (:mod:`app.audit.anchor`). An empty trail on a database that has operators or
onboardings (each of which was audited) is reported as deleted.

Events written before the chain was keyed have no key id and the old unkeyed SHA-256; they are
accepted only before the first keyed event, and the report says how many there are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.keys import chain_key, current_ring, find_key
from app.common.text import counted
from app.store.models import AuditChainHead, AuditEvent, Onboarding, Operator
from app.vault.keyring import KeyRing

GENESIS_HASH = "0" * 64


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _payload(event: AuditEvent, prev_hash: str) -> dict[str, Any]:
    return {
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


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    """The unkeyed hash of events written before the chain was keyed (``key_id`` NULL)."""
    return hashlib.sha256(_canonical(_payload(event, prev_hash))).hexdigest()


def keyed_hash(event: AuditEvent, prev_hash: str, key: bytes) -> str:
    """HMAC-SHA256 under a chain key (:func:`app.audit.keys.chain_key`); covers the key id too."""
    payload = {**_payload(event, prev_hash), "key_id": event.key_id, "scheme": "hmac-sha256/1"}
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


@dataclass
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None
    legacy_events: int = 0
    anchor_seq: int | None = None

    @property
    def message(self) -> str:
        if not self.ok:
            if self.first_broken_seq is None:
                return f"Audit chain not intact: {self.problem}"
            return f"Audit chain broken at event {self.first_broken_seq}: {self.problem}"
        return f"Audit chain intact: {self.events_checked} events verified." + self.notes

    @property
    def notes(self) -> str:
        """What an intact chain's answer adds (events of the old unkeyed hash, the anchor matched),
        each a sentence after a space; empty when there is nothing to add."""
        text = ""
        if self.legacy_events:
            text += (f" The first {self.legacy_events} were written before the chain was keyed and are checked"
                     " with the old unkeyed hash (anyone with write access to the database could recompute it;"
                     " an anchor taken since protects them).")
        if self.anchor_seq is not None:
            text += (f" The chain matches the anchor at event {self.anchor_seq}:"
                     " nothing up to it was removed or changed.")
        return text


class _Checker:
    """Checks one event after another: its link, its hash under the key it names, and that no
    unkeyed event follows a keyed one."""

    def __init__(self, ring: KeyRing, *, keyed_seen: bool = False) -> None:
        self.ring = ring
        self.keyed_seen = keyed_seen
        self.legacy = 0
        self._keys: dict[str, bytes] = {}

    def problem(self, event: AuditEvent, prev_hash: str) -> str | None:
        if event.prev_hash != prev_hash:
            return "it does not follow the event before it (deleted or reordered)"
        if event.key_id is None:
            if self.keyed_seen:
                return "it is unkeyed but follows keyed events (it was rewritten without the key)"
            if not hmac.compare_digest(event_hash(event, prev_hash), event.hash):
                return "its contents were changed after it was written"
            self.legacy += 1
            return None
        self.keyed_seen = True
        key = self._keys.get(event.key_id)
        if key is None:
            vault_key = find_key(self.ring, event.key_id)
            if vault_key is None:
                return f"it was chained with key {event.key_id}, which is not in the vault's key ring"
            key = self._keys[event.key_id] = chain_key(vault_key)
        if not hmac.compare_digest(keyed_hash(event, prev_hash, key), event.hash):
            return "its contents were changed after it was written"
        return None


async def verify_range(session: AsyncSession, first_seq: int, last_seq: int, *, batch_size: int = 2000,
                       ring: KeyRing | None = None) -> ChainReport:
    """Verify the stretch of the chain from ``first_seq`` to ``last_seq``: each event's hash, each
    link, and the link into the stretch from the event before it."""
    keyed_seen = False
    if first_seq > 1:
        before = (await session.execute(select(AuditEvent).where(AuditEvent.seq == first_seq - 1))).scalar_one_or_none()
        if before is None:
            return ChainReport(False, 0, first_seq - 1, f"event {first_seq - 1} is missing")
        prev_hash = before.hash
        keyed_seen = before.key_id is not None
    else:
        prev_hash = GENESIS_HASH
    checker = _Checker(ring or current_ring(), keyed_seen=keyed_seen)
    walk = _Walk(checker, first_seq, prev_hash)
    while walk.expected <= last_seq:
        events = (await session.execute(
            select(AuditEvent).where(AuditEvent.seq >= walk.expected, AuditEvent.seq <= last_seq)
            .order_by(AuditEvent.seq).limit(batch_size))).scalars().all()
        if not events:
            return ChainReport(False, walk.checked, walk.expected, f"event {walk.expected} is missing")
        broken = walk.take(events)
        if broken:
            return broken
        session.expunge_all()
    return ChainReport(True, walk.checked, legacy_events=checker.legacy)


@dataclass
class _Walk:
    """Events read in order from `expected`: each must be the next number and carry the hash that
    follows from the one before (`_Checker`); the first that does not ends the walk with a report."""

    checker: _Checker
    expected: int
    prev_hash: str
    checked: int = 0

    def take(self, events: Sequence[AuditEvent]) -> ChainReport | None:
        for event in events:
            if event.seq != self.expected:
                return ChainReport(False, self.checked, self.expected,
                                   f"event {self.expected} is missing (next found is {event.seq})")
            problem = self.checker.problem(event, self.prev_hash)
            if problem:
                return ChainReport(False, self.checked, event.seq, problem)
            self.prev_hash = event.hash
            self.expected += 1
            self.checked += 1
        return None


async def _audited_rows(session: AsyncSession) -> tuple[int, int]:
    operators = (await session.execute(select(func.count()).select_from(Operator))).scalar_one()
    onboardings = (await session.execute(select(func.count()).select_from(Onboarding))).scalar_one()
    return int(operators), int(onboardings)


async def verify_chain(session: AsyncSession, *, batch_size: int = 2000, ring: KeyRing | None = None
                       ) -> ChainReport:
    checker = _Checker(ring or current_ring())
    head = await session.get(AuditChainHead, 1)
    walk = _Walk(checker, 1, GENESIS_HASH)
    while True:
        events = (await session.execute(select(AuditEvent).where(AuditEvent.seq >= walk.expected)
                                        .order_by(AuditEvent.seq).limit(batch_size))).scalars().all()
        broken = walk.take(events)
        if broken:
            return broken
        session.expunge_all()
        if len(events) < batch_size:
            break
    checked, prev_hash, last_seq = walk.checked, walk.prev_hash, walk.expected - 1
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    if head_seq != last_seq or head_hash != prev_hash:
        if head_seq > last_seq:
            return ChainReport(False, checked, last_seq + 1,
                               f"events {last_seq + 1} to {head_seq} were deleted (the chain head is at {head_seq})")
        return ChainReport(False, checked, head_seq + 1 if head_seq < last_seq else last_seq,
                           "the chain head does not match the last event")
    if checked == 0:
        operators, onboardings = await _audited_rows(session)
        if operators or onboardings:
            held = f"{counted(operators, 'operator')} and {counted(onboardings, 'onboarding')}"
            return ChainReport(False, 0, 1, f"the trail is empty but the database has {held}, each of which was"
                                            " audited: its events were deleted")
    return ChainReport(True, checked, legacy_events=checker.legacy)
