"""The home page: onboardings as lists (mine, the help-desk queue, waiting, completed, all), with
filters by vendor, status, operator, org and date, a page at a time."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import without_control_characters
from app.connections.service import list_connections
from app.store.repositories.onboardings import VIEWS, ListQuery, OnboardingRepository
from app.store.repositories.operators import OperatorRepository
from app.store.repositories.progress import handed_to_the_queue, running_jobs_of
from app.store.repositories.watch import is_watched, open_alerts_of, retired_connections, waiting_for_first_call
from app.store.statuses import OnboardingStatus, WaitingFor
from app.web.deps import CurrentOperator, DbSession
from app.web.state import app_state
from app.web.templating import render

router = APIRouter()

S, W = OnboardingStatus, WaitingFor
STATUSES = [(S.draft, "Draft"), (S.in_progress, "In progress"),
            (f"{S.waiting}:{W.service_token}", "Waiting for a token"),
            (f"{S.waiting}:{W.vendor_console}", "Waiting for the vendor's console"),
            (f"{S.waiting}:{W.timer}", "Waiting for a timer"),
            (f"{S.waiting}:{W.operator}", "Waiting for an attestation"), (S.blocked, "Blocked by an error"),
            (S.completed, "Completed"), (S.undone, "Undone"), (S.closed, "Closed")]


def _date(value: str | None, label: str, ignored: list[str]) -> date | None:
    """The day a date filter names; one that is not a date is not applied, and the page says so
    (the list was drawn unfiltered under an address that named the filter)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        shown = without_control_characters(value or "")[:40]
        ignored.append(f"{label} \u201c{shown}\u201d is not a date (write it as year-month-day, like 2026-12-01): "
                       "the list is not narrowed by it.")
        return None


@router.get("/", name="home")
async def home(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    params = request.query_params
    library = app_state(request).library
    default_view = "all" if operator.role == "auditor" else "mine"
    view = params.get("view", default_view)
    if view not in VIEWS:
        view = default_view
    def text(name: str, length: int) -> str:
        # Filters come from the address bar: nothing a database could choke on (Postgres refuses NUL).
        return without_control_characters(params.get(name, ""))[:length]

    ignored: list[str] = []
    query = ListQuery(view=view, vendor=text("vendor", 64), status=text("status", 40),
                      operator=text("operator", 40), org=text("org", 200),
                      since=_date(params.get("since"), "Active since", ignored),
                      until=_date(params.get("until"), "Active until", ignored), me=operator.id,
                      health=text("health", 20))
    if query.vendor and query.vendor not in library:
        query.vendor = ""
    page = await OnboardingRepository(db).page(query, after=params.get("after"), before=params.get("before"),
                                               last=params.get("page") == "last")
    alerts = await open_alerts_of(db, [row.Onboarding.id for row in page.rows])
    # A run under way reads "In progress" as on the onboarding's page, not the status from before it.
    running = await running_jobs_of(db, [row.Onboarding.id for row in page.rows])
    # Watched, except where its connection was retired: Health says "stopped" (review, L2).
    stopped = await retired_connections(db)
    # Why one nobody holds is there, where someone handed it (a completed one read as any other: QA walk 25, L9).
    handed = await handed_to_the_queue(db, [row.Onboarding.id for row in page.rows
                                            if row.Onboarding.assignee_id is None])
    names = await OperatorRepository(db).display_names() if handed else {}
    items = [{"onboarding": row.Onboarding, "assignee": row.assignee_name, "alerts": alerts.get(row.Onboarding.id, []),
              "running": row.Onboarding.id in running,
              "handed": handed.get(row.Onboarding.id),
              "handed_by": names.get(handed[row.Onboarding.id].from_operator_id, "")
              if row.Onboarding.id in handed else "",
              "watched": is_watched(row.Onboarding),
              # Completed on a person's word that the vendor connected, and Okta shows no call of it yet: said
              # beside "no alert open", which read as proven (QA walk 27, L8; Health's "Vendor connected").
              "first_call": is_watched(row.Onboarding) and waiting_for_first_call(row.Onboarding.facts or {}),
              "stopped": is_watched(row.Onboarding) and row.Onboarding.connection_id in stopped,
              "vendor": library.get(row.Onboarding.vendor).name if row.Onboarding.vendor in library
              else row.Onboarding.vendor} for row in page.rows]
    operators = await OperatorRepository(db).by_display_name(assignable=True)
    # An empty list for someone who may start one: with no Okta connection yet, that comes first
    # (the first administrator was sent to a start form that refused them: QA walk 8, finding 14).
    no_connection = not page.rows and operator.role != "auditor" and not await list_connections(db)
    # An empty "Mine" says whether the help-desk queue holds work to take (it said only "Nothing").
    queued = await OnboardingRepository(db).count(ListQuery(view="queue")) \
        if view == "mine" and not page.rows else 0
    # The alerts on the onboardings this operator owns, said where they start their day (the watch
    # alerted only channels an administrator set up: the owner was not told: QA walk 6, M2).
    my_alerts = await OnboardingRepository(db).count(ListQuery(view="mine", me=operator.id, health="alerting")) \
        if operator.role != "auditor" and not (view == "mine" and query.health == "alerting") else 0
    # Auditors are never assigned and take nothing from the queue: those two lists are not theirs.
    views = [("mine", "Mine"), ("queue", "Help-desk queue"), ("waiting", "Waiting"), ("completed", "Completed"),
             ("all", "All")]
    if operator.role == "auditor":
        views = [item for item in views if item[0] not in ("mine", "queue")]
    filters = {k: v for k, v in {"view": view, "vendor": query.vendor, "status": query.status,
                                 "operator": query.operator, "org": query.org, "health": query.health,
                                 "since": query.since.isoformat() if query.since else "",
                                 "until": query.until.isoformat() if query.until else ""}.items() if v}
    return render(request, "home.html", {"items": items, "page": page, "view": view, "filters": filters,
                                         "playbooks": library.all(), "statuses": STATUSES, "operators": operators,
                                         "views": views, "queued": queued, "my_alerts": my_alerts,
                                         "no_connection": no_connection, "ignored": ignored,
                                         "sandbox_available": app_state(request).sandbox is not None})
