"""Plans are bound to the inputs they were made from: the inputs and their digest, so a plan whose
inputs changed since is stale (it cannot be confirmed, and Apply refuses it). Plans made before
have neither and are taken as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('onboarding_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inputs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('inputs_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('onboarding_plans', schema=None) as batch_op:
        batch_op.drop_column('inputs_digest')
        batch_op.drop_column('inputs')
