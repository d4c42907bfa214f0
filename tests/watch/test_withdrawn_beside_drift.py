"""QA walk 17, L2: a completed onboarding whose last verification found drift (an open alert), then
an attestation withdrawn. The card asks to mend what changed first; the status line asked for the
attestation. Both now name the drift first, and the attestation once the drift is mended."""

from __future__ import annotations

import re
import uuid

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import _words
from tests.watch.test_watch import _drifted, _take_super_admin


def _line_and_card(j: Journey, oid: uuid.UUID) -> tuple[str, str]:
    page = j.get(f"/onboardings/{oid}").text
    line = re.search(r'<p class="status-note[^"]*" role="status">(.*?)</p>', page, re.S)
    card = re.search(r'<h2 id="next-step-title"[^>]*>(.*?)</h2>\s*(?:<p[^>]*>(.*?)</p>)?', page, re.S)
    assert line and card, "no status line or no next-step card"
    return _words(line.group(1)), _words(card.group(0))


def test_the_line_names_the_drift_the_card_names_then_the_attestation(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, token = _drifted(j, sandbox_org)
    page = j.get(f"/onboardings/{oid}").text
    withdraw = j.forms(page, "/withdraw")[-1]
    assert "Attestation withdrawn" in _words(j.submit(withdraw, reason="Pressed before Defender showed it").text)

    line, card = _line_and_card(j, oid)
    assert card.startswith("Mend what changed in Okta, then re-verify"), card
    assert line == "1 check failed at the last verification: do what it says, then re-verify.", line
    assert "Waiting for attestation" not in line

    _take_super_admin(sandbox_org, token["account"])
    page = j.get(f"/onboardings/{oid}").text
    j.submit((j.forms(page, "/reverify") or j.forms(page, "/verify"))[0])
    j.wait_for_jobs()
    line, card = _line_and_card(j, oid)
    assert line == "Waiting for attestation: Verify the instance appears as enabled", line
    assert "Verify the instance appears as enabled" in card and "Mend" not in card, card
