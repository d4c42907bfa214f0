"""QA walk 8, finding 13: someone who may not act on a completed onboarding (an auditor, a colleague
it is not assigned to) is not told to press a Re-verify button they do not have."""

from __future__ import annotations

import uuid

from app.settings import Settings
from tests.harness import Wizard
from tests.reports import test_reports
from tests.reports.test_reports import _auditor
from tests.support import Web, add_operator

done = test_reports.done  # a completed Defender onboarding, as the report's tests use

YOURS = "Re-verify at any time to see whether anything changed in Okta since (drift)."
THEIRS = ("The person it is assigned to, or an administrator, can re-verify it at any time to see whether anything "
          "changed in Okta since (drift).")


def test_the_completed_card_says_who_can_re_verify(done: tuple[Wizard, uuid.UUID], settings: Settings) -> None:
    w, oid = done
    page = f"/onboardings/{oid}"
    auditor = _auditor(w).get(page).text
    assert "Completed: every item passed or was attested" in auditor
    assert THEIRS in auditor and YOURS not in auditor and "/reverify" not in auditor

    add_operator(settings, "olly", "operator")
    colleague = Web(w.client)
    colleague.sign_out()
    colleague.sign_in("olly")  # an operator it is not assigned to
    text = colleague.get(page).text
    assert THEIRS in text and "/reverify" not in text

    admin = Web(w.client)
    admin.sign_out()
    admin.sign_in("ana.admin")  # the administrator who completed it, with the button
    text = admin.get(page).text
    assert YOURS in text and THEIRS not in text and "/reverify" in text
