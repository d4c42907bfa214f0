"""What the page says once a run it watched has ended: the progress panel reloads the page, and the
person who pressed Confirm and apply read the next step's card with no word of what had just been
written to Okta (QA walk 16, M3). An apply says what it did, counted by outcome; a stopped run says
that it stopped (the card shows its error first)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from app.store.models import Job
from app.store.repositories.checkpoints import action_rows
from app.store.statuses import ActionOutcome, ActionState, JobState

# Outcomes in the order a person reads them, in the plan's words.
_OUTCOMES = ((ActionOutcome.created, "created"), (ActionOutcome.adopted, "adopted (they existed)"),
             (ActionOutcome.changed, "changed"), (ActionOutcome.unchanged, "unchanged (already right)"),
             (ActionOutcome.removed, "removed"))
# What the page says of a run once it has ended, in place of the words that announced it.
ENDED = {"apply": "The wizard's run has ended: what it did is below.",
         "verify": "The verification has ended: the checklist below is as Okta answered it.",
         "reverify": "The re-verification has ended: the checklist below is as Okta answered it.",
         "undo": "The undo has ended: what it removed is below.",
         "undo_shared": "The undo has ended: what it removed is below."}


_NAMED = 2  # at most this many actions are named, not counted

STOPPED = "The run stopped before its end: this page says what went wrong, and what to do."


async def run_ended_words(session: AsyncSession, job: Job) -> str | None:
    """The words for ``job``, which has ended (None while it runs, or for a run nobody pressed for:
    the watch's). One that stopped on an error says so: the words announced at the press ("the
    wizard has applied it") were shown over a run that had failed."""
    if job.state in (JobState.queued, JobState.running) or job.kind not in ENDED:
        return None
    if job.state != JobState.succeeded:
        return STOPPED
    if job.kind != "apply":
        return ENDED[job.kind]
    since = job.started_at or job.created_at
    rows = [row for row in (await action_rows(session, job.onboarding_id)).values()
            if row.state == ActionState.done and row.outcome and row.updated_at >= since]
    if not rows:
        return "The wizard's run has ended: nothing was left for it to do in Okta now."
    said = [row.summary or "" for row in rows]
    if len(rows) <= _NAMED and all(0 < len(words) <= 160 for words in said):
        # One or two, named: "Applied in Okta: 1 removed." after the token's paste said nothing of
        # what (Super Administrator taken from the service account: QA walk 20, L2).
        return f"Applied in Okta: {'; '.join(words.rstrip('.') for words in said)}."
    outcomes = Counter(row.outcome for row in rows)
    done = [f"{outcomes[outcome]} {words}" for outcome, words in _OUTCOMES if outcomes[outcome]]
    return f"Applied in Okta: {', '.join(done)}. Each step below says what the wizard did there."
