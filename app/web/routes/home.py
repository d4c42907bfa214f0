"""The home page: the list of onboardings."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.web.deps import CurrentOperator
from app.web.templating import render

router = APIRouter()


@router.get("/", name="home")
async def home(request: Request, operator: CurrentOperator) -> Response:
    return render(request, "home.html", {"onboardings": []})
