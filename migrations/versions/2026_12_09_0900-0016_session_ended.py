"""A session the server ends (the person disabled, their password reset) is kept, marked ended and
why, until it would have expired: the sign-in page the person lands on says why, where they read a
bare sign-in form (QA walk 13, L3). Such sessions were deleted.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00.000000
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
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_reason', sa.String(length=32), nullable=True))


def downgrade() -> None:
    # The release before knows no ended session: it would take one for live. Ended ones go, as then.
    op.execute("DELETE FROM web_sessions WHERE ended_at IS NOT NULL")
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('ended_reason')
        batch_op.drop_column('ended_at')
