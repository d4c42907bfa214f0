"""An e-mail channel says whether its mail server may be at a private address or on this machine, as a
webhook says it of its receiver: any was allowed, so a channel's test message reached any internal port
and showed its banner on Settings (security review, M1). The channels added before keep sending where
they did: they are kept as ticked.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-15 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNELS = sa.table("notification_channels", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()),
                     sa.column("settings", sa.JSON()))


def _set(ticked: bool | None) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(_CHANNELS.c.id, _CHANNELS.c.settings).where(_CHANNELS.c.kind == "email")).all():
        settings = dict(row.settings or {})
        if ticked is None:
            settings.pop("private_network", None)
        else:
            settings["private_network"] = ticked
        bind.execute(_CHANNELS.update().where(_CHANNELS.c.id == row.id).values(settings=settings))


def upgrade() -> None:
    _set(True)


def downgrade() -> None:
    _set(None)
