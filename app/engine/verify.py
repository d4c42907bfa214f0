"""The verify and re-verify phase: the document's checklist evaluated against Okta (independent
checks together, shared reads made once), stored as one run with its results, drift against the
previous run, and the onboarding's status derived in the same transaction."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from app.audit import record
from app.common.moments import stamp
from app.engine.base import EngineBase
from app.engine.checks import CheckOutcome, check_registry
from app.engine.context import Context
from app.engine.jobs import JobHandle
from app.engine.runtime import Loaded, rendered_settings
from app.engine.scope import references
from app.okta.errors import OktaError, OktaForbidden, OktaUnauthorized
from app.playbooks.schema import EvidenceSpec
from app.store.models import CheckResult, VerificationRun
from app.store.repositories.onboardings import tokens_verified_elsewhere
from app.store.repositories.plans import confirmed_plans, settings_changed_names
from app.store.repositories.progress import add_run, latest_results
from app.store.repositories.state import get_onboarding, learn
from app.store.statuses import (
    CHECK_WORDS,
    COULD_NOT_CHECK,
    GOOD,
    NOT_ANSWERED,
    REFUSED_REMEDY,
    RUN_WORDS,
    CheckStatus,
    Outcome,
)


class VerifyPhase(EngineBase):
    async def verify(self, handle: JobHandle) -> uuid.UUID:
        actor = await self.job_actor(handle)
        loaded = await self._load(handle.onboarding_id)
        checks = [(step, spec) for step, spec in loaded.playbook.checks()
                  if loaded.scope.condition(step.when) and loaded.scope.condition(spec.when)]
        registry_ = check_registry()
        state = loaded.check_state()
        then = await self._settings_then(loaded)
        async with self.db.sessions() as session:
            state.tokens_elsewhere = await tokens_verified_elsewhere(session, loaded.onboarding.org_origin,
                                                                     loaded.onboarding.id)
        await handle.progress(action="verify", step="Checking against Okta", waiting=None)
        async with self.okta_for(loaded, actor, handle) as okta:
            ctx = self._context(okta, loaded, handle)

            async def evaluate(spec: Any) -> CheckOutcome:
                try:
                    outcome = await registry_[spec.kind](spec.key, spec.params).evaluate(ctx, state)
                    return await self._as_made(ctx, state, spec, outcome, then, loaded)
                except OktaError as exc:
                    if isinstance(exc, OktaUnauthorized):
                        raise  # the connection's, not the check's: the run stops, below
                    if exc.transient:
                        # Okta did not answer (a 5xx, a 429 past its wait, a timeout): nothing is found
                        # wrong, so nothing a person did reads as undone, and no drift is raised.
                        return CheckOutcome(CheckStatus.unchecked, f"{NOT_ANSWERED} {exc.message}",
                                            "Verify again in a few minutes.")
                    # Refused, not unanswered (a 403: the connection's credential may not read it): the
                    # watch alerts on it, since verifying again later reads the same refusal (review, M3).
                    return CheckOutcome.failed(f"{COULD_NOT_CHECK} {exc.message}", REFUSED_REMEDY
                                               if isinstance(exc, OktaForbidden) else "Verify again later.")

            # Independent checks run together; reads they share are made once (the phase cache).
            # Okta not accepting the connection's credential (a token revoked, or expired after 30
            # days unused) stops the run, and the others' calls, before it is recorded: a run of
            # every check "failed" read as drift, "mend what changed in Okta", where nothing had
            # changed; the last run found stays current, and the job says what to do.
            tasks = [asyncio.ensure_future(evaluate(spec)) for _step, spec in checks]
            try:
                outcomes = await asyncio.gather(*tasks)  # the first failure as raised (a database's too)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await ctx.abandon()
                raise  # Okta's refusal of the credential marks the connection (`guarded`)
        async with self.db.session() as session:
            _previous, previous_results = await latest_results(session, handle.onboarding_id)
            # What each check last found when Okta answered: a run it did not answer says nothing, so
            # a failure after it is still drift from the run before (it read as no drift).
            before = {key: _answered(row) for key, row in previous_results.items()}
            run = VerificationRun(id=uuid.uuid4(), onboarding_id=handle.onboarding_id, kind=handle.kind,
                                  started_by_id=handle.started_by_id)
            results: list[CheckResult] = []
            drift: list[dict[str, Any]] = []
            for (step, spec), outcome in zip(checks, outcomes, strict=True):
                if outcome.status == CheckStatus.unchecked and before.get(spec.key):
                    outcome.evidence = {**outcome.evidence, ANSWERED_BEFORE: before[spec.key]}
                results.append(CheckResult(run_id=run.id, onboarding_id=handle.onboarding_id, step_key=step.key,
                                           check_key=spec.key, status=outcome.status, found=outcome.found[:4000],
                                           remedy=outcome.remedy, evidence=_jsonable(outcome.evidence)))
                if before.get(spec.key) in GOOD and outcome.status == CheckStatus.failed \
                        and not outcome.evidence.get(SETTINGS_CHANGED):
                    drift.append({"check": spec.key, "label": spec.label, "step": step.title, "found": outcome.found,
                                  "remedy": outcome.remedy})
            # What checks learned for later runs (a smoke test's result, say, once its secret is gone).
            learned = {key: value for o in outcomes for key, value in o.facts.items()}
            if learned:
                await learn(session, await get_onboarding(session, handle.onboarding_id), _jsonable(learned))
            # Accepted on a person's word though Okta fails it: done, but counted apart from the passes.
            run.passed = sum(1 for o in outcomes if o.status in (CheckStatus.passed, CheckStatus.attested))
            run.accepted = sum(1 for o in outcomes if o.status == CheckStatus.accepted)
            run.failed = sum(1 for o in outcomes if o.status == CheckStatus.failed)
            run.needs_attestation = sum(1 for o in outcomes if o.status == CheckStatus.needs_attestation)
            run.waiting = sum(1 for o in outcomes if o.status == CheckStatus.waiting)
            run.unchecked = sum(1 for o in outcomes if o.status == CheckStatus.unchecked)
            run.drift = drift
            await add_run(session, run, results)
            await record(session, action=handle.kind, actor=actor, onboarding_id=handle.onboarding_id,
                         outcome=Outcome.ok if not run.failed else Outcome.failed, subject_type="verification",
                         subject_id=str(run.id),
                         # In the order the page's checklist line gives them.
                         summary=f"{RUN_WORDS.get(handle.kind, 'Verified')}: {run.passed} passed, "
                                 + (f"{run.accepted} {CHECK_WORDS[CheckStatus.accepted]}, " if run.accepted else "")
                                 + f"{run.failed} failed, " + (f"{run.waiting} waiting, " if run.waiting else "")
                                 + f"{run.needs_attestation} to attest"
                                 + (f", {run.unchecked} unanswered" if run.unchecked else "")
                                 + (f"; drift in {len(drift)}" if drift else ""),
                         details={"drift": [d["check"] for d in drift]})
            # The onboarding's status follows from this run: written in the same transaction.
            await session.flush()
            await self._refresh_status(session, handle.onboarding_id)
        return run.id


    async def _settings_then(self, loaded: Loaded) -> dict[str, Any]:
        """The vendor settings the confirmed plans were made with that differ from today's, rendered
        (the newest plan that kept each wins): what Okta was made to, where an administrator changed
        the setting since."""
        async with self.db.sessions() as session:
            plans = await confirmed_plans(session, loaded.onboarding.id)
        kept: dict[str, Any] = {}
        for plan in plans:
            kept.update(plan.settings or {})
        return rendered_settings(loaded.scope, {name: kept[name]
                                                for name in settings_changed_names(kept, loaded.settings_kept)})

    async def _as_made(self, ctx: Context, state: Any, spec: Any, outcome: CheckOutcome, then: dict[str, Any],
                       loaded: Loaded) -> CheckOutcome:
        """A check that fails against a setting changed since the plan was confirmed, and passes
        against the value it was made with, says so: Okta is as it was made, nothing drifted there
        (it read as drift, with "restore the permissions in Okta": QA walk 7, M1)."""
        names = sorted({name for namespace, name in references(spec.params) if namespace == "setting"} & set(then))
        if outcome.status != CheckStatus.failed or not names:
            return outcome
        scope = replace(ctx.scope, settings={**ctx.scope.settings, **{name: then[name] for name in names}})
        made = await check_registry()[spec.kind](spec.key, spec.params).evaluate(replace(ctx, scope=scope), state)
        if made.status != CheckStatus.passed:
            return outcome
        labels = " and ".join(f"“{loaded.playbook.settings[name].label}”" for name in names)
        found = (outcome.found or "").rstrip(".")  # a finding's own full stop, then the sentence
        return CheckOutcome.failed(
            f"{found}. Okta is as the onboarding made it: {labels} changed in Settings since",
            f"Set {labels} back in Settings, or change Okta to match the new value; then re-verify.",
            **{**outcome.evidence, SETTINGS_CHANGED: names,
               # Not the check's own words (they say Okta drifted): Okta is as made, the setting moved.
               "problem": f"{labels} changed in Settings since the onboarding set Okta up: Okta is as it was "
                          "made, not as the setting now says"})

    async def token_grants(self, handle: JobHandle, spec: EvidenceSpec, since: datetime) -> dict[str, Any]:
        """Evidence that the vendor's OAuth client got tokens since ``since``: the newest matching
        System Log event (one call), as the watch records it."""
        loaded = await self._load(handle.onboarding_id)
        client_id = str(loaded.scope.render(spec.client_id))
        types = loaded.scope.render(spec.event_types)
        types = [types] if isinstance(types, str) else [str(t) for t in types]
        events = " or ".join(f'eventType eq "{t}"' for t in types)
        query = f'({events}) and actor.id eq "{client_id}"'
        async with self.okta_for(loaded, await self.job_actor(handle), handle) as okta:
            event = await okta.logs.first(since=since, filter=query)
        looked = f"System Log events {', '.join(types)} for the client {client_id} since {stamp(since)}"
        if event is None:
            return {"state": "not_yet", "looked_for": looked}
        return {"state": "found", "looked_for": looked, "event_type": event.eventType, "at": event.published}


SETTINGS_CHANGED = "settings_changed"  # a failure explained by a setting changed since: not drift
ANSWERED_BEFORE = "answered_before"  # kept on an unchecked result: the status the run before it found


def _answered(row: CheckResult) -> str | None:
    if row.status == CheckStatus.unchecked:
        return (row.evidence or {}).get(ANSWERED_BEFORE)
    return row.status


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
