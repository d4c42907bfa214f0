"""The words of an alert's notification: its e-mail subject, its headline, and what it says of
when it clears (raised) or how long it was open (resolved). A resolved alert is said as good news;
one raised as the continuation of another is said to that one's channels as its update ("[Update]":
what is left of the cause they were told of), not as a new alarm."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from app.common.moments import stamp
from app.common.text import lasted
from app.playbooks.tasks import TOKEN_VERIFIED_AT
from app.store.models import Alert, Onboarding
from app.watch.findings import CONTINUES, ITEM_SAID, REACTIVATED, REFUSED_KEY


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
    if alert.key.startswith(REFUSED_KEY):
        return f"Okta answers the watch's check again: {details.get('label') or alert.summary}."
    if alert.kind == "credential":
        return "the watch can use this onboarding's Okta connection again."
    label = details.get("label")
    return f"this check passes again: {label}." if label else f"the watch no longer finds this: {alert.summary}"


def _token_since(note: Mapping[str, Any], facts: Mapping[str, Any] | None) -> bool:
    """A token was pasted since the reactivation ``note`` (both moments the database's clock)."""
    pasted = (facts or {}).get(TOKEN_VERIFIED_AT)
    return pasted is not None and float(pasted) > datetime.fromisoformat(str(note["at"])).timestamp()


def shown(alert: Alert, facts: Mapping[str, Any] | None = None) -> str:
    """An open alert's words on the pages: as the last run found it, unless a person reactivated the
    service account since (the pages said it was still deactivated until the next run); and once a
    new token is pasted (``facts``: the onboarding's), not that it still waits for its password (QA
    walk 20, L6)."""
    note = (alert.details or {}).get(REACTIVATED)
    if not note:
        return alert.summary
    label = (alert.details or {}).get("label")
    then = (": a new API token was pasted since, and the watch's next check, due now, clears this once Okta shows "
            "the account active" if _token_since(note, facts) else
            ": it waits for its password to be set with its new activation link, and for the watch's next check")
    return (f"{note['login']} was reactivated in Okta by {note['by']} on {stamp(datetime.fromisoformat(note['at']))}"
            + then + (f".{ITEM_SAID}{label}." if label else "."))


def shown_remedy(alert: Alert, facts: Mapping[str, Any] | None = None) -> str | None:
    """What to do about an open alert, on the pages: after a reactivation, what is left of it."""
    details = alert.details or {}
    note = details.get(REACTIVATED) or {}
    if note and _token_since(note, facts):
        return "Give the vendor the new token, if that is not done yet; nothing else is left to do in Okta."
    return str(note.get("remedy") or details.get("remedy") or "") or None


def _said(event: str) -> str:
    return {"raised": "[Alert]", "continued": "[Update]"}.get(event, "[Resolved]")


def _what(event: str, alert: Alert, onboarding: Onboarding) -> str:
    """What the message is about: the problem (raised), what is left of the problem the channel was
    told of (continued: the alert carrying it on), or the good news (resolved)."""
    if event == "continued":
        return str(alert.details[CONTINUES]["words"])
    return alert.summary if event == "raised" else resolved(alert, onboarding)


def subject(event: str, alert: Alert, vendor: str, onboarding: Onboarding) -> str:
    """An e-mail subject an inbox shows whole: the vendor, the org's host and what went wrong, not
    its checklist item (it ended "… Checklist item: The…", the org a full address: QA walk 11, L9)."""
    host = urlsplit(onboarding.org_origin).hostname or onboarding.org_origin
    what = _what(event, alert, onboarding)
    return f"{_said(event)} {vendor} on {host}: {what.split(ITEM_SAID, 1)[0] if event == 'raised' else what}"


def headline(event: str, alert: Alert, vendor: str, onboarding: Onboarding) -> str:
    what = _what(event, alert, onboarding)
    return f"{_said(event)} {vendor} on {onboarding.org_origin}: {what}{'.' if event == 'continued' else ''}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the database may keep them naive (UTC)


def when(event: str, alert: Alert, onboarding: Onboarding) -> str:
    """A raised alert: how it clears sooner than the watch's next run (a person's Re-verify, once it
    is put right), and when that run is; one carrying another on says which one first. A resolved
    one: when it began and how long it was open."""
    if event in ("raised", "continued"):
        then = f"on {stamp(onboarding.watch_next_at)}" if onboarding.watch_next_at else "at its next scheduled run"
        earlier = (alert.details or {}).get(CONTINUES) if event == "continued" else None
        # When, not its words: they changed with each run since (the account "PROVISIONED" once reactivated).
        went_on = "" if not earlier else (
            f"This carries on the alert raised on {stamp(datetime.fromisoformat(earlier['raised_at']))}: that one "
            "is closed, and what is left of it stays open as this alert. ")
        return (f"{went_on}Once it is put right, press Re-verify on the onboarding to clear this alert; otherwise the "
                f"watch looks again {then}.")
    raised = _utc(alert.raised_at)
    cleared = _utc(alert.cleared_at) if alert.cleared_at else raised
    return f"This alert was raised on {stamp(raised)} and was open for {lasted((cleared - raised).total_seconds())}."
