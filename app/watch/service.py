"""The watch's schedule and its part in every run of the checklist.

Every server looks, each ``watch_tick_seconds``, for completed onboardings whose next run is due,
and queues a ``watch`` run for each through the job runner. The claim is one compare-and-set
UPDATE of ``onboardings.watch_next_at`` in the same transaction as the job's insert, so with any
number of servers exactly one queues the period's run; an onboarding busy with another run (an
operator's Apply, say) gives the claim back and is tried at the next tick.

After every run of the checklist on a completed onboarding (the watch's, or an operator's
Re-verify) the findings are reconciled with its alerts.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.clock import Clock
from app.common.ticker import Ticker
from app.engine.checks.library import new_token
from app.engine.jobs import JobBusy, JobHandle, JobRunner
from app.okta.errors import OktaError
from app.playbooks.loader import PlaybookLibrary
from app.playbooks.schema import CheckSpec, EvidenceSpec, Playbook
from app.settings import Settings
from app.store.db import Database
from app.store.models import CheckResult, Onboarding
from app.store.repositories.progress import latest_results
from app.store.repositories.state import find_onboarding, get_onboarding, learn, touch

# The facts the watch keeps, and whether the vendor's first call is awaited, are defined with the
# list's filter on them, so the two cannot disagree.
from app.store.repositories.watch import (
    FIRST_CALL_SEEN,
    VENDOR_EVIDENCE,
    WATCH_STARTED,
    claim_due_run,
    is_watched,
    retired_connections,
    start_watching,
    waiting_for_first_call,
    watched_onboardings,
)
from app.watch.alerts import reconcile
from app.watch.findings import (
    CONTINUES,
    REFUSED_KEY,
    Finding,
    credential_finding,
    findings,
    refused,
    superseded,
    token_lost,
    token_step,
    token_use,
    token_vouched,
    unreadable,
)
from app.watch.notify import Notifier, enqueue

log = logging.getLogger("onboard.watch")

# Reads, from Okta, the evidence a playbook names (the engine's token_grants).
EvidenceReader = Callable[[JobHandle, EvidenceSpec, datetime], Awaitable[dict[str, Any]]]

WATCH_JOB = "watch"
ACTOR = Actor.system("watch")


class Watch:
    def __init__(self, db: Database, jobs: JobRunner, library: PlaybookLibrary, clock: Clock,
                 settings: Settings, notifier: Notifier) -> None:
        self.db, self.jobs, self.library, self.clock, self.settings = db, jobs, library, clock, settings
        self.notifier = notifier
        # The first look a tick after the start: a server that starts has other things to do first.
        self._loop = Ticker(self.round, settings.watch_tick_seconds, name="watch", run_first=False)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    def period(self, onboarding: Onboarding) -> timedelta:
        every = onboarding.watch_every_hours or self.settings.watch_every_hours
        facts = onboarding.facts or {}
        # Where the vendor's use shows only in the playbook's evidence (Authomize's and Drata's
        # OAuth clients), nothing is awaited in the facts until a run has looked there: the first
        # look, and the one after it, came a day apart instead of hourly (QA walk 24, M1).
        unlooked = VENDOR_EVIDENCE not in facts and not facts.get(FIRST_CALL_SEEN) \
            and onboarding.vendor in self.library and self.library.get(onboarding.vendor).evidence is not None
        if unlooked or waiting_for_first_call(facts):
            # Waiting for the vendor's first call: look more often, until it is seen.
            every = min(every, self.settings.watch_first_call_hours)
        return timedelta(hours=every)

    async def tick(self) -> list[uuid.UUID]:
        """Queue the runs that are due; returns the onboardings this server queued a run for."""
        now = self.now()
        async with self.db.sessions() as session:
            rows = await watched_onboardings(session)
            stopped = await retired_connections(session)
        queued: list[uuid.UUID] = []
        per_org: dict[str, int] = {}
        for onboarding in rows:
            if onboarding.connection_id in stopped:
                continue  # nothing can be read with a destroyed credential: its page asks for another connection
            period = self.period(onboarding)
            if onboarding.watch_next_at is None:
                await self._first_seen(onboarding.id, now + period)
                continue
            if onboarding.watch_next_at > now:
                continue
            # Okta's rate limits are the org's, shared with its other integrations: a few runs per
            # org each tick; the rest stay due and go at the next ticks.
            if per_org.get(onboarding.org_origin, 0) >= self.settings.watch_runs_per_org_per_tick:
                continue

            async def claim(session: AsyncSession, oid: uuid.UUID = onboarding.id,
                            then: datetime = now + period) -> bool:
                return await claim_due_run(session, oid, now, then)

            try:
                if await self.jobs.submit(onboarding.id, WATCH_JOB, None, claim=claim) is not None:
                    queued.append(onboarding.id)
                    per_org[onboarding.org_origin] = per_org.get(onboarding.org_origin, 0) + 1
            except JobBusy:
                log.info("onboarding %s is busy with another run; the watch tries again at the next tick",
                         onboarding.id)
        return queued

    async def _first_seen(self, onboarding_id: uuid.UUID, first: datetime) -> None:
        # A period after the watch first sees it (it was just verified when it completed).
        async with self.db.session() as session:
            await start_watching(session, onboarding_id, first)
            row = await find_onboarding(session, onboarding_id)
            if row is not None and not (row.facts or {}).get(WATCH_STARTED):
                # Evidence of the vendor counts from here: the wizard's own calls came before.
                await learn(session, row, {WATCH_STARTED: self.now().isoformat()})
            else:
                await touch(session, onboarding_id, activity=False)  # its page says when the watch looks next

    async def after_run(self, onboarding_id: uuid.UUID, *, error: str | None = None, actor: Actor = ACTOR) -> None:
        """Reconcile the alerts of a completed onboarding with its latest run (or the run's failure),
        in the trail as ``actor``'s (the watch's own run, or a person's Re-verify)."""
        now = self.now()
        async with self.db.session() as session:
            onboarding = await find_onboarding(session, onboarding_id)
            if onboarding is None or not is_watched(onboarding):
                return
            playbook = self.library.get(onboarding.vendor)
            if error is not None:
                # Nothing was checked: the other alerts stay as they were.
                raised, cleared = await reconcile(session, onboarding_id, [credential_finding(error)], now, ACTOR,
                                                  looked_at=frozenset({"credential"}))
            else:
                _run, results = await latest_results(session, onboarding_id)
                specs = {check.key: check for _step, check in playbook.checks()}
                kinds = {key: check.kind for key, check in specs.items()}
                found = findings(results, {k: c.label for k, c in specs.items()}, kinds, onboarding.facts or {}, now,
                                 expiry_days=self.settings.watch_token_expiry_days,
                                 unused_days=self.settings.watch_token_unused_days,
                                 lost_token=new_token(playbook.token_place or ""),
                                 token_step=_token_step(playbook, results, kinds))
                spoken_for, by = superseded(results, kinds)
                raised, cleared = await reconcile(session, onboarding_id, found, now, actor,
                                                  looked_at=_looked_at(results, specs, found),
                                                  superseded=spoken_for, by=by)
                use = token_use(results, kinds, onboarding.facts or {})
                if use is not None and use.used_since_paste and waiting_for_first_call(onboarding.facts or {}):
                    # The vendor's first call is seen: from now on the watch looks at its usual pace.
                    await learn(session, onboarding, {FIRST_CALL_SEEN: now.isoformat()})
            # The notifications go in the same transaction: a restart now loses none of them.
            for alert in raised:  # one carrying another on: told as its update to those told of that one
                await enqueue(session, alert, "continued" if CONTINUES in alert.details else "raised",
                              onboarding, playbook.name, now,
                              public_url=self.settings.resolved_public_url)
            for alert in cleared:
                await enqueue(session, alert, "cleared", onboarding, playbook.name, now,
                              public_url=self.settings.resolved_public_url)

    async def vendor_evidence(self, handle: JobHandle, read: EvidenceReader) -> None:
        """For a playbook that names where the vendor's use shows (an OAuth client's token
        grants), look there once per watch run and record what was found on the onboarding."""
        async with self.db.sessions() as session:
            onboarding = await find_onboarding(session, handle.onboarding_id)
        if onboarding is None or not is_watched(onboarding):
            return
        spec = self.library.get(onboarding.vendor).evidence
        started = (onboarding.facts or {}).get(WATCH_STARTED)
        if spec is None or not started:
            return
        try:
            found = await read(handle, spec, datetime.fromisoformat(started))
        except OktaError as exc:
            before = (onboarding.facts or {}).get(VENDOR_EVIDENCE) or {}
            # What an earlier look found stands (a 429 or a 5xx this time): "could not look" made it
            # no longer awaited, looked at daily, not hourly, and off both "waiting" lists (review, L1).
            found = {**before, "unread": exc.message} if before.get("state") in ("not_yet", "found") else \
                {"state": "cannot_tell", "looked_for": f"the System Log could not be read: {exc.message}"}
        found["checked_at"] = self.now().isoformat()
        async with self.db.session() as session:
            row = await get_onboarding(session, handle.onboarding_id)
            facts: dict[str, Any] = {VENDOR_EVIDENCE: found}
            if found["state"] == "found" and not (row.facts or {}).get(FIRST_CALL_SEEN):
                facts[FIRST_CALL_SEEN] = found["checked_at"]
            await learn(session, row, facts)

    # The loop each server runs (started and stopped with the application).
    async def round(self) -> None:
        """One look: queue the runs that are due, then send the notifications that are due."""
        try:
            await self.tick()
        finally:
            await self.notifier.deliver_due(lambda: self._loop.stopping)

    def start(self) -> None:
        if self.settings.watch_tick_seconds > 0:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()


def _token_step(playbook: Playbook, results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> str:
    """Where a new token goes, when this run found the token lost ("" otherwise)."""
    lost = token_lost(results, kinds)
    return token_step(playbook, lost.check) if lost is not None else ""


def _looked_at(results: Mapping[str, CheckResult], specs: Mapping[str, CheckSpec],
               found: Sequence[Finding]) -> frozenset[str] | None:
    """The alert keys this run can vouch for: a check Okta could not be asked about this time
    neither raises nor clears its alert, and the token's expiry and unused alerts clear only on a
    run whose token check passed (None: every key)."""
    unknown = unreadable(results)
    kinds = {key: spec.kind for key, spec in specs.items()}
    vouched = token_vouched(results, kinds)
    if not unknown and vouched:
        return None
    if any(finding.key == "credential" for finding in found):
        return frozenset({"credential"})
    # A refused check's own alert clears once Okta answers it (not on a run that left it unanswered).
    answered = {key for key in results if key not in unknown} | refused(results)
    keys = {f"check:{key}" for key in results if key not in unknown} | {"credential"} | \
        {f"{REFUSED_KEY}{key}" for key in answered}
    if vouched:
        keys |= {"token_expiry", "token_unused"}
    return frozenset(keys)


async def set_period(session: AsyncSession, onboarding: Onboarding, hours: int | None, actor: Actor) -> None:
    """An onboarding's own watch period (None: the server's); the next run is set afresh from it."""
    # The next look sets the next run a period from then.
    await touch(session, onboarding.id, watch_every_hours=hours, watch_next_at=None)
    await record(session, action="watch_period", actor=actor, onboarding_id=onboarding.id,
                 subject_type="onboarding", subject_id=str(onboarding.id),
                 summary=f"Watch period set to every {hours} hours" if hours else "Watch period set to the default")
