"""A verification Okta does not answer (its 5xx, a 429 past the wait, a timeout) finds nothing
wrong: its checks are "could not check", not failed. They read failed: the steps done read "0 of 1
done", the card sent the administrator back to activating an account already active, and the status
line said six checks failed (QA walk 5, M1). And a completed onboarding stays completed when a later
verification finds drift: when it was completed is a fact, the watch's alert says what changed
(QA walk 6, M6: it left the Completed list and its report read "In progress ... completed")."""

from __future__ import annotations

import html

from okta_sandbox import SandboxOrg
from tests.engine.test_defender import finish, past_the_token, person_activates, start
from tests.harness import Wizard
from tests.support import Web
from tests.vendors import test_drata
from tests.vendors.readback import last_results


def test_checks_okta_did_not_answer_are_not_failures(w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = start(w)
    finish(w, oid, sandbox_org)
    assert w.onboarding(oid).status == "completed"
    sandbox_org.faults.add("server_error", method="GET", times=None)

    assert w.verify(oid, "reverify").state == "succeeded"

    results = last_results(w, oid)
    statuses = {key: row.status for key, row in results.items()}
    assert "failed" not in statuses.values() and "unchecked" in statuses.values()
    onboarding = w.onboarding(oid)
    assert onboarding.status == "completed"
    unanswered = sum(1 for s in statuses.values() if s == "unchecked")
    assert onboarding.status_note == (f"{unanswered} checks went unanswered at the last verification (an error on "
                                      "Okta's side, or its rate limit; nothing was found wrong): verify again in a "
                                      "few minutes.")
    view = w.view(oid)
    # The wizard's own steps stay done; the card asks to verify again, not to redo a step.
    assert all(sv.state == "done" for _s, steps in view.sections for sv in steps if sv.actions)
    assert view.next.title == "Verify again in a few minutes" and view.next.step is None
    assert view.last_run is not None and view.last_run.drift == [] and view.last_run.failed == 0

    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    page = html.unescape(web.get(f"/onboardings/{oid}").text)
    assert f"{unanswered} unanswered by Okta" in page and "could not check" in page
    assert "Not checked: Okta had an internal error" in page
    assert "What to do: Verify again in a few minutes." in page
    # Health does not call it healthy: the watch could not look at everything.
    health = html.unescape(web.get("/health").text)
    assert f"{unanswered} unanswered by Okta" in health and "pill--health-healthy" not in health

    sandbox_org.faults.clear()
    w.verify(oid, "reverify")
    assert {row.status for row in last_results(w, oid).values()} <= {"passed", "attested"}
    assert w.onboarding(oid).status_note == "Every item of the checklist passed or was attested."


def test_the_first_verification_okta_did_not_answer_does_not_complete(w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = start(w)
    past_the_token(w, oid, sandbox_org)
    w.attest_all(oid)
    sandbox_org.faults.add("server_error", method="GET", path="/api/v1/users", times=None)
    w.verify(oid)
    onboarding = w.onboarding(oid)
    assert onboarding.status == "in_progress" and onboarding.completed_at is None
    assert (onboarding.status_note or "").endswith("went unanswered at the last verification (an error on Okta's "
                                                   "side, or its rate limit; nothing was found wrong): verify again "
                                                   "in a few minutes.")


def test_a_completed_onboarding_that_drifted_stays_in_the_completed_list(w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = start(w)
    svc = finish(w, oid, sandbox_org)
    completed_at = w.onboarding(oid).completed_at
    sandbox_org.users[svc].status = "DEPROVISIONED"  # deactivated in the Admin Console
    w.verify(oid, "reverify")
    onboarding = w.onboarding(oid)
    assert onboarding.status == "completed" and onboarding.completed_at == completed_at
    assert "failed at the last verification" in (onboarding.status_note or "")
    # What to do fits an account deactivated since, not one never activated (QA walk 6, M3: it said to
    # open the activation link, destroyed when the onboarding completed).
    [active] = [row for row in last_results(w, oid).values() if row.status == "failed"
                and (row.found or "").endswith("is DEPROVISIONED")]
    assert (active.remedy or "").startswith("The account was deactivated in Okta, which revokes its API tokens")
    # Not the first activation's link (destroyed long ago): a new one, which the page's button gets (QA walk 10, M3).
    assert "Open the activation link" not in (active.remedy or "")
    assert "Press “Reactivate the service account” on this onboarding's page" in (active.remedy or "")
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    listed = web.get("/?view=completed").text
    assert f"/onboardings/{oid}" in listed
    # The card says what changed and how to mend it, not the step's first-time instructions (the
    # activation link, destroyed at completion: QA walk 6 M3, walk 7 M3, review).
    card = w.view(oid).next
    assert card.title == "Mend what changed in Okta, then re-verify" and card.step is None
    assert (card.detail or "").startswith("“The account is active” failed at the last verification. The account was "
                                "deactivated in Okta")
    assert "Open the activation link" not in (card.detail or "") and "new activation link" in (card.detail or "")


def test_the_card_mends_a_deactivated_account_before_a_role_given_to_it(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Given Super Administrator, then deactivated: the card said first to remove the role (the first
    failure in the document) from an account that could no longer connect at all (QA walk 11, M3)."""
    oid = test_drata.start(w)
    svc = test_drata.finish(w, oid, sandbox_org)
    assert w.onboarding(oid).status == "completed"
    sandbox_org.assign_role(svc, "SUPER_ADMIN")
    sandbox_org.users[svc].status = "DEPROVISIONED"
    w.verify(oid, "reverify")
    failed = [row.found for row in last_results(w, oid).values() if row.status == "failed"]
    assert any("Super Administrator" in (found or "") for found in failed)  # the role is among the failures
    card = w.view(oid).next
    assert (card.detail or "").startswith("“The service account is active” failed at the last verification. The "
                                          "account was deactivated in Okta")


def test_a_check_okta_did_not_answer_before_a_change_is_not_shown_as_current(
        w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Unanswered, then the token pasted and everything attested: the card sent the administrator
    back to "Step 3: Verify the account" (open the activation link) for an active account (review)."""
    oid = start(w)
    svc = w.to_the_token(oid)
    person_activates(sandbox_org, svc)
    sandbox_org.faults.add("server_error", method="GET", path="/api/v1/users/{userId}", times=None)
    w.verify(oid)
    assert last_results(w, oid)["account_active"].status == "unchecked"
    sandbox_org.faults.clear()
    w.paste_token(oid, sandbox_org.issue_api_token(svc, "Defender for Identity"))
    w.apply_ok(oid)
    w.attest_all(oid)
    view = w.view(oid)
    checks = {c.spec.key: c for _s, steps in view.sections for sv in steps for c in sv.checks}
    assert checks["account_active"].status is None  # from before the paste: not current
    assert view.next.title in ("Verify the onboarding", "Verify again"), view.next.title
    assert "Verify the account" not in view.next.title


def test_drift_after_a_run_okta_did_not_answer_is_still_drift(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Passed, then unanswered, then failed: the failure was not drift, as if the unanswered run
    had reset what was known (review)."""
    oid = start(w)
    svc = finish(w, oid, sandbox_org)
    sandbox_org.faults.add("server_error", method="GET", path="/api/v1/users/{userId}", times=None)
    w.verify(oid, "reverify")
    assert last_results(w, oid)["account_active"].status == "unchecked"
    sandbox_org.faults.clear()
    sandbox_org.users[svc].status = "DEPROVISIONED"
    w.verify(oid, "reverify")
    view = w.view(oid)
    assert view.last_run is not None and "account_active" in [d["check"] for d in view.last_run.drift]
