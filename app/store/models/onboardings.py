"""Onboardings and their progress: per-action checkpoints, jobs, plans, verification results,
attestations. Everything here survives a restart; a colleague resumes from it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.base import Base, MaskedString, MaskedText, Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow
from app.store.statuses import ActionState, JobState, OnboardingStatus


class OnboardingChild:
    """A row that belongs to one onboarding and is deleted with it."""

    onboarding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboardings.id", ondelete="CASCADE"),
                                                     nullable=False)


class Onboarding(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "onboardings"
    __table_args__ = (
        Index("ix_onboardings_status_activity", "status", "last_activity_at"),
        Index("ix_onboardings_assignee_activity", "assignee_id", "last_activity_at"),
        Index("ix_onboardings_vendor_activity", "vendor", "last_activity_at"),
    )

    vendor: Mapped[str] = mapped_column(String(64), nullable=False)
    playbook_version: Mapped[str] = mapped_column(String(64), nullable=False)
    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("okta_connections.id"), nullable=False)
    org_origin: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    # draft, in_progress, waiting, blocked, completed, undone, closed
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OnboardingStatus.draft)
    # service_token, vendor_console, timer, operator, or None
    waiting_for: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The sentence the page shows; a close's reason, as the person wrote it, is in it.
    status_note: Mapped[str | None] = mapped_column(MaskedString(500), nullable=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), nullable=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The watch (app/watch): when this completed onboarding is next re-verified, and how often
    # (hours; None: the server's default). One server claims each due run (compare-and-set).
    watch_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    watch_every_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Bumped on every change of progress, so a page can tell cheaply whether to refresh.
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class OnboardingAction(UUIDPrimaryKey, OnboardingChild, Base):
    """The checkpoint of one playbook action: what the wizard found or did in Okta."""

    __tablename__ = "onboarding_actions"
    __table_args__ = (UniqueConstraint("onboarding_id", "action_key"),)

    step_key: Mapped[str] = mapped_column(String(64), nullable=False)
    action_key: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # pending, applying (a write may be in flight), done, failed, undone
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=ActionState.pending)
    # created, adopted, unchanged, changed, removed (what apply did)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_by_us: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    object_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # whole: cut, it ended mid-word (QA walk 19)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


class OnboardingPlan(UUIDPrimaryKey, Base):
    __tablename__ = "onboarding_plans"

    onboarding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboardings.id", ondelete="CASCADE"),
                                                     nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    # The inputs the plan was made from and their digest (app/store/repositories/plans.py): a plan
    # whose inputs changed since is stale. None on plans made before they were kept.
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    inputs_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The vendor settings (as an administrator keeps them, before rendering) that the actions still
    # to apply used: a plan whose settings changed since is stale too. None on plans made before.
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Job(UUIDPrimaryKey, OnboardingChild, Base):
    """A background run (apply, verify, undo) with a lease: a crashed server's job is taken over
    when its lease runs out, and at most one active job per onboarding exists (a partial unique
    index, enforced by SQLite and Postgres alike)."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("uq_jobs_one_active_per_onboarding", "onboarding_id", unique=True,
              sqlite_where=text("state IN ('queued', 'running')"),
              postgresql_where=text("state IN ('queued', 'running')")),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
    )

    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # apply, verify, reverify, undo
    # queued, running, succeeded, failed, cancelled
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=JobState.queued)
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    resumed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class VerificationRun(UUIDPrimaryKey, Base):
    __tablename__ = "verification_runs"

    onboarding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboardings.id", ondelete="CASCADE"),
                                                     nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # verify or reverify
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    passed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    needs_attestation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    waiting: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # Checks Okta did not answer (a 5xx, a 429 past its wait, a timeout): neither passed nor failed.
    unchecked: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # Checks Okta fails that a person's attestation accepted (``CheckStatus.accepted``): not in ``passed``.
    accepted: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    drift: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)


class CheckResult(UUIDPrimaryKey, OnboardingChild, Base):
    __tablename__ = "check_results"
    __table_args__ = (Index("ix_check_results_run", "run_id"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("verification_runs.id", ondelete="CASCADE"), nullable=False)
    step_key: Mapped[str] = mapped_column(String(64), nullable=False)
    check_key: Mapped[str] = mapped_column(String(128), nullable=False)
    # a CheckStatus: passed, failed, waiting, attested, accepted, needs_attestation, unchecked
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    found: Mapped[str | None] = mapped_column(Text, nullable=True)
    remedy: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class Attestation(UUIDPrimaryKey, OnboardingChild, Base):
    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_onboarding_check", "onboarding_id", "check_key"),)

    step_key: Mapped[str] = mapped_column(String(64), nullable=False)
    check_key: Mapped[str] = mapped_column(String(128), nullable=False)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), nullable=False)
    operator_name: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str | None] = mapped_column(MaskedString(1000), nullable=True)
    # What the wizard warned of and the person confirmed despite it (Okta showed no use of the
    # service account's token when they attested that the vendor shows data), in words; None: none.
    warning: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OnboardingSecret(UUIDPrimaryKey, OnboardingChild, Base):
    """A secret a later step needs (an activation link, a client secret to paste into a vendor's
    console): sealed, revealed only on request, destroyed once it has served (`step_state.secret_end`)."""

    __tablename__ = "onboarding_secrets"
    __table_args__ = (UniqueConstraint("onboarding_id", "purpose"),)

    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    secret_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sealed_secrets.id"), nullable=False)
    # The check whose attestation ends this secret's life.
    destroy_on: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reveal_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AppSetting(Base):
    """Administrator settings: allowed custom Okta domains, overrides of playbook values."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)





class Handoff(UUIDPrimaryKey, OnboardingChild, Base):
    """An onboarding handed from one operator to another (or to the help-desk queue), with the
    note saying what is done and what is waiting. The receiver acknowledges it by reading the
    summary."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_onboarding_created", "onboarding_id", "created_at"),)

    from_operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), nullable=False)
    # None: the help-desk queue, where any operator may take it.
    to_operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    note: Mapped[str] = mapped_column(MaskedText(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
