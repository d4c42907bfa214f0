"""What every helper that drives one wizard application in process shares (tests/harness.py's
Wizard, tests/page_journeys.py's Journey, the live runner's LiveRun): running a coroutine in the
application's event loop, where its jobs run too, and the reads and writes they all make beside
the pages: a row by its id, a new onboarding, a background run waited for."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from app.audit import Actor
from app.onboardings import service
from app.store.models import Job, OktaConnection, Onboarding, OnboardingPlan
from app.web.state import AppState

T = TypeVar("T")
Row = TypeVar("Row")


class InApp:
    client: TestClient
    state: AppState

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine in the application's event loop (where its jobs run too)."""
        async def call() -> T:
            return await make()

        portal = self.client.portal
        assert portal is not None
        return portal.call(call)

    def let_jobs_end(self) -> None:
        """Before the application stops: a job a page started (the last attestation verifies) is let
        finish, not cancelled inside a query, which leaves its Postgres connection open (a
        ResourceWarning, an error here, in whichever later test the collector finds it)."""
        with contextlib.suppress(Exception):
            self.run(lambda: self.state.jobs.wait_idle(30))

    def row(self, model: type[Row], key: uuid.UUID) -> Row:
        """The row of ``model`` with id ``key``, read in a session of its own; it must exist."""
        async def get() -> Row:
            async with self.state.db.sessions() as session:
                found = await session.get(model, key)
                assert found is not None, f"no {model.__name__} {key}"
                return found

        return self.run(get)

    def onboarding(self, onboarding_id: uuid.UUID) -> Onboarding:
        return self.row(Onboarding, onboarding_id)

    def plan_items(self, plan_id: uuid.UUID) -> list[dict[str, Any]]:
        return list(self.row(OnboardingPlan, plan_id).items)

    def new_onboarding(self, vendor: str, connection_id: uuid.UUID, inputs: dict[str, Any], actor: Actor) -> uuid.UUID:
        """An onboarding of ``vendor`` on the connection, its inputs already given (as if typed)."""
        async def go() -> uuid.UUID:
            async with self.state.db.session() as session:
                connection = await session.get(OktaConnection, connection_id)
                assert connection is not None
                onboarding = await service.create_onboarding(session, self.state.library.get(vendor), connection,
                                                             actor)
                onboarding.inputs = dict(inputs)
                return onboarding.id

        return self.run(go)

    def finished_job(self, onboarding_id: uuid.UUID, kind: str, actor: Actor, timeout: float = 60) -> Job:
        """Submit a background run of ``kind`` and wait until no run is left; the run as it ended."""
        job_id = self.run(lambda: self.state.jobs.submit(onboarding_id, kind, actor.id))
        assert job_id is not None  # None only when a claim is refused; none is given here
        self.run(lambda: self.state.jobs.wait_idle(timeout))
        return self.row(Job, job_id)
