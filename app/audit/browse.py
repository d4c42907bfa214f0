"""Reading the audit trail as an auditor does: narrowed by what happened, who did it, the vendor
whose onboarding it was and whole days, a page at a time newest first on the audit page and every
event oldest first in its export (one filter for both, so the export holds what the page lists);
and who each event names, in words a person reads."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.validation import without_control_characters
from app.store.models import AuditEvent, Onboarding
from app.store.statuses import OUTCOME_WORDS, Outcome

CATEGORIES = ("operator", "okta")
# The subject of every Okta call's record: the org it went to, by host (never a credential).
ORG_SUBJECT = "okta_org"

# The actors the server records for itself (``Actor.system``), as the pages name them: the
# wizard's own runs and the watch's re-verifications. Any other name is shown as recorded.
SYSTEM_ACTORS: dict[str, str] = {
    "engine": "The wizard (background run)",
    "job": "The wizard (background run)",
    "system": "The wizard",
    "watch": "The watch (background re-verification)",
    "command line": "The command line (onboard)",
}

# The Who filter's choices besides the operators, by the value the address carries: each of the
# server's own actors once as the Who column names it ("engine" and "job" read the same), the
# company's identity provider (it disables an account it no longer maps), and a visitor not signed
# in (a failed sign-in).
IDENTITY_PROVIDER = " (identity provider)"
SERVER_WHO: dict[str, str] = {
    **{name: label for name, label in SYSTEM_ACTORS.items() if name != "job"},
    "identity provider": "An identity provider (single sign-on)",
    "visitor": "Someone not signed in (a sign-in attempt)",
}


def who(event: AuditEvent, people: Mapping[str, str] | None = None) -> str:
    """The Who of an event: the operator as the Who filter names them ("Bob Helpdesk (bob)", from
    ``people``, by id: the column read bare usernames beside the filter's full names: QA walk 17, L5),
    else the username the event kept, or the server's own actor in words. Only an event with no
    operator and no address is the server's (an anonymous visitor has an address), so nobody is
    shown as the wizard for signing in as "engine"."""
    name = event.actor_name or "system"
    if event.actor_id is None and event.source_ip is None:
        return SYSTEM_ACTORS.get(name, name)
    if people and event.actor_id is not None and str(event.actor_id) in people:
        return people[str(event.actor_id)]
    return name


def org_of(event: AuditEvent) -> str | None:
    """The Okta org an Okta call went to (its host, and its port where it has one), which its row
    names beside the call: a connection check's calls read "GET /.well-known/okta-organization →
    connect" with no word of the org that was tried, though the record kept it (QA walk 13, L6).
    Calls recorded before the port was kept name the host alone (a sandbox's read "127.0.0.1")."""
    if event.category == "okta" and event.subject_type == ORG_SUBJECT and event.subject_id:
        return event.subject_id
    return None


def _anywhere(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own ``%`` and ``_`` taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _start_of(day: date, zone: str) -> datetime | None:
    """The first moment of ``day`` in ``zone`` (UTC when none), in UTC as events are stored; None
    past the calendar's ends (year 1 or 9999 in a zone away from UTC): no bound there."""
    try:
        return datetime.combine(day, time.min, _zone(zone)).astimezone(UTC)
    except OverflowError:
        return None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@functools.cache
def _known_zones() -> frozenset[str]:
    """The IANA zone names this server's time zone database holds (not its files such as ``localtime``,
    which would read days in the server's own zone)."""
    files = ("localtime", "posixrules", "Factory")
    return frozenset(name for name in available_timezones()
                     if name not in files and not name.startswith(("posix/", "right/")))


def viewer_zone(name: str) -> str:
    """An IANA time zone name the browser gave ("Pacific/Auckland"), if this server knows it; "" is UTC.
    The audit page's days are the viewer's, as its times are: a day picked as the table shows it found
    nothing when it was read as a UTC day (QA walk 27, M2). Without the page's script, days are UTC."""
    name = name.strip()[:64]
    return name if name and name != "UTC" and name in _known_zones() else ""


@dataclass(frozen=True)
class TrailFilter:
    """What the person narrowed the trail to; an empty field is no filter. Days are whole days in
    ``zone``, the viewer's time zone, as the page draws the table's times (UTC when none)."""

    action: str = ""  # words of the description ("Verified") or of the result ("Not found"), or an internal key
    category: str = ""  # operator or okta
    who: str = ""  # an operator's id, or a key of SERVER_WHO
    vendor: str = ""  # the vendor key of the onboarding the event belongs to
    since: date | None = None  # from the start of this day
    until: date | None = None  # to the end of this day
    zone: str = ""  # the days' time zone (an IANA name), "" for UTC
    zone_refused: str = ""  # a zone the address gave that this server does not know (days read in UTC)

    @property
    def zone_name(self) -> str:
        return self.zone or "UTC"

    def query(self) -> dict[str, str]:
        """The filter as the address carries it: the older page's link and the export's keep it."""
        days = self.since is not None or self.until is not None
        values = {"action": self.action, "category": self.category, "who": self.who, "vendor": self.vendor,
                  "from": self.since.isoformat() if self.since else "",
                  "to": self.until.isoformat() if self.until else "", "tz": self.zone if days else ""}
        return {key: value for key, value in values.items() if value}

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions on audit_events. Each is one the table's indexes serve (seq, occurred_at,
        actor_id, and onboarding_id with seq) or one checked on the rows those bring."""
        where: list[ColumnElement[bool]] = []
        term = " ".join(self.action.split()).lower()
        if term:
            # An Okta call also by the org its row names, and any event by its Result column's words.
            outcomes = results_meaning(term)
            where.append(or_(AuditEvent.action == term,
                             func.lower(AuditEvent.summary).like(_anywhere(term), escape="\\"),
                             and_(AuditEvent.category == "okta", AuditEvent.subject_type == ORG_SUBJECT,
                                  func.lower(AuditEvent.subject_id).like(_anywhere(term), escape="\\")),
                             *([AuditEvent.outcome.in_(outcomes)] if outcomes else [])))
        if self.category in CATEGORIES:
            where.append(AuditEvent.category == self.category)
        if self.who:
            where.append(_by(self.who))
        if self.vendor:
            where.append(AuditEvent.onboarding_id.in_(select(Onboarding.id).where(Onboarding.vendor == self.vendor)))
        start = _start_of(self.since, self.zone) if self.since is not None else None
        if start is not None:
            where.append(AuditEvent.occurred_at >= start)
        end = _start_of(self.until + timedelta(days=1), self.zone) if self.until and self.until < date.max else None
        if end is not None:
            where.append(AuditEvent.occurred_at < end)
        return where


def results_meaning(term: str) -> list[str]:
    """The outcomes whose words in the Result column hold ``term`` (lower case), or whose stored
    word it is (the exports' ``outcome``): an expected 404 reads "Not found (expected)" on the page,
    and the filter found none of them by those words. Not "Done": nearly every event is done, and
    "done" finds the descriptions that say it ("Applied the plan: 5 done")."""
    return [outcome for outcome, words in OUTCOME_WORDS.items()
            if outcome != Outcome.ok and (term in words.lower() or term == outcome)]


def _by(choice: str) -> ColumnElement[bool]:
    """The events the Who filter's ``choice`` names, as :func:`who` tells them apart: an operator's
    by their id (whatever they were called then), the server's by the name it recorded itself under
    with no operator and no address, a visitor's by having an address and no operator."""
    if choice == "visitor":
        return and_(AuditEvent.actor_id.is_(None), AuditEvent.source_ip.is_not(None))
    server = and_(AuditEvent.actor_id.is_(None), AuditEvent.source_ip.is_(None))
    if choice == "identity provider":
        return and_(server, AuditEvent.actor_name.like("%" + IDENTITY_PROVIDER))
    if choice in SYSTEM_ACTORS:
        names = [name for name, label in SYSTEM_ACTORS.items() if label == SYSTEM_ACTORS[choice]]
        named = AuditEvent.actor_name.in_(names)
        return and_(server, or_(named, AuditEvent.actor_name.is_(None)) if "system" in names else named)
    return AuditEvent.actor_id == uuid.UUID(choice)


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{name.capitalize()} “{text}” is not a date: write it as year-month-day, like 2026-12-01."
        return None


def read_filter(params: Mapping[str, str], *, people: Collection[uuid.UUID], vendors: Collection[str]
                ) -> tuple[TrailFilter, dict[str, str]]:
    """The filter in the address (the page's form, the older link, an export link) and a message for
    each value that cannot be one, by its field. A refused value is no filter and the others still
    apply; the page says which was refused, so nobody reads the trail as narrowed when it is not.
    ``people`` are the operators' ids and ``vendors`` the vendor keys the form offers."""
    def text(name: str, length: int) -> str:
        # From the address bar: nothing a database could choke on (Postgres refuses NUL).
        return without_control_characters(params.get(name, "")).strip()[:length]

    errors: dict[str, str] = {}
    who_ = text("who", 40)
    if who_ and who_ not in SERVER_WHO:
        try:
            known = uuid.UUID(who_) in people
        except ValueError:
            known = False
        if not known:
            errors["who"] = "Who is not someone the trail names: choose one from the list."
            who_ = ""
    vendor = text("vendor", 64)
    if vendor and vendor not in vendors:
        errors["vendor"] = "Vendor is not one the wizard onboards: choose one from the list."
        vendor = ""
    since, until = _day(text("from", 32), "from", errors), _day(text("to", 32), "to", errors)
    if since and until and since > until:
        errors["to"] = f"To ({until.isoformat()}) is before From ({since.isoformat()}): no day is in between."
        since = until = None
    category = params.get("category", "")
    given_zone = text("tz", 64)
    zone = viewer_zone(given_zone)
    return TrailFilter(action=text("action", 64), category=category if category in CATEGORIES else "",
                       who=who_, vendor=vendor, since=since, until=until, zone=zone,
                       zone_refused=given_zone if given_zone not in ("", "UTC", zone) else ""), errors


@dataclass(frozen=True)
class EventPage:
    events: Sequence[AuditEvent]  # newest first
    more: bool  # older events follow
    newer: bool = False  # newer events than these match too (the page was reached by going back)

    @property
    def next_before(self) -> int | None:
        """Where the next (older) page starts, if there is one."""
        return self.events[-1].seq if self.events and self.more else None

    @property
    def previous_after(self) -> int | None:
        """Where the previous (newer) page ends, if there is one."""
        return self.events[0].seq if self.events and self.newer else None


async def events_page(session: AsyncSession, trail: TrailFilter, *, before: int | None = None,
                      after: int | None = None, size: int = 50) -> EventPage:
    """Up to `size` events the filter keeps, newest first: older than sequence number `before`, or
    (``after``, a newer page reached back from an older one) the oldest `size` newer than it; the
    newest when neither. Each is one keyset read the (seq) index serves, however deep the page."""
    where = trail.where()
    if after is not None and before is None:
        rows = (await session.execute(select(AuditEvent).where(*where, AuditEvent.seq > after)
                                      .order_by(AuditEvent.seq.asc()).limit(size + 1))).scalars().all()
        older = (await session.execute(select(AuditEvent.seq).where(*where, AuditEvent.seq <= after)
                                       .limit(1))).first() is not None
        return EventPage(events=list(reversed(rows[:size])), more=older, newer=len(rows) > size)
    query = select(AuditEvent).where(*where).order_by(AuditEvent.seq.desc())
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    events = (await session.execute(query.limit(size + 1))).scalars().all()
    newer = before is not None and (await session.execute(select(AuditEvent.seq).where(
        *where, AuditEvent.seq >= before).limit(1))).first() is not None
    return EventPage(events=events[:size], more=len(events) > size, newer=newer)
