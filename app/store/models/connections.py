"""Okta connections: an org address and the operator's credential for it (sealed in the vault)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, NamedInUse, Timestamps, UTCDateTime, UUIDPrimaryKey
from app.store.statuses import CHECK_FAILED, REFUSED_AT


class OktaConnection(UUIDPrimaryKey, NamedInUse, Timestamps, Base):
    __tablename__ = "okta_connections"
    # Two connections in use of one name cannot be told apart where one is chosen: the service refuses
    # a name in use, and this index refuses the second of two adds that checked at the same moment.
    __table_args__ = (Index("uq_okta_connections_name_in_use", "name_key", unique=True,
                            sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),)

    org_origin: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    org_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # okta, custom, sandbox
    credential_kind: Mapped[str] = mapped_column(String(32), nullable=False)  # api_token, service_app
    credential_secret_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sealed_secrets.id", ondelete="SET NULL"), nullable=True)
    # Only for service apps: the client id (not secret) and the scopes requested.
    client_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # What the last preflight learned: owner, roles, org id, pipeline; never the credential.
    preflight: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"),
                                                            nullable=True)
    # Whether another operator may use this stored credential after a handoff.
    shareable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def check_failed(self) -> dict[str, Any] | None:
        """The last "Check again" that failed other than by a refusal (``CHECK_FAILED``): when
        (``at``) and what Okta answered (``said``)."""
        found = (self.preflight or {}).get(CHECK_FAILED)
        if not isinstance(found, dict):
            return None
        return {"at": datetime.fromisoformat(str(found.get("at"))), "said": str(found.get("said") or "")}

    @property
    def refused(self) -> bool:
        """Okta did not accept its credential when last asked (``REFUSED_AT``, kept in the preflight)."""
        return bool((self.preflight or {}).get(REFUSED_AT))
