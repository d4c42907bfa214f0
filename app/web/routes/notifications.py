"""Where the watch's alerts go: an administrator adds a webhook or an e-mail channel, turns an
e-mail channel's sending to each onboarding's assignee on or off, sends a channel a test message,
or removes a channel (its sealed secret destroyed). The Settings page lists them with their state
and recent deliveries."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.common.text import counted
from app.common.validation import ValidationFailed, ticked
from app.watch.channels import (
    EmailRequest,
    WebhookRequest,
    add_channel,
    read_email,
    read_webhook,
    remove_channel,
    set_to_assignee,
)
from app.watch.notify import Notifier
from app.watch.trial import send_test
from app.web.deps import AdminOperator, DbSession, actor_for, form_values, read_form, typed_input, uuid_or_404
from app.web.flash import FLASH_LIMIT, set_flash
from app.web.responses import redirect
from app.web.routes.settings_page import settings_view
from app.web.state import app_state

router = APIRouter(prefix="/settings/notifications")

# What a refused form shows again as typed (QA L6): never a signing secret or password, nor a
# webhook's URL (a Slack webhook's address is its key: the pages show its host only), which the form
# asks for again, naming the host it was given.
SHOWN_AGAIN = ("webhook_label", "email_label", "recipients", "sender", "smtp_host", "smtp_port", "smtp_username")


def _host_of(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


async def _add(request: Request, db: DbSession, admin: AdminOperator, kind: str) -> Response:
    values = await form_values(request)
    notifier = _notifier(request)
    try:
        given = await read_webhook(typed_input(WebhookRequest, values), loopback_ok=notifier.loopback_ok,
                                   resolver=notifier.resolver) if kind == "webhook" \
            else await read_email(typed_input(EmailRequest, values), loopback_ok=notifier.loopback_ok,
                                  resolver=notifier.resolver)
        await add_channel(db, app_state(request).vault, given, actor_for(request, admin))
    except ValidationFailed as exc:
        typed = {name: values.get(name, "") for name in SHOWN_AGAIN}
        typed["webhook_host"] = _host_of(values.get("webhook_url", ""))
        for box in ("starttls", "to_assignee", "webhook_private_network", "smtp_private_network"):
            typed[box] = "on" if ticked(values.get(box, "")) else ""
        # What is never shown back, typed and fine, is to type again: said with what else to mend, in
        # the list at the top (a webhook took two refusals: the URL was asked for only once the secret
        # was given: QA walk 16, M5).
        errors = dict(exc.errors)
        host = typed["webhook_host"]
        again = {"webhook_url": f"Enter the webhook URL again{f' (the one at {host})' if host else ''}: it can "
                                "hold the receiver’s key, so it is never shown back.",
                 "webhook_secret": "Enter the signing secret again: it is never shown back.",
                 "smtp_password": "Enter the SMTP password again: it is never shown back."}
        for name, words in again.items():
            if not values.get(name, "").strip():
                continue
            # The URL's own fault (a private address) still asks for it again: it is not shown back either.
            errors[name] = f"{errors[name]} {words}" if name == "webhook_url" and name in errors \
                else errors.get(name, words)
        return await settings_view(request, db, errors=errors, message=exc.message, status_code=400,
                                   notify_typed=typed)
    await db.commit()
    # The page's top: its message stands above the notifications, the first section (an anchor to them
    # scrolled the message out of sight: QA walk 28, L3).
    response = redirect(request, str(request.url_for("settings")))
    if given.unresolved:  # added, but said: it read as a success (QA walk 24, L3)
        said = f"“{given.label}” was added, but {given.unresolved} does not resolve to an address from this server " \
               "now: nothing reaches it until it does. Check the name, then send a test message."
        # Whole, or where it is whole: a long name and host cut the advice at the end (review).
        set_flash(request, response, said if len(said) <= FLASH_LIMIT else
                  "The channel was added, but its host does not resolve to an address from this server now: check "
                  "the name, then send a test message.", "warning")
    else:
        set_flash(request, response, f"Alerts now also go to “{given.label}”.")
    return response


def _notifier(request: Request) -> Notifier:
    """The watch's notifier: the test message goes out as an alert's would, and a webhook's address
    is checked with its settings (whether this machine may be called: the sandbox)."""
    state = app_state(request)
    assert state.watch is not None
    return state.watch.notifier


@router.post("/webhook", name="notifications_add_webhook")
async def add_webhook(request: Request, db: DbSession, admin: AdminOperator) -> Response:
    return await _add(request, db, admin, "webhook")


@router.post("/email", name="notifications_add_email")
async def add_email(request: Request, db: DbSession, admin: AdminOperator) -> Response:
    return await _add(request, db, admin, "email")


@router.post("/{channel_id}/remove", name="notifications_remove")
async def remove(request: Request, db: DbSession, channel_id: str, admin: AdminOperator) -> Response:
    state = app_state(request)
    assert state.watch is not None
    removed = await remove_channel(db, state.vault, uuid_or_404(channel_id), actor_for(request, admin),
                                   state.watch.now())
    await db.commit()
    response = redirect(request, str(request.url_for("settings")))
    set_flash(request, response, f"“{removed.label}” removed: alerts no longer go there, and its secret is destroyed."
              if removed else "That channel was already removed.")
    return response


@router.post("/{channel_id}/test", name="notifications_test")
async def test(request: Request, db: DbSession, channel_id: str, admin: AdminOperator) -> Response:
    """Send the channel a test message now and say on the page whether it got through, and if not
    why, in the words a failed delivery is kept in (no alert is raised)."""
    state = app_state(request)
    trial = await send_test(db, _notifier(request), uuid_or_404(channel_id), actor_for(request, admin),
                            public_url=state.settings.resolved_public_url)
    await db.commit()
    # The top of the page, where the answer is (the notifications come first under it): at the
    # section's anchor the answer was scrolled out of sight.
    response = redirect(request, str(request.url_for("settings")))
    if trial is None:
        set_flash(request, response, "That channel was removed.", "warning")
    elif trial.failure is None:
        waiting = f" {counted(trial.resent, 'alert')} waiting for it {'is' if trial.resent == 1 else 'are'} sent " \
                  "again at the watch's next look." if trial.resent else ""
        set_flash(request, response, f"The test message reached “{trial.channel.label}”.{waiting}")
    else:
        # The words whole, or, when they do not fit the message, where they are whole: the channel's
        # row (a cut left "… Not sent…", the reason's start without its end: QA L3).
        said = f"The test message did not reach “{trial.channel.label}”: {trial.failure}"
        set_flash(request, response, said if len(said) <= FLASH_LIMIT else
                  f"The test message did not reach “{trial.channel.label}”: its row under Notifications says why.",
                  "error")
    return response


@router.post("/{channel_id}/assignee", name="notifications_assignee")
async def assignee(request: Request, db: DbSession, channel_id: str, admin: AdminOperator) -> Response:
    """An e-mail channel also sends to each onboarding's assignee, or stops (the box ticked or not)."""
    on = (await read_form(request)).boolean("to_assignee")
    try:
        changed = await set_to_assignee(db, uuid_or_404(channel_id), on, actor_for(request, admin))
    except ValidationFailed as exc:
        await db.rollback()
        return await settings_view(request, db, message=exc.message, status_code=400)
    await db.commit()
    response = redirect(request, str(request.url_for("settings")))
    if changed is None:
        set_flash(request, response, "That channel was removed.", "warning")
    else:
        set_flash(request, response, f"“{changed.label}” now also sends each alert to the onboarding's assignee."
                  if on else f"“{changed.label}” no longer sends alerts to the onboarding's assignee.")
    return response
