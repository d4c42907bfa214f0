"""System Log checks for connectors that ingest it (Microsoft Sentinel): that Okta is writing
events at all (the document's "ensure your Okta account is generating system logs"), and a
preview of what the connector backfills (the hour before it was created), counted by following
Okta's pagination. Each read is made once per phase through the phase cache."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from app.common.moments import stamp
from app.engine.checks.base import Check, CheckOutcome, CheckParams, CheckState, register
from app.engine.context import Context
from app.engine.status import timer_started
from app.okta.models import LogEvent

# Okta keeps the System Log for 90 days; older windows cannot be counted.
RETENTION_SECONDS = 90 * 86_400
# How a person is told that the System Log lags the event: a check right after it may miss it.
LOG_DELAY_WORDS = "Okta's System Log can take up to a minute to show an event"


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _published(published: str) -> str:
    """An event's time as the page's other moments are written (it showed Okta's raw
    "2026-12-05T18:46:00.316Z"); the raw value stays in the evidence."""
    try:
        return stamp(datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return published


class RecentParams(CheckParams):
    minutes: int = Field(default=15, ge=1, le=24 * 60)
    # The user whose profile title the "Generate a test event" button updates (a template such
    # as "{fact.service_account_id}"); without it the page offers no button.
    test_event_user: str | None = None
    # Once the connector exists (the timer this step started as it was created), any event it
    # ingests will do: those of the window before its creation (its backfill) and after. The last
    # ``minutes`` alone failed on a quiet org after the document's 30-minute wait, and the watch
    # would have read a quiet day as drift (QA walk 23, M1).
    timer_step: str | None = None
    window_minutes: int = Field(default=60, ge=1, le=24 * 60)


# Okta keeps its System Log for 90 days: a query from further back is not asked.
KEPT_SECONDS = 89 * 24 * 3600


@register
class SystemLogRecent(Check):
    kind = "system_log_recent"
    params_model = RecentParams

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p = RecentParams.model_validate(self.raw_params)
        now = ctx.clock.now()
        since = now - p.minutes * 60
        window = f"the last {p.minutes} minutes"
        started = timer_started(ctx.scope.facts, p.timer_step) if p.timer_step else None
        if started:
            since = max(min(since, started - p.window_minutes * 60), now - KEPT_SECONDS)
            window = "what the connector ingests: the hour before it was created, and since"
        latest: LogEvent | None = await ctx.cached(
            f"syslog:recent:{int(since)}", lambda: ctx.okta.logs.first(since=_moment(since)))
        if latest is None:
            # Okta's System Log shows an event moments after it, not at once (api-map, System Log):
            # a verification run right after the event can miss it, and must not read as a fault.
            remedy = ("Do something Okta records (sign in to the Admin Console, say), then verify again: "
                      f"{LOG_DELAY_WORDS}.")
            if p.test_event_user:
                remedy = ("Use “Generate a test event” on this step (it updates the service account's title, which "
                          f"Okta records), then verify again. If you just did: {LOG_DELAY_WORDS}, so verify "
                          "again in a minute.")
            return CheckOutcome.failed(f"Okta wrote no System Log event since {stamp(since)} ({window})", remedy,
                                       since=since)
        return CheckOutcome.passed(f"Okta is writing System Log events: the latest is {latest.eventType} at "
                                   f"{_published(latest.published)}", event_type=latest.eventType,
                                   published=latest.published)


class BackfillParams(CheckParams):
    timer_step: str  # the step whose timer the operator started when creating the connector
    window_minutes: int = Field(default=60, ge=1, le=24 * 60)
    page_size: int = Field(default=1000, ge=1, le=1000)
    fact: str = "backfill_counted"  # where the count is kept once the window is settled


# Okta writes an event to its System Log within moments, not at once: a window counted this long
# after it closed is counted for good.
SETTLED_SECONDS = 5 * 60


@register
class SystemLogBackfill(Check):
    """How many events the connector backfills: those of the window before its creation. The
    creation moment is when the operator started the timer of the connect step. The window is in
    the past: once counted after it settled, the count is kept (a fact) and said again, never read
    again: each verification and watch run read every page of it, a share of the org's log rate
    limit, and once Okta no longer kept the window (90 days) the watch read it as drift."""

    kind = "system_log_backfill"
    params_model = BackfillParams
    produces = frozenset({"{fact}"})

    async def _count(self, ctx: Context, since: float, until: float, page_size: int) -> dict[str, Any]:
        count, pages = 0, 0
        types: dict[str, int] = {}
        # A bounded query (since and until): Okta's last page has no next link.
        async for page in ctx.okta.logs.pages(since=_moment(since), until=_moment(until), limit=page_size):
            pages += 1
            count += len(page)
            for event in page:
                if isinstance(event, dict):
                    name = str(event.get("eventType", "?"))
                    types[name] = types.get(name, 0) + 1
            await ctx.progress(f"Backfill preview: {count:,} events counted ({pages} page{'s' if pages != 1 else ''})")
        return {"count": count, "pages": pages, "types": types}

    async def evaluate(self, ctx: Context, state: CheckState) -> CheckOutcome:
        p = BackfillParams.model_validate(self.raw_params)
        created = timer_started(ctx.scope.facts, p.timer_step)
        if created is None:
            return CheckOutcome.waiting("The connector's creation time is not recorded yet",
                                       "Start the timer on the step where you select Connect, as you create the "
                                       "connector; the wizard takes that moment as its creation time.")
        since = created - p.window_minutes * 60
        kept = ctx.scope.facts.get(p.fact) or {}
        if kept.get("created") == created and kept.get("since") == since:
            return CheckOutcome.passed(f"{kept['found']} (counted {stamp(float(kept['at']))})", created=created,
                                       count=kept.get("count"), counted_at=kept["at"])
        if ctx.clock.now() - since > RETENTION_SECONDS:
            # Not a fault to mend: the connector backfilled long ago, and Okta has since let the window go.
            return CheckOutcome.passed(f"The window before the connector's creation ({stamp(since)}) is older "
                                       "than the 90 days Okta keeps: nothing left to count; the connector "
                                       "backfilled it when it was created", created=created)
        found = await ctx.cached(f"syslog:backfill:{since}:{created}:{p.page_size}",
                                 lambda: self._count(ctx, since, created, p.page_size))
        window = f"from {stamp(since)} to {stamp(created)}"
        top = sorted(found["types"].items(), key=lambda item: (-item[1], item[0]))[:3]
        if not found["count"]:
            outcome = CheckOutcome.passed(f"Nothing to backfill: Okta wrote no events {window}; the "
                                          "OktaSystemLogs table fills with new events only", created=created, count=0)
        else:
            outcome = CheckOutcome.passed(
                f"The connector backfills {found['count']:,} events {window} ({found['pages']} page"
                f"{'s' if found['pages'] != 1 else ''} read), mostly "
                + ", ".join(f"{name} ({n})" for name, n in top), created=created, count=found["count"],
                pages=found["pages"])
        now = ctx.clock.now()
        if now - created >= SETTLED_SECONDS:
            outcome.facts[p.fact] = {"created": created, "since": since, "count": found["count"],
                                     "found": outcome.found, "at": now}
        return outcome
