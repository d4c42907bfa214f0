"""Key rotation: make a new primary key, re-encrypt every stored secret, later retire old keys.

Safe to run while servers are serving: each seal checks the key file first, so every process
starts sealing with the new key at once, and the old key stays in the ring for reading. Retiring
old keys is a separate, explicit step (``--retire``), taken when no process can still be in the
middle of sealing with one, and it only removes keys that no stored ciphertext uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.store.db import Database
from app.store.models import AuditEvent
from app.store.repositories.secrets import SecretRepository, seal_context
from app.vault.keyring import Key, KeyRing, KeySource, write_key_file
from app.vault.sealed import Vault


@dataclass
class RotationReport:
    new_key_id: str | None
    resealed: int = 0
    retired_key_ids: list[str] = field(default_factory=list)
    kept_key_ids: list[str] = field(default_factory=list)


def add_primary_key(source: KeySource) -> Key:
    """Put a fresh primary key in the key file, keeping every older key for reading."""
    path = source.key_file
    if path is None:
        raise RuntimeError("the key comes from the environment; set the new key there instead")
    ring = source.reload()
    new = Key.generate()
    write_key_file(path, KeyRing(new, (ring.primary, *ring.previous)))
    source.reload()
    return new


async def reseal_all(db: Database, vault: Vault, *, batch_size: int = 200) -> int:
    primary = vault.keys.ring().primary.id_hex
    total = 0
    while True:
        async with db.session() as session:
            repo = SecretRepository(session, vault)
            rows = await repo.batch_needing_reseal(primary, batch_size)
            for row in rows:
                # A secret sealed before owners were recorded is bound to its owner now.
                row.ciphertext = vault.reseal(row.ciphertext, seal_context(row),
                                              seal_context(row, bound=row.owner is not None))
                row.key_id = vault.key_id_of(row.ciphertext)
                row.owner_bound = row.owner is not None
            total += len(rows)
        if len(rows) < batch_size:
            return total


async def retire_unused_keys(db: Database, source: KeySource) -> tuple[list[str], list[str]]:
    path = source.key_file
    ring = source.reload()
    async with db.session() as session:
        in_use = await SecretRepository(session, Vault(source)).key_ids_in_use()
        # The audit trail's events chained under an old key verify only with it: such a key stays.
        in_use |= {key_id for key_id in (await session.execute(
            select(AuditEvent.key_id).where(AuditEvent.key_id.is_not(None)).distinct())).scalars() if key_id}
    keep = tuple(k for k in ring.previous if k.id_hex in in_use)
    retired = [k.id_hex for k in ring.previous if k.id_hex not in in_use]
    if path is not None and retired:
        write_key_file(path, KeyRing(ring.primary, keep))
        source.reload()
    return retired, [k.id_hex for k in keep]


async def rotate(db: Database, source: KeySource, *, new_key: bool = True, retire: bool = False
                 ) -> RotationReport:
    new_key_id: str | None = None
    if new_key and source.key_file is not None:
        new_key_id = add_primary_key(source).id_hex
    vault = Vault(source)
    report = RotationReport(new_key_id=new_key_id)
    report.resealed = await reseal_all(db, vault)
    if retire:
        report.retired_key_ids, report.kept_key_ids = await retire_unused_keys(db, source)
    else:
        report.kept_key_ids = [k.id_hex for k in source.ring().previous]
    return report
