"""What every phase of the engine shares: the onboarding loaded with its playbook, an Okta client
with the stored credential (every call audited, rate-limit waits shown on the job's progress), the
phase's context for actions and checks, the status derived after a change, and the job handler
that records why a run stopped. The phases build on it: plan and apply (`engine.py`), verify
(`verify.py`) and undo (`undo.py`)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.clock import Clock
from app.common.moments import stamp
from app.common.text import clip, counted
from app.engine.actions import Action, registry
from app.engine.context import Context
from app.engine.jobs import DATABASE_ERROR, JobHandle, JobStopped, database_failed
from app.engine.requirements import Stale
from app.engine.runtime import Loaded, load
from app.engine.status import derive_status
from app.okta.calllog import RateLimitWait
from app.okta.client import OktaClient
from app.okta.errors import OktaUnauthorized
from app.okta.gateway import OktaGateway
from app.okta.ratelimit import BACKGROUND, INTERACTIVE
from app.playbooks.loader import PlaybookLibrary
from app.playbooks.schema import ActionSpec, StepSpec
from app.store.base import utcnow
from app.store.db import Database
from app.store.models import Onboarding
from app.store.repositories.onboardings import open_of_vendor
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.plans import newest_plan
from app.store.repositories.progress import destroy_kept_secrets, latest_run, read_kept_secret
from app.store.repositories.state import mark_refused, set_status
from app.store.statuses import FINISHED, OnboardingStatus, Outcome
from app.vault import Secret, Vault

log = logging.getLogger("onboard.engine")
# The trail's record of each time an onboarding became Completed (the report reads the latest).
COMPLETED = "onboarding_complete"


class EngineError(JobStopped):
    """A phase cannot run; the message says why (no confirmed plan, for instance)."""


@dataclass
class EngineBase:
    db: Database
    vault: Vault
    library: PlaybookLibrary
    gateway: OktaGateway
    clock: Clock

    # -- shared plumbing ---------------------------------------------------------------------

    async def _load(self, onboarding_id: uuid.UUID) -> Loaded:
        async with self.db.sessions() as session:
            return await load(session, self.library, onboarding_id)

    def okta_for(self, loaded: Loaded, actor: Actor, handle: JobHandle | None = None) -> OktaClient:
        """An Okta client on the onboarding's stored connection: a job's (``handle``) waits out the
        rate limit; without one a person waits on the request (the plan, a button), and it fails
        within seconds instead."""
        org = self.gateway.stored_org(loaded.connection, loaded.custom_domains)
        credential = self.gateway.stored_credential(loaded.connection)

        async def on_event(wait: RateLimitWait) -> None:
            if handle is not None:
                await handle.progress(waiting=wait.message, waiting_until=wait.until)

        # No job: a person waits on the request (Make the plan), so Okta's rate limit or silence fails
        # it within seconds instead of holding the page (QA walk 5, M2).
        return self.gateway.client(org, credential, actor=actor, onboarding_id=loaded.onboarding.id,
                                   on_event=on_event, patience=BACKGROUND if handle is not None else INTERACTIVE)

    def _context(self, okta: OktaClient, loaded: Loaded, handle: JobHandle | None = None) -> Context:
        ctx = Context(okta=okta, scope=loaded.scope, clock=self.clock, token_place=loaded.playbook.token_place or "",
                      records={key: loaded.record(key) for key in loaded.records})
        onboarding_id = loaded.onboarding.id

        async def read_secret(purpose: str) -> Secret | None:
            return await self.kept_secret(onboarding_id, purpose)

        ctx.read_secret = read_secret
        if handle is not None:
            async def progress(message: str, *, done: int | None = None, total: int | None = None) -> None:
                await handle.progress(detail=message, done=done, total=total)

            ctx.progress = progress
        return ctx

    async def kept_secret(self, onboarding_id: uuid.UUID, purpose: str) -> Secret | None:
        """A secret the onboarding still keeps, for a check that needs it (never shown)."""
        async with self.db.sessions() as session:
            return await read_kept_secret(session, self.vault, onboarding_id, purpose)

    @staticmethod
    def _active_actions(loaded: Loaded) -> list[tuple[StepSpec, ActionSpec]]:
        scope = loaded.scope
        return [(step, spec) for step, spec in loaded.playbook.actions()
                if scope.condition(step.when) and scope.condition(spec.when)]

    @staticmethod
    def _instance(spec: ActionSpec) -> Action:
        return registry()[spec.kind](spec.params)

    async def _set_status(self, onboarding_id: uuid.UUID, status: OnboardingStatus, note: str | None = None) -> None:
        async with self.db.session() as session:
            await set_status(session, onboarding_id, status, note=note)

    async def refresh_status(self, onboarding_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            await self._refresh_status(session, onboarding_id)

    async def _refresh_status(self, session: AsyncSession, onboarding_id: uuid.UUID,
                              loaded: Loaded | None = None) -> None:
        """The status derived again and kept (``loaded``: the onboarding as this session just read it)."""
        loaded = loaded or await load(session, self.library, onboarding_id)
        last_run = await latest_run(session, onboarding_id)
        status, waiting_for, note = derive_status(loaded, last_run, self.clock.now(),
                                                  await newest_plan(session, onboarding_id))
        onboarding = loaded.onboarding
        if onboarding.status in FINISHED:
            return
        completing = status == OnboardingStatus.completed and onboarding.completed_at is None
        was, first_completed = onboarding.status, onboarding.completed_at
        await set_status(session, onboarding.id, status, waiting_for=waiting_for, note=note)
        if status == OnboardingStatus.completed and was != OnboardingStatus.completed:
            # Each completion is on record, the first and any later one (after an attestation withdrawn
            # and given again, a re-verification, a restore): the row keeps only the first, and the
            # audit report showed it as the onboarding's completion long after it was completed again.
            again = "" if first_completed is None else f" again (first completed {stamp(first_completed)})"
            await record(session, action=COMPLETED, actor=Actor.system(), onboarding_id=onboarding.id,
                         subject_type="onboarding", subject_id=str(onboarding.id),
                         summary=f"Onboarding completed{again}." + (f" {note}" if note else ""),
                         details={"first_completed_at": first_completed.isoformat() if first_completed else None})
        if completing:
            # Every step is done, so is every value kept for one (the activation link): only one
            # a check reads again when it is re-verified (a smoke test's client secret) stays.
            needed = {name for _step, check in loaded.playbook.checks() for name in check.names()}
            destroyed = await destroy_kept_secrets(session, self.vault, onboarding.id,
                                                   lambda secret: secret.purpose not in needed)
            if destroyed:
                await record(session, action="secrets_destroyed", actor=Actor.system("engine"),
                             onboarding_id=onboarding.id, subject_type="onboarding", subject_id=str(onboarding.id),
                             summary=f"Onboarding completed: {counted(destroyed, 'kept value')} destroyed")

    async def settings_changed(self, vendor: str) -> int:
        """After an administrator changed a vendor's settings, each of its onboardings with actions
        still to apply says again what it waits for (a plan made with the old settings is made
        again); how many must make their plan again."""
        async with self.db.sessions() as session:
            ids = await open_of_vendor(session, vendor)
        outdated = 0
        for onboarding_id in ids:
            try:
                async with self.db.session() as session:
                    loaded = await load(session, self.library, onboarding_id)
                    plan = await newest_plan(session, onboarding_id)
                    if plan is not None and loaded.plan_stale(plan) == Stale.settings:
                        outdated += 1
                    await self._refresh_status(session, onboarding_id, loaded)
            except Exception:  # the settings are saved: one onboarding that cannot be read stops no other
                log.exception("status of onboarding %s not refreshed after a settings change", onboarding_id)
        return outdated

    def guarded(self, run: Any) -> Any:
        """A job handler that, when a run stops for a reason the phase did not record itself (the
        vault cannot open the credential, Okta is unreachable before the first action...), marks
        the onboarding blocked with that reason, so the page says why instead of spinning."""

        async def handler(handle: JobHandle) -> None:
            began = utcnow()
            try:
                await run(handle)
            except EngineError:
                raise
            except Exception as exc:
                if database_failed(exc):
                    # Not the driver's text: it quotes the statement and its values (a finding, an address)
                    # in a status line anyone signed in reads; the server's log has it (review).
                    log.error("%s run of onboarding %s stopped on a database error", handle.kind,
                              handle.onboarding_id, exc_info=exc)
                    message = DATABASE_ERROR
                else:
                    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                note = clip(f"The {handle.kind} run stopped: {message}", 500)
                if isinstance(exc, OktaUnauthorized):
                    await self.mark_refused(handle.onboarding_id, began)
                await self._set_status(handle.onboarding_id, OnboardingStatus.blocked, note)
                async with self.db.session() as session:
                    await record(session, action=handle.kind, outcome=Outcome.failed,
                                 actor=await self.job_actor(handle),
                                 onboarding_id=handle.onboarding_id, subject_type="job",
                                 subject_id=str(handle.job_id), summary=note)
                raise

        return handler

    async def mark_refused(self, onboarding_id: uuid.UUID, asked_at: datetime) -> None:
        """Okta did not accept the credential of the onboarding's connection, asked from ``asked_at``
        on: its pages say so and ask for a new token or another connection (``REFUSED_AT``)."""
        async with self.db.session() as session:
            onboarding = await session.get(Onboarding, onboarding_id)
            if onboarding is not None and onboarding.connection_id is not None:
                await mark_refused(session, onboarding.connection_id, asked_at)

    async def job_actor(self, handle: JobHandle) -> Actor:
        if handle.started_by_id is None:  # started by the server itself: the watch, or a job resumed
            return Actor.system("watch" if handle.kind == "watch" else "job")
        async with self.db.sessions() as session:
            operator = await OperatorRepository(session).get(handle.started_by_id)
        name = operator.username if operator else "unknown"
        return Actor(handle.started_by_id, name)

