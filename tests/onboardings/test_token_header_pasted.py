"""A token pasted with the header it is sent in ("SSWS 00ab…", "Authorization: SSWS 00ab…", copied
from a request or a password manager's note) is the same token: it is accepted, where Okta's
refusal of the whole text read "check you copied all of it", which the person had (QA L2)."""

from __future__ import annotations

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def test_the_header_pasted_with_a_token_is_left_out(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    connection = j.connect(f"Authorization: SSWS {sandbox_org.demo.admin_token}")
    oid = j.start("defender-for-identity", connection)
    j.plan_and_apply(oid)
    account = str(j.onboarding(oid).facts["service_account_id"])
    j.org.complete_activation(account)
    value = j.org.issue_api_token(account, "Defender")
    pasted = j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/token"), service_token=f"  ssws {value} ")
    assert "Token verified: it belongs to the service account." in pasted.text
    assert value not in pasted.text
