"""QA walk 21, L4: a completed onboarding with a person's step open again (an attestation undone)
was listed on Health as "healthy" alone, beside its page that waited for a person."""

from __future__ import annotations

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import _words
from tests.watch.test_watch import _completed, _tick


def test_health_says_a_watched_onboarding_waits_for_a_person_again(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, _token = _completed(j, sandbox_org)
    _tick(j)
    row = _words(j.get("/health").text).split("Next check", 1)[1]
    assert "healthy" in row and "Waiting" not in row, row
    page = j.get(f"/onboardings/{oid}").text
    j.submit(j.form(page, "/attest/defender_enabled/withdraw"), reason="Defender shows the instance disabled")
    status = j.onboarding(oid)
    assert status.status != "completed" and status.completed_at is not None
    row = _words(j.get("/health").text).split("Next check", 1)[1]
    assert f"{status.status_note}" in row and "Waiting" in row, row
