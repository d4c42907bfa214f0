"""The Health page: every completed onboarding the watch looks after, with its last check, open
alerts, token expiry and vendor evidence, and the notification channels whose alerts are not
getting out (everyone signed in may read it); and, by whoever may act
on an onboarding, its own watch period and a new activation link for its service account once the
watch found it deactivated."""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.common.validation import ValidationFailed
from app.onboardings import reactivation
from app.store.repositories.operators import OperatorRepository
from app.store.statuses import Health
from app.watch.audience import owner_words
from app.watch.channel_state import failing_channels
from app.watch.health import health_rows
from app.watch.service import set_period
from app.web.deps import ActingOperator, CurrentOperator, DbSession, ReadDbSession, actor_for, form_values, read_form
from app.web.routes.onboarding_common import acting, assignee_only, back, draw_page, onboarding_or_404
from app.web.state import app_state
from app.web.templating import render

router = APIRouter()
MAX_HOURS = 24 * 31


@router.get("/health", name="health")
async def health_page(request: Request, db: ReadDbSession, operator: CurrentOperator) -> Response:
    state = app_state(request)
    wanted = request.query_params.get("health", "")
    only = Health(wanted) if wanted in Health.__members__ else None
    waiting = request.query_params.get("evidence") == "not_yet"
    assert state.watch is not None
    rows = await health_rows(db, state.library, state.watch.now(), state.watch.period, only,
                             "not_yet" if waiting else None)
    # Who owns each: the person to act on an alert (the page did not say: QA walk 17, L3).
    # One who can no longer act on it is named so: it waits in the help-desk queue (QA walk 24, M2).
    names = {str(op.id): owner_words(op) for op in await OperatorRepository(db).by_display_name()}
    return render(request, "health.html", {
        "rows": rows, "not_getting_out": await failing_channels(db), "names": names,
        "chosen": only.value if only else ("first_call" if waiting else ""),
        "choices": list(Health)[:3],
        "every_hours": state.settings.watch_every_hours, "first_call_hours": state.settings.watch_first_call_hours,
        "expiry_days": state.settings.watch_token_expiry_days, "unused_days": state.settings.watch_token_unused_days})


@router.post("/onboardings/{onboarding_id}/watch", name="onboarding_watch_period")
async def watch_period(request: Request, db: DbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    found = await acting(request, db, onboarding_id, operator)
    form = await read_form(request)
    # Any whole number is read, so one out of range is refused as such: the box cut 1000 to "100" and
    # saved it, and "-3" was told to be a whole number (QA walk 15, M2).
    text = form.text("every_hours", label="Hours between checks", required=False, max_length=12,
                     pattern=re.compile(r"-?\d{1,11}"), pattern_hint="Enter a whole number of hours, like 24.")
    hours = int(text) if text and not form.errors else None
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        form.errors["every_hours"] = f"Enter between 1 and {MAX_HOURS} hours (31 days)."
    if form.errors:
        return await draw_page(request, db, found.id, status_code=400, errors=form.errors,
                               message="The watch period was not changed.")
    await set_period(db, found, hours, actor_for(request, operator))
    await db.commit()
    return back(request, found.id, f"The watch checks this onboarding every {hours} hours from now." if hours
                else "The watch checks this onboarding at the usual pace from now.", anchor="#next-step")


@router.post("/onboardings/{onboarding_id}/service-account/activation-link", name="onboarding_reactivate")
async def reactivate(request: Request, db: ReadDbSession, onboarding_id: str, operator: ActingOperator) -> Response:
    """Reactivate the deactivated service account without e-mail and show its new activation link
    once, in this response only: a reload goes back to the page without it (it is never kept)."""
    state = app_state(request)
    found = await acting(request, db, onboarding_id, operator, okta=True)
    # The link signs in as an Okta administrator: like a kept secret, it goes to the assignee only
    # (security review of the thirty-first session, L1); anyone else is refused before Okta is asked.
    await assignee_only(request, db, found, operator, reactivation.PURPOSE)
    since = (await form_values(request)).get("since", "")
    try:
        label, link = await reactivation.new_activation_link(state.engine, found.id, actor_for(request, operator),
                                                             since)
    except ValidationFailed as exc:
        return back(request, found.id, exc.message, "error", anchor="#next-step")
    oid = found.id
    await db.rollback()  # drawn as it is now: reactivated, by whom and when, not as this request first read it
    return await draw_page(request, db, oid, revealed=(label, link.reveal(), reactivation.PURPOSE))


@router.get("/onboardings/{onboarding_id}/service-account/activation-link", name="onboarding_reactivate_again")
async def reactivate_again(request: Request, db: ReadDbSession, onboarding_id: str,
                           operator: CurrentOperator) -> Response:
    """The address of that answer opened again (a reload, the back button): the link is not kept, so
    back to the page, which offers the button while the account waits for it."""
    found = await onboarding_or_404(db, onboarding_id)
    return back(request, found.id, "An activation link is shown only once, when you press the button: press it "
                "again for a new one (the earlier link then stops working).", "info", anchor="#next-step")
