"""The audit trail page: verify the hash chain (naming the first broken link) and browse events.
Administrators and auditors only; nothing here changes anything."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.audit.browse import events_page, org_of, who
from app.audit.chain import verify_chain
from app.common.validation import without_control_characters
from app.store.repositories.onboardings import vendors_of
from app.web.deps import AuditReader, DbSession
from app.web.state import app_state
from app.web.templating import render

router = APIRouter(prefix="/audit")
PAGE = 50


@router.get("", name="audit")
async def audit_page(request: Request, db: DbSession, operator: AuditReader) -> Response:
    return await _page(request, db, chain=None)


async def _page(request: Request, db: DbSession, *, chain: object) -> Response:
    params = request.query_params
    action = without_control_characters(params.get("action", ""))[:64]
    category = params.get("category", "")
    before = params.get("before", "")
    # ASCII digits only ("²" is a digit to str.isdigit but not to int), and within a BIGINT.
    older_than = int(before) if before.isascii() and before.isdigit() and len(before) <= 18 else None
    page = await events_page(db, action=action, category=category, before=older_than, size=PAGE)
    # Each event's onboarding by its vendor's name (every link read "onboarding"): one query a page.
    library = app_state(request).library
    found = await vendors_of(db, [e.onboarding_id for e in page.events if e.onboarding_id])
    vendors = {str(oid): library.get(vendor).name if vendor in library else vendor for oid, vendor in found.items()}
    return render(request, "audit.html", {"events": page.events, "chain": chain, "more": page.more,
                                          "next_before": page.next_before, "who": who, "org_of": org_of,
                                          "vendors": vendors,
                                          "action": action, "category": category})


@router.get("/verify", name="audit_verify")
async def audit_verify(request: Request, db: DbSession, operator: AuditReader) -> Response:
    return await _page(request, db, chain=await verify_chain(db))
