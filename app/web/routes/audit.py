"""The audit trail page: verify the hash chain (naming the first broken link) and browse events.
Administrators and auditors only; nothing here changes anything."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from app.audit.chain import verify_chain
from app.common.validation import without_control_characters
from app.store.models import AuditEvent
from app.web.deps import AuditReader, DbSession
from app.web.templating import render

router = APIRouter(prefix="/audit")
PAGE = 50


@router.get("", name="audit")
async def audit_page(request: Request, db: DbSession, operator: AuditReader) -> Response:
    return await _page(request, db, chain=None)


async def _page(request: Request, db: DbSession, *, chain: object) -> Response:
    params = request.query_params
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    action = without_control_characters(params.get("action", ""))[:64]
    category = params.get("category", "")
    if action:
        query = query.where(AuditEvent.action == action)
    if category in ("operator", "okta"):
        query = query.where(AuditEvent.category == category)
    before = params.get("before", "")
    # ASCII digits only ("²" is a digit to str.isdigit but not to int), and within a BIGINT.
    if before.isascii() and before.isdigit() and len(before) <= 18:
        query = query.where(AuditEvent.seq < int(before))
    events = (await db.execute(query.limit(PAGE + 1))).scalars().all()
    more = len(events) > PAGE
    events = events[:PAGE]
    return render(request, "audit.html", {"events": events, "chain": chain, "more": more,
                                          "next_before": events[-1].seq if events and more else None,
                                          "action": action, "category": category})


@router.get("/verify", name="audit_verify")
async def audit_verify(request: Request, db: DbSession, operator: AuditReader) -> Response:
    return await _page(request, db, chain=await verify_chain(db))
