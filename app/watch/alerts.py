"""Alerts: a finding raises one alert (audited) and later runs that find it again only mark it
seen; when a run no longer finds it, it is cleared (audited); an alert another one now speaks for
is superseded (audited, closed, not announced as resolved); a person's remedy under way (the
service account reactivated) is noted on its alert until the next run. Run inside the onboarding's job, so
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
from app.watch.findings import CONTINUES, REACTIVATED, SPEAKS_FOR, Finding


async def reconcile(session: AsyncSession, onboarding_id: uuid.UUID, found: Sequence[Finding], now: datetime,
                    actor: Actor, *, looked_at: Collection[str] | None = None,
                    superseded: Collection[str] = (), by: str = "") -> tuple[list[Alert], list[Alert]]:
    """Raise what is newly found, clear what is no longer found among what this run looked at
    (``looked_at``; None: everything), close the open alerts of keys ``superseded`` by the alert
    keyed ``by``. Returns (raised, cleared): a superseded alert is in neither (its news is the
    alert that supersedes it, not a resolution).

    An alert that spoke for a finding (``SPEAKS_FOR``: the account's, for the token lost with it)
    and is no longer found, on the run that raises that finding on its own, is carried on by it:
    superseded by the new alert, which says so (``CONTINUES``), so its channels hear one update of
    one cause, not a "[Resolved]" beside a new "[Alert]"."""
    current = {alert.key: alert for alert in await open_alerts(session, onboarding_id)}
    found_keys = {finding.key for finding in found}
    closing = dict.fromkeys(superseded, by)  # the alerts superseded, and by which one
    raised: list[Alert] = []
    for finding in found:
        alert = current.pop(finding.key, None)
        if alert is not None:
            kept = {CONTINUES: alert.details[CONTINUES]} if CONTINUES in (alert.details or {}) else {}
            alert.last_seen_at, alert.summary, alert.details = now, finding.summary, finding.details | kept
            continue
        went_on = next((old for key, old in current.items() if key not in found_keys and key not in closing
                        and (looked_at is None or key in looked_at)
                        and finding.key in ((old.details or {}).get(SPEAKS_FOR) or {})), None)
        details = finding.details if went_on is None else {**finding.details, CONTINUES: _continued(went_on, finding)}
        raised.append(add_alert(session, onboarding_id, key=finding.key, kind=finding.kind, summary=finding.summary,
                                details=details, now=now))
        await record(session, action="alert_raised", actor=actor, onboarding_id=onboarding_id,
                     outcome=Outcome.failed, subject_type="alert", subject_id=finding.key[:64],
                     summary=f"Alert: {finding.summary}",
                     details={"kind": finding.kind} | ({"continues": went_on.key[:64]} if went_on else {}))
        if went_on is not None:
            closing[went_on.key] = finding.key
    for key, newer in closing.items():
        alert = current.pop(key, None)
        if alert is None:
            continue
        alert.cleared_at = now
        alert.details = {**(alert.details or {}), "superseded_by": newer}
        await record(session, action="alert_superseded", actor=actor, onboarding_id=onboarding_id,
                     subject_type="alert", subject_id=key[:64],
                     summary=f"Superseded: {alert.summary}", details={"kind": alert.kind, "by": newer[:64]})
    cleared: list[Alert] = []
    for key, alert in current.items():
        if looked_at is not None and key not in looked_at:
            continue
        alert.cleared_at = now
        cleared.append(alert)
        await record(session, action="alert_cleared", actor=actor, onboarding_id=onboarding_id,
                     subject_type="alert", subject_id=key[:64],
                     summary=f"Cleared: {alert.summary}", details={"kind": alert.kind})
    return raised, cleared


def _continued(old: Alert, finding: Finding) -> dict[str, str]:
    return {"id": str(old.id), "key": old.key, "summary": old.summary, "raised_at": old.raised_at.isoformat(),
            "words": str((old.details or {})[SPEAKS_FOR][finding.key])}


async def note_reactivated(session: AsyncSession, onboarding_id: uuid.UUID, key: str, *, login: str, by: str,
                           at: datetime, remedy: str) -> None:
    """A person had Okta reactivate the service account the open alert ``key`` is about: its words
    on the pages say so (``messages.shown``) until the next run replaces them with what Okta has
    then; the pages make no Okta call to know it. Its words as raised stay in the trail."""
    for alert in await open_alerts(session, onboarding_id):
        if alert.key == key:
            alert.details = {**(alert.details or {}),
                             REACTIVATED: {"login": login, "by": by, "at": at.isoformat(), "remedy": remedy}}
