"""The onboarding's Okta connection no longer accepted (its API token revoked, or expired after 30
days without use, or its administrator deactivated: a person who left). Every check of the watch's
run read "Could not check: Okta did not accept the credential" as failed: the page said "6 checks
failed at the last verification", listed them as drift, and its card asked to "Mend what changed in
Okta" and to "Verify again later", which reads the same refusal. Nothing changed in Okta: the run
stops, the last run found stays the checklist, and the card asks for a connection Okta accepts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.store.base import utcnow
from app.store.models import VerificationRun
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from tests.page_journeys import Journey
from tests.watch.test_notifications import _words
from tests.watch.test_watch import DAY, _completed, _open_alerts, _rows, _tick

CARD = "Renew the Okta connection's token"


def test_a_refused_connection_stops_the_run_and_asks_for_another(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    runs = len(_rows(j, select(VerificationRun.id).where(VerificationRun.onboarding_id == oid)))
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)

    # No run of refusals recorded: the checklist is still the last one Okta answered.
    assert len(_rows(j, select(VerificationRun.id).where(VerificationRun.onboarding_id == oid))) == runs
    [alert] = _open_alerts(j, oid)
    assert alert.key == "credential" and "Okta did not accept the credential" in alert.summary
    page = _words(j.get(f"/onboardings/{oid}").text)
    assert "failed at the last verification" not in page and "Mend what changed in Okta" not in page
    assert "Drift" not in page and "Verify again later" not in page
    card = page.split("Next step", 1)[1].split("Prerequisites", 1)[0]
    assert (f"{CARD} Okta did not accept the credential of the connection “Sandbox” when last asked: its API token "
            "was revoked, expired (30 days without use), or its owner was deactivated.") in card, card
    assert card.rstrip().endswith("then re-verify. Add the new token in Okta connections: a token of the same Okta "
                                  "account replaces this connection's, and the next run uses it."), card
    assert "create a new token and add it in Okta connections (added by whoever added the connection, one of the " \
        "same account replaces its token)" in page
    # Okta connections says which one Okta refused, and offers no onboarding on it (QA walk 22, M1, H2).
    listed = _words(j.get("/connections").text)
    assert "Okta did not accept its token when last asked: add a new token of sam.super@acme.example below to " \
        "renew it." in listed and "Start an onboarding" not in listed, listed
    assert "13 passed" in _words(j.get("/health").text)  # what the last answered run found
    assert "Okta did not accept this credential when last asked: what is above is what it showed" in page

    # A new token of the same administrator, added in Okta connections, renews the connection's.
    renewed = j.submit(j.form(j.get("/connections").text, "/connections"), org_url=sandbox_org.base_url,
                       api_token=sandbox_org.issue_api_token(sandbox_org.demo.admin_user_id, "Wizard, renewed"),
                       label="Renewed")
    assert "You already had the connection “Sandbox”" in _words(renewed.text)
    assert "it now uses the token just pasted" in _words(renewed.text)
    renewed_page = _words(j.get(f"/onboardings/{oid}").text)
    assert CARD not in renewed_page and "The watch run stopped" not in renewed_page  # its line too (M3)
    assert "Okta did not accept its token" not in _words(j.get("/connections").text)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _open_alerts(j, oid) == []
    assert len(_rows(j, select(VerificationRun.id).where(VerificationRun.onboarding_id == oid))) == runs + 1


def test_a_refusal_of_the_token_renewed_since_the_run_began_is_not_kept(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Review of the thirtieth session, L2: a run that began with the old token ends refused after the
    person renewed it; the renewed connection read refused, with the card, until the next run."""
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    began = utcnow()
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    j.submit(j.form(j.get("/connections").text, "/connections"), org_url=sandbox_org.base_url,
             api_token=sandbox_org.issue_api_token(sandbox_org.demo.admin_user_id, "Wizard, renewed"), label="Renewed")
    j.run(lambda: j.state.engine.mark_refused(oid, began))  # the run begun before, refused now
    assert CARD not in _words(j.get(f"/onboardings/{oid}").text)
    assert "Okta did not accept its token" not in _words(j.get("/connections").text)
    j.run(lambda: j.state.engine.mark_refused(oid, utcnow()))  # a refusal of the token as it is now
    assert "Okta did not accept its token" in _words(j.get("/connections").text)


def test_another_connection_to_the_org_may_be_chosen_instead(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    # Another administrator's connection to the same org, then the first one's token revoked.
    other = sandbox_org.add_user("kim.admin@acme.example", first_name="Kim", last_name="Admin")
    sandbox_org.assign_role(other["id"], "SUPER_ADMIN")
    fresh = j.connect(sandbox_org.issue_api_token(other["id"], "Wizard"), "Kim's")
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    page = j.get(f"/onboardings/{oid}").text
    said = _words(page)
    assert CARD in said and "a token of the same Okta account replaces this connection's, and the next run uses " \
        "it; or choose another connection above." in said, said
    chosen = j.submit(j.form(page, "/connection"), connection=str(fresh))
    said = _words(chosen.text)
    # Verified with it at once, not "Completed" from the run before (QA walk 22, H1).
    assert "The onboarding now uses the connection “Kim's”. The wizard is verifying the checklist against Okta " \
        "with it." in said, said
    j.wait_for_jobs()
    assert CARD not in _words(j.get(f"/onboardings/{oid}").text)
    assert _open_alerts(j, oid) == []  # that run cleared the alert


def test_a_refused_connection_is_not_offered_and_a_plan_on_it_asks_for_another(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 22, H2: a draft on a connection Okta refused said "The plan could not be made", cut
    off mid-advice, then nothing after a reload; the connection was offered first for new ones."""
    assert sandbox_org.demo is not None
    refused_one = j.connect(sandbox_org.demo.admin_token)
    oid = j.start("sentinel-unified-connector", refused_one)
    other = sandbox_org.add_user("kim.admin@acme.example", first_name="Kim", last_name="Admin")
    sandbox_org.assign_role(other["id"], "SUPER_ADMIN")
    fresh = j.connect(sandbox_org.issue_api_token(other["id"], "Wizard"), "Kim's")
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    planned = j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/plan"))
    said = _words(planned.text)
    assert "The plan could not be made: Okta did not accept the credential of this onboarding's Okta connection " \
        "(E0000011: Invalid token provided)." in said, said
    page = j.get(f"/onboardings/{oid}").text
    assert CARD in _words(page)
    new = j.get("/onboardings/new").text
    assert f'value="{fresh}"' in new and f'value="{refused_one}"' not in new
    stale = j.form(page, "/connection")
    chosen = j.submit(stale, connection=str(fresh))
    assert "The onboarding now uses the connection “Kim's”." in _words(chosen.text)
    assert j.onboarding(oid).connection_id == fresh
    back = j.submit(stale, connection=str(refused_one))  # the one Okta refused, from a page drawn before
    assert back.status_code == 400 and "Okta did not accept the token of “Sandbox” when last asked" in \
        _words(back.text)


def test_a_persons_reverify_refused_raises_the_alert_too(j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 22, M2: a person's Re-verify that Okta refused left Health "healthy" and the channels
    unaware until the watch's next look, a day later."""
    assert sandbox_org.demo is not None
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    tokens_domain.revoke_user_tokens(sandbox_org, sandbox_org.demo.admin_user_id, actor=None)
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/reverify"))
    j.wait_for_jobs()
    [alert] = _open_alerts(j, oid)
    assert alert.key == "credential"
    assert "alert open" in _words(j.get("/health").text)


def test_a_database_failure_in_a_check_stops_the_run_as_itself(j: Journey, sandbox_org: SandboxOrg,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Review (thirtieth session), M1: the checks ran in a task group, which wrapped any failure but
    Okta's refusal in "unhandled errors in a TaskGroup": a database failure was no longer one, and
    the watch raised a credential alert quoting that text, beside a status line saying the same."""
    from sqlalchemy.exc import OperationalError

    from app.engine.checks.library import UserStatus
    from app.engine.jobs import DATABASE_ERROR

    oid, _token = _completed(j, sandbox_org)
    _tick(j)

    async def database_gone(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("the server closed the connection"))
    monkeypatch.setattr(UserStatus, "evaluate", database_gone)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _open_alerts(j, oid) == []  # the database's, not the Okta connection's
    note = j.onboarding(oid).status_note or ""
    assert note == f"The watch run stopped: {DATABASE_ERROR}", note


def test_a_failed_check_again_is_said_on_the_connections_row(j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 24, M3: with the token's owner no longer a Super Administrator, "Check again" showed
    its failure inside the form to add a connection, beside rows that still read "Super Admin", and
    nothing said which connection had failed."""
    from tests.watch.test_watch import _take_super_admin

    assert sandbox_org.demo is not None
    connection = j.connect(sandbox_org.demo.admin_token)
    _take_super_admin(sandbox_org, sandbox_org.demo.admin_user_id)
    checked = j.submit(j.form(j.get("/connections").text, f"/connections/{connection}/check"))
    said = _words(checked.text)
    assert f"The check of “Sandbox” (#{str(connection)[:8]}) failed: The token works but its owner may not read " \
        "their own roles" in said, said
    row = said.split("Sandbox added", 1)[1]
    assert "The last check failed just now: The token works but its owner may not read their own roles" in row
    assert "What is shown is from the check before." in row
    form = checked.text.split("Add an Okta connection", 1)[1]
    assert "failed" not in _words(form)  # not in the form to add one
    # A check that passes again clears it.
    sandbox_org.assign_role(sandbox_org.demo.admin_user_id, "SUPER_ADMIN")
    passed = j.submit(j.form(j.get("/connections").text, f"/connections/{connection}/check"))
    assert "Preflight of" in _words(passed.text) and "The last check failed" not in _words(passed.text)
