"""Sealed secrets name their owner ("connection:<id>", "onboarding:<id>", "oidc-sign-in"), so a
reader can refuse a reference swapped to another owner's row. Existing rows get the owner of the
row that references them; they are bound into the ciphertext's associated data at the next key
rotation (``onboard vault rotate``), every new secret at once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_secrets = sa.table('sealed_secrets', sa.column('id', sa.Uuid()), sa.column('purpose', sa.String()),
                    sa.column('owner', sa.String()))
_connections = sa.table('okta_connections', sa.column('id', sa.Uuid()), sa.column('credential_secret_id', sa.Uuid()))
_kept = sa.table('onboarding_secrets', sa.column('onboarding_id', sa.Uuid()), sa.column('secret_id', sa.Uuid()))


def upgrade() -> None:
    with op.batch_alter_table('sealed_secrets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('owner_bound', sa.Boolean(), server_default=sa.false(), nullable=False))
    bind = op.get_bind()
    owners: dict[object, str] = {}
    for connection_id, secret_id in bind.execute(sa.select(_connections.c.id, _connections.c.credential_secret_id)):
        if secret_id is not None:
            owners[secret_id] = f"connection:{connection_id}"
    for onboarding_id, secret_id in bind.execute(sa.select(_kept.c.onboarding_id, _kept.c.secret_id)):
        owners[secret_id] = f"onboarding:{onboarding_id}"
    for secret_id, owner in owners.items():
        bind.execute(sa.update(_secrets).where(_secrets.c.id == secret_id).values(owner=owner))
    bind.execute(sa.update(_secrets).where(_secrets.c.purpose == 'oidc-client-secret').values(owner='oidc-sign-in'))


def downgrade() -> None:
    with op.batch_alter_table('sealed_secrets', schema=None) as batch_op:
        batch_op.drop_column('owner_bound')
        batch_op.drop_column('owner')
