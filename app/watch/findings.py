"""What a run of the checklist found that matters after completion: a check that fails now
(drift), the service token near its expiry or showing no use, the connection's own credential
failing. Also the evidence, from Okta, that the vendor uses what was set up.

A token's use is *inferred*: Okta restarts a token's window (``tokenWindow``, 30 days) at each use
and moves ``expiresAt`` with it, so the last use is ``expiresAt`` minus the window. Okta does not
document the window's rule beyond the field; the live mode (``make test-live``) is where a real org
confirms it, and the pages label this evidence as inferred.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.common.moments import okta_moment, stamp
from app.engine.checks.base import reads_okta
from app.engine.checks.library import NEW_TOKEN, ServiceToken, UserStatus
from app.playbooks.schema import Playbook
from app.store.models import CheckResult
from app.store.repositories.watch import TOKEN_EXPIRES
from app.store.statuses import COULD_NOT_CHECK, NOT_ANSWERED, CheckStatus, FindingKind

DEFAULT_TOKEN_WINDOW = timedelta(days=30)
# An alert's details: the alerts it speaks for (their keys), each with the words it goes on in alone;
# and, on an alert raised as another's continuation (app/watch/alerts.py), that one (its id, key,
# words, when it was raised, and these words), whose channels hear of it as that one's update.
SPEAKS_FOR, CONTINUES = "speaks_for", "continues"
# An open alert's details: the service account reactivated since it was last seen, by whom and when.
REACTIVATED = "reactivated"
# The check kinds the watch reads beyond pass and fail (the token's use and loss, the account's state).
TOKEN_CHECK_KIND = ServiceToken.kind
ACCOUNT_CHECK_KIND = UserStatus.kind


@dataclass(frozen=True)
class Finding:
    key: str
    kind: FindingKind
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenUse:
    """What Okta's metadata of the service token says, as of the latest run."""

    expires_at: datetime
    last_use: datetime  # inferred: expiresAt minus the window
    used_since_paste: bool | None  # None: the metadata at paste time was not recorded


def _window(value: object) -> timedelta:
    match = re.fullmatch(r"P(\d+)D", value) if isinstance(value, str) else None
    return timedelta(days=int(match.group(1))) if match else DEFAULT_TOKEN_WINDOW


def token_use(results: Mapping[str, CheckResult], kinds: Mapping[str, str],
              facts: Mapping[str, Any]) -> TokenUse | None:
    """The service token's expiry and inferred last use from the latest run's token check."""
    for key, result in results.items():
        if kinds.get(key) != TOKEN_CHECK_KIND or not _token_fine(result):
            continue
        expires = okta_moment((result.evidence or {}).get("expires_at"))
        if expires is None:
            return None
        return TokenUse(expires_at=expires, last_use=expires - _window((result.evidence or {}).get("token_window")),
                        used_since_paste=used_since_paste(expires, facts))
    return None


def used_since_paste(expires_at: datetime, facts: Mapping[str, Any]) -> bool | None:
    """Whether the token's expiry Okta lists now moved on since the paste (whose own calls came
    before its expiry was kept): someone, the vendor, called Okta with it. None: not kept then."""
    at_paste = okta_moment(facts.get(TOKEN_EXPIRES))
    return None if at_paste is None else expires_at > at_paste


REFUSED_KEY = "refused:"  # an alert's key for a check Okta refuses: refused:<check key>


def refused(results: Mapping[str, CheckResult]) -> set[str]:
    """The checks Okta refused for good (a 403 to the connection's credential, say), not left
    unanswered: verifying again later reads the same refusal, so each is alerted on its own."""
    return {key for key, result in results.items() if result.status == CheckStatus.failed
            and (result.found or "").startswith(COULD_NOT_CHECK)}


def unreadable(results: Mapping[str, CheckResult]) -> set[str]:
    """Checks Okta could not be asked about this time (an error, a timeout, no answer) or refused:
    they say nothing about drift, so their own alerts neither rise nor clear."""
    return {key for key, result in results.items() if result.status == CheckStatus.unchecked} | refused(results)


def check_kinds(playbook: Playbook) -> dict[str, str]:
    """Each check's kind by its key: how the findings know the account's and the token's checks."""
    return {check.key: check.kind for _step, check in playbook.checks()}


@dataclass(frozen=True)
class TokenLost:
    """The latest run read the token's metadata and Okta no longer accepts the token."""

    expired_at: datetime | None  # listed past its expiry; None: gone from Okta (revoked, or dropped once expired)
    seen: str  # what the check found, in its words
    check: str = ""  # the token check's key: its alert is the one alert of a lost token


def token_lost(results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> TokenLost | None:
    """Whether the token check found the token revoked or expired (not: could not ask Okta)."""
    for key, result in _token_results(results, kinds):
        lost = (result.evidence or {}).get("lost")
        if result.status == CheckStatus.failed and lost in ("gone", "expired"):
            expired = okta_moment((result.evidence or {}).get("expires_at")) if lost == "expired" else None
            return TokenLost(expired_at=expired, seen=result.found or "", check=key)
    return None


# Between what went wrong and the checklist item in an alert's words: an e-mail subject ends before it.
ITEM_SAID = " Checklist item: "


def _title(result: CheckResult, label: str) -> str:
    """An alert's words: what went wrong first, in a sentence, then the item (the checklist item's
    label first read as if all were well: "The service account is active: … is DEPROVISIONED").
    A check whose finding does not lead with what went wrong says it in ``problem``; the others'
    findings do ("No Okta group is named 'x'", "Okta refused the client credentials (…)")."""
    problem = (result.evidence or {}).get("problem") or (result.found or "").rstrip(". ") or "The check failed"
    return f"{problem}.{ITEM_SAID}{label}."


def account_down(results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> str | None:
    """The key of the service account's status check when it found the account not active (or
    gone), as Okta answered this time; None otherwise."""
    unknown = unreadable(results)
    return next((key for key, result in sorted(results.items()) if kinds.get(key) == ACCOUNT_CHECK_KIND
                 and result.status == CheckStatus.failed and key not in unknown), None)


def superseded(results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> tuple[frozenset[str], str]:
    """The alerts this run's one alert now speaks for, and its key: a lost token's is the token
    check's (which supersedes the live token's), unless the account is down too: then the
    account's, which supersedes the token check's as well."""
    lost = token_lost(results, kinds)
    if lost is None:
        return frozenset(), ""
    down = account_down(results, kinds)
    if down is None:
        return LIVE_TOKEN_ALERTS, f"check:{lost.check}"
    return LIVE_TOKEN_ALERTS | {f"check:{lost.check}"}, f"check:{down}"


# The alerts of a live token (near its expiry, unused): once Okta no longer accepts the token, the
# token check's alert says so, with the date it expired and what to do; these are superseded, not
# resolved (three alerts and three notifications spoke of one lost token).
LIVE_TOKEN_ALERTS = frozenset({"token_expiry", "token_unused"})


def token_vouched(results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> bool:
    """Whether this run can say anything of the token's expiry and use: only a token check that
    found its token fine can (passed, or failed only for the account's other tokens). A revoked,
    expired or unreadable token is not a token the vendor started to use, so
    its expiry and unused-token alerts must not clear (and read as resolved) on such a run."""
    return all(_token_fine(result) for _key, result in _token_results(results, kinds))


def _token_fine(result: CheckResult) -> bool:
    """Whether the token check found the watched token itself live and as set up: it passed, or it
    failed only for the service account's other live tokens (``token_live``), whose alert is the
    check's own; the watched token's expiry and use are still read."""
    return result.status == CheckStatus.passed or (
        result.status == CheckStatus.failed and bool((result.evidence or {}).get("token_live")))


def _token_results(results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> list[tuple[str, CheckResult]]:
    return [(key, result) for key, result in sorted(results.items()) if kinds.get(key) == TOKEN_CHECK_KIND]


# What an Okta admin does about the token alerts (the notifications and the Health page say it).
USE_OR_REVOKE = ("Ask the vendor to check their Okta connection: each call with the token moves its expiry on. "
                 "If they no longer use it, revoke the token in Okta (Security > API > Tokens).")
CREDENTIAL = ("Open the onboarding: check its Okta connection on the Connections page (its API token may be "
              "revoked or expired), or choose another connection.")


def _expiry(expires_at: datetime, now: datetime, token_id: object, remedy: str) -> Finding:
    left = expires_at - now
    details = {"expires_at": expires_at.isoformat(), "token_id": token_id}
    if left <= timedelta(0):
        return Finding("token_expiry", FindingKind.token_expiry,
                       f"The service account's API token expired on {stamp(expires_at)}: the vendor can no "
                       "longer connect with it", {**details, "remedy": remedy})
    when = f"in {left.days} days" if left.days else "within a day"
    return Finding("token_expiry", FindingKind.token_expiry,
                   f"The service account's API token expires {when} ({stamp(expires_at)}) unless the vendor uses it",
                   {**details, "remedy": USE_OR_REVOKE})


def findings(results: Mapping[str, CheckResult], labels: Mapping[str, str], kinds: Mapping[str, str],
             facts: Mapping[str, Any], now: datetime, *, expiry_days: int, unused_days: int,
             lost_token: str = NEW_TOKEN, token_step: str = "") -> list[Finding]:
    """``lost_token``: what to do about a token expired, with the vendor's place for a new one
    (``new_token(playbook.token_place)``), as the token check says it; ``token_step``: where a new
    token is pasted (`token_step`)."""
    unknown = unreadable(results)
    answered = [key for key in results if key not in unknown and reads_okta(kinds.get(key, ""))]
    if unknown and not answered:
        # Nothing could be read at all: that is the connection's credential (or Okta) failing. One
        # check left unanswered among others answered is not (it raised this alert: review).
        first = results[sorted(unknown)[0]].found or ""
        return [credential_finding(first.removeprefix(COULD_NOT_CHECK).removeprefix(NOT_ANSWERED).strip())]
    # A token lost with its account (deactivated, deleted) is the account's alert, whose remedy
    # mends both: the token's own ("create a new token") cannot be done before it (QA walk 10, M2).
    lost, down = token_lost(results, kinds), account_down(results, kinds)
    found = [Finding(f"check:{key}", FindingKind.drift, _title(result, labels.get(key, key)),
                     {"check": key, "label": labels.get(key, key), "remedy": result.remedy}
                     | (_speaks_for(result, lost.check, token_step) if down == key and lost else {}))
             for key, result in sorted(results.items()) if result.status == CheckStatus.failed and key not in unknown
             and not (down and lost and key == lost.check)]
    # A check Okta refuses for good was neither raised nor cleared, so nothing of it was ever told, and
    # the watch was blind to it (the token's revocation, expiry and use, when it was the token check).
    found += [Finding(f"{REFUSED_KEY}{key}", FindingKind.credential,
                      f"The watch cannot check “{labels.get(key, key)}”: "
                      + (results[key].found or "").removeprefix(COULD_NOT_CHECK).strip(),
                      {"check": key, "label": labels.get(key, key), "remedy": results[key].remedy})
              for key in sorted(refused(results))]
    token_id = facts.get("service_token_id")
    use = token_use(results, kinds, facts)
    if use is not None:
        if use.expires_at - now <= timedelta(days=expiry_days):
            found.append(_expiry(use.expires_at, now, token_id, lost_token))
        idle = now - use.last_use
        if idle >= timedelta(days=unused_days):
            # Said since when, not for how many days: the alert's words stay as they were raised
            # (they read "16 days", then "31 days" beside the same raised time: QA walk 6, L3).
            found.append(Finding("token_unused", FindingKind.token_unused,
                                 "No sign that the vendor used the service account's API token since "
                                 f"{stamp(use.last_use)} (inferred from the token's expiry in Okta)",
                                 {"last_use": use.last_use.isoformat(), "inferred": True, "token_id": token_id,
                                  "remedy": USE_OR_REVOKE}))
    return found


# Why the token was lost, by the account's status when the watch found it down. An account once
# active is PROVISIONED only once reactivated after its deactivation, waiting for its person.
_LOST_WHEN = {"DEPROVISIONED": "when it was deactivated", "PROVISIONED": "when it was deactivated",
              "SUSPENDED": "while it was suspended", "LOCKED_OUT": "while it was locked out"}


def _speaks_for(account: CheckResult, token_check: str, token_step: str) -> dict[str, Any]:
    """The account's alert speaks for the token lost with it (one cause, one alarm). When the account
    is active again and the token is still lost, the token's alert carries the account's on, in
    these words (app/watch/alerts.py), not as a new alarm beside a "resolved" one: the person is
    already on the account's remedy, whose next step is the new token."""
    when = _LOST_WHEN.get(str((account.evidence or {}).get("status")), "while it was not active")
    where = f"at {token_step}" if token_step else "on the token step"
    return {SPEAKS_FOR: {f"check:{token_check}": f"The service account is active again; its API token was removed "
                                                 f"{when}: create a new one {where}"}}


def token_step(playbook: Playbook, check: str) -> str:
    """Where the onboarding's page takes a new service token, for the token check ``check``: its
    section's token step, as the page names it ("step 6 (Copy the token value)"); "" if none."""
    for section, step in playbook.steps():
        if any(c.key == check for c in step.checks):
            pasted = [s for s in section.steps if s.task is not None and s.task.kind == TOKEN_CHECK_KIND]
            return f"step {pasted[0].number} ({pasted[0].title})" if pasted else ""
    return ""


def credential_finding(message: str) -> Finding:
    return Finding("credential", FindingKind.credential,
                   f"The watch could not use this onboarding's Okta connection: {message}"[:1000],
                   {"remedy": CREDENTIAL})
