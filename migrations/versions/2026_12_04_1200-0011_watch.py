"""The watch over completed onboardings: when each is next re-verified (and an optional period of
its own), the alerts re-verifications raise (one open alert per onboarding and finding), the
channels alerts are sent to, and each delivery with its retries.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.store.base

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('onboardings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('watch_next_at', app.store.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('watch_every_hours', sa.Integer(), nullable=True))
    op.create_table(
        'alerts',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('summary', sa.String(length=1000), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('raised_at', app.store.base.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', app.store.base.UTCDateTime(), nullable=False),
        sa.Column('cleared_at', app.store.base.UTCDateTime(), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('onboarding_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_alerts_onboarding_id_onboardings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('uq_alerts_one_open_per_finding', ['onboarding_id', 'key'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'),
                              postgresql_where=sa.text('cleared_at IS NULL'))

    op.create_table(
        'notification_channels',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('target', sa.String(length=1000), nullable=False),
        sa.Column('settings', sa.JSON(), nullable=False),
        sa.Column('secret_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', app.store.base.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Uuid(), nullable=True),
        sa.Column('removed_at', app.store.base.UTCDateTime(), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'],
                                name=op.f('fk_notification_channels_created_by_id_operators')),
        sa.ForeignKeyConstraint(['secret_id'], ['sealed_secrets.id'],
                                name=op.f('fk_notification_channels_secret_id_sealed_secrets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_channels')),
    )
    op.create_table(
        'notification_deliveries',
        sa.Column('channel_id', sa.Uuid(), nullable=False),
        sa.Column('alert_id', sa.Uuid(), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', app.store.base.UTCDateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', app.store.base.UTCDateTime(), nullable=False),
        sa.Column('delivered_at', app.store.base.UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=1000), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'],
                                name=op.f('fk_notification_deliveries_alert_id_alerts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['channel_id'], ['notification_channels.id'],
                                name=op.f('fk_notification_deliveries_channel_id_notification_channels'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    )
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_notification_deliveries_due', ['delivered_at', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_deliveries_due')
    op.drop_table('notification_deliveries')
    op.drop_table('notification_channels')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_alerts_one_open_per_finding', sqlite_where=sa.text('cleared_at IS NULL'),
                            postgresql_where=sa.text('cleared_at IS NULL'))
    op.drop_table('alerts')
    with op.batch_alter_table('onboardings', schema=None) as batch_op:
        batch_op.drop_column('watch_every_hours')
        batch_op.drop_column('watch_next_at')
