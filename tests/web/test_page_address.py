"""A page drawn in answer to a form (a refusal, a revealed secret) names its own address, and the
browser shows that one instead of the form's (static/app.js): reloading it shows the page again
rather than sending the form a second time (a second reveal on record, a password posted again),
and a copied address opens the page. The browser journeys prove the address bar
(tests/browser/test_authomize.py); here every kind of page says the right address, and it opens."""

from __future__ import annotations

import re
import uuid

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def page_address(html: str) -> str | None:
    found = re.search(r'<body[^>]*\sdata-page-url="([^"]*)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def opens(j: Journey, address: str | None, heading: str) -> None:
    assert address is not None
    shown = j.get(address)
    assert shown.status_code == 200 and heading in shown.text, (address, shown.status_code)


def test_onboarding_forms_answered_with_the_page_name_the_onboarding(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    connection = j.connect(sandbox_org.demo.admin_token)
    oid = j.start("oort", connection)
    url = f"/onboardings/{oid}"
    assert page_address(j.get(url).text) is None  # a page opened by its address needs no correction

    page = j.get(url).text
    [values] = j.forms(page, "/inputs")
    refused = j.post_form(values, {"at": "aws_account_id", "input_aws_account_id": "not digits"})
    assert refused.status_code == 400
    assert page_address(refused.text) == url
    opens(j, url, "Oort")

    defender = j.start("defender-for-identity", connection)
    j.plan_and_apply(defender)
    page = j.get(f"/onboardings/{defender}").text
    [reveal] = j.forms(page, "/secrets/activation_link")
    revealed = j.post_form(reveal, {}, revealed=True)
    assert 'class="secret-value"' in revealed.text
    assert page_address(revealed.text) == f"/onboardings/{defender}"
    again = j.get(f"/onboardings/{defender}").text
    assert 'class="secret-value"' not in again and "revealed 1 time" in again


def test_refused_forms_elsewhere_name_the_page_they_belong_to(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    j.connect(sandbox_org.demo.admin_token)

    start = j.form(j.get("/onboardings/new").text, "/onboardings")
    nowhere = str(uuid.UUID(int=0))
    refused = j.client.post("/onboardings", data=start.data(vendor="drata", connection=nowhere))
    assert refused.status_code == 400
    address = page_address(refused.text)
    assert address == f"/onboardings/new?vendor=drata&connection={nowhere}"
    opens(j, address, "New onboarding")
    assert re.search(r'value="drata"[^>]*checked', j.get(address).text)  # what was chosen is still chosen there

    add = j.form(j.get("/connections").text, "/connections")
    refused = j.submit(add, org_url="https://example.com", api_token="x" * 42, label="Elsewhere")
    assert refused.status_code == 400 and page_address(refused.text) == "/connections"
    opens(j, "/connections", "Okta connections")

    add = j.form(j.get("/operators").text, "/operators")
    refused = j.submit(add, username="", display_name="", password="")
    assert refused.status_code == 400 and page_address(refused.text) == "/operators"

    domains = j.form(j.get("/settings").text, "/settings/domains")
    refused = j.submit(domains, domains="not a domain at all")
    assert refused.status_code == 400 and page_address(refused.text) == "/settings"
    opens(j, "/settings", "Settings")

    change = j.form(j.get("/account/password").text, "/account/password")
    refused = j.submit(change, current_password="wrong", new_password="", confirm_password="")
    assert refused.status_code == 400 and page_address(refused.text) == "/account/password"

    j.submit(j.form(j.get("/").text, "/sign-out"))
    page = j.get("/sign-in?next=/settings").text
    refused = j.submit(j.form(page, "/sign-in"), username="nobody", password="wrong password")
    assert refused.status_code == 401
    assert page_address(refused.text) == "/sign-in?next=%2Fsettings"
    opens(j, "/sign-in?next=%2Fsettings", "Sign in")
