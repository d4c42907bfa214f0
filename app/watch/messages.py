"""The words of an alert's notification: its e-mail subject, its headline, and what it says of
when it clears (raised) or how long it was open (resolved). A resolved alert is said as good news."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from app.common.moments import stamp
from app.common.text import lasted
from app.store.models import Alert, Onboarding
from app.watch.findings import ITEM_SAID


def resolved(alert: Alert, onboarding: Onboarding) -> str:
    """What a cleared alert means, as good news: the problem's own words would read as if it were
    still there ("... is missing" under a "cleared" heading)."""
    details = alert.details or {}
    if alert.kind in ("token_expiry", "token_unused") and details.get("token_id") \
            and details.get("token_id") != (onboarding.facts or {}).get("service_token_id"):
        return "a new API token was pasted for the service account."
    if alert.kind == "token_expiry":
        return "the service account's API token is no longer close to expiry: the vendor used it, which moved its " \
               "expiry on in Okta."
    if alert.kind == "token_unused":
        return "Okta shows the vendor used the service account's API token again (inferred from its expiry)."
    if alert.kind == "credential":
        return "the watch can use this onboarding's Okta connection again."
    label = details.get("label")
    return f"this check passes again: {label}." if label else f"the watch no longer finds this: {alert.summary}"


def subject(event: str, alert: Alert, vendor: str, onboarding: Onboarding) -> str:
    """An e-mail subject an inbox shows whole: the vendor, the org's host and what went wrong, not
    its checklist item (it ended "… Checklist item: The…", the org a full address: QA walk 11, L9)."""
    host = urlsplit(onboarding.org_origin).hostname or onboarding.org_origin
    what = alert.summary.split(ITEM_SAID, 1)[0] if event == "raised" else resolved(alert, onboarding)
    return f"[{'Alert' if event == 'raised' else 'Resolved'}] {vendor} on {host}: {what}"


def headline(event: str, alert: Alert, vendor: str, onboarding: Onboarding) -> str:
    if event == "raised":
        return f"[Alert] {vendor} on {onboarding.org_origin}: {alert.summary}"
    return f"[Resolved] {vendor} on {onboarding.org_origin}: {resolved(alert, onboarding)}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the database may keep them naive (UTC)


def when(event: str, alert: Alert, onboarding: Onboarding) -> str:
    """A raised alert: how it clears sooner than the watch's next run (a person's Re-verify, once it
    is put right), and when that run is. A resolved one: when it began and how long it was open."""
    if event == "raised":
        then = f"on {stamp(onboarding.watch_next_at)}" if onboarding.watch_next_at else "at its next scheduled run"
        return (f"Once it is put right, press Re-verify on the onboarding to clear this alert; otherwise the watch "
                f"looks again {then}.")
    raised = _utc(alert.raised_at)
    cleared = _utc(alert.cleared_at) if alert.cleared_at else raised
    return f"This alert was raised on {stamp(raised)} and was open for {lasted((cleared - raised).total_seconds())}."
