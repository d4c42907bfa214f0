"""Plans keep the vendor settings their actions still to apply were made with (a custom role's
permissions, a grant's scopes), so a plan an administrator's settings change has made out of date
is stale: it cannot be confirmed, and Apply refuses it. Plans made before have none and are taken
as they are. A verification run counts the checks Okta did not answer (a 5xx, a timeout) apart
from those that failed: neither passed nor failed, they keep an onboarding from completing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('onboarding_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=True))
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unchecked', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # The release before knows no "unchecked": a check Okta did not answer was a failure whose
    # finding began "Could not check:" (so it neither completes an onboarding nor clears an alert).
    op.execute("UPDATE check_results SET status = 'failed', found = 'Could not check: ' || coalesce(found, '') "
               "WHERE status = 'unchecked'")
    op.execute("UPDATE verification_runs SET failed = failed + unchecked WHERE unchecked > 0")
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.drop_column('unchecked')
    with op.batch_alter_table('onboarding_plans', schema=None) as batch_op:
        batch_op.drop_column('settings')
