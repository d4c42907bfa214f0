"""A notification's delivery keeps when it was last tried, so a channel's row can say when its last
delivery succeeded or failed, and the Health page since when a channel's alerts are not getting out.
A delivery sent before keeps its sending time as its last try.

Webhooks now go to a private-network address only when an administrator ticks that its receiver is
on the private network; a webhook added before the rule existed was accepted as it was, so it is
kept as ticked (its alerts would otherwise stop, and a channel cannot be edited, only re-added).
Link-local addresses (cloud metadata) stay refused for every webhook, whatever the tick.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notification_deliveries SET last_attempt_at = delivered_at WHERE delivered_at IS NOT NULL")
    channels = sa.table("notification_channels", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()),
                        sa.column("settings", sa.JSON()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(channels.c.id, channels.c.settings).where(channels.c.kind == "webhook")).all():
        bind.execute(channels.update().where(channels.c.id == row.id)
                     .values(settings={**(row.settings or {}), "private_network": True}))


def downgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')
