"""The audit trail page: verify the hash chain (naming the first broken link), browse events
narrowed by what happened, who, vendor and day, and export exactly the events the filter keeps.
Administrators and auditors only; nothing here changes anything (an export is recorded, as every
export is)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from app.audit import record
from app.audit.browse import CATEGORIES, SERVER_WHO, TrailFilter, events_page, org_of, read_filter, who
from app.audit.chain import verify_chain
from app.reports import exports
from app.store.models import AuditEvent, Operator
from app.store.repositories.onboardings import vendors_of
from app.store.repositories.operators import OperatorRepository
from app.web.deps import AuditReader, DbSession, actor_for
from app.web.state import app_state
from app.web.templating import render
from app.web.urls import url_for

router = APIRouter(prefix="/audit")
PAGE = 50
KINDS = dict(zip(CATEGORIES, ("Operator actions", "Okta calls"), strict=True))
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class Choices:
    """What the filter offers: every operator (disabled ones too: their events stay) and vendor."""

    people: Sequence[Operator]
    vendors: dict[str, str]  # key: name

    def person(self, operator: Operator) -> str:
        words = f"{operator.display_name} ({operator.username})"
        return words if operator.is_active else words + ", disabled"


async def _choices(request: Request, db: DbSession) -> Choices:
    people = await OperatorRepository(db).by_display_name()
    return Choices(people, {p.key: p.name for p in app_state(request).library.all()})


def _read(request: Request, choices: Choices) -> tuple[TrailFilter, dict[str, str]]:
    return read_filter(request.query_params, people={p.id for p in choices.people}, vendors=choices.vendors)


def _iso_day(text: str) -> str:
    try:
        return date.fromisoformat(text[:32]).isoformat()
    except ValueError:
        return ""


def _day(value: date | None, end: bool, zone: str) -> str:
    return f"{value.isoformat()}, {'end of the day' if end else '00:00'} {zone}" if value else ""


def _applied(trail: TrailFilter, choices: Choices) -> list[tuple[str, str, str]]:
    """Each filter in force as (its address key, its label, what it keeps in words), in the form's order."""
    people = {str(p.id): choices.person(p) for p in choices.people}
    words = {"who": ("Who", SERVER_WHO.get(trail.who) or people.get(trail.who, trail.who)),
             "vendor": ("Vendor", f"{choices.vendors.get(trail.vendor, trail.vendor)} onboardings"),
             "from": ("From", _day(trail.since, end=False, zone=trail.zone_name)),
             "to": ("To", _day(trail.until, end=True, zone=trail.zone_name)),
             "category": ("Kind", KINDS.get(trail.category, "")), "action": ("Action", f"“{trail.action}”")}
    query = trail.query()
    return [(key, label, text) for key, (label, text) in words.items() if key in query]


def _in_words(trail: TrailFilter, choices: Choices) -> str:
    return "; ".join(f"{label}: {text}" for _key, label, text in _applied(trail, choices)) or "every event"


def _slug(text: str, size: int = 24) -> str:
    """``text`` in the characters every file system and browser keeps: lower-case ASCII letters and
    digits, a hyphen for anything else, at most ``size`` of them."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:size].strip("-")


def _file_name(trail: TrailFilter, choices: Choices, at: datetime, through: int, fmt: str) -> str:
    """The export's file name, saying which filters made it, in the form's order ("...-who-ana-
    from-2025-03-10.csv"): a CSV has no place for them that every spreadsheet reads as data, and
    the name is what the person keeps. An operator by username, not by id."""
    usernames = {str(p.id): p.username for p in choices.people}
    query = trail.query()
    named = {"category": ("kind", query.get("category", "")), "action": ("action", query.get("action", "")),
             "who": ("who", usernames.get(trail.who, trail.who)), "vendor": ("vendor", trail.vendor),
             "from": ("from", query.get("from", "")), "to": ("to", query.get("to", "")),
             # The days' zone, when not UTC: a CSV has no other place to say it (review).
             "tz": ("tz", query.get("tz", ""))}
    parts = [f"{label}-{_slug(value)}".rstrip("-") for key, (label, value) in named.items() if key in query]
    return "-".join([f"audit-trail-{at:%Y-%m-%d}-to-event-{through}", *parts]) + f".{fmt}"


def _seq(text: str) -> int | None:
    """A page's sequence number from the address: ASCII digits only ("²" is a digit to str.isdigit
    but not to int), and within a BIGINT."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _without(query: dict[str, str], key: str) -> dict[str, str]:
    """The address's filters without one: with no day left, without the days' time zone too."""
    rest = {k: v for k, v in query.items() if k != key}
    return rest if rest.keys() & {"from", "to"} else {k: v for k, v in rest.items() if k != "tz"}


def _link(request: Request, name: str, query: dict[str, str], **params: str) -> str:
    return str(url_for(request, name, **params).path) + ("?" + urlencode(query) if query else "")


@router.get("", name="audit")
async def audit_page(request: Request, db: DbSession, operator: AuditReader) -> Response:
    return await _page(request, db, chain=None)


async def _page(request: Request, db: DbSession, *, chain: object) -> Response:
    params = request.query_params
    choices = await _choices(request, db)
    trail, errors = _read(request, choices)
    page = await events_page(db, trail, before=_seq(params.get("before", "")), after=_seq(params.get("after", "")),
                             size=PAGE)
    # Each event's onboarding by its vendor's name (every link read "onboarding"): one query a page.
    found = await vendors_of(db, [e.onboarding_id for e in page.events if e.onboarding_id])
    vendors = {str(oid): choices.vendors.get(vendor, vendor) for oid, vendor in found.items()}
    query = trail.query()
    named = {str(person.id): choices.person(person) for person in choices.people}  # as the Who filter names them
    context = {
        "events": page.events, "chain": chain, "org_of": org_of,
        "who": lambda event: who(event, named), "vendors": vendors, "choices": choices,
        "server_who": SERVER_WHO, "kinds": KINDS, "errors": errors, "zone_refused": trail.zone_refused,
        # What the person chose stays in the form, a refused choice too, so they can correct it; a
        # date field holds a date or nothing (its message quotes what was not one).
        "typed": {**{key: params.get(key, "")[:64] for key in ("action", "category", "who", "vendor")},
                  **{key: _iso_day(params.get(key, "")) for key in ("from", "to")}, "tz": trail.zone},
        # Each filter in force with the address of the page without it.
        "applied": [(label, text, _link(request, "audit", _without(query, key)))
                    for key, label, text in _applied(trail, choices)],
        "older_url": _link(request, "audit", {**query, "before": str(page.next_before)}) if page.next_before else None,
        # Back towards the newest (a page reached by Older had no way back but the browser's: QA walk 27, M3).
        "newer_url": _link(request, "audit", {**query, "after": str(page.previous_after)})
        if page.previous_after else None,
        "newest_url": _link(request, "audit", query) if page.newer else None,
        "exports": {fmt: _link(request, "audit_events", query, fmt=fmt) for fmt in FORMATS},
    }
    return render(request, "audit.html", context, status_code=400 if errors else 200)


@router.get("/verify", name="audit_verify")
async def audit_verify(request: Request, db: DbSession, operator: AuditReader) -> Response:
    return await _page(request, db, chain=await verify_chain(db))


@router.get("/events.{fmt}", name="audit_events")
async def trail_export(request: Request, db: DbSession, fmt: str, operator: AuditReader) -> Response:
    """Every event the page's filter keeps, oldest first, as CSV or JSON: the columns, masking and
    formula-defusing of an onboarding's export. It ends with the last event before its own record,
    so it holds what the trail held when it was asked for, whatever is written while it streams."""
    if fmt not in FORMATS:
        raise HTTPException(404)
    state = app_state(request)
    choices = await _choices(request, db)
    trail, errors = _read(request, choices)
    if errors:  # an address edited by hand: the page says what is wrong, and nothing is exported
        return RedirectResponse(_link(request, "audit", dict(request.query_params)), status_code=303)
    words = _in_words(trail, choices)
    async with state.db.session() as session:
        event = await record(session, action="export", actor=actor_for(request, operator), subject_type="events",
                             subject_id=fmt, summary=f"Audit trail exported as {fmt.upper()}: {words}",
                             details={"filters": trail.query()})
        through, at = event.seq - 1, event.occurred_at
    where = [*trail.where(), AuditEvent.seq <= through]
    disposition = {"Content-Disposition": f'attachment; filename="{_file_name(trail, choices, at, through, fmt)}"'}
    if fmt == "csv":
        return StreamingResponse(exports.csv_stream(state.db, where), media_type="text/csv; charset=utf-8",
                                 headers=disposition)
    header = {"trail": "audit events of every onboarding and operator", "exported_by": operator.username,
              "exported_at": at.isoformat(), "filters": trail.query(), "filters_in_words": words,
              "days_in": trail.zone_name, "through_seq": through,
              # Verifying means reading the whole chain: not done for each export.
              "chain": "not verified by this export: verify it on the Audit trail page or with `onboard audit verify`"}
    return StreamingResponse(exports.json_stream(state.db, where, header), media_type="application/json",
                             headers=disposition)
