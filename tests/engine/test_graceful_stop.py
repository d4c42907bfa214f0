"""A server that stops lets its running jobs end within a grace period (their results recorded),
then cancels the rest: a job cancelled mid-step (Okta did what it was asked, the answer never came)
leaves its sessions and connections closed, its lease handed back, and the next server to start
resumes it from its last checkpoint without making anything twice. On SQLite and Postgres.

The grace period is real time (asyncio's timeouts); the Okta answers are slowed, or held, in real
time here too, while the org's own clock stays the fake one."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.common.clock import FakeClock
from app.engine.jobs import JobHandle
from app.main import create_app
from app.settings import Settings
from app.store.base import utcnow
from app.store.db import Database, create_sync_engine, dialect_name
from app.store.models import AuditEvent, Job, OnboardingAction
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.harness import Wizard
from tests.support import add_operator

VENDOR = "defender-for-identity"
LOGIN = "mdi-graceful@acme.example"
LABEL = "Microsoft Defender for Identity"
STOPPING = "onboard.jobs"


class _Held(httpx.AsyncBaseTransport):
    """The sandbox Okta with every answer ``delay`` seconds late (real time), and the answer to the
    first ``hold`` call (method, path) held for an hour once the org has done what it asked."""

    def __init__(self, inner: SandboxTransport, *, delay: float = 0.0, hold: tuple[str, str] | None = None) -> None:
        self.inner, self.delay, self.hold = inner, delay, hold
        self.calls = 0
        self.holding = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.calls += 1
        if self.hold == (request.method, request.url.path):
            self.hold = None
            self.holding.set()
            await asyncio.sleep(3600)
        await asyncio.sleep(self.delay)
        return response


@contextmanager
def _server(settings: Settings, org: SandboxOrg, transport: httpx.AsyncBaseTransport, clock: FakeClock,
            operator_id: uuid.UUID) -> Iterator[Wizard]:
    """One server's life: the application started, and stopped (lifespan shutdown) at the end."""
    app = create_app(settings, clock=clock, okta_transport=lambda _org: transport, sandbox=org.demo)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield Wizard(client, app.state.onboard, org, operator_id)


def _submit_apply(w: Wizard, settings_grace: float) -> tuple[uuid.UUID, uuid.UUID]:
    oid = w.start(VENDOR, w.connect(), service_account_login=LOGIN)
    w.plan(oid)
    assert w.state.jobs.grace_seconds == settings_grace
    job_id = w.run(lambda: w.state.jobs.submit(oid, "apply", w.actor.id))
    assert job_id is not None
    return oid, job_id


def _stop_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == STOPPING and "server stopping" in r.getMessage()]


def test_a_job_that_ends_within_the_grace_period_finishes_when_the_server_stops(
        settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport, fake_clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=STOPPING)
    operator = add_operator(settings, "ana.admin", "admin")
    slow = _Held(okta_transport, delay=0.02)
    with _server(settings.model_copy(update={"job_stop_grace_seconds": 20.0}), sandbox_org, slow, fake_clock,
                 operator.id) as w:
        oid, job_id = _submit_apply(w, 20.0)
        w.run(lambda: _until_running(w, job_id))
        calls_at_stop = slow.calls
    # The server stopped while the apply was under way, waited for it, and cancelled nothing.
    assert slow.calls > calls_at_stop
    lines = _stop_lines(caplog)
    assert lines == ["server stopping: waiting up to 20.0 s for 1 running job(s) to end"], lines
    gc.collect()  # a connection left open would be reported (an error) here

    with _server(settings, sandbox_org, okta_transport, fake_clock, operator.id) as w:
        job = w.row(Job, job_id)
        assert (job.state, job.error, job.resumed_count) == ("succeeded", None, 0)
        assert job.finished_at is not None and job.lease_expires_at is None
        assert w.onboarding(oid).facts["service_account_id"] == sandbox_org.find_user(LOGIN)["id"]  # type: ignore[index]


def test_a_job_that_outlasts_the_grace_period_is_cancelled_and_resumed_at_the_next_start(
        settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport, fake_clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=STOPPING)
    operator = add_operator(settings, "ana.admin", "admin")
    # The service account is created in Okta, and the answer never reaches the wizard.
    held = _Held(okta_transport, hold=("POST", "/api/v1/users"))
    with _server(settings.model_copy(update={"job_stop_grace_seconds": 0.2}), sandbox_org, held, fake_clock,
                 operator.id) as w:
        oid, job_id = _submit_apply(w, 0.2)
        w.run(lambda: asyncio.wait_for(held.holding.wait(), 30))
    gc.collect()  # a connection left open by the cancelled job would be reported (an error) here
    lines = _stop_lines(caplog)
    assert len(lines) == 2 and lines[0] == "server stopping: waiting up to 0.2 s for 1 running job(s) to end", lines
    assert lines[1] == (f"server stopping: job {job_id} (apply) did not end within 0.2 s; cancelled, it resumes "
                        "from its last checkpoint at the next start")
    assert sum(1 for u in sandbox_org.users if u.login == LOGIN) == 1
    # What the stop left: the job still running, its lease handed back (the next server takes it
    # over at once, not when the lease would have run out), the step checkpointed as under way.
    job, checkpoints = _left(settings, job_id)
    assert job.state == "running" and job.lease_expires_at is not None and job.lease_expires_at <= utcnow()
    assert checkpoints == {"service_account": "applying"}

    with _server(settings, sandbox_org, okta_transport, fake_clock, operator.id) as w:
        # The server just started takes the job over at once (its first look for jobs).
        job = w.run(lambda: _until_ended(w, job_id))
        assert (job.state, job.error, job.resumed_count) == ("succeeded", None, 1)
        w.run(lambda: w.state.jobs.wait_idle(30))
        resumes = w.run(lambda: _audit(w, oid, "apply_resume"))
        assert len(resumes) == 1
        checkpoints = {key: row.state for key, row in w.actions(oid).items()}
        assert "service_account" in checkpoints and set(checkpoints.values()) == {"done"}, checkpoints
        # The account Okta made for the cancelled call is the one the onboarding took over.
        assert w.onboarding(oid).facts["service_account_id"] == sandbox_org.find_user(LOGIN)["id"]  # type: ignore[index]
    # Nothing was made twice.
    assert sum(1 for u in sandbox_org.users if u.login == LOGIN) == 1
    assert [r.label for r in sandbox_org.custom_roles].count(LABEL) == 1
    assert [r.label for r in sandbox_org.resource_sets].count(LABEL) == 1


async def _until_running(w: Wizard, job_id: uuid.UUID) -> None:
    for _ in range(600):
        async with w.state.db.sessions() as session:
            job = await session.get(Job, job_id)
            if job is not None and job.state == "running" and job.progress:
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the job did not start")


async def _until_ended(w: Wizard, job_id: uuid.UUID) -> Job:
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        async with w.state.db.sessions() as session:
            job = await session.get(Job, job_id)
            assert job is not None
            if job.state not in ("queued", "running"):
                return job
        await asyncio.sleep(0.02)
    raise AssertionError("the job was not resumed")


async def _audit(w: Wizard, oid: uuid.UUID, action: str) -> list[AuditEvent]:
    async with w.state.db.sessions() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.onboarding_id == oid,
                                                              AuditEvent.action == action))
        return list(rows.scalars())


def _left(settings: Settings, job_id: uuid.UUID) -> tuple[Job, dict[str, str]]:
    """The job and its onboarding's checkpoints as a stopped server left them."""
    engine = create_sync_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            job = session.get(Job, job_id)
            assert job is not None
            rows = session.execute(select(OnboardingAction).where(OnboardingAction.onboarding_id == job.onboarding_id))
            return job, {row.action_key: row.state for row in rows.scalars()}
    finally:
        engine.dispose()


def test_a_job_cancelled_inside_a_query_returns_its_connection(
        settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport, fake_clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    """Cancelled in the middle of a database query, a job leaves its session (rolled back) and its
    connection goes back to the pool, or is closed, before the server disposes of its engine."""
    caplog.set_level(logging.INFO, logger=STOPPING)
    operator = add_operator(settings, "ana.admin", "admin")
    db = Database(settings.resolved_database_url)
    querying = asyncio.Event()

    async def long_query(handle: JobHandle) -> None:
        async with handle.runner.db.session() as session:
            querying.set()
            if dialect_name(session) == "postgresql":
                await session.execute(text("SELECT pg_sleep(30)"))
            else:  # a query SQLite's thread spends a moment on (the driver cannot interrupt it)
                await session.execute(text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                           "WHERE x < 200000) SELECT count(*) FROM c"))
                await asyncio.sleep(30)

    app = create_app(settings.model_copy(update={"job_stop_grace_seconds": 0.2}), db=db, clock=fake_clock,
                     okta_transport=lambda _org: okta_transport, sandbox=sandbox_org.demo)
    try:
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
            w = Wizard(client, app.state.onboard, sandbox_org, operator.id)
            w.state.jobs.register("verify", long_query)
            oid = w.start(VENDOR, w.connect(), service_account_login=LOGIN)
            job_id = w.run(lambda: w.state.jobs.submit(oid, "verify", w.actor.id))
            assert job_id is not None
            w.run(lambda: asyncio.wait_for(querying.wait(), 30))
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert f"server stopping: job {job_id} (verify) did not end within 0.2 s" in caplog.text
    finally:
        asyncio.run(db.dispose())
    gc.collect()  # a connection left open would be reported (an error) here
    job, _checkpoints = _left(settings, job_id)
    assert job.state == "running" and job.lease_expires_at is not None and job.lease_expires_at <= utcnow()
