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


def test_a_paste_of_spaces_or_of_a_letter_no_token_has_is_refused_and_the_page_kept(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 21, H1: only spaces (an empty clipboard, then a space) went to Okta as "SSWS " and
    failed the request: a 500 page, on the token step and on the connection form, where the org's
    address typed was lost too. A letter no token has could not go in a header either."""
    assert sandbox_org.demo is not None
    page = j.get("/connections").text
    for typed, said in (("   ", "Enter the API token."), ("SSWS   ", "Enter the API token."),
                        ("00tökén", "API token holds a character no Okta API token has: copy it again from Okta.")):
        refused = j.submit(j.form(page, "/connections"), org_url=sandbox_org.base_url, api_token=typed,
                           label="Mine")
        assert refused.status_code == 400 and said in refused.text.replace("&#39;", "'"), refused.text
        assert f'value="{sandbox_org.base_url}"' in refused.text  # what was typed stays
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    j.plan_and_apply(oid)
    step = j.get(f"/onboardings/{oid}").text
    for typed in ("  ", "\u00a0", "ssws "):
        refused = j.submit(j.form(step, "/token"), service_token=typed)
        assert refused.status_code == 400, refused.text
        assert "Paste the token value you copied as the service account." in refused.text
