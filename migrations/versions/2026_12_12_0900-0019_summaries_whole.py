"""An action's summary and an alert's are kept whole. An action's was cut at 500 characters,
mid-word: the adopted Authomize integration's ended "… API Service Integrations > Authomize Identity
Securit" in the audit record, where it says where to go (QA walk 19, M2). An alert's was limited to
1000 and nothing cut it: on Postgres a longer finding (a service account with eight tokens nobody
watches, a role that gained many permissions) failed the watch run at every tick, so nobody was
told, and the completed onboarding read "blocked" with a database error (review, M2).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-12 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('onboarding_actions', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.String(length=500), type_=sa.Text(),
                              existing_nullable=True)
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.String(length=1000), type_=sa.Text(),
                              existing_nullable=False)


def downgrade() -> None:
    # Back to the old lengths: a longer summary is cut there (Postgres refuses it otherwise).
    op.execute("UPDATE alerts SET summary = substr(summary, 1, 1000) WHERE length(summary) > 1000")
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.Text(), type_=sa.String(length=1000),
                              existing_nullable=False)
    op.execute("UPDATE onboarding_actions SET summary = substr(summary, 1, 500) WHERE length(summary) > 500")
    with op.batch_alter_table('onboarding_actions', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.Text(), type_=sa.String(length=500),
                              existing_nullable=True)
