"""Once a run ends, the page the progress panel reloads says what it did: after Confirm and apply the
next step's card was drawn with no word of what had been written to Okta (QA walk 16, M3); and a run
that stopped on an error read "the wizard has applied it"."""

from __future__ import annotations

import html
import re
import uuid

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def _card(page: str) -> str:
    start = page.index('id="next-step"')
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page[start:page.index("</section>", start)]).split()))


def _confirmed(j: Journey, sandbox_org: SandboxOrg) -> uuid.UUID:
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    # Confirmed, then the page drawn while the apply runs: the panel polls till it ends.
    confirm = j.form(j.get(url).text, "/confirm")
    j.client.post(confirm.action.replace("http://testserver", ""), data=confirm.data())
    return oid


def test_the_page_reloaded_after_an_apply_says_what_it_did_in_okta(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _confirmed(j, sandbox_org)
    url = f"/onboardings/{oid}"
    j.get(url)  # drawn while it runs: "Plan confirmed: the wizard is applying it."
    j.wait_for_jobs()
    j.get(f"{url}/progress")  # the panel's last poll, which reloads the page
    card = _card(j.get(url).text)
    assert re.search(r"Applied in Okta: \d+ created(, \d+ [a-z ()]+)*\. Each step below says what the wizard did "
                     r"there\.", card), card
    assert "Applied in Okta" not in _card(j.get(url).text)  # said once


def test_a_run_that_stopped_does_not_read_as_applied(j: Journey, sandbox_org: SandboxOrg) -> None:
    sandbox_org.faults.add("server_error", method="POST", path="/api/v1/users", times=None)
    oid = _confirmed(j, sandbox_org)
    j.wait_for_jobs()
    card = _card(j.get(f"/onboardings/{oid}").text)  # the run ended before the page was drawn
    assert "The run stopped before its end: this page says what went wrong, and what to do." in card, card
    assert "has applied it" not in card


def test_a_run_of_one_or_two_actions_names_them(j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 20, L2: once the token was pasted, Super Administrator was taken from the service
    account, and the page said only "Applied in Okta: 1 removed."."""
    oid = _confirmed(j, sandbox_org)
    url = f"/onboardings/{oid}"
    j.wait_for_jobs()
    j.paste_service_token(oid, "Defender for Identity")  # the removal that waited for it runs now
    j.get(f"{url}/progress")
    card = _card(j.get(url).text)
    assert "Applied in Okta: Removed Super Administrator." in card, card
    assert "1 removed" not in card
