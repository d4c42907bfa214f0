"""One Okta connection in use per name, and one notification channel: the wizard refused a name in
use, but checked before a preflight of seconds, so two people adding the same name at the same time
both got it (review). Each row keeps its name folded (``name_key``, as ``str.casefold`` folds it,
which SQLite's ``lower()`` does not do beyond ASCII), and a partial unique index allows one row in use
(not retired, not removed) per key.

Names given before the wizard refused them may repeat: the oldest in use keeps its name, and each
later one is renamed "<name> (2)", "<name> (3)"... so the index can be made (each rename is logged,
old name and new, as the upgrade runs); the lists show the new names. Going back keeps the new names.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOG = logging.getLogger("alembic.runtime.migration")
# (table, the column that takes a row out of use, the index, the column that says which came first)
_TABLES = (("okta_connections", "retired_at", "uq_okta_connections_name_in_use", "created_at"),
           ("notification_channels", "removed_at", "uq_notification_channels_name_in_use", "created_at"))


def _fold(label: str) -> str:  # as app.store.base.fold_name folds it
    return unicodedata.normalize("NFKC", label).strip().casefold()


def upgrade() -> None:
    bind = op.get_bind()
    for table_name, out_of_use, index, created in _TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_key', sa.String(length=800), nullable=True))
        table = sa.table(table_name, sa.column("id", sa.Uuid()), sa.column("label", sa.String()),
                         sa.column("name_key", sa.String()), sa.column(out_of_use, sa.DateTime(timezone=True)),
                         sa.column(created, sa.DateTime(timezone=True)))
        rows = bind.execute(sa.select(table.c.id, table.c.label, table.c[out_of_use])
                            .order_by(table.c[created], table.c.id)).all()
        taken = {_fold(row.label) for row in rows if row[2] is None}
        seen: set[str] = set()
        for row in rows:
            label = row.label
            if row[2] is None:
                if _fold(label) in seen:  # a later one of a name in use: renamed so the index can be made
                    base = row.label.strip()[:190]
                    label = next(f"{base} ({n})" for n in range(2, len(rows) + 3) if _fold(f"{base} ({n})") not in taken)
                    taken.add(_fold(label))
                    _LOG.warning("%s %s renamed from %r to %r: another in use had the name", table_name, row.id,
                                 row.label, label)
                seen.add(_fold(label))
            bind.execute(table.update().where(table.c.id == row.id).values(label=label, name_key=_fold(label)))
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column('name_key', existing_type=sa.String(length=800), nullable=False)
        op.create_index(index, table_name, ['name_key'], unique=True, sqlite_where=sa.text(f"{out_of_use} IS NULL"),
                        postgresql_where=sa.text(f"{out_of_use} IS NULL"))


def downgrade() -> None:
    for table_name, _out_of_use, index, _created in _TABLES:
        op.drop_index(index, table_name=table_name)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column('name_key')
