"""The append-only audit trail, hash-chained so that edits, deletions and reordering show."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, Uuid, event
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_onboarding_seq", "onboarding_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    # Position in the chain: 1, 2, 3... without gaps; assigned under the chain-head lock.
    seq: Mapped[int] = mapped_column(BigIntId, unique=True, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(16), nullable=False)  # "operator" or "okta"
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # ok, denied, failed, not_found
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    onboarding_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    subject_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)  # up to SUMMARY_LIMIT characters, whole
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # The vault key whose derived key chained this event (HMAC); NULL for events written before the
    # chain was keyed, whose hash is the old unkeyed SHA-256.
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True)


class AuditChainHead(Base):
    """One row: the last event's position and hash. Locked by every append, so appends are serial,
    and compared by verification, so deleting the newest events is detected too."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigIntId, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


def _refuse(_mapper: object, _connection: object, target: object) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are append-only; the application never changes or deletes them")


# No update or delete path exists for events in the application; make one impossible by mistake.
event.listen(AuditEvent, "before_update", _refuse)
event.listen(AuditEvent, "before_delete", _refuse)
