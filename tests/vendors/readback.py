"""What the Authomize and Drata tests share: reading the database back (kept secrets, check
results, every stored value, for plaintext searches), counting Okta calls from the audit trail,
and the sandbox's write events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from app.store.base import Base
from app.store.models import AuditEvent, CheckResult, OnboardingSecret, SealedSecret, VerificationRun
from okta_sandbox import SandboxOrg
from tests.harness import Wizard


def kept_secret(w: Wizard, oid: uuid.UUID, purpose: str) -> tuple[OnboardingSecret, SealedSecret]:
    async def get() -> tuple[OnboardingSecret, SealedSecret]:
        async with w.state.db.sessions() as session:
            row = (await session.execute(select(OnboardingSecret).where(
                OnboardingSecret.onboarding_id == oid, OnboardingSecret.purpose == purpose))).scalar_one()
            sealed = await session.get(SealedSecret, row.secret_id)
            assert sealed is not None
            return row, sealed

    return w.run(get)


def last_results(w: Wizard, oid: uuid.UUID) -> dict[str, CheckResult]:
    """The newest verification run's results, by check key."""
    async def get() -> dict[str, CheckResult]:
        async with w.state.db.sessions() as session:
            run = (await session.execute(select(VerificationRun).where(VerificationRun.onboarding_id == oid)
                                         .order_by(VerificationRun.finished_at.desc()).limit(1))).scalar_one()
            rows = await session.execute(select(CheckResult).where(CheckResult.run_id == run.id))
            return {row.check_key: row for row in rows.scalars()}

    return w.run(get)


def database_text(w: Wizard) -> str:
    """Every value of every row of every table, as text (bytes decoded leniently): a plaintext
    secret anywhere in the database shows up in it."""
    async def dump() -> str:
        parts: list[str] = []
        async with w.state.db.sessions() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    for value in row:
                        parts.append(value.decode("latin-1") if isinstance(value, bytes) else repr(value))
        return "\n".join(parts)

    return w.run(dump)


def okta_calls(w: Wizard, method: str, path: str) -> int:
    """How many calls the wizard made to ``method path`` (a path template), from the audit trail."""
    async def count() -> int:
        async with w.state.db.sessions() as session:
            rows = (await session.execute(select(AuditEvent).where(AuditEvent.action == "okta_call"))).scalars()
            return sum(1 for e in rows if e.details.get("method") == method and e.details.get("path") == path)

    return w.run(count)


def write_events(org: SandboxOrg, since: int) -> list[str]:
    """The System Log event types recorded after position ``since`` (every write leaves one)."""
    return [event.body["eventType"] for event in org.events[since:]]


def plan_item(items: list[dict[str, Any]], action: str) -> dict[str, Any]:
    return next(item for item in items if item["action_key"] == action)
