"""Handoffs: an onboarding handed to another operator or the help-desk queue, with a note.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 05:54:44.737059
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handoffs',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('from_operator_id', sa.Uuid(), nullable=False),
    sa.Column('to_operator_id', sa.Uuid(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['operators.id'], name=op.f('fk_handoffs_acknowledged_by_id_operators')),
    sa.ForeignKeyConstraint(['from_operator_id'], ['operators.id'], name=op.f('fk_handoffs_from_operator_id_operators')),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_handoffs_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_operator_id'], ['operators.id'], name=op.f('fk_handoffs_to_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs'))
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index('ix_handoffs_onboarding_created', ['onboarding_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index('ix_handoffs_onboarding_created')

    op.drop_table('handoffs')
