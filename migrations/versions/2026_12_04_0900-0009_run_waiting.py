"""A verification run counts the checks that are waiting (a wait the document asks for is running
or not started yet) apart from the failed ones: pending is not failed, and an onboarding is not
complete while one waits. Runs made before counted those as failed and keep their numbers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.drop_column('waiting')
