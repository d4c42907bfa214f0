"""Background jobs (apply, verify, undo) with leases.

A job row is inserted when an operator asks for a run; a partial unique index allows one active
(queued or running) job per onboarding, so two operators pressing Apply at once get one run
(the database refuses the second insert, on SQLite and Postgres alike). A process claims a job
with one atomic UPDATE and keeps its lease fresh with heartbeats; if the process dies, the lease
runs out and any process (the restarted one, or another) claims the job again and resumes it.

A server that stops (``stop``) takes no new job, gives its running jobs a grace period to end on
their own (their results recorded), then cancels the rest and waits until each has left its
database sessions (rolled back, connections returned), so the engine can be disposed of with no
connection open. A cancelled job keeps its checkpoints and its lease is handed back at once: the
next server to start resumes it from its last checkpoint, as after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.text import clip
from app.common.ticker import Ticker
from app.engine.scope import TemplateError
from app.okta.errors import ErrorCategory, OktaApiError, OktaError
from app.okta.gateway import ConnectionUnusable
from app.store.base import utcnow
from app.store.db import Database
from app.store.models import Job
from app.store.repositories.state import touch
from app.store.statuses import JobState

log = logging.getLogger("onboard.jobs")


# How long a stop waits for cancelled jobs to leave their database sessions (at least the grace).
CANCEL_WAIT_SECONDS = 10.0


class JobBusy(Exception):
    """Another run of this onboarding is already queued or running."""


class JobStopped(Exception):
    """A run stopped for a reason it recorded and the page shows (a phase refused, Okta failed)."""


# Failures the phases expect and report themselves (Okta's 500s, dropped connections, a retired
# connection): one warning line in the server log. A traceback there stands for a bug of the
# wizard, and an operator reading the log should not have to tell the two apart.
EXPECTED = (JobStopped, OktaError, ConnectionUnusable)


def _maybe_a_bug(exc: BaseException) -> bool:
    """Whether an expected stop may still be the wizard's own mistake: Okta refused what it sent as
    invalid (a 400: a wrong body, or a setting Okta does not know), or a playbook's value could not
    be filled in. The page says what happened either way; the log keeps the traceback and Okta's
    request id for whoever must find out which."""
    cause = exc.__cause__ if isinstance(exc, JobStopped) else exc
    if isinstance(cause, OktaApiError):
        return cause.category in (ErrorCategory.INVALID_INPUT, ErrorCategory.UNKNOWN)
    return isinstance(cause, TemplateError)


@dataclass
class JobHandle:
    runner: JobRunner
    job_id: uuid.UUID
    onboarding_id: uuid.UUID
    kind: str
    started_by_id: uuid.UUID | None
    resumed: bool
    progress_data: dict[str, Any] = field(default_factory=dict)

    async def progress(self, **values: Any) -> None:
        """Record what the job is doing, for the page that polls it."""
        self.progress_data.update(values)
        async with self.runner.db.session() as session:
            await session.execute(update(Job).where(Job.id == self.job_id).values(progress=dict(self.progress_data)))
            await touch(session, self.onboarding_id)


Handler = Callable[[JobHandle], Awaitable[None]]


DATABASE_ERROR = "the database refused a write or a read; the server's log says why"


def database_failed(exc: BaseException) -> bool:
    """The run stopped on the database, not on Okta or the work: its text quotes the statement and
    its values (a finding, an address), so the log keeps it, never a page, an alert or a channel; and
    it says nothing of the Okta connection (the watch raises no credential alert for it)."""
    return isinstance(exc, SQLAlchemyError)


def _kept_words(exc: BaseException) -> str:
    """A failed job's error as its page shows it."""
    return DATABASE_ERROR if database_failed(exc) else str(exc)[:2000]


class JobRunner:
    def __init__(self, db: Database, *, lease_seconds: float = 30.0, poll_seconds: float = 5.0,
                 grace_seconds: float = 5.0) -> None:
        self.db = db
        self.handlers: dict[str, Handler] = {}
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        # Each job's task and what it runs (its kind once claimed), for the log of a stop.
        self._tasks: dict[asyncio.Task[None], uuid.UUID] = {}
        self._kinds: dict[uuid.UUID, str] = {}
        self._supervisor = Ticker(self.supervise_once, poll_seconds, name="job supervisor")
        self._running: set[uuid.UUID] = set()
        self._stopping = False

    def register(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    async def submit(self, onboarding_id: uuid.UUID, kind: str, started_by_id: uuid.UUID | None, *,
                     claim: Callable[[AsyncSession], Awaitable[bool]] | None = None) -> uuid.UUID | None:
        """Queue a run and start it here. With ``claim``, the run is queued only if the claim
        (written in the same transaction) succeeds: None if it did not; a busy onboarding undoes it."""
        job = Job(id=uuid.uuid4(), onboarding_id=onboarding_id, kind=kind, state=JobState.queued,
                  started_by_id=started_by_id, progress={})
        try:
            async with self.db.session() as session:
                if claim is not None and not await claim(session):
                    return None
                session.add(job)
                await session.flush()
                # A new run changes the onboarding's page (the progress panel appears).
                await touch(session, onboarding_id, activity=False)
        except IntegrityError:
            raise JobBusy("This onboarding already has a run in progress; it was not started twice.") from None
        self.schedule(job.id)
        return job.id

    def schedule(self, job_id: uuid.UUID) -> None:
        if job_id in self._running:
            return
        if self._stopping:  # the job stays queued: the next server to start runs it
            log.info("server stopping: job %s stays queued for the next start", job_id)
            return
        task = asyncio.get_running_loop().create_task(self._run(job_id))
        self._tasks[task] = job_id
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        job_id = self._tasks.pop(task, None)
        if job_id is not None and job_id not in self._running:  # (not a second task of a running job)
            self._kinds.pop(job_id, None)

    def _describe(self, task: asyncio.Task[None]) -> str:
        job_id = self._tasks.get(task)
        return f"job {job_id} ({self._kinds.get(job_id, 'not yet claimed') if job_id else 'unknown'})"

    async def _claim(self, job_id: uuid.UUID) -> Job | None:
        now = utcnow()
        async with self.db.session() as session:
            current = await session.get(Job, job_id)
            if current is None:
                return None
            resumed = current.state == JobState.running
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id,
                       or_(Job.state == JobState.queued,
                           (Job.state == JobState.running) & (Job.lease_expires_at < now)))
                .values(state=JobState.running, lease_owner=self.owner,
                        lease_expires_at=now + timedelta(seconds=self.lease_seconds),
                        started_at=current.started_at or now,
                        resumed_count=Job.resumed_count + (1 if resumed else 0))
            )
            if (getattr(result, "rowcount", 0) or 0) != 1:
                return None
        async with self.db.sessions() as session:
            return await session.get(Job, job_id)

    def _heartbeat(self, job_id: uuid.UUID, worker: asyncio.Task[None]) -> Ticker:
        """Keeps the job's lease fresh. A Ticker: stopping it never cancels it inside its query."""
        lost = False

        async def beat() -> None:
            nonlocal lost
            if lost:
                return
            async with self.db.session() as session:
                result = await session.execute(
                    update(Job).where(Job.id == job_id, Job.lease_owner == self.owner, Job.state == JobState.running)
                    .values(lease_expires_at=utcnow() + timedelta(seconds=self.lease_seconds)))
            if (getattr(result, "rowcount", 0) or 0) != 1:
                log.warning("lost the lease of job %s; stopping it", job_id)
                lost = True
                worker.cancel()

        return Ticker(beat, self.lease_seconds / 3, name=f"heartbeat of job {job_id}", run_first=False)

    async def _run(self, job_id: uuid.UUID) -> None:
        if self._stopping:
            return
        job = await self._claim(job_id)
        if job is None:
            return
        handler = self.handlers.get(job.kind)
        self._running.add(job_id)
        self._kinds[job_id] = job.kind
        handle = JobHandle(self, job.id, job.onboarding_id, job.kind, job.started_by_id,
                           resumed=job.resumed_count > 0, progress_data=dict(job.progress or {}))
        worker = asyncio.current_task()
        assert worker is not None
        beat = self._heartbeat(job_id, worker)
        beat.start()
        state, error = JobState.succeeded, None
        try:
            if handler is None:
                raise RuntimeError(f"no handler for job kind {job.kind}")
            await handler(handle)
        except asyncio.CancelledError:
            await beat.stop()
            self._running.discard(job_id)
            raise  # the lease is handed back (or runs out); the job is resumed later
        except EXPECTED as exc:  # the handler has recorded what failed; the job just ends
            if _maybe_a_bug(exc):
                request_id = getattr(exc.__cause__ or exc, "request_id", None) or "none"
                log.error("job %s (%s) stopped on what may be the wizard's own mistake (Okta request id %s): %s",
                          job_id, job.kind, request_id, clip(str(exc), 500), exc_info=exc)
            else:
                log.warning("job %s (%s) stopped: %s", job_id, job.kind, clip(str(exc), 500))
            state, error = JobState.failed, _kept_words(exc)
        except Exception as exc:  # a bug: the traceback is what finds it
            log.exception("job %s (%s) failed", job_id, job.kind)
            state, error = JobState.failed, _kept_words(exc)
        await beat.stop()
        async with self.db.session() as session:
            await session.execute(update(Job).where(Job.id == job_id, Job.lease_owner == self.owner)
                                  .values(state=state, error=error, finished_at=utcnow(), lease_expires_at=None))
            await touch(session, job.onboarding_id, activity=False)
        self._running.discard(job_id)

    async def claimable(self) -> list[uuid.UUID]:
        now = utcnow()
        async with self.db.sessions() as session:
            rows = await session.execute(
                select(Job.id).where(or_(Job.state == JobState.queued,
                                         (Job.state == JobState.running) & (Job.lease_expires_at < now))))
            return list(rows.scalars())

    async def supervise_once(self) -> int:
        ids = [i for i in await self.claimable() if i not in self._running]
        for job_id in ids:
            self.schedule(job_id)
        return len(ids)

    def start(self) -> None:
        self._stopping = False
        self._supervisor.start()

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Stop taking jobs; give the running ones ``grace_seconds`` (by default the runner's) to end
        on their own, then cancel the rest and wait until they have left their database sessions.
        A cancelled job's lease is handed back, so the next server to start resumes it."""
        self._stopping = True
        # The supervisor finishes its round (never cancelled inside a query) and takes no more.
        await self._supervisor.stop()
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        tasks = set(self._tasks)
        if tasks:
            log.info("server stopping: waiting up to %.1f s for %d running job(s) to end", grace, len(tasks))
            _ended, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                log.warning("server stopping: %s did not end within %.1f s; cancelled, it resumes from its last "
                            "checkpoint at the next start", self._describe(task), grace)
                task.cancel()
            if pending:
                # Cancelled, each job leaves its sessions (rolled back, its connection returned to
                # the pool) before the engine is disposed of; one that ignores the cancellation is named.
                _ended, stuck = await asyncio.wait(pending, timeout=max(grace, CANCEL_WAIT_SECONDS))
                for task in stuck:
                    log.error("server stopping: %s did not end when cancelled", self._describe(task))
            for task in tasks:  # (retrieved, an error is not reported again as never retrieved)
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.warning("server stopping: a job's task ended in an error", exc_info=task.exception())
        # A clean stop hands its jobs back at once instead of letting the leases run out.
        with contextlib.suppress(Exception):
            async with self.db.session() as session:
                await session.execute(update(Job).where(Job.lease_owner == self.owner, Job.state == JobState.running)
                                      .values(lease_expires_at=utcnow()))

    @property
    def busy(self) -> bool:
        """Whether this process is running a job right now."""
        return bool(self._tasks)

    async def wait_idle(self, limit_seconds: float = 30.0) -> None:
        """Wait until this process runs no job (tests and the command line use it)."""
        deadline = asyncio.get_running_loop().time() + limit_seconds
        while self._tasks:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("jobs still running")
            await asyncio.sleep(0.01)
