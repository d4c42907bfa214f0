"""The watch's rows: which onboardings are watched, the claim of a due run, and alerts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import Alert, NotificationDelivery, OktaConnection, Onboarding
from app.store.models.watch import MAX_ATTEMPTS
from app.store.statuses import OnboardingStatus

ENDED = (OnboardingStatus.undone, OnboardingStatus.closed)


TOKEN_EXPIRES = "service_token_expires_at"  # noqa: S105 (a fact's name) the pasted token's expiry
FIRST_CALL_SEEN = "vendor_first_call_seen_at"  # the fact set when the watch first sees the vendor's call
VENDOR_EVIDENCE = "vendor_evidence"  # what the watch last found where the playbook's evidence shows
# When the watch first saw the onboarding completed, or a new service token replaced the old: its
# evidence is looked for since then (what came before says nothing of the vendor's use of the new one).
WATCH_STARTED = "watch_started_at"


def waiting_for_first_call(facts: Mapping[str, Any]) -> bool:
    """The vendor has not been seen calling Okta yet: a service token was pasted and not used since,
    or the playbook's evidence (an OAuth client's token grants) was looked for and not found."""
    expected = bool(facts.get(TOKEN_EXPIRES)) or (facts.get(VENDOR_EVIDENCE) or {}).get("state") == "not_yet"
    return expected and not facts.get(FIRST_CALL_SEEN)


def _set(fact: ColumnElement[Any]) -> ColumnElement[bool]:
    """A fact that is there and not empty (as Python's truth reads a string)."""
    return fact.is_not(None) & (fact != "")


def awaiting_first_call() -> ColumnElement[bool]:
    """`waiting_for_first_call` in SQL, for watched onboardings (the list's filter)."""
    facts = Onboarding.facts
    evidence_not_yet: ColumnElement[bool] = facts[(VENDOR_EVIDENCE, "state")].as_string() == "not_yet"
    expected = _set(facts[TOKEN_EXPIRES].as_string()) | evidence_not_yet
    return and_(watched(), expected, ~_set(facts[FIRST_CALL_SEEN].as_string()))


def watched() -> ColumnElement[bool]:
    """The onboardings the watch looks after: completed once, neither undone nor closed."""
    return Onboarding.completed_at.is_not(None) & Onboarding.status.not_in(list(ENDED))


def is_watched(onboarding: Onboarding) -> bool:
    return onboarding.completed_at is not None and onboarding.status not in ENDED


async def watched_onboardings(session: AsyncSession) -> list[Onboarding]:
    return list((await session.execute(
        select(Onboarding).where(watched()).order_by(Onboarding.completed_at.desc()))).scalars())


async def watched_of_vendor(session: AsyncSession, vendor: str) -> int:
    """How many completed onboardings of a vendor the watch re-verifies (a setting of its playbook
    changed now is what their next verification compares Okta with)."""
    return int((await session.execute(select(func.count()).select_from(Onboarding).where(
        Onboarding.vendor == vendor, watched()))).scalar_one())


async def retired_connections(session: AsyncSession) -> set[uuid.UUID]:
    """The Okta connections retired (their credential destroyed): what used them cannot be watched."""
    return set((await session.execute(select(OktaConnection.id).where(OktaConnection.retired_at.is_not(None))))
               .scalars())


async def start_watching(session: AsyncSession, onboarding_id: uuid.UUID, first: datetime) -> None:
    """Set the first run's time, unless a server already did."""
    await session.execute(update(Onboarding).where(
        Onboarding.id == onboarding_id, Onboarding.watch_next_at.is_(None)).values(watch_next_at=first))


async def watch_now(session: AsyncSession, onboarding_id: uuid.UUID, now: datetime) -> None:
    """Due at the next tick, whenever the last run set its next (a new service token: from that run
    on, the period of an onboarding waiting for the vendor's first call with it)."""
    await session.execute(update(Onboarding).where(
        Onboarding.id == onboarding_id, Onboarding.watch_next_at.is_not(None)).values(watch_next_at=now))


async def claim_due_run(session: AsyncSession, onboarding_id: uuid.UUID, now: datetime, then: datetime) -> bool:
    """Move the next run from a due time to ``then``: true for exactly one of any number of
    servers trying at once (the row is updated only while it is still due)."""
    result = await session.execute(update(Onboarding).where(
        Onboarding.id == onboarding_id, Onboarding.watch_next_at <= now).values(watch_next_at=then))
    return (getattr(result, "rowcount", 0) or 0) == 1


async def open_alerts(session: AsyncSession, onboarding_id: uuid.UUID) -> list[Alert]:
    return list((await session.execute(select(Alert).where(
        Alert.onboarding_id == onboarding_id, Alert.cleared_at.is_(None)).order_by(Alert.raised_at))).scalars())


async def open_alerts_of(session: AsyncSession, onboarding_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Alert]]:
    """The open alerts of those of ``onboarding_ids`` the watch looks after (one undone or closed
    before its alerts closed with it keeps them open, unwatched: not counted)."""
    found: dict[uuid.UUID, list[Alert]] = defaultdict(list)
    for alert in (await session.execute(select(Alert).join(Onboarding, Onboarding.id == Alert.onboarding_id).where(
            Alert.onboarding_id.in_(onboarding_ids), Alert.cleared_at.is_(None), watched())
            .order_by(Alert.raised_at))).scalars():
        found[alert.onboarding_id].append(alert)
    return found


async def end_alerts(session: AsyncSession, onboarding_id: uuid.UUID, now: datetime, why: str) -> list[str]:
    """Close the open alerts of an onboarding that ended (undone, closed): nothing is watched there
    any more, so nothing would clear them, and the list went on counting them (QA walk 18, M1).
    Closed, not resolved (no "[Resolved]" is sent); ``why`` kept on each. Returns their summaries."""
    ended = await open_alerts(session, onboarding_id)
    for alert in ended:
        alert.cleared_at = now
        alert.details = {**(alert.details or {}), "ended": why}
    if ended:
        # Their messages not sent yet (a receiver down) are not sent after it: an "[Alert]" about an
        # onboarding undone or closed asks people to mend what is no longer watched (review, L3).
        # Kept, not deleted: a try that failed is still the channel's last, so a receiver still down
        # shows as failing (it read as working until the next alert: review, twenty-eighth session, L1).
        await session.execute(update(NotificationDelivery).where(
            NotificationDelivery.alert_id.in_([alert.id for alert in ended]),
            NotificationDelivery.delivered_at.is_(None), NotificationDelivery.not_sent.is_(None))
            .values(attempts=MAX_ATTEMPTS, not_sent=why[:300]))  # given up already too: not counted on
    return [alert.summary for alert in ended]


async def alerts_of(session: AsyncSession, onboarding_id: uuid.UUID) -> list[Alert]:
    """Every alert of the onboarding, open or cleared, oldest first (its watch history)."""
    return list((await session.execute(select(Alert).where(Alert.onboarding_id == onboarding_id)
                                       .order_by(Alert.raised_at, Alert.key))).scalars())


def add_alert(session: AsyncSession, onboarding_id: uuid.UUID, *, key: str, kind: str, summary: str,
              details: dict[str, Any], now: datetime) -> Alert:
    alert = Alert(id=uuid.uuid4(), onboarding_id=onboarding_id, key=key, kind=kind, summary=summary,
                  details=details, raised_at=now, last_seen_at=now)
    session.add(alert)
    return alert


async def holding_token(session: AsyncSession, org_origin: str, fingerprint: str, *,
                        but: uuid.UUID) -> Onboarding | None:
    """An onboarding of the org at ``org_origin``, other than ``but``, that keeps the service token
    of this fingerprint (the newest first)."""
    return (await session.execute(select(Onboarding).where(
        Onboarding.org_origin == org_origin, Onboarding.id != but,
        Onboarding.facts["service_token_fingerprint"].as_string() == fingerprint)
        .order_by(Onboarding.created_at.desc()).limit(1))).scalars().first()
