"""Server-side sign-in sessions and the failed-sign-in counters that slow and lock attackers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.base import Base, UTCDateTime, UUIDPrimaryKey, utcnow
from app.store.models.operators import Operator


class WebSession(UUIDPrimaryKey, Base):
    __tablename__ = "web_sessions"

    # SHA-256 of the cookie value: a copy of the database cannot be replayed as a cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    operator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True, nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Ended by the server (the person disabled, their password reset): refused from then on, and
    # kept until it would have expired so the sign-in page can say why (`SessionEnd`).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)

    operator: Mapped[Operator] = relationship(lazy="joined")


class SignInThrottle(Base):
    __tablename__ = "sign_in_throttles"

    # The normalised username that was tried (whether or not such an operator exists).
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
