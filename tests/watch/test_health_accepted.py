"""The Health page counts a check Okta fails that a person's attestation accepted apart from the
passes (Drata's email domains, on several domains once its support is attested to sync them all):
"accepted on attestation", never among "passed" (QA walk 11, M2; the run's ``accepted`` count).
Who may open the page at all is tests/web/test_access.py's (every role may: there is no wrong one)."""

from __future__ import annotations

import html
import re
import uuid

from app.settings import Settings
from okta_sandbox import SandboxOrg
from tests.harness import Wizard
from tests.support import Web, add_operator
from tests.vendors.test_drata import finish, start


def _last_check(page: str, oid: uuid.UUID) -> str:
    """The "Last check" cell of the onboarding's row, in the words a person reads."""
    row = page.split(f"#{str(oid)[:8]}", 1)[1].split("</tr>", 1)[0]
    cell = row.split('data-label="Last check">', 1)[1].split("</td>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()).replace(" ,", ",")


def test_the_health_page_counts_what_an_attestation_accepted_apart_from_the_passes(
        settings: Settings, w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = start(w)
    finish(w, oid, sandbox_org)  # three email domains: Drata's support attested to sync them all
    assert w.onboarding(oid).status == "completed"
    run = w.view(oid).last_run
    assert run is not None and run.accepted == 1 and run.failed == 0
    add_operator(settings, "aud", "auditor")
    add_operator(settings, "otto", "operator")

    signed_out = Web(w.client).get("/health")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=")
    assert "accepted on attestation" not in signed_out.text

    for username in ("ana.admin", "otto", "aud"):  # every role reads the Health page, and the same count
        web = Web(w.client)
        assert web.sign_in(username).status_code == 303
        page = web.get("/health")
        assert page.status_code == 200
        words = _last_check(page.text, oid)
        assert words.endswith(f": {run.passed} passed, 1 accepted on attestation, 0 failed"), (username, words)
        assert words.startswith("Verified ")
        web.sign_out()
