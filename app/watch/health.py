"""What the Health page shows for each watched onboarding: its health, the last run of the
checklist, the open alerts, the service token's expiry and inferred last use, the evidence from
Okta that the vendor uses what was set up, and when the watch looks next."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.playbooks.loader import PlaybookLibrary
from app.store.models import Alert, CheckResult, Onboarding, VerificationRun
from app.store.repositories.progress import latest_results
from app.store.repositories.watch import (
    VENDOR_EVIDENCE,
    is_watched,
    open_alerts_of,
    retired_connections,
    watched_onboardings,
)
from app.store.statuses import CheckStatus, Health
from app.watch.findings import (
    TOKEN_CHECK_KIND,
    TokenLost,
    TokenUse,
    check_kinds,
    refused,
    token_lost,
    token_use,
)


@dataclass(frozen=True)
class Evidence:
    """Whether Okta shows the vendor using what was set up: found, not yet, or cannot tell."""

    state: str  # found | not_yet | cannot_tell | lost (Okta refuses the token)
    text: str
    notes: tuple[str, ...] = ()  # what else Okta shows of the connection (a log stream's state)


LOG_STREAM_CHECK = "log_stream"


def _with_streams(evidence: Evidence, results: Mapping[str, CheckResult], kinds: Mapping[str, str]) -> Evidence:
    """A log stream (Oort's EventBridge) is part of the connection: its state as the latest run saw
    it. Okta shows whether a stream is active, not whether its events reach the vendor."""
    notes = tuple("Log stream active in Okta (Okta does not show whether its events reach the vendor)"
                  if result.status == CheckStatus.passed else _stream_said(result.found)
                  for key, result in sorted(results.items()) if kinds.get(key) == LOG_STREAM_CHECK)
    return replace(evidence, notes=notes) if notes else evidence


def _stream_said(found: str | None) -> str:
    """What the check found of a stream, said once: "Log stream: Log stream “Oort” is INACTIVE"
    named the stream twice (QA walk 29, L8)."""
    if not found:
        return "Log stream: not checked"
    return found if "log stream" in found.lower() else f"Log stream: {found}"


@dataclass(frozen=True)
class HealthRow:
    onboarding: Onboarding
    vendor: str
    health: Health
    last_run: VerificationRun | None
    alerts: list[Alert]
    token: TokenUse | None
    days_to_expiry: int | None  # negative once the expiry has passed since the last check
    evidence: Evidence
    next_at: datetime | None
    # Not scheduled yet (the watch schedules a newly completed onboarding at its next look, a period
    # on): next_at is then that estimate.
    next_estimated: bool = False
    stopped: bool = False  # its Okta connection was retired: not watched until another is chosen
    # The last check read the token's metadata and Okta no longer accepts the token (revoked or expired).
    lost: TokenLost | None = None
    has_token: bool = True  # the vendor's checklist has a service token to watch
    # Of the last run's failures, those Okta would not let the connection read (a 403): they could
    # not be checked, as the alert says, not found wrong (the row read "3 failed": QA walk 24, L6).
    not_checked: int = 0

    @property
    def lost_words(self) -> str:
        return lost_words(self.lost) if self.lost is not None else ""


def _evidence(has_token_check: bool, token: TokenUse | None, facts: Mapping[str, Any], looks: bool,
              lost: TokenLost | None = None) -> Evidence:
    """``looks``: the playbook says where the watch looks for the vendor's use (Authomize's grants);
    ``lost``: the last check found the token revoked or expired."""
    looked = facts.get(VENDOR_EVIDENCE) or {}
    token_seen = token is not None and token.used_since_paste
    if looked and (not has_token_check or (looked.get("state") == "found" and not token_seen)):
        if looked.get("state") == "found":
            when = str(looked.get("at", ""))[:16].replace("T", " ")
            return Evidence("found", f"{looked.get('event_type')} at {when} UTC "
                                     f"(looked for: {looked.get('looked_for')})")
        text = "No such event yet" if looked.get("state") == "not_yet" else "Could not look"
        return Evidence(str(looked.get("state", "cannot_tell")), f"{text} (looked for: {looked.get('looked_for')})")
    if not has_token_check:
        # Before the watch's first look it has not looked; without a place to look it never will.
        return Evidence("cannot_tell", "Not looked for yet: the watch looks in Okta's System Log at its next check"
                        if looks else "Okta shows nothing of this vendor's use of its connection")
    if lost is not None:
        # Read, and Okta refuses the token: the vendor cannot connect with it, whatever it did before
        # (not "not yet": that lists it as waiting for a first call that cannot come).
        return Evidence("lost", lost_words(lost) + ": the vendor cannot connect with it")
    if token is None or token.used_since_paste is None:
        return Evidence("cannot_tell", "The token's metadata was not read yet")
    if token.used_since_paste:
        return Evidence("found", "The token was used after it was pasted (inferred from its expiry in Okta)")
    return Evidence("not_yet", "No use of the token since it was pasted (inferred from its expiry in Okta)")


def lost_words(lost: TokenLost) -> str:
    """How a revoked or expired token reads on the pages (an expired token Okta still lists has a date)."""
    if lost.expired_at is not None:
        return f"Token expired in Okta on {lost.expired_at:%Y-%m-%d}"
    return "Token revoked or expired in Okta"


async def health_rows(session: AsyncSession, library: PlaybookLibrary, now: datetime,
                      period: Callable[[Onboarding], timedelta],
                      only: Health | None = None, evidence: str | None = None) -> list[HealthRow]:
    """The watched onboardings, those of one health or one state of the vendor's evidence
    (``not_yet``: waiting for the vendor's first call) if asked; ``period``: the watch's time
    between two looks at an onboarding, for the next look of one it has not scheduled yet."""
    onboardings = await watched_onboardings(session)
    stopped = await retired_connections(session)
    alerts = await open_alerts_of(session, [o.id for o in onboardings])
    rows = []
    for onboarding in onboardings:
        playbook = library.get(onboarding.vendor)
        kinds = check_kinds(playbook)
        run, results = await latest_results(session, onboarding.id)
        token = token_use(results, kinds, onboarding.facts or {})
        open_alerts = alerts.get(onboarding.id, [])
        # A run Okta left checks of unanswered did not find it healthy: it could not look.
        health = Health.alerting if open_alerts or (run is not None and run.failed) else \
            Health.not_checked if run is None or run.unchecked else Health.healthy
        if only is not None and health != only:
            continue
        lost = token_lost(results, kinds)
        seen = _seen(results, kinds, onboarding.facts or {}, token, playbook.evidence is not None, lost)
        if evidence is not None and seen.state != evidence:
            continue
        rows.append(HealthRow(
            onboarding=onboarding, vendor=playbook.name, health=health, last_run=run, alerts=open_alerts, token=token,
            days_to_expiry=None if token is None else _days_left(token.expires_at - now), lost=lost,
            has_token=TOKEN_CHECK_KIND in kinds.values(),
            evidence=seen, next_at=onboarding.watch_next_at or now + period(onboarding),
            next_estimated=onboarding.watch_next_at is None, stopped=onboarding.connection_id in stopped,
            not_checked=len(refused(results))))
    return rows


def evidence_for(library: PlaybookLibrary, onboarding: Onboarding, results: Mapping[str, CheckResult]
                 ) -> Evidence | None:
    """What Okta shows of the vendor's use of one watched onboarding (None if it is not watched),
    from its latest run's `results` (by check key) and its facts."""
    if not is_watched(onboarding):
        return None
    playbook = library.get(onboarding.vendor)
    kinds = check_kinds(playbook)
    return _seen(results, kinds, onboarding.facts or {}, token_use(results, kinds, onboarding.facts or {}),
                 playbook.evidence is not None, token_lost(results, kinds))


def _days_left(left: timedelta) -> int:
    """Whole days to the expiry; -1 once it has passed (a page read after the last check)."""
    return -1 if left <= timedelta(0) else left.days


def _seen(results: Mapping[str, CheckResult], kinds: Mapping[str, str], facts: Mapping[str, Any],
          token: TokenUse | None, looks: bool, lost: TokenLost | None) -> Evidence:
    """The evidence as the pages show it: the token's use or the client's grants, and the streams."""
    return _with_streams(_evidence(TOKEN_CHECK_KIND in kinds.values(), token, facts, looks, lost), results, kinds)
