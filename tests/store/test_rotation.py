"""`onboard rotate-key`: every stored secret is re-encrypted under the new key and none is lost."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import func, select

from app.settings import Settings
from app.store.db import Database
from app.store.models import SealedSecret
from app.store.repositories.secrets import SecretRepository
from app.store.rotation import rotate
from app.vault import Secret, Vault
from app.vault.keyring import Key, KeySource

ROWS = 450  # more than two batches
OWNER = "test-owner"


async def _store_many(db: Database, vault: Vault, n: int) -> dict[uuid.UUID, str]:
    stored: dict[uuid.UUID, str] = {}
    async with db.session() as session:
        repo = SecretRepository(session, vault)
        for i in range(n):
            value = f"secret-number-{i}-{uuid.uuid4().hex}"
            stored[await repo.store("test", Secret(value), owner=OWNER)] = value
    return stored


async def _read_all(db: Database, vault: Vault, ids: dict[uuid.UUID, str]) -> dict[uuid.UUID, str]:
    async with db.session() as session:
        repo = SecretRepository(session, vault)
        return {i: (await repo.read(i, purpose="test", owner=OWNER)).reveal() for i in ids}


async def _key_ids(db: Database) -> set[str]:
    async with db.session() as session:
        return set((await session.execute(select(SealedSecret.key_id).distinct())).scalars())


class TestRotation:
    def test_key_file_rotation_reseals_everything_and_loses_nothing(self, settings: Settings, tmp_path: Path) -> None:
        async def go() -> None:
            source = KeySource(env_key=None, env_previous=None, key_file=tmp_path / "vault.key", create_file=True)
            vault = Vault(source)
            db = Database(settings.resolved_database_url)
            try:
                old = source.ring().primary.id_hex
                stored = await _store_many(db, vault, ROWS)
                report = await rotate(db, source)
                assert report.new_key_id and report.new_key_id != old
                assert report.resealed == ROWS
                assert await _key_ids(db) == {report.new_key_id}
                assert await _read_all(db, vault, stored) == stored
                # The old key stays for reading until retired explicitly.
                assert old in source.ring().ids
                retired = await rotate(db, source, new_key=False, retire=True)
                assert retired.retired_key_ids == [old]
                assert source.ring().ids == [report.new_key_id]
                fresh = Vault(KeySource(env_key=None, env_previous=None, key_file=tmp_path / "vault.key",
                                        create_file=False))
                assert await _read_all(db, fresh, stored) == stored
            finally:
                await db.dispose()

        asyncio.run(go())

    def test_environment_key_rotation(self, settings: Settings) -> None:
        async def go() -> None:
            old, new = Key.generate(), Key.generate()
            db = Database(settings.resolved_database_url)
            try:
                stored = await _store_many(db, Vault(KeySource(env_key=old.encoded(), env_previous=None,
                                                               key_file=None, create_file=False)), 50)
                source = KeySource(env_key=new.encoded(), env_previous=old.encoded(), key_file=None, create_file=False)
                report = await rotate(db, source, retire=True)
                assert report.resealed == 50
                assert report.retired_key_ids == [old.id_hex]  # safe to drop from the environment now
                only_new = Vault(KeySource(env_key=new.encoded(), env_previous=None, key_file=None, create_file=False))
                assert await _read_all(db, only_new, stored) == stored
            finally:
                await db.dispose()

        asyncio.run(go())

    def test_destroyed_secrets_are_not_resealed_and_stay_destroyed(self, settings: Settings, tmp_path: Path) -> None:
        async def go() -> None:
            source = KeySource(env_key=None, env_previous=None, key_file=tmp_path / "vault.key", create_file=True)
            vault = Vault(source)
            db = Database(settings.resolved_database_url)
            try:
                stored = await _store_many(db, vault, 3)
                gone = next(iter(stored))
                async with db.session() as session:
                    assert await SecretRepository(session, vault).destroy(gone, purpose="test", owner=OWNER)
                report = await rotate(db, source)
                assert report.resealed == 2
                async with db.session() as session:
                    row = await session.get(SealedSecret, gone)
                    assert row is not None and row.ciphertext == b"" and row.destroyed_at is not None
                    count = (await session.execute(select(func.count()).select_from(SealedSecret))).scalar_one()
                    assert count == 3
            finally:
                await db.dispose()

        asyncio.run(go())
