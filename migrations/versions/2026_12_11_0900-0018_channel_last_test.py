"""A notification channel keeps its last test message: when it was sent and, when it did not get
through, why (the words a failed delivery is kept in), so the channel's row under Settings says so.
A failed test left the row saying "Nothing sent yet." (QA M6). Channels tested before have no test
on record: the audit trail keeps those.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-11 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('test_failure', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification_channels', schema=None) as batch_op:
        batch_op.drop_column('test_failure')
        batch_op.drop_column('tested_at')
