"""Drives the wizard's services and engine against the sandbox Okta, in process, the way the
pages do: a real application (create_app) whose job runner runs in the TestClient's event loop,
Okta served by the spec-validating sandbox transport, and a fake clock for rate-limit waits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit import Actor
from app.common.clock import FakeClock
from app.connections.service import NewConnection, add_connection
from app.main import create_app
from app.onboardings import attestations, tokens
from app.onboardings.view import OnboardingView, build_view
from app.settings import Settings
from app.store.models import Job, Onboarding, OnboardingAction
from app.vault import Secret
from app.web.state import AppState
from okta_sandbox import SandboxOrg, SandboxTransport
from okta_sandbox.domain import tokens as tokens_domain
from tests.in_app import InApp
from tests.support import add_operator


class Wizard(InApp):
    def __init__(self, client: TestClient, state: AppState, org: SandboxOrg, operator_id: uuid.UUID) -> None:
        self.client = client
        self.state = state
        self.org = org
        self.actor = Actor(operator_id, "ana.admin")

    # -- setup --
    def connect(self, token: str | None = None) -> uuid.UUID:
        demo = self.org.demo
        assert demo is not None
        new = NewConnection(org_url=self.org.base_url, api_token=token or demo.admin_token, default_label="Sandbox")
        connection, _report = self.run(lambda: add_connection(self.state.db, self.state.vault, self.state.gateway,
                                                              new, self.actor, []))
        return connection.id

    def start(self, vendor: str, connection_id: uuid.UUID, **inputs: Any) -> uuid.UUID:
        return self.new_onboarding(vendor, connection_id, inputs, self.actor)

    # -- engine --
    def plan(self, onboarding_id: uuid.UUID) -> list[dict[str, Any]]:
        made = self.run(lambda: self.state.engine.plan(onboarding_id, self.actor))
        plan = self.run(lambda: self.state.engine.confirm_plan(onboarding_id, made.id, self.actor))
        return list(plan.items)

    def draft_plan(self, onboarding_id: uuid.UUID) -> list[dict[str, Any]]:
        return self.plan_items(self.run(lambda: self.state.engine.plan(onboarding_id, self.actor)).id)

    def job(self, onboarding_id: uuid.UUID, kind: str) -> Job:
        return self.finished_job(onboarding_id, kind, self.actor)

    def apply(self, onboarding_id: uuid.UUID) -> Job:
        return self.job(onboarding_id, "apply")

    def apply_ok(self, onboarding_id: uuid.UUID) -> Job:
        job = self.apply(onboarding_id)
        assert job.state == "succeeded", job.error
        return job

    def activate_and_paste(self, onboarding_id: uuid.UUID, token_name: str) -> dict[str, Any]:
        """What the service account's person does once the apply stops at the token: activate the
        account, create its API token (named ``token_name``) in the org, and paste it."""
        svc = str(self.onboarding(onboarding_id).facts["service_account_id"])
        self.org.complete_activation(svc)
        return self.paste_token(onboarding_id, self.org.issue_api_token(svc, token_name))

    def to_the_token(self, onboarding_id: uuid.UUID) -> str:
        """Plan and apply up to the service account's API token: the account's Okta id."""
        self.plan(onboarding_id)
        self.apply_ok(onboarding_id)
        return str(self.onboarding(onboarding_id).facts["service_account_id"])

    def activated_at_the_token(self, vendor: str, **inputs: Any) -> tuple[uuid.UUID, str]:
        """A new onboarding of ``vendor`` applied up to its service account's token, the account
        activated by its person (in the org, as they would): the onboarding and the account."""
        oid = self.start(vendor, self.connect(), **inputs)
        svc = self.to_the_token(oid)
        self.org.complete_activation(svc)
        return oid, svc

    def verify(self, onboarding_id: uuid.UUID, kind: str = "verify") -> Job:
        return self.job(onboarding_id, kind)

    def paste_token(self, onboarding_id: uuid.UUID, token: str, *, name: str | None = None,
                    token_id: str | None = None) -> dict[str, Any]:
        """Paste the token as the page does: with the name the operator gave it (by default the
        name the wizard proposes) and, when the wizard asked, the id of the token they picked."""
        return self.run(lambda: tokens.verify_service_token(self.state.engine, onboarding_id, Secret(token),
                                                             self.actor, token_name=name, token_id=token_id))

    def vendor_calls(self, token: str) -> None:
        """The vendor, connected, calls Okta with the service account's token a minute on: Okta takes
        it and moves its expiry (what the wizard reads as a sign of use)."""
        clock = self.state.clock
        assert isinstance(clock, FakeClock)
        clock.advance(60)
        assert tokens_domain.authenticate(self.org, token) is not None

    def attest_all(self, onboarding_id: uuid.UUID) -> None:
        async def go() -> None:
            async with self.state.db.session() as session:
                onboarding = await session.get(Onboarding, onboarding_id)
                assert onboarding is not None
                playbook = self.state.library.get(onboarding.vendor)
                from app.engine.runtime import load

                loaded = await load(session, self.state.library, onboarding_id)
                for step, check in playbook.checks():
                    if check.kind == "attest" and check.key not in loaded.attestations and \
                            loaded.scope.condition(step.when) and loaded.scope.condition(check.when):
                        await attestations.attest(session, self.state.vault, playbook, onboarding, check.key,
                                                  "done in the test", self.actor, now=self.state.clock.now())
            await self.state.engine.refresh_status(onboarding_id)

        self.run(go)

    def attest(self, onboarding_id: uuid.UUID, check_key: str) -> None:
        """One attestation, as its button gives it (refusals raise)."""
        async def go() -> None:
            async with self.state.db.session() as session:
                onboarding = await session.get(Onboarding, onboarding_id)
                assert onboarding is not None
                await attestations.attest(session, self.state.vault, self.state.library.get(onboarding.vendor),
                                          onboarding, check_key, "done in the test", self.actor,
                                          now=self.state.clock.now())

        self.run(go)

    # -- reading --
    def view(self, onboarding_id: uuid.UUID) -> OnboardingView:
        """The onboarding as its page shows it (the view model the template renders)."""
        async def build() -> OnboardingView:
            async with self.state.db.sessions() as session:
                return await build_view(session, self.state.library, onboarding_id, self.state.clock.now())

        return self.run(build)

    def actions(self, onboarding_id: uuid.UUID) -> dict[str, OnboardingAction]:
        async def get() -> dict[str, OnboardingAction]:
            async with self.state.db.sessions() as session:
                rows = await session.execute(select(OnboardingAction).where(
                    OnboardingAction.onboarding_id == onboarding_id))
                return {row.action_key: row for row in rows.scalars()}

        return self.run(get)

    def failure(self, onboarding_id: uuid.UUID) -> str:
        """The whole error of the failed action, as its step shows it (the status line shows only
        its first sentence)."""
        [error] = [row.error or "" for row in self.actions(onboarding_id).values() if row.state == "failed"]
        return error


@contextmanager
def wizard(settings: Settings, org: SandboxOrg, transport: SandboxTransport, clock: FakeClock) -> Iterator[Wizard]:
    operator = add_operator(settings, "ana.admin", "admin")
    app = create_app(settings, clock=clock, okta_transport=lambda _org: transport, sandbox=org.demo)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        w = Wizard(client, app.state.onboard, org, operator.id)
        try:
            yield w
        finally:
            w.let_jobs_end()
