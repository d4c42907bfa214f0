"""Queries for onboarding lists: the views (mine, the help-desk queue, waiting, completed, all),
filters, and keyset pagination (newest activity first), so the first, a middle and the last page
of 10,000 onboardings cost the same."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, case, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.store.models import Alert, OktaConnection, Onboarding, Operator, OperatorRole, VerificationRun
from app.store.models.operators import DISABLED, NOW_AUDITOR
from app.store.repositories.watch import awaiting_first_call, watched
from app.store.statuses import FINISHED, OPEN, Health, OnboardingStatus

VIEWS = ("mine", "queue", "waiting", "completed", "all")
FIRST_CALL = "first_call"  # the list's health filter: waiting for the vendor's first call
PAGE_SIZE = 25


def cannot_hold_work() -> Select[Any]:
    """The ids of accounts whose onboardings wait in the help-desk queue (``Operator.holds_work``
    false): disabled, or made an auditor since they were given them."""
    return select(Operator.id).where(or_(Operator.is_active.is_(False), Operator.role == OperatorRole.AUDITOR.value))


@dataclass
class ListQuery:
    view: str = "all"
    vendor: str = ""
    status: str = ""
    operator: str = ""  # assignee id
    org: str = ""  # part of the org address
    since: date | None = None
    until: date | None = None
    me: uuid.UUID | None = None
    health: str = ""  # alerting: an alert is open; healthy: watched, none open; first_call: the
    # vendor's first call with what was set up is awaited (FIRST_CALL)

    def filters(self) -> list[Any]:
        where: list[Any] = []
        alerting = select(Alert.onboarding_id).where(Alert.cleared_at.is_(None))
        if self.view == "mine" and self.me is not None:
            where.append(Onboarding.assignee_id == self.me)
        elif self.view == "queue":
            # Nobody's, or theirs who can no longer act on it (disabled, or an auditor now: QA walk
            # 24, M2, where such an onboarding was on no list but its own page).
            where.append(or_(Onboarding.assignee_id.is_(None), Onboarding.assignee_id.in_(cannot_hold_work())))
            # Work to take: all but the finished (undone, closed). A completed one too: the watch's alerts
            # go to its owner, and one handed here was on no list until it drifted (QA walk 23, L8).
            where.append(Onboarding.status.not_in(FINISHED))
            # ...but not one whose connection was retired: its watch stopped, no alert will need an owner (review).
            retired = select(OktaConnection.id).where(OktaConnection.retired_at.is_not(None))
            where.append(or_(Onboarding.status != OnboardingStatus.completed, Onboarding.connection_id.not_in(retired)))
        elif self.view == "waiting":
            where.append(Onboarding.status.in_((OnboardingStatus.waiting, OnboardingStatus.blocked)))
        elif self.view == "completed":
            where.append(Onboarding.status == OnboardingStatus.completed)
        if self.vendor:
            where.append(Onboarding.vendor == self.vendor)
        if self.status:
            if ":" in self.status:
                status, waiting_for = self.status.split(":", 1)
                where.extend([Onboarding.status == status, Onboarding.waiting_for == waiting_for])
            else:
                where.append(Onboarding.status == self.status)
        if self.operator:
            try:
                where.append(Onboarding.assignee_id == uuid.UUID(self.operator))
            except ValueError:
                where.append(Onboarding.id.is_(None))  # an unknown operator matches nothing
        if self.org:
            where.append(Onboarding.org_origin.contains(self.org.strip().lower()))
        if self.since:
            where.append(Onboarding.last_activity_at >= datetime.combine(self.since, time.min, UTC))
        if self.until:
            where.append(Onboarding.last_activity_at < datetime.combine(self.until + timedelta(days=1), time.min, UTC))
        if self.health == Health.alerting:
            # Watched ones only: an alert left open by an onboarding undone or closed before its alerts
            # closed with it (QA walk 18, M1) is not one to see.
            where.extend([watched(), Onboarding.id.in_(alerting)])
        elif self.health == Health.healthy:
            # As Health says it: no alert open, and Okta answered every check of the last run.
            latest = select(VerificationRun.onboarding_id, func.max(VerificationRun.finished_at).label("at")) \
                .group_by(VerificationRun.onboarding_id).subquery()
            unanswered = select(VerificationRun.onboarding_id).join(latest, (
                VerificationRun.onboarding_id == latest.c.onboarding_id) & (VerificationRun.finished_at == latest.c.at)
            ).where(VerificationRun.unchecked > 0)
            retired = select(OktaConnection.id).where(OktaConnection.retired_at.is_not(None))  # "stopped" there
            where.extend([watched(), Onboarding.id.not_in(alerting), Onboarding.id.not_in(unanswered),
                          Onboarding.connection_id.not_in(retired)])
        elif self.health == FIRST_CALL:
            where.append(awaiting_first_call())
        return where


async def open_onboardings(session: AsyncSession, vendor: str, org_origin: str) -> list[Onboarding]:
    """The vendor's onboardings on that org that are not finished, oldest first (starting another
    asks first)."""
    return list((await session.execute(select(Onboarding).where(
        Onboarding.vendor == vendor, Onboarding.org_origin == org_origin, Onboarding.status.in_(list(OPEN)))
        .order_by(Onboarding.created_at))).scalars())


async def tokens_verified_elsewhere(session: AsyncSession, org_origin: str, but: uuid.UUID) -> frozenset[str]:
    """The ids of the API tokens that the other onboardings on this org, not undone or closed,
    verified as their service account's (each one's own token check watches its token). One
    indexed query (the org's onboardings' facts), made once per verification run."""
    rows = await session.execute(select(Onboarding.facts).where(
        Onboarding.org_origin == org_origin, Onboarding.id != but, Onboarding.status.notin_(list(FINISHED))))
    return frozenset(str(token) for facts in rows.scalars() if (token := (facts or {}).get("service_token_id")))


async def open_of_vendor(session: AsyncSession, vendor: str) -> list[uuid.UUID]:
    """The vendor's open onboardings (on any org): those whose plans a change of the vendor's
    settings can make out of date (a completed one's plan that makes again what drifted, too)."""
    return list((await session.execute(select(Onboarding.id).where(
        Onboarding.vendor == vendor, Onboarding.status.in_(list(OPEN))).order_by(Onboarding.created_at))).scalars())


async def owned_open(session: AsyncSession, operator_id: uuid.UUID) -> int:
    """How many open onboardings (completed ones are watched, and their alerts go to their owner) an
    operator owns."""
    return int((await session.execute(select(func.count()).select_from(Onboarding).where(
        Onboarding.assignee_id == operator_id, Onboarding.status.in_(list(OPEN))))).scalar_one())


async def vendors_of(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The vendor key of each of these onboardings (the audit trail names the onboarding of an event)."""
    if not ids:
        return {}
    return {row.id: row.vendor for row in (await session.execute(
        select(Onboarding.id, Onboarding.vendor).where(Onboarding.id.in_(set(ids))))).all()}


async def onboardings_using(session: AsyncSession, connection_id: uuid.UUID) -> list[Onboarding]:
    """The open onboardings that use an Okta connection, latest activity first: they still call
    Okta with it (a plan to apply, a check to re-run, an undo to come), so retiring it stops them."""
    return list((await session.execute(select(Onboarding).where(
        Onboarding.connection_id == connection_id, Onboarding.status.in_(list(OPEN)))
        .order_by(Onboarding.last_activity_at.desc(), Onboarding.id))).scalars())


def encode_cursor(moment: datetime, onboarding_id: uuid.UUID) -> str:
    raw = f"{moment.astimezone(UTC).isoformat()}|{onboarding_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, ident = raw.partition("|")
        return datetime.fromisoformat(moment), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Page:
    rows: Sequence[Any]
    total: int
    newer: str | None = None  # cursor for the page before (newer activity)
    older: str | None = None  # cursor for the page after
    is_first: bool = True
    is_last: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class OnboardingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _base(self, query: ListQuery) -> Select[Onboarding, str]:
        assignee = aliased(Operator)
        # One who can no longer act on it is named so, as Health and the alerts do (QA walk 24, M2).
        named = case((assignee.is_active.is_(False), assignee.display_name + f", {DISABLED}"),
                     (assignee.role == OperatorRole.AUDITOR.value, assignee.display_name + f", {NOW_AUDITOR}"),
                     else_=assignee.display_name)
        return (select(Onboarding, named.label("assignee_name"))
                .outerjoin(assignee, assignee.id == Onboarding.assignee_id)
                .where(*query.filters()))

    async def count(self, query: ListQuery) -> int:
        """How many onboardings a list holds (the help-desk queue's, said on an empty "Mine")."""
        return int((await self.session.execute(
            select(func.count()).select_from(Onboarding).where(*query.filters()))).scalar_one())

    async def page(self, query: ListQuery, *, after: str | None = None, before: str | None = None,
                   last: bool = False, size: int = PAGE_SIZE) -> Page:
        order_key = tuple_(Onboarding.last_activity_at, Onboarding.id)
        base = self._base(query)
        total = await self.count(query)
        ascending = False
        if before and (cursor := decode_cursor(before)):
            statement = base.where(order_key > tuple_(*cursor)).order_by(
                Onboarding.last_activity_at.asc(), Onboarding.id.asc())
            ascending = True
        elif last:
            statement = base.order_by(Onboarding.last_activity_at.asc(), Onboarding.id.asc())
            ascending = True
        elif after and (cursor := decode_cursor(after)):
            statement = base.where(order_key < tuple_(*cursor)).order_by(
                Onboarding.last_activity_at.desc(), Onboarding.id.desc())
        else:
            statement = base.order_by(Onboarding.last_activity_at.desc(), Onboarding.id.desc())
        rows = list((await self.session.execute(statement.limit(size + 1))).all())
        more = len(rows) > size
        rows = rows[:size]
        if ascending:
            rows.reverse()
        page = Page(rows=rows, total=total)
        if rows:
            first, final = rows[0].Onboarding, rows[-1].Onboarding
            if ascending:
                page.is_first = not more
                page.is_last = last or before is None
            else:
                page.is_first = after is None
                page.is_last = not more
            if not page.is_first:
                page.newer = encode_cursor(first.last_activity_at, first.id)
            if not page.is_last:
                page.older = encode_cursor(final.last_activity_at, final.id)
        return page

    async def recent(self, limit: int = 50) -> Sequence[Any]:
        return (await self.page(ListQuery(), size=limit)).rows
