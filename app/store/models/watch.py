"""The watch over completed onboardings: when each is next re-verified, and the alerts its
re-verifications raised (open until a later run no longer finds them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, NamedInUse, UTCDateTime, UUIDPrimaryKey, utcnow
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
    summary: Mapped[str] = mapped_column(Text, nullable=False)  # whole: a finding may list many objects
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationChannel(UUIDPrimaryKey, NamedInUse, Base):
    """Where alerts are sent, set by an administrator: a webhook (its signing secret sealed) or
    e-mail over SMTP (its password sealed)."""

    __tablename__ = "notification_channels"
    # Alerts' deliveries, the list and the trail name a channel by its name: one in use per name.
    __table_args__ = (Index("uq_notification_channels_name_in_use", "name_key", unique=True,
                            sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),)

    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # webhook | email
    target: Mapped[str] = mapped_column(String(1000), nullable=False)  # the webhook URL, or the recipients
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)  # SMTP host, port...
    secret_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sealed_secrets.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Its last test message (Settings' "Send a test message"): when it was sent, and why it did not
    # get through (None: it did), in the words a failed delivery is kept in; the channel's row says so.
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    test_failure: Mapped[str | None] = mapped_column(String(1000), nullable=True)


# How many times a delivery is tried before it is given up (backoff up to 6 hours between tries).
MAX_ATTEMPTS = 12


class NotificationDelivery(UUIDPrimaryKey, Base):
    """One alert (raised or cleared) to one channel. Written in the transaction that raised or
    cleared the alert, so it survives a restart; sent, and retried with backoff, by the watch."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_due", "delivered_at", "next_attempt_at"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notification_channels.id", ondelete="CASCADE"),
                                                  nullable=False)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False)
    event: Mapped[str] = mapped_column(String(16), nullable=False)  # raised | continued | cleared
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # The addresses an e-mail goes to, fixed when it is queued: the channel's recipients and, when
    # the channel says so, the onboarding's assignee then. A restart, a reassignment or a new address
    # since does not change where a queued message goes. Null for a webhook (and for an e-mail
    # queued before it was kept: the channel's recipients).
    recipients: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When it was last tried, whatever came of it: the channel's state ("last delivery failed at …")
    # and the Health page's "not getting out since" are read from these.
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # While a server sends it (claimed until its lease runs out): a test message does not make it due.
    sending_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Why the last try failed, in the words the pages show (app/watch/delivery_words.py): no secret.
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # Why it will never be sent though it did not get through (its alert ended with its onboarding
    # undone or closed; the alert a clearing resolves never reached this channel), set with attempts
    # at MAX_ATTEMPTS so nothing tries it again. Not the channel's failure: its last real try, if
    # any, keeps the receiver's answer, and it is not counted as an alert waiting or given up.
    not_sent: Mapped[str | None] = mapped_column(String(300), nullable=True)
