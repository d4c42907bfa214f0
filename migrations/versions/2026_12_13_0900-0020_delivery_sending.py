"""A notification delivery says when a server is sending it (until its lease runs out). A test message
that got through made every delivery of its channel waiting for a retry due at once, the one another
server was sending among them: it went twice (review, L5). Deliveries before have none under way.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-13 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sending_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_column('sending_until')
