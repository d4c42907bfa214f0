"""The service account's token on an onboarding: pasted and checked with Okta (its value never
kept), set to allow Any IP when the vendor's document asks, and the vendor's test event generated.
Each route parses, calls one service, and returns to the page."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import ValidationFailed
from app.engine.jobs import JobBusy
from app.onboardings import notes, service, tokens
from app.vault import Secret
from app.web.deps import ActingOperator, ReadDbSession, actor_for, read_form
from app.web.routes.onboarding_common import acting, back, refused
from app.web.state import app_state

router = APIRouter(prefix="/onboardings")


@router.post("/{onboarding_id}/token", name="onboarding_token")
async def paste_token(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    form = await read_form(request)
    value = form.api_token("service_token", label="Token value",
                           missing="Paste the token value you copied as the service account.")
    # The name the operator gave the token (prefilled with the wizard's proposal), and, when the
    # wizard asked which of the account's tokens it is, the one they picked.
    name = form.text("service_token_name", label="Token name", required=False, max_length=100)
    picked = form.text("service_token_id", label="Token", required=False, max_length=40)
    try:
        form.raise_if_invalid()
        # Taught to the redactor once Okta accepts it: a wrong paste (a name, a sentence) is not
        # masked wherever it occurs from then on (security review, H1).
        token = Secret(value, remember=False)
        facts = await tokens.verify_service_token(state.engine, found.id, token,
                                                   actor_for(request, operator), token_name=name or None,
                                                   token_id=picked or None)
        token.remember()
    except ValidationFailed as exc:
        # Read again (the tokens to pick from were just kept as a fact); the name typed stays, never the token.
        return await refused(request, db, found.id, exc, typed={"service_token_name": notes.masked(name).text})
    note = ("Token verified: it belongs to the service account. Its value was not kept. It is the account's token "
            f"“{facts.get('service_token_name')}” ({facts.get('service_token_id')}).")
    note += tokens.asked_again(facts)  # the vendor still has the token it replaces (QA walk 12, M1)
    if facts.get("service_token_network") != "ANYWHERE":
        note += (" It is limited to network zones; the vendor's document asks for Any IP: set it on this step."
                 if facts.get("service_token_any_ip_required") else
                 f" Its network setting: {facts.get('service_token_network_text')} (for information).")
    # What waited for the token (removing Super Admin from the account) runs now, within the plan
    # already confirmed, instead of waiting for someone to press Continue.
    if await state.engine.why_not_apply(found.id) is None and await state.engine.has_work(found.id):
        with contextlib.suppress(JobBusy):
            await state.jobs.submit(found.id, "apply", operator.id)
            note += " The steps that waited for it are running now."
            return back(request, found.id, note, anchor="#progress")
    return back(request, found.id, note, anchor="#next-step")


@router.post("/{onboarding_id}/token/any-ip", name="onboarding_token_any_ip")
async def token_any_ip(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    try:
        await tokens.set_token_any_ip(state.engine, found.id, actor_for(request, operator))
    except ValidationFailed as exc:
        return back(request, found.id, exc.message, "error", anchor="#next-step")
    return back(request, found.id, "The token now allows Any IP.", anchor="#next-step")


@router.post("/{onboarding_id}/test-event/{check_key}", name="onboarding_test_event")
async def test_event(request: Request, db: ReadDbSession, onboarding_id: str, check_key: str,
                     operator: ActingOperator) -> Response:
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    try:
        note = await service.generate_test_event(state.engine, found.id, check_key, actor_for(request, operator))
    except ValidationFailed as exc:
        return back(request, found.id, exc.message, "error", anchor="#next-step")
    return back(request, found.id, note, anchor="#next-step")
