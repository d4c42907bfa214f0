"""Operators signed in through the company's identity provider: the OpenID Connect issuer and
subject that identify them there (both null for local accounts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_issuer', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('external_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_operators_external_issuer_external_subject'),
                                          ['external_issuer', 'external_subject'])
        batch_op.create_check_constraint(batch_op.f('ck_operators_external_identity_whole'),
                                         sa.text('(external_issuer IS NULL) = (external_subject IS NULL)'))


def downgrade() -> None:
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_operators_external_identity_whole'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_operators_external_issuer_external_subject'), type_='unique')
        batch_op.drop_column('external_subject')
        batch_op.drop_column('external_issuer')
