"""Alerts: a finding raises one alert (audited) and later runs that find it again only mark it
seen; when a run no longer finds it, it is cleared (audited); an alert another one now speaks for
is superseded (audited, closed, not announced as resolved). Run inside the onboarding's job, so
two runs of one onboarding never reconcile at once (one active job per onboarding)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.store.models import Alert
from app.store.repositories.watch import add_alert, open_alerts
from app.store.statuses import Outcome
from app.watch.findings import Finding


async def reconcile(session: AsyncSession, onboarding_id: uuid.UUID, found: Sequence[Finding], now: datetime,
                    actor: Actor, *, looked_at: Collection[str] | None = None,
                    superseded: Collection[str] = (), by: str = "") -> tuple[list[Alert], list[Alert]]:
    """Raise what is newly found, clear what is no longer found among what this run looked at
    (``looked_at``; None: everything), close the open alerts of keys ``superseded`` by the alert
    keyed ``by``. Returns (raised, cleared): a superseded alert is in neither (its news is the
    alert that supersedes it, not a resolution)."""
    current = {alert.key: alert for alert in await open_alerts(session, onboarding_id)}
    raised: list[Alert] = []
    for finding in found:
        alert = current.pop(finding.key, None)
        if alert is not None:
            alert.last_seen_at, alert.summary, alert.details = now, finding.summary, finding.details
            continue
        raised.append(add_alert(session, onboarding_id, key=finding.key, kind=finding.kind, summary=finding.summary,
                                details=finding.details, now=now))
        await record(session, action="alert_raised", actor=actor, onboarding_id=onboarding_id,
                     outcome=Outcome.failed, subject_type="alert", subject_id=finding.key[:64],
                     summary=f"Alert: {finding.summary}"[:500], details={"kind": finding.kind})
    for key in superseded:
        alert = current.pop(key, None)
        if alert is None:
            continue
        alert.cleared_at = now
        alert.details = {**(alert.details or {}), "superseded_by": by}
        await record(session, action="alert_superseded", actor=actor, onboarding_id=onboarding_id,
                     subject_type="alert", subject_id=key[:64],
                     summary=f"Superseded: {alert.summary}"[:500], details={"kind": alert.kind, "by": by[:64]})
    cleared: list[Alert] = []
    for key, alert in current.items():
        if looked_at is not None and key not in looked_at:
            continue
        alert.cleared_at = now
        cleared.append(alert)
        await record(session, action="alert_cleared", actor=actor, onboarding_id=onboarding_id,
                     subject_type="alert", subject_id=key[:64],
                     summary=f"Cleared: {alert.summary}"[:500], details={"kind": alert.kind})
    return raised, cleared
