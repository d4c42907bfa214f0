"""An onboarding's progress rows that several parts of the wizard read: its latest verification
run with the results, its attestations, newest job and handoffs, and the secrets it keeps (a
client secret for the operator to paste, a token a smoke test needs) until the step that uses
them is attested, the onboarding is undone or closed.

The page, the report, the engine's status and its drift comparison all mean the same thing by
"the latest run", and every secret an onboarding keeps is destroyed the same way (the sealed value
erased, the row marked): written once here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.base import utcnow
from app.store.models import Attestation, CheckResult, Handoff, Job, OnboardingSecret, VerificationRun
from app.store.repositories.secrets import SecretRepository, onboarding_owner
from app.store.statuses import ACTIVE_JOBS
from app.vault import Secret, Vault


async def latest_run(session: AsyncSession, onboarding_id: uuid.UUID) -> VerificationRun | None:
    """The onboarding's most recent verification run, if it was ever verified."""
    found: VerificationRun | None = (await session.execute(
        select(VerificationRun).where(VerificationRun.onboarding_id == onboarding_id)
        .order_by(VerificationRun.finished_at.desc()).limit(1))).scalar_one_or_none()
    return found


async def add_run(session: AsyncSession, run: VerificationRun, results: list[CheckResult]) -> None:
    """Keep a verification run and the result of each of its checks."""
    session.add(run)
    await session.flush()  # the results refer to it
    session.add_all(results)


async def runs_of_kind(session: AsyncSession, onboarding_id: uuid.UUID, kind: str) -> int:
    """How many runs of `kind` (the watch's, say) the onboarding has had."""
    return int((await session.execute(select(func.count()).select_from(VerificationRun).where(
        VerificationRun.onboarding_id == onboarding_id, VerificationRun.kind == kind))).scalar_one())


async def add_attestation(session: AsyncSession, attestation: Attestation) -> None:
    """Keep what a named person attested."""
    session.add(attestation)


async def withdraw_attestation(session: AsyncSession, attestation: Attestation) -> None:
    """An attestation no longer true of what the page shows (a value pasted in the vendor's console
    changed since): kept for the record, no longer counted. With it any other live one of the same
    check: two presses at once recorded it twice before they were serialised, and withdrawing the
    one the page showed left the other counted (review of the thirtieth session)."""
    attestation.withdrawn_at = utcnow()
    await session.execute(update(Attestation).where(
        Attestation.onboarding_id == attestation.onboarding_id, Attestation.check_key == attestation.check_key,
        Attestation.withdrawn_at.is_(None), Attestation.id != attestation.id
    ).values(withdrawn_at=attestation.withdrawn_at))


async def add_handoff(session: AsyncSession, handoff: Handoff) -> None:
    """Keep a handoff and its note (the onboarding's assignee is changed with `state.assign`)."""
    session.add(handoff)


async def latest_results(session: AsyncSession, onboarding_id: uuid.UUID
                         ) -> tuple[VerificationRun | None, dict[str, CheckResult]]:
    """The latest run and its results by check key (empty before the first run)."""
    run = await latest_run(session, onboarding_id)
    if run is None:
        return None, {}
    rows = (await session.execute(select(CheckResult).where(CheckResult.run_id == run.id))).scalars()
    return run, {row.check_key: row for row in rows}


async def live_attestations(session: AsyncSession, onboarding_id: uuid.UUID) -> dict[str, Attestation]:
    """The attestations not withdrawn, by check key, oldest first."""
    return {row.check_key: row for row in (await session.execute(
        select(Attestation).where(Attestation.onboarding_id == onboarding_id, Attestation.withdrawn_at.is_(None))
        .order_by(Attestation.attested_at))).scalars()}


async def kept_secret_row(session: AsyncSession, onboarding_id: uuid.UUID, purpose: str) -> OnboardingSecret | None:
    """The row of the secret kept for `purpose` (destroyed or not), if one was ever kept."""
    found: OnboardingSecret | None = (await session.execute(select(OnboardingSecret).where(
        OnboardingSecret.onboarding_id == onboarding_id, OnboardingSecret.purpose == purpose))).scalar_one_or_none()
    return found


async def keep_secret(session: AsyncSession, vault: Vault, onboarding_id: uuid.UUID, *, purpose: str, label: str,
                      value: Secret, destroy_on: str | None) -> None:
    """Seal a secret an action made (a client secret the operator pastes in the vendor's console),
    kept for `purpose` until `destroy_on`; a second one for the same purpose replaces the first."""
    repo = SecretRepository(session, vault)
    existing = await kept_secret_row(session, onboarding_id, purpose)
    if existing is not None:
        await repo.replace(existing.secret_id, value, purpose=f"onboarding:{purpose}",
                           owner=onboarding_owner(onboarding_id))
        existing.destroyed_at = None
        existing.label = label
        return
    secret_id = await repo.store(f"onboarding:{purpose}", value, owner=onboarding_owner(onboarding_id))
    session.add(OnboardingSecret(onboarding_id=onboarding_id, purpose=purpose, label=label, secret_id=secret_id,
                                 destroy_on=destroy_on))


async def read_kept_secret(session: AsyncSession, vault: Vault, onboarding_id: uuid.UUID,
                           purpose: str) -> Secret | None:
    """The value of a secret the onboarding still keeps, for a check that needs it (never shown)."""
    row = await kept_secret_row(session, onboarding_id, purpose)
    if row is None or row.destroyed_at is not None:
        return None
    return await SecretRepository(session, vault).read(
        row.secret_id, purpose=f"onboarding:{purpose}", owner=onboarding_owner(onboarding_id))


async def live_kept_secrets(session: AsyncSession, onboarding_id: uuid.UUID) -> list[OnboardingSecret]:
    """The onboarding's kept secrets not destroyed yet."""
    return list((await session.execute(select(OnboardingSecret).where(
        OnboardingSecret.onboarding_id == onboarding_id, OnboardingSecret.destroyed_at.is_(None)))).scalars())


async def destroy_kept_secrets(session: AsyncSession, vault: Vault, onboarding_id: uuid.UUID,
                               which: Callable[[OnboardingSecret], bool] = lambda _secret: True) -> int:
    """Destroy the onboarding's live secrets that `which` selects (all of them by default): the
    sealed value is erased and the row says when. Returns how many were destroyed."""
    repo = SecretRepository(session, vault)
    destroyed = 0
    for secret in await live_kept_secrets(session, onboarding_id):
        if not which(secret):
            continue
        await repo.destroy(secret.secret_id, purpose=f"onboarding:{secret.purpose}",
                           owner=onboarding_owner(onboarding_id))
        secret.destroyed_at = utcnow()
        destroyed += 1
    return destroyed


async def kept_secret_rows(session: AsyncSession, onboarding_id: uuid.UUID) -> list[OnboardingSecret]:
    """Every secret the onboarding kept, destroyed or not, oldest first (the page lists them)."""
    return list((await session.execute(select(OnboardingSecret).where(
        OnboardingSecret.onboarding_id == onboarding_id).order_by(OnboardingSecret.created_at))).scalars())


async def latest_job(session: AsyncSession, onboarding_id: uuid.UUID) -> Job | None:
    """The onboarding's newest job (running or not), if it ever had one."""
    found: Job | None = (await session.execute(select(Job).where(Job.onboarding_id == onboarding_id)
                                               .order_by(Job.created_at.desc()).limit(1))).scalar_one_or_none()
    return found


async def active_job(session: AsyncSession, onboarding_id: uuid.UUID) -> Job | None:
    """The job queued or running for the onboarding, if it has one."""
    return (await running_jobs_of(session, [onboarding_id])).get(onboarding_id)


async def running_jobs_of(session: AsyncSession, onboarding_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Job]:
    """The job queued or running for each of ``onboarding_ids`` that has one (at most one each)."""
    jobs = (await session.execute(select(Job).where(Job.onboarding_id.in_(onboarding_ids),
                                                    Job.state.in_(ACTIVE_JOBS)))).scalars()
    return {job.onboarding_id: job for job in jobs}


async def handoffs_of(session: AsyncSession, onboarding_id: uuid.UUID) -> list[Handoff]:
    """The onboarding's handoffs, oldest first."""
    return list((await session.execute(select(Handoff).where(Handoff.onboarding_id == onboarding_id)
                                       .order_by(Handoff.created_at))).scalars())


async def handed_to_the_queue(session: AsyncSession, onboarding_ids: list[uuid.UUID]) -> dict[uuid.UUID, Handoff]:
    """Of these onboardings, those whose latest handoff was to the help-desk queue: that handoff."""
    if not onboarding_ids:
        return {}
    latest: dict[uuid.UUID, Handoff] = {}
    for handoff in (await session.execute(select(Handoff).where(Handoff.onboarding_id.in_(onboarding_ids))
                                          .order_by(Handoff.created_at))).scalars():
        latest[handoff.onboarding_id] = handoff
    return {key: handoff for key, handoff in latest.items() if handoff.to_operator_id is None}


async def latest_handoff(session: AsyncSession, onboarding_id: uuid.UUID) -> Handoff | None:
    found: Handoff | None = (await session.execute(select(Handoff).where(Handoff.onboarding_id == onboarding_id)
                                                   .order_by(Handoff.created_at.desc()).limit(1))).scalar_one_or_none()
    return found
