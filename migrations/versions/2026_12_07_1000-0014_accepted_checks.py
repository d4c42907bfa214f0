"""A check that Okta does not meet, accepted by a person's attestation the document allows (Drata's
support syncing several email domains), is stored as "accepted", not "passed", and a verification
run counts those apart: an auditor read "Passed" for an item Okta fails (QA walk 11, M2). Results
stored before are found by the words the email-domain check wrote ("syncs them all (attested by").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE check_results SET status = 'accepted' "
               "WHERE status = 'passed' AND found LIKE '% syncs them all (attested by %'")
    op.execute("UPDATE verification_runs SET accepted = (SELECT count(*) FROM check_results "
               "WHERE check_results.run_id = verification_runs.id AND check_results.status = 'accepted')")
    op.execute("UPDATE verification_runs SET passed = passed - accepted WHERE accepted > 0")


def downgrade() -> None:
    # The release before knows no "accepted": it stored these as passed, and counted them so.
    op.execute("UPDATE verification_runs SET passed = passed + accepted WHERE accepted > 0")
    op.execute("UPDATE check_results SET status = 'passed' WHERE status = 'accepted'")
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.drop_column('accepted')
