"""Key rotation while onboardings are applying: secrets sealed during the rotation (activation
links, the admin credential) stay readable, under the new key and after old keys are retired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.common.clock import FakeClock
from app.settings import Settings
from app.store.models import AuditEvent, SealedSecret
from app.store.repositories.secrets import SecretRepository, seal_context
from app.store.rotation import rotate
from app.vault import Vault
from app.vault.keyring import KeySource
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.harness import wizard


def test_rotation_during_applies_loses_nothing(settings: Settings, sandbox_org: SandboxOrg,
                                              okta_transport: SandboxTransport, fake_clock: FakeClock,
                                              tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "vault.key"
    file_settings = Settings(**{**settings.model_dump(exclude={"secret_key"}), "key_file": key_file})
    sandbox_org.faults.add("latency", delay_ms=5, times=None)
    with wizard(file_settings, sandbox_org, okta_transport, fake_clock) as w:
        connection = w.connect()
        onboardings = [w.start("defender-for-identity", connection, service_account_login=f"svc{i}@acme.example",
                               role_label=f"Defender {i}") for i in range(4)]
        for oid in onboardings:
            w.plan(oid)
        source = KeySource(env_key=None, env_previous=None, key_file=key_file, create_file=False)

        async def applies_and_rotation() -> Any:
            for oid in onboardings:
                await w.state.jobs.submit(oid, "apply", w.actor.id)
            rotations_during_applies = 0
            while w.state.jobs.busy:
                # Rotations interleave with the jobs at every await: seals, reseals and reads overlap.
                await rotate(w.state.db, source)
                rotations_during_applies += 1
            await w.state.jobs.wait_idle(60)
            assert rotations_during_applies >= 1
            last = await rotate(w.state.db, source)
            second = await rotate(w.state.db, source, new_key=False, retire=True)
            async with w.state.db.sessions() as session:
                chained = set((await session.execute(select(AuditEvent.key_id).distinct())).scalars())
            return last, second, chained

        first, second, chained = w.run(applies_and_rotation)
        assert first.new_key_id is not None
        # No ciphertext still needs an old key: an old key stays only for audit events chained under
        # it (how many rotations saw an event depends on the machine's speed), every other one goes.
        assert second.kept_key_ids and set(second.kept_key_ids) <= chained
        assert set(second.retired_key_ids).isdisjoint(chained)

        async def read_everything() -> list[str]:
            fresh = Vault(KeySource(env_key=None, env_previous=None, key_file=key_file, create_file=False))
            async with w.state.db.sessions() as session:
                rows = (await session.execute(select(SealedSecret).where(SealedSecret.destroyed_at.is_(None)))
                        ).scalars().all()
                repo = SecretRepository(session, fresh)
                values = [(await repo.read(row.id, purpose=row.purpose, owner=row.owner or "")).reveal()
                          for row in rows]
                assert all(fresh.key_id_of(row.ciphertext) == first.new_key_id for row in rows), \
                    [seal_context(row) for row in rows]
                return values

        values = w.run(read_everything)
        assert len(values) == 1 + len(onboardings)  # the admin credential and each activation link
        assert all(w.onboarding(oid).status == "waiting" for oid in onboardings)
