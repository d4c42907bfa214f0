"""The home page: the list of onboardings."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.store.repositories.onboardings import OnboardingRepository
from app.web.deps import CurrentOperator, DbSession
from app.web.state import app_state
from app.web.templating import render

router = APIRouter()


@router.get("/", name="home")
async def home(request: Request, db: DbSession, operator: CurrentOperator) -> Response:
    library = app_state(request).library
    rows = await OnboardingRepository(db).recent()
    items = [{"onboarding": row.Onboarding, "assignee": row.assignee_name,
              "vendor": library.get(row.Onboarding.vendor).name if row.Onboarding.vendor in library
              else row.Onboarding.vendor} for row in rows]
    return render(request, "home.html", {"items": items})
