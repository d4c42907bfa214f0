"""The watch over completed onboardings: when each is next re-verified, and the alerts its
re-verifications raised (open until a later run no longer finds them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, UTCDateTime, UUIDPrimaryKey, utcnow
from app.store.models.onboardings import OnboardingChild


class Alert(UUIDPrimaryKey, OnboardingChild, Base):
    """A finding that matters (drift, a token about to expire or unused, the connection's own
    credential failing). Raised once: a partial unique index allows one open alert per onboarding
    and finding, so a run that finds it again only marks it seen; cleared when a run no longer does."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("uq_alerts_one_open_per_finding", "onboarding_id", "key", unique=True,
              sqlite_where=text("cleared_at IS NULL"), postgresql_where=text("cleared_at IS NULL")),
    )

    key: Mapped[str] = mapped_column(String(200), nullable=False)  # e.g. check:<check key>, token_expiry
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # app.store.statuses.FindingKind
    summary: Mapped[str] = mapped_column(String(1000), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
