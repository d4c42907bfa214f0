"""QA walk 9, M2: on every vendor, the last attestation was followed by a card saying "Verify again"
(and Defender's status line by "1 check failed at the last verification", from a run older than
the steps done since). The attestation that leaves nothing but to verify now verifies at once."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from app.store.models import VerificationRun
from okta_sandbox import SandboxOrg
from tests.engine.test_defender import person_activates, start
from tests.harness import Wizard
from tests.page_journeys import Journey
from tests.support import Web


def _runs(w: Wizard, oid: object) -> int:
    async def count() -> int:
        async with w.state.db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(VerificationRun)
                                              .where(VerificationRun.onboarding_id == oid))).scalar_one())

    return w.run(count)


def test_the_last_attestation_verifies_and_completes(w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = start(w)
    svc = w.to_the_token(oid)
    person_activates(sandbox_org, svc)
    token = sandbox_org.issue_api_token(svc, "Defender for Identity")
    w.paste_token(oid, token)
    w.apply_ok(oid)
    w.vendor_calls(token)  # Defender's instance enabled: Okta shows the token used, so no warning
    w.verify(oid)
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    while True:  # the attestations, as the card asks for them
        page = web.get(f"/onboardings/{oid}").text
        forms = [f for f in Journey.forms(page, "") if "/attest/" in f.action and "/withdraw" not in f.action]
        if not forms:
            break
        runs = _runs(w, oid)
        answer = web.post(forms[0].action, forms[0].data(), follow_redirects=True)
        assert answer.status_code == 200, answer.text
        if len(forms) > 1:
            assert _runs(w, oid) == runs  # not before the last: nothing is verified early
    said = " ".join(html.unescape(answer.text).split())
    assert "Nothing else is left: the wizard is verifying the checklist against Okta." in said
    w.run(lambda: w.state.jobs.wait_idle(60))
    onboarding = w.onboarding(oid)
    assert onboarding.status == "completed", onboarding.status_note


def test_the_status_line_does_not_count_failures_the_steps_since_may_have_mended(
        w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Verified before the token (the Super Admin the token needs still there: a failure), then the
    token pasted and the rest applied: the line said "1 check failed at the last verification" while
    the page showed none of that run's failures as current."""
    oid = start(w)
    svc = w.to_the_token(oid)
    person_activates(sandbox_org, svc)
    w.verify(oid)
    assert w.view(oid).last_run.failed
    w.paste_token(oid, sandbox_org.issue_api_token(svc, "Defender for Identity"))
    w.apply_ok(oid)
    w.attest_all(oid)  # in the service, as a script would: no verification follows
    onboarding = w.onboarding(oid)
    assert onboarding.status_note == ("Steps were done since the last verification: verify again to see the "
                                      "checklist now.")
    w.verify(oid, "reverify")
    assert w.onboarding(oid).status == "completed"
