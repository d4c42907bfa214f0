"""Storing, reading, replacing and destroying sealed secrets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.moments import stamp
from app.store.base import utcnow
from app.store.models import SealedSecret
from app.vault import SealContext, Secret, Vault


class SecretDestroyed(Exception):
    """The secret was destroyed on purpose (its step is done); it cannot be read again."""


class SecretMismatch(Exception):
    """The row a reference points at is not the secret the reader expects (another purpose or
    another owner): a swapped reference, never opened."""


def seal_context(row: SealedSecret, *, bound: bool | None = None) -> SealContext:
    bind = row.owner_bound if bound is None else bound
    return SealContext(table="sealed_secrets", column="ciphertext", row_id=str(row.id), purpose=row.purpose,
                       owner=(row.owner or "") if bind else "")


CREDENTIAL_PURPOSE = "okta-admin-token"  # the purpose of an Okta connection's credential


def connection_owner(connection_id: uuid.UUID) -> str:
    return f"connection:{connection_id}"


def onboarding_owner(onboarding_id: uuid.UUID) -> str:
    return f"onboarding:{onboarding_id}"


class SecretRepository:
    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.session = session
        self.vault = vault

    async def store(self, purpose: str, value: Secret, *, owner: str) -> uuid.UUID:
        row = SealedSecret(id=uuid.uuid4(), purpose=purpose, key_id="", ciphertext=b"", owner=owner,
                           owner_bound=True)
        self._seal_into(row, value)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def _expected(self, secret_id: uuid.UUID, purpose: str, owner: str) -> SealedSecret:
        row = await self.session.get(SealedSecret, secret_id)
        if row is None:
            raise KeyError(f"no sealed secret {secret_id}")
        if row.purpose != purpose or row.owner != owner:
            raise SecretMismatch(f"sealed secret {secret_id} is not the {purpose} of {owner}")
        return row

    async def read(self, secret_id: uuid.UUID, *, purpose: str, owner: str) -> Secret:
        """The secret, if the row is the ``purpose`` secret of ``owner`` (else :class:`SecretMismatch`)."""
        row = await self._expected(secret_id, purpose, owner)
        if row.destroyed_at is not None:
            raise SecretDestroyed(f"the secret was destroyed at {stamp(row.destroyed_at)}")
        return self.vault.open(row.ciphertext, seal_context(row))

    async def exists(self, secret_id: uuid.UUID) -> bool:
        row = await self.session.get(SealedSecret, secret_id)
        return row is not None and row.destroyed_at is None

    async def replace(self, secret_id: uuid.UUID, value: Secret, *, purpose: str, owner: str) -> None:
        row = await self._expected(secret_id, purpose, owner)
        row.owner_bound = True
        self._seal_into(row, value)
        row.destroyed_at = None

    async def destroy(self, secret_id: uuid.UUID, *, purpose: str, owner: str) -> bool:
        """Overwrite the ciphertext; the row stays so references and the audit trail still resolve."""
        row = await self.session.get(SealedSecret, secret_id)
        if row is None or row.destroyed_at is not None:
            return False
        if row.purpose != purpose or row.owner != owner:
            raise SecretMismatch(f"sealed secret {secret_id} is not the {purpose} of {owner}")
        row.ciphertext = b""
        row.key_id = "destroyed"
        row.destroyed_at = utcnow()
        return True

    def _seal_into(self, row: SealedSecret, value: Secret) -> None:
        row.ciphertext = self.vault.seal(value, seal_context(row))
        row.key_id = self.vault.key_id_of(row.ciphertext)

    async def batch_needing_reseal(self, primary_key_id: str, limit: int) -> Sequence[SealedSecret]:
        query = (
            select(SealedSecret)
            # Under an older key, or not yet bound to its owner (sealed before owners were recorded).
            .where(SealedSecret.destroyed_at.is_(None),
                   (SealedSecret.key_id != primary_key_id)
                   | (SealedSecret.owner.is_not(None) & SealedSecret.owner_bound.is_(False)))
            .order_by(SealedSecret.id)
            .limit(limit)
            # A concurrent replace() of the same row waits for us instead of being overwritten.
            .with_for_update()
        )
        return (await self.session.execute(query)).scalars().all()

    async def key_ids_in_use(self) -> set[str]:
        query = select(SealedSecret.key_id).where(SealedSecret.destroyed_at.is_(None)).distinct()
        return set((await self.session.execute(query)).scalars().all())
