"""Anchors: a signed statement of the chain head, kept outside the database.

``onboard audit anchor`` prints one; an auditor keeps it elsewhere (a ticket, a mail, a write-once
store). ``onboard audit verify --anchor FILE`` then proves that nothing up to the anchored event
was removed or changed since: the chain must reach that event and have the anchored hash there,
which nobody can recompute without the vault's key. The statement is signed (HMAC) with a key
derived from the vault's key ring, separate from the chain key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import GENESIS_HASH, ChainReport, verify_chain
from app.audit.keys import anchor_key, current_ring, find_key
from app.store.models import AuditChainHead, AuditEvent
from app.vault.keyring import KeyRing

FORMAT = "onboard-audit-anchor/1"
_FIELDS = ("format", "sequence", "hash", "time", "key_id")


class AnchorError(ValueError):
    """The anchor file is not an anchor, or its signature does not hold."""


def _signature(statement: dict[str, Any], key: bytes) -> str:
    body = json.dumps({f: statement[f] for f in _FIELDS}, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def sign_anchor(sequence: int, chain_hash: str, ring: KeyRing, *, now: datetime | None = None) -> dict[str, Any]:
    key = ring.primary
    statement: dict[str, Any] = {
        "format": FORMAT,
        "sequence": sequence,
        "hash": chain_hash,
        "time": (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "key_id": key.id_hex,
    }
    statement["signature"] = _signature(statement, anchor_key(key))
    return statement


async def make_anchor(session: AsyncSession, *, ring: KeyRing | None = None) -> tuple[ChainReport, dict[str, Any]]:
    """Verify the chain, then sign its head. The statement is only worth keeping if the report is ok."""
    ring = ring or current_ring()
    report = await verify_chain(session, ring=ring)
    head = await session.get(AuditChainHead, 1)
    return report, sign_anchor(head.seq if head else 0, head.hash if head else GENESIS_HASH, ring)


def read_anchor(text: str, ring: KeyRing) -> dict[str, Any]:
    try:
        statement = json.loads(text)
    except ValueError as exc:
        raise AnchorError("the anchor is not JSON") from exc
    if not isinstance(statement, dict) or statement.get("format") != FORMAT:
        raise AnchorError(f"the anchor is not an {FORMAT} statement")
    if not all(f in statement for f in (*_FIELDS, "signature")) or not isinstance(statement["sequence"], int) \
            or isinstance(statement["sequence"], bool) or statement["sequence"] < 0 \
            or not all(isinstance(statement[f], str) for f in ("hash", "time", "key_id", "signature")):
        raise AnchorError("the anchor is missing fields or has malformed ones")
    key = find_key(ring, statement["key_id"])
    if key is None:
        raise AnchorError(f"the anchor was signed with key {statement['key_id']}, which is not in the vault's key ring")
    if not hmac.compare_digest(_signature(statement, anchor_key(key)), statement["signature"]):
        raise AnchorError("the anchor's signature does not match: it was altered or made with another key")
    return statement


async def verify_with_anchor(session: AsyncSession, statement: dict[str, Any], *, ring: KeyRing | None = None
                             ) -> ChainReport:
    """Verify the whole chain, then that it reaches the anchored event and has the anchored hash there."""
    ring = ring or current_ring()
    report = await verify_chain(session, ring=ring)
    if not report.ok:
        return report
    seq: int = statement["sequence"]
    when = statement["time"]
    if seq == 0:
        report.anchor_seq = 0
        return report
    event = (await session.execute(select(AuditEvent).where(AuditEvent.seq == seq))).scalar_one_or_none()
    if event is None:
        return ChainReport(False, report.events_checked, report.events_checked + 1,
                           f"the chain ends at event {report.events_checked} but the anchor of {when} has event {seq}:"
                           f" events were deleted and the chain head moved back")
    if not hmac.compare_digest(event.hash, statement["hash"]):
        return ChainReport(False, report.events_checked, seq,
                           f"it does not have the hash the anchor of {when} recorded: the trail up to it was"
                           " changed or rewritten since")
    report.anchor_seq = seq
    return report
