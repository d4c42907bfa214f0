"""Drives the wizard's services and engine against the sandbox Okta, in process, the way the
pages do: a real application (create_app) whose job runner runs in the TestClient's event loop,
Okta served by the spec-validating sandbox transport, and a fake clock for rate-limit waits."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit import Actor
from app.common.clock import FakeClock
from app.connections.service import NewConnection, add_connection
from app.main import create_app
from app.onboardings import service, tokens
from app.settings import Settings
from app.store.models import Job, OktaConnection, Onboarding, OnboardingAction
from app.vault import Secret
from app.web.state import AppState
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.support import add_operator

T = TypeVar("T")


class Wizard:
    def __init__(self, client: TestClient, state: AppState, org: SandboxOrg, operator_id: uuid.UUID) -> None:
        self.client = client
        self.state = state
        self.org = org
        self.actor = Actor(operator_id, "ana.admin")

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine in the application's event loop (where its jobs run too)."""
        async def call() -> T:
            return await make()

        portal = self.client.portal
        assert portal is not None
        return portal.call(call)

    # -- setup --
    def connect(self, token: str | None = None) -> uuid.UUID:
        demo = self.org.demo
        assert demo is not None
        new = NewConnection(org_url=self.org.base_url, api_token=token or demo.admin_token, label="Sandbox")
        connection, _report = self.run(lambda: add_connection(self.state.db, self.state.vault, self.state.gateway,
                                                              new, self.actor, []))
        return connection.id

    def start(self, vendor: str, connection_id: uuid.UUID, **inputs: Any) -> uuid.UUID:
        async def go() -> uuid.UUID:
            async with self.state.db.session() as session:
                connection = await session.get(OktaConnection, connection_id)
                assert connection is not None
                onboarding = await service.create_onboarding(session, self.state.library.get(vendor), connection,
                                                             self.actor)
                onboarding.inputs = dict(inputs)
                return onboarding.id

        return self.run(go)

    # -- engine --
    def plan(self, onboarding_id: uuid.UUID) -> list[dict[str, Any]]:
        plan_id = self.run(lambda: self.state.engine.plan(onboarding_id, self.actor))
        plan = self.run(lambda: self.state.engine.confirm_plan(onboarding_id, plan_id, self.actor))
        return list(plan.items)

    def draft_plan(self, onboarding_id: uuid.UUID) -> list[dict[str, Any]]:
        from app.store.models import OnboardingPlan

        plan_id = self.run(lambda: self.state.engine.plan(onboarding_id, self.actor))

        async def get() -> list[dict[str, Any]]:
            async with self.state.db.sessions() as session:
                plan = await session.get(OnboardingPlan, plan_id)
                assert plan is not None
                return list(plan.items)

        return self.run(get)

    def job(self, onboarding_id: uuid.UUID, kind: str) -> Job:
        job_id = self.run(lambda: self.state.jobs.submit(onboarding_id, kind, self.actor.id))
        self.run(lambda: self.state.jobs.wait_idle(60))

        async def get() -> Job:
            async with self.state.db.sessions() as session:
                job = await session.get(Job, job_id)
                assert job is not None
                return job

        return self.run(get)

    def apply(self, onboarding_id: uuid.UUID) -> Job:
        return self.job(onboarding_id, "apply")

    def verify(self, onboarding_id: uuid.UUID, kind: str = "verify") -> Job:
        return self.job(onboarding_id, kind)

    def paste_token(self, onboarding_id: uuid.UUID, token: str, *, name: str | None = None,
                    token_id: str | None = None) -> dict[str, Any]:
        """Paste the token as the page does: with the name the operator gave it (by default the
        name the wizard proposes) and, when the wizard asked, the id of the token they picked."""
        return self.run(lambda: tokens.verify_service_token(self.state.engine, onboarding_id, Secret(token),
                                                             self.actor, token_name=name, token_id=token_id))

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
                        await service.attest(session, self.state.vault, playbook, onboarding, check.key,
                                             "done in the test", self.actor)
            await self.state.engine.refresh_status(onboarding_id)

        self.run(go)

    # -- reading --
    def onboarding(self, onboarding_id: uuid.UUID) -> Onboarding:
        async def get() -> Onboarding:
            async with self.state.db.sessions() as session:
                found = await session.get(Onboarding, onboarding_id)
                assert found is not None
                return found

        return self.run(get)

    def actions(self, onboarding_id: uuid.UUID) -> dict[str, OnboardingAction]:
        async def get() -> dict[str, OnboardingAction]:
            async with self.state.db.sessions() as session:
                rows = await session.execute(select(OnboardingAction).where(
                    OnboardingAction.onboarding_id == onboarding_id))
                return {row.action_key: row for row in rows.scalars()}

        return self.run(get)


@contextmanager
def wizard(settings: Settings, org: SandboxOrg, transport: SandboxTransport, clock: FakeClock) -> Iterator[Wizard]:
    operator = add_operator(settings, "ana.admin", "admin")
    app = create_app(settings, clock=clock, okta_transport=lambda _org: transport, sandbox=org.demo)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield Wizard(client, app.state.onboard, org, operator.id)
