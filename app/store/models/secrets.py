"""Sealed secrets: every credential the application keeps, encrypted, in one table.

Other tables point at a row here. Keeping them together lets key rotation re-encrypt everything
with one scan, and lets a secret be destroyed without touching the row that referenced it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class SealedSecret(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "sealed_secrets"

    # What the secret is for, e.g. "okta-admin-token"; part of the ciphertext's associated data.
    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    key_id: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Whose secret it is ("connection:<id>", "onboarding:<id>", "oidc-sign-in"): a reader names the
    # purpose and owner it expects, so a reference swapped to another row is refused. Bound into the
    # associated data when ``owner_bound`` (every secret stored since; older ones at the next rotation).
    owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    owner_bound: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
