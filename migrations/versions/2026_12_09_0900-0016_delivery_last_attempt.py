"""A notification's delivery keeps when it was last tried, so a channel's row can say when its last
delivery succeeded or failed, and the Health page since when a channel's alerts are not getting out.
A delivery sent before keeps its sending time as its last try.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notification_deliveries SET last_attempt_at = delivered_at WHERE delivered_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')
