"""Every status word the wizard stores, one enum per vocabulary.

These are the values of the `status` and `state` columns; the pages, the lists' filters and the
reports read them. Being `StrEnum`s, a member is its string (it compares equal to it, and is what
the database and the JSON exports hold), so the column types and the stored rows do not change;
what changes is that a misspelt status is a name error instead of a row no query ever finds.
"""

from __future__ import annotations

from enum import StrEnum


class OnboardingStatus(StrEnum):
    """Where an onboarding stands (`onboardings.status`), derived by `app/engine/status.py`."""

    draft = "draft"
    in_progress = "in_progress"
    waiting = "waiting"
    blocked = "blocked"
    completed = "completed"
    undone = "undone"
    closed = "closed"


class WaitingFor(StrEnum):
    """What a waiting onboarding waits for (`onboardings.waiting_for`)."""

    service_token = "service_token"  # noqa: S105 (a step's name, not a credential)
    timer = "timer"
    vendor_console = "vendor_console"
    operator = "operator"


class ActionState(StrEnum):
    """An action's checkpoint (`onboarding_actions.state`): `applying` is the intent written before
    the Okta call, so a restart knows a write may have happened."""

    pending = "pending"
    applying = "applying"
    done = "done"
    failed = "failed"
    undone = "undone"
    kept = "kept"


class JobState(StrEnum):
    """A background job's state (`jobs.state`)."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class CheckStatus(StrEnum):
    """A verification check's result (`check_results.status`)."""

    passed = "passed"
    failed = "failed"
    # Not yet, and not a fault: a wait the document asks for is running or has not been started.
    waiting = "waiting"
    attested = "attested"
    # Okta does not meet the item, and a named person's attestation that the document allows
    # (a third party's word: Drata's support syncs several email domains) accepts it: done on the
    # checklist, but never read or counted as a pass (it read "Passed": QA walk 11, M2).
    accepted = "accepted"
    needs_attestation = "needs_attestation"
    # Okta did not answer the check's reads (a 5xx, a 429 past its wait, a timeout): nothing was
    # found wrong, and nothing proven; the next verification asks again.
    unchecked = "unchecked"
    # Never stored: what a report says of a check no verification run has looked at yet.
    not_verified = "not_verified"


class Outcome(StrEnum):
    """How an audited action ended (`audit_events.outcome`)."""

    ok = "ok"
    failed = "failed"
    denied = "denied"
    # An Okta call answered 404 where the caller asked "does it exist (yet)?": an answer, not a
    # fault (the look-up before the wizard creates a role read "Failed": QA walk 13, M2).
    not_found = "not_found"


class SessionEnd(StrEnum):
    """Why the server ended a person's sessions (`web_sessions.ended_reason`): the sign-in page
    they land on says so. A session they signed out of is deleted, and needs no words."""

    disabled = "disabled"  # by an administrator, or the identity provider gives no role any more
    password_reset = "password_reset"  # noqa: S105 - an administrator set a new password (a reason, no password)
    password_changed = "password_changed"  # noqa: S105 - the person chose a new one in another session (a reason)


# The groups the queries and pages ask about.
FINISHED = (OnboardingStatus.undone, OnboardingStatus.closed)  # nothing is left to do, ever
# Still in someone's hands, or its objects still in Okta (a connection retired under it stops it).
OPEN = (OnboardingStatus.draft, OnboardingStatus.in_progress, OnboardingStatus.waiting, OnboardingStatus.blocked,
        OnboardingStatus.completed)
ACTED = frozenset({ActionState.done, ActionState.applying, ActionState.failed})  # may have written to Okta
ACTIVE_JOBS = (JobState.queued, JobState.running)
GOOD = (CheckStatus.passed, CheckStatus.attested, CheckStatus.accepted)  # counts as done on the checklist
# Results a later apply, token paste or timer start may have made untrue: not shown as current then.
BEFORE_A_CHANGE = (CheckStatus.failed, CheckStatus.waiting, CheckStatus.unchecked)
# How an unchecked result's finding begins (what Okta answered follows).
NOT_ANSWERED = "Not checked:"
# How the finding of a check Okta refused begins (a 4xx to the connection's credential, say).
COULD_NOT_CHECK = "Could not check:"
# What to do about a check Okta refuses to the onboarding's connection (it may not read that).
REFUSED_REMEDY = ("Okta refused this read to the onboarding's Okta connection: give the connection's administrator "
                  "a role that may read it (a Super Administrator reads all of it), or choose another connection on "
                  "the onboarding's page; then re-verify. Until then this item is not watched.")
# A connection's preflight key: when Okta last did not accept its credential (a 401: the token revoked,
# expired unused, or its owner deactivated), set by the run or plan it stopped and by a failed check on
# Okta connections; a new token (which writes a fresh preflight) ends it. The pages ask for another.
REFUSED_AT = "refused_at"
# Another failure of "Check again" on Okta connections (the token's owner no longer Super Admin, Okta
# unreachable): when, and what Okta answered, shown on the connection's row until a check passes. The
# row read "Super Admin" from the check before, and the failure showed in the form to add one (QA walk
# 24, M3).
CHECK_FAILED = "check_failed"
# Says nothing against a step whose actions are done (no result yet, or Okta did not answer).
NOT_AGAINST: tuple[CheckStatus | None, ...] = (None, *GOOD, CheckStatus.unchecked)


class Verdict(StrEnum):
    """What a plan says it will do with one object (a plan item's `verdict`, like `terraform plan`)."""

    create = "create"
    adopt = "adopt"
    unchanged = "unchanged"
    change = "change"
    remove = "remove"
    conflict = "conflict"  # exists with other content: the wizard will not overwrite it
    deferred = "deferred"  # found only once a person has done their part


class ActionOutcome(StrEnum):
    """What applying an action did (`onboarding_actions.outcome`); undo removes what was created
    and restores what was changed."""

    created = "created"
    adopted = "adopted"
    unchanged = "unchanged"
    changed = "changed"
    removed = "removed"


def applied_words(done: str, created_by_us: bool) -> str:
    """What applying an action did (its outcome, or its state when it has none), with whether this
    onboarding made the object when the outcome does not already say so ("created (created here)")."""
    return f"{done} (created here)" if created_by_us and done != ActionOutcome.created else done


class Intent(StrEnum):
    """The write an action checkpointed before calling Okta (its record's `intent`), so a retry
    after a crash knows what may already have happened."""

    create = "create"
    activate = "activate"
    reactivate = "reactivate"
    adopt = "adopt"
    assign = "assign"
    change = "change"
    remove = "remove"
    new_secret = "new_secret"  # noqa: S105 (the name of a step, not a secret)
    guided = "guided"


class StepState(StrEnum):
    """How a step of an onboarding's page is drawn (its badge and whether it is open)."""

    failed = "failed"
    done = "done"
    waiting = "waiting"
    todo = "todo"
    attention = "attention"
    info = "info"
    # Something a person does (in a console) that the wizard cannot check at this step: not "for
    # information", which told people they could skip it; checked, if at all, by a later step.
    guide = "guide"
    # A step that only asks for a value one may leave empty (Drata's group label to sync), none given:
    # it read "for information" above its own box (QA walk 27, L11); once given, its check makes it "to do".
    optional = "optional"


# Steps that have no done/not-done of their own: not counted in progress, never "still to do".
UNTRACKED_STEPS = frozenset({StepState.info, StepState.guide, StepState.optional})


# The words a person reads for each state, everywhere it is shown (pages, reports): one vocabulary.
STEP_WORDS: dict[str, str] = {
    StepState.done: "done", StepState.failed: "failed", StepState.waiting: "waiting", StepState.todo: "to do",
    StepState.attention: "needs attention", StepState.info: "for information",
    StepState.guide: "instructions", StepState.optional: "optional"}
CHECK_WORDS: dict[str, str] = {
    CheckStatus.passed: "passed", CheckStatus.failed: "failed", CheckStatus.waiting: "waiting",
    CheckStatus.needs_attestation: "to attest", CheckStatus.attested: "attested",
    CheckStatus.accepted: "accepted on attestation",
    CheckStatus.not_verified: "not checked yet", CheckStatus.unchecked: "could not check"}
OUTCOME_WORDS: dict[str, str] = {Outcome.ok: "Done", Outcome.failed: "Failed", Outcome.denied: "Refused",
                                 Outcome.not_found: "Not found (expected)"}
ONBOARDING_WORDS: dict[str, str] = {
    OnboardingStatus.draft: "Draft", OnboardingStatus.in_progress: "In progress", OnboardingStatus.waiting: "Waiting",
    OnboardingStatus.blocked: "Blocked", OnboardingStatus.completed: "Completed", OnboardingStatus.undone: "Undone",
    OnboardingStatus.closed: "Closed"}
WAITING_WORDS: dict[str, str] = {
    WaitingFor.service_token: "for the service account's token", WaitingFor.vendor_console: "for the vendor's console",
    WaitingFor.timer: "for a timer", WaitingFor.operator: "for you"}
# A run of the checklist by its kind (`verification_runs.kind`, the job that made it).
RUN_WORDS: dict[str, str] = {"verify": "Verified", "reverify": "Re-verified", "watch": "Re-verified by the watch"}
# What an onboarding's header says while a job of each kind runs: its stored status is the one derived
# before, and read "Blocked" with the last error beside a Retry under way (QA walk 11, M5).
RUNNING_WORDS: dict[str, str] = {
    "apply": "Applying the confirmed plan.", "verify": "Verifying the checklist against Okta.",
    "reverify": "Re-verifying the checklist against Okta.", "watch": "The watch is re-verifying the checklist.",
    "undo": "Undoing what this onboarding created in Okta.", "undo_shared": "Undoing what this onboarding created "
    "in Okta."}
ACTION_WORDS: dict[str, str] = {
    ActionState.pending: "not yet", ActionState.applying: "in progress", ActionState.done: "done",
    ActionState.failed: "failed", ActionState.undone: "undone", ActionState.kept: "kept"}


class FindingKind(StrEnum):
    """What a watch finding is about (`alerts.kind`)."""

    drift = "drift"  # a check of the document's checklist fails now
    token_expiry = "token_expiry"  # noqa: S105 (a finding's name) the service token expires soon
    token_unused = "token_unused"  # noqa: S105 (a finding's name) no sign the vendor used the token for a while
    credential = "credential"  # the connection's own Okta credential could not be used


class Health(StrEnum):
    """A watched onboarding's health on the Health page and the list (derived, not stored)."""

    healthy = "healthy"
    alerting = "alerting"
    not_checked = "not_checked"
    unwatched = "unwatched"


# Whether Okta shows the vendor using what was set up (app/watch/health.py's Evidence.state).
# ``lost``: Okta refuses the token, so the vendor cannot connect with it (it read "cannot tell": QA walk 12, L5).
EVIDENCE_WORDS: dict[str, str] = {"found": "found", "not_yet": "not yet", "cannot_tell": "cannot tell", "lost": "no"}
HEALTH_WORDS: dict[str, str] = {
    Health.healthy: "healthy", Health.alerting: "alert open", Health.not_checked: "not checked yet",
    Health.unwatched: "not watched"}


def retired_note(label: str) -> str:
    """The status line of an onboarding whose Okta connection was retired (its credential destroyed)."""
    return f"Its Okta connection “{label}” was retired: choose another connection to this org on this page."
