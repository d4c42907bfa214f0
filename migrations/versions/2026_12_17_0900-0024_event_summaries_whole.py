"""An audit event's summary is kept whole (up to 4,000 characters): it was cut at 500, and an action's
record that says what the person must still do ended mid-sentence in the report's timeline and the
audit trail ("... once the vendor connects with the one the…"), the rest only in the actions' export
(QA walk 27, L6). The hash chain covers what is stored, so events written before keep their cut text.

Going back refuses while an event holds more than 500 characters: cutting it would break the chain.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-17 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.String(length=500), type_=sa.Text(),
                              existing_nullable=False)


def downgrade() -> None:
    longer = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_events WHERE length(summary) > 500")).scalar()
    if longer:
        raise RuntimeError(f"{longer} audit events hold a summary of more than 500 characters: going back would cut "
                           "them, and the hash chain covers them. Restore a backup taken before 0024 instead.")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.Text(), type_=sa.String(length=500),
                              existing_nullable=False)
