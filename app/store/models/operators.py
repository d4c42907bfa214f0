"""People who use the wizard, and the role that decides what each may do."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class OperatorRole(StrEnum):
    ADMIN = "admin"  # everything, including operators and settings
    OPERATOR = "operator"  # runs onboardings
    AUDITOR = "auditor"  # reads and exports, changes nothing

    @property
    def label(self) -> str:
        return {"admin": "Administrator", "operator": "Operator", "auditor": "Auditor"}[self.value]


# Why an account no longer holds the onboardings assigned to it (``Operator.why_not_holding``), as
# the pages, the lists' SQL and the alerts say it beside the name.
DISABLED = "disabled"
NOW_AUDITOR = "now an auditor"


class Operator(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint("role in ('admin', 'operator', 'auditor')", name="role_known"),
        # One operator per identity at the identity provider; an identity is both parts or neither.
        UniqueConstraint("external_issuer", "external_subject"),
        CheckConstraint("(external_issuer IS NULL) = (external_subject IS NULL)", name="external_identity_whole"),
    )

    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    # Null for accounts that can only sign in through the company's identity provider.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Set when an administrator gave the password (a new account, a reset): the person chooses
    # their own at the next sign-in before any other page.
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())
    # Disabled because the identity provider refused a sign-in (no group maps to a role any more):
    # a later sign-in that maps a role enables the account again; an administrator's disable does not.
    disabled_by_provider: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who this operator is at the company's identity provider (OpenID Connect ``iss`` and ``sub``),
    # for operators who sign in there; null for local accounts.
    external_issuer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    external_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Where the watch's alerts about the onboardings assigned to this person go, through the e-mail
    # channels set to send to the assignee (app/watch/audience.py). Set by an administrator on the
    # operators page, or filled from the identity provider's verified address at sign-in.
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # An administrator set or cleared the address: the identity provider's no longer changes it
    # (theirs is the decision; the provider's claim fills only an address nobody chose).
    email_by_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    @property
    def role_enum(self) -> OperatorRole:
        return OperatorRole(self.role)

    @property
    def holds_work(self) -> bool:
        """Whether the onboardings assigned to them have someone to act: a disabled account, or one
        made an auditor since, leaves them in the help-desk queue for a colleague to take."""
        return self.is_active and self.role != OperatorRole.AUDITOR

    @property
    def why_not_holding(self) -> str:
        """Why not (``holds_work``), as the pages and alerts say it beside the name."""
        return DISABLED if not self.is_active else NOW_AUDITOR if self.role == OperatorRole.AUDITOR else ""
