"""A notification delivery that will never be sent says why (``not_sent``): its alert ended with its
onboarding undone or closed, or the alert a clearing resolves never reached the channel. Those of an
ended alert were deleted, so a channel whose receiver was still down read as working (review, L1);
an abandoned clearing was stamped as a try, and its own words hid the receiver's answer on the
channel's row. The abandoned clearings kept so far are marked as such, untried.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ABANDONED = "Not sent: the alert it resolves never got through to this channel."


def upgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_sent', sa.String(length=300), nullable=True))
    deliveries = sa.table("notification_deliveries", sa.column("last_error", sa.String()),
                          sa.column("last_attempt_at", sa.DateTime(timezone=True)),
                          sa.column("not_sent", sa.String()), sa.column("delivered_at", sa.DateTime(timezone=True)))
    op.execute(deliveries.update().where(deliveries.c.last_error == ABANDONED, deliveries.c.delivered_at.is_(None))
               .values(not_sent=ABANDONED.removeprefix("Not sent: ").rstrip("."), last_error=None,
                       last_attempt_at=None))


def downgrade() -> None:
    # What is not sent reads so before: given up, in its words (a try's own words, if it had one, stay).
    deliveries = sa.table("notification_deliveries", sa.column("last_error", sa.String()),
                          sa.column("not_sent", sa.String()))
    op.execute(deliveries.update().where(deliveries.c.not_sent.is_not(None), deliveries.c.last_error.is_(None))
               .values(last_error="Not sent: " + deliveries.c.not_sent + "."))
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_column('not_sent')
