"""A kept secret is read only as the secret its reader expects: the purpose and the owner are
checked, and bound into the ciphertext, so someone who can write to the database cannot make
"Reveal activation link" show the Okta admin token (issue 12, finding 5), or one onboarding's
secret in another. Refused reveals are recorded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.common.clock import FakeClock
from app.settings import Settings
from app.store.db import Database
from app.store.models import AuditEvent, OktaConnection, OnboardingSecret, SealedSecret
from app.store.repositories.secrets import SecretMismatch, SecretRepository, seal_context
from app.store.rotation import rotate
from app.store.statuses import Outcome
from app.vault import Secret, Vault
from app.vault.keyring import KeySource
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.engine.test_defender import VENDOR
from tests.harness import Wizard, wizard
from tests.support import Web


@pytest.fixture
def w(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Wizard]:
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as harness:
        yield harness


def onboarding_with_a_link(w: Wizard, login: str) -> uuid.UUID:
    oid = w.start(VENDOR, w.connect(), service_account_login=login)
    w.plan(oid)
    w.apply_ok(oid)
    return oid


def point_link_at(w: Wizard, oid: uuid.UUID, secret_id: uuid.UUID) -> None:
    async def go() -> None:
        async with w.state.db.session() as session:
            await session.execute(update(OnboardingSecret).where(
                OnboardingSecret.onboarding_id == oid, OnboardingSecret.purpose == "activation_link")
                .values(secret_id=secret_id))
    w.run(go)


def link_id(w: Wizard, oid: uuid.UUID) -> uuid.UUID:
    async def go() -> uuid.UUID:
        async with w.state.db.sessions() as session:
            return (await session.execute(select(OnboardingSecret.secret_id).where(
                OnboardingSecret.onboarding_id == oid, OnboardingSecret.purpose == "activation_link"))).scalar_one()
    return w.run(go)


def reveal(w: Wizard, oid: uuid.UUID) -> str:
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code in (302, 303)
    page = f"/onboardings/{oid}"
    answer = web.post(f"/onboardings/{oid}/secrets/activation_link", {}, page=page)
    assert answer.status_code < 500, answer.text
    text: str = answer.text if answer.status_code == 200 else web.get(page).text
    return text


def refusals(w: Wizard, oid: uuid.UUID) -> list[str]:
    """The refused reveals, as the trail records them: refused (the audit page's Result "Refused";
    they read "Done", QA walk 13, M1)."""
    async def go() -> list[str]:
        async with w.state.db.sessions() as session:
            return list((await session.execute(select(AuditEvent.summary).where(
                AuditEvent.onboarding_id == oid, AuditEvent.action == "secret_reveal_refused",
                AuditEvent.outcome == Outcome.denied))).scalars())
    return w.run(go)


class TestSwappedReferences:
    def test_the_admin_token_row_is_never_revealed_as_an_activation_link(self, w: Wizard,
                                                                          sandbox_org: SandboxOrg) -> None:
        oid = onboarding_with_a_link(w, "mdi-one@acme.example")
        assert "/welcome/" in reveal(w, oid) or "activation" in reveal(w, oid).lower()

        async def admin_token_row() -> uuid.UUID:
            async with w.state.db.sessions() as session:
                found = (await session.execute(select(OktaConnection.credential_secret_id))).scalars().first()
                assert found is not None
                return found
        point_link_at(w, oid, w.run(admin_token_row))
        assert sandbox_org.demo is not None
        page = reveal(w, oid)
        assert sandbox_org.demo.admin_token not in page
        assert "cannot be shown" in page
        assert refusals(w, oid) == ["Reveal refused: the stored reference does not point at this onboarding's secret"]

    def test_another_onboarding_s_secret_is_refused_even_with_its_owner_column_rewritten(self, w: Wizard) -> None:
        first = onboarding_with_a_link(w, "mdi-one@acme.example")
        second = onboarding_with_a_link(w, "mdi-two@acme.example")
        theirs = link_id(w, first)
        point_link_at(w, second, theirs)
        assert "cannot be shown" in reveal(w, second)

        async def relabel() -> None:  # the attacker also writes the second onboarding's name on the row
            async with w.state.db.session() as session:
                await session.execute(update(SealedSecret).where(SealedSecret.id == theirs)
                                      .values(owner=f"onboarding:{second}"))
        w.run(relabel)
        page = reveal(w, second)
        assert "cannot be shown" in page and "/welcome/" not in page
        assert len(refusals(w, second)) == 2

    def test_a_reveal_by_someone_else_than_the_assignee_is_refused_and_recorded(self, w: Wizard) -> None:
        oid = onboarding_with_a_link(w, "mdi-one@acme.example")
        from tests.support import add_operator
        add_operator(w.state.settings, "olga.operator", "admin")
        web = Web(w.client)
        assert web.sign_in("olga.operator").status_code in (302, 303)
        answer = web.post(f"/onboardings/{oid}/secrets/activation_link", {}, page=f"/onboardings/{oid}")
        assert answer.status_code == 403
        assert refusals(w, oid) == ["Reveal refused: not the operator this onboarding is assigned to"]


def test_secrets_sealed_before_owners_are_bound_at_the_next_rotation(settings: Settings, tmp_path: Path) -> None:
    async def go() -> None:
        source = KeySource(env_key=None, env_previous=None, key_file=tmp_path / "vault.key", create_file=True)
        vault = Vault(source)
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:  # as the migration leaves an older secret: owner, not bound
                row = SealedSecret(id=uuid.uuid4(), purpose="onboarding:activation_link", key_id="", ciphertext=b"",
                                   owner="onboarding:legacy", owner_bound=False)
                row.ciphertext = vault.seal(Secret("legacy-value"), seal_context(row))
                row.key_id = vault.key_id_of(row.ciphertext)
                session.add(row)
                legacy = row.id
            async with db.session() as session:
                repo = SecretRepository(session, vault)
                assert (await repo.read(legacy, purpose="onboarding:activation_link",
                                        owner="onboarding:legacy")).reveal() == "legacy-value"
                with pytest.raises(SecretMismatch):
                    await repo.read(legacy, purpose="okta-admin-token", owner="onboarding:legacy")
            report = await rotate(db, source)
            assert report.resealed >= 1
            async with db.session() as session:
                bound = await session.get(SealedSecret, legacy)
                assert bound is not None and bound.owner_bound
                # Bound now: relabelling the owner makes the ciphertext refuse to open.
                assert (await SecretRepository(session, vault).read(
                    legacy, purpose="onboarding:activation_link", owner="onboarding:legacy")).reveal() == "legacy-value"
                bound.owner = "onboarding:other"
                await session.flush()
                with pytest.raises(Exception, match="does not belong here"):
                    await SecretRepository(session, vault).read(legacy, purpose="onboarding:activation_link",
                                                                owner="onboarding:other")
                await session.rollback()
        finally:
            await db.dispose()

    asyncio.run(go())
