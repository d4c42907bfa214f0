"""A completed Microsoft Defender for Identity onboarding with its full history (plan, apply,
token, attestations, verifications and re-verifications), made by the real engine against the
in-process sandbox Okta and left in the given database."""

from __future__ import annotations

import uuid
from pathlib import Path

from app.common.clock import FakeClock
from app.settings import Environment, Settings
from app.store.migrate import upgrade
from okta_sandbox import SandboxOrg, SandboxTransport, seed_demo_org
from tests.engine.test_defender import finish
from tests.harness import wizard

ADMIN = "ana.admin"
ADMIN_PASSWORD = "correct horse battery staple"


def completed_defender(database_url: str, data_dir: Path, key: str, reverifications: int = 5) -> uuid.UUID:
    upgrade(database_url)
    clock = FakeClock()
    org = SandboxOrg(clock=clock)
    seed_demo_org(org)
    settings = Settings(environment=Environment.TEST, database_url=database_url, data_dir=data_dir,
                        secret_key=key, sandbox_enabled=True)  # type: ignore[arg-type]
    with wizard(settings, org, SandboxTransport(org), clock) as w:
        oid = w.start("defender-for-identity", w.connect(), service_account_login="mdi-service@acme.example")
        finish(w, oid, org)
        for _ in range(reverifications):
            w.verify(oid, "reverify")
    return oid
