"""Onboardings: Okta connections, onboardings, action checkpoints, plans, jobs, verification,
attestations, onboarding secrets and administrator settings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:19:39.264441
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['operators.id'], name=op.f('fk_app_settings_updated_by_id_operators')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )
    op.create_table('okta_connections',
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('org_origin', sa.String(length=300), nullable=False),
    sa.Column('org_kind', sa.String(length=16), nullable=False),
    sa.Column('credential_kind', sa.String(length=32), nullable=False),
    sa.Column('credential_secret_id', sa.Uuid(), nullable=True),
    sa.Column('client_id', sa.String(length=200), nullable=True),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('preflight', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('shareable', sa.Boolean(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'], name=op.f('fk_okta_connections_created_by_id_operators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credential_secret_id'], ['sealed_secrets.id'], name=op.f('fk_okta_connections_credential_secret_id_sealed_secrets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_okta_connections'))
    )
    with op.batch_alter_table('okta_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_okta_connections_org_origin'), ['org_origin'], unique=False)

    op.create_table('onboardings',
    sa.Column('vendor', sa.String(length=64), nullable=False),
    sa.Column('playbook_version', sa.String(length=64), nullable=False),
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('org_origin', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waiting_for', sa.String(length=32), nullable=True),
    sa.Column('status_note', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['operators.id'], name=op.f('fk_onboardings_assignee_id_operators')),
    sa.ForeignKeyConstraint(['connection_id'], ['okta_connections.id'], name=op.f('fk_onboardings_connection_id_okta_connections')),
    sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'], name=op.f('fk_onboardings_created_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboardings'))
    )
    with op.batch_alter_table('onboardings', schema=None) as batch_op:
        batch_op.create_index('ix_onboardings_assignee_activity', ['assignee_id', 'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboardings_org_origin'), ['org_origin'], unique=False)
        batch_op.create_index('ix_onboardings_status_activity', ['status', 'last_activity_at'], unique=False)
        batch_op.create_index('ix_onboardings_vendor_activity', ['vendor', 'last_activity_at'], unique=False)

    op.create_table('attestations',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('step_key', sa.String(length=64), nullable=False),
    sa.Column('check_key', sa.String(length=128), nullable=False),
    sa.Column('operator_id', sa.Uuid(), nullable=False),
    sa.Column('operator_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('attested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_attestations_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_attestations_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attestations'))
    )
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.create_index('ix_attestations_onboarding_check', ['onboarding_id', 'check_key'], unique=False)

    op.create_table('jobs',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_by_id', sa.Uuid(), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('resumed_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_jobs_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['operators.id'], name=op.f('fk_jobs_started_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_state_lease', ['state', 'lease_expires_at'], unique=False)
        batch_op.create_index('uq_jobs_one_active_per_onboarding', ['onboarding_id'], unique=True, sqlite_where=sa.text("state IN ('queued', 'running')"), postgresql_where=sa.text("state IN ('queued', 'running')"))

    op.create_table('onboarding_actions',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('step_key', sa.String(length=64), nullable=False),
    sa.Column('action_key', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('created_by_us', sa.Boolean(), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=True),
    sa.Column('object_id', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_onboarding_actions_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_actions')),
    sa.UniqueConstraint('onboarding_id', 'action_key', name=op.f('uq_onboarding_actions_onboarding_id_action_key'))
    )
    op.create_table('onboarding_plans',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['operators.id'], name=op.f('fk_onboarding_plans_confirmed_by_id_operators')),
    sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'], name=op.f('fk_onboarding_plans_created_by_id_operators')),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_onboarding_plans_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_plans'))
    )
    with op.batch_alter_table('onboarding_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_plans_onboarding_id'), ['onboarding_id'], unique=False)

    op.create_table('onboarding_secrets',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('secret_id', sa.Uuid(), nullable=False),
    sa.Column('destroy_on', sa.String(length=128), nullable=True),
    sa.Column('reveal_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_onboarding_secrets_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['secret_id'], ['sealed_secrets.id'], name=op.f('fk_onboarding_secrets_secret_id_sealed_secrets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_secrets')),
    sa.UniqueConstraint('onboarding_id', 'purpose', name=op.f('uq_onboarding_secrets_onboarding_id_purpose'))
    )
    op.create_table('verification_runs',
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('started_by_id', sa.Uuid(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('needs_attestation', sa.Integer(), nullable=False),
    sa.Column('drift', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_verification_runs_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['operators.id'], name=op.f('fk_verification_runs_started_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_runs'))
    )
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_runs_onboarding_id'), ['onboarding_id'], unique=False)

    op.create_table('check_results',
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('onboarding_id', sa.Uuid(), nullable=False),
    sa.Column('step_key', sa.String(length=64), nullable=False),
    sa.Column('check_key', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('found', sa.Text(), nullable=True),
    sa.Column('remedy', sa.Text(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['onboarding_id'], ['onboardings.id'], name=op.f('fk_check_results_onboarding_id_onboardings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['verification_runs.id'], name=op.f('fk_check_results_run_id_verification_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_results'))
    )
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.create_index('ix_check_results_run', ['run_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.drop_index('ix_check_results_run')

    op.drop_table('check_results')
    with op.batch_alter_table('verification_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_runs_onboarding_id'))

    op.drop_table('verification_runs')
    op.drop_table('onboarding_secrets')
    with op.batch_alter_table('onboarding_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_plans_onboarding_id'))

    op.drop_table('onboarding_plans')
    op.drop_table('onboarding_actions')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_jobs_one_active_per_onboarding', sqlite_where=sa.text("state IN ('queued', 'running')"), postgresql_where=sa.text("state IN ('queued', 'running')"))
        batch_op.drop_index('ix_jobs_state_lease')

    op.drop_table('jobs')
    with op.batch_alter_table('attestations', schema=None) as batch_op:
        batch_op.drop_index('ix_attestations_onboarding_check')

    op.drop_table('attestations')
    with op.batch_alter_table('onboardings', schema=None) as batch_op:
        batch_op.drop_index('ix_onboardings_vendor_activity')
        batch_op.drop_index('ix_onboardings_status_activity')
        batch_op.drop_index(batch_op.f('ix_onboardings_org_origin'))
        batch_op.drop_index('ix_onboardings_assignee_activity')

    op.drop_table('onboardings')
    with op.batch_alter_table('okta_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_okta_connections_org_origin'))

    op.drop_table('okta_connections')
    op.drop_table('app_settings')
