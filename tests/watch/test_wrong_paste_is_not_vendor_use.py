"""QA walk 18, H1: a completed onboarding's service token, pasted by mistake on another
onboarding's token step, is refused there; but the wizard had called Okta with it to find whose it
is, Okta moved its expiry, and the completed onboarding then read "Vendor connected: found" though
its vendor never called; the refusal advised revoking it, which would cut that vendor off. A token
another onboarding keeps is refused by its fingerprint before any call to Okta, and named as that
onboarding's; a call of the vendor since is still its use."""

from __future__ import annotations

import html
import re
import uuid

from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from tests.page_journeys import Journey
from tests.watch.test_last_use_words import DAY, _completed, _tick, cell


def _second_onboarding_at_its_token_step(j: Journey, first: uuid.UUID) -> uuid.UUID:
    oid = j.start("oort", j.onboarding(first).connection_id, another=True)
    j.save_values(oid, "choose_access", access="read_only")
    j.plan_and_apply(oid)
    assert j.forms(j.get(f"/onboardings/{oid}").text, "/token"), "the second onboarding asks for no token"
    return oid


def test_a_token_pasted_on_the_wrong_onboarding_is_not_its_vendors_use(j: Journey, sandbox_org: SandboxOrg) -> None:
    done, token = _completed(j, sandbox_org)
    _tick(j)
    other = _second_onboarding_at_its_token_step(j, done)
    j.clock.advance(2 * DAY)
    [kept] = [t for t in sandbox_org.api_tokens if t.user_id == j.onboarding(done).facts["service_account_id"]]
    used = kept.last_used
    refused = j.submit(j.form(j.get(f"/onboardings/{other}").text, "/token"), service_token=token)
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", refused.text)).split())
    assert refused.status_code == 400
    assert (f"This is the service token of the Microsoft Defender for Identity onboarding #{str(done)[:8]} (its "
            "account defender-for-identity@acme.example), not this service account's: nothing was sent to Okta with "
            "it. Keep it: Microsoft Defender for Identity uses it.") in said, said
    assert "revoke" not in said
    assert kept.last_used == used  # Okta never saw it: its expiry did not move

    j.clock.advance(DAY + 1)
    _tick(j)
    page = j.get("/health").text
    row = page.split(f"#{str(done)[:8]}", 1)[1]
    assert "No use of the token since it was pasted" in cell(row, "Vendor connected"), cell(row, "Vendor connected")

    # The vendor calls Okta with it: that is its use.
    assert tokens_domain.authenticate(sandbox_org, token) is not None
    j.clock.advance(DAY + 1)
    _tick(j)
    row = j.get("/health").text.split(f"#{str(done)[:8]}", 1)[1]
    assert "The token was used after it was pasted" in cell(row, "Vendor connected")
