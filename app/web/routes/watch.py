"""The Health page: every completed onboarding the watch looks after, with its last check, open
alerts, token expiry and vendor evidence. Everyone signed in may read it; nothing here changes."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.store.statuses import Health
from app.watch.health import health_rows
from app.web.deps import CurrentOperator, ReadDbSession
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/health")


@router.get("", name="health")
async def health_page(request: Request, db: ReadDbSession, operator: CurrentOperator) -> Response:
    state = app_state(request)
    wanted = request.query_params.get("health", "")
    only = Health(wanted) if wanted in Health.__members__ else None
    waiting = request.query_params.get("evidence") == "not_yet"
    assert state.watch is not None
    rows = await health_rows(db, state.library, state.watch.now(), only, "not_yet" if waiting else None)
    return render(request, "health.html", {
        "rows": rows, "chosen": only.value if only else ("first_call" if waiting else ""),
        "choices": list(Health)[:3],
        "every_hours": state.settings.watch_every_hours, "first_call_hours": state.settings.watch_first_call_hours,
        "expiry_days": state.settings.watch_token_expiry_days, "unused_days": state.settings.watch_token_unused_days})
