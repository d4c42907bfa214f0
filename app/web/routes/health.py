"""Liveness and readiness for load balancers and orchestrators: no sign-in, no HTML. And the
icon browsers ask for at /favicon.ico when a response (an htmx fragment opened on its own) does
not name one."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse

from app.web.state import app_state

router = APIRouter()


@router.get("/healthz", name="healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", name="readyz")
async def readyz(request: Request) -> JSONResponse:
    try:
        await app_state(request).db.ping()
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/favicon.ico", name="favicon", include_in_schema=False)
async def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=301)
