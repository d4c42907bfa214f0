"""Declarative base, constraint naming and the portable column types every model uses."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Dialect, MetaData, String, Text, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from app.vault.redaction import REDACTOR

# The same constraint names on SQLite and Postgres, so migrations can drop and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Postgres stores ``timestamptz``; SQLite has no time zones, so the value is stored as naive UTC
    and the zone is put back on the way out. Naive datetimes are refused on the way in: they are
    a bug waiting to happen.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class MaskedString(TypeDecorator[str]):
    """Words a person writes that are kept and shown to others (a hand-off's note, an attestation's
    note, why an onboarding was closed): a secret pasted into them by mistake (an Okta API token, a
    client secret, an activation link) is masked on its way into the database, whatever path wrote
    it. The services mask what a person typed before this, to tell them (app/onboardings/notes.py);
    this is the net under every write. Stored as the plain column it replaces (no migration)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else REDACTOR.text(value)


class MaskedText(MaskedString):
    """:class:`MaskedString` of unlimited length (a ``TEXT`` column)."""

    impl = Text
    cache_ok = True


def utcnow() -> datetime:
    return datetime.now(UTC)


def fold_name(label: str) -> str:
    """A name as two that read alike compare: "Okta team" and "OKTA team " are one name, and so are a
    "Café" typed with é as one character or as e and an accent (Unicode NFKC, then case-folded)."""
    return unicodedata.normalize("NFKC", label).strip().casefold()


def name_taken(refused: Exception, table: str) -> bool:
    """Whether the database refused a row because another in use has its name: by the partial unique
    index ``uq_<table>_name_in_use`` (Postgres names it; SQLite names the column)."""
    said = str(getattr(refused, "orig", refused))
    return f"uq_{table}_name_in_use" in said or f"{table}.name_key" in said


def name_key(context: Any) -> str:
    """The column default of a row's ``name_key``: its ``label``, folded (a partial unique index on
    it keeps one row in use per name)."""
    return fold_name(str(context.get_current_parameters()["label"]))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
    }


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)


class NamedInUse:
    """A row people choose by its name (an Okta connection, a notification channel): the name, and it
    folded (``name_key``), which the table's partial unique index keeps to one row in use per name. The
    folded name follows the name however it is set; the column default covers a plain insert."""

    label: Mapped[str] = mapped_column(String(200), nullable=False)
    name_key: Mapped[str] = mapped_column(String(800), nullable=False, default=name_key)

    @validates("label")
    def _keep_name_key(self, _key: str, label: str) -> str:
        self.name_key = fold_name(label)
        return label


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
