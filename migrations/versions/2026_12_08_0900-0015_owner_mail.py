"""The watch's alerts reach the person an onboarding is assigned to: an operator has an optional
e-mail address (and whether an administrator chose it, so the identity provider's address fills
only one nobody chose), and each e-mail delivery keeps the addresses it goes to, fixed when it is
queued, so a restart or a reassignment since does not reroute it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('email_by_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipients', sa.JSON(), nullable=True))


def downgrade() -> None:
    # A delivery still queued then goes to its channel's recipients only, as the release before sent it.
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_column('recipients')
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_column('email_by_admin')
        batch_op.drop_column('email')
