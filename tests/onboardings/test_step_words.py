"""What a step says of itself before anything ran: each of its actions by what it does, and where
the token is given when that is another section's step (QA walk 11, L4 and L5)."""

from __future__ import annotations

import re

from okta_sandbox import SandboxOrg
from tests.engine import test_defender
from tests.harness import Wizard
from tests.support import Web
from tests.vendors import test_authomize, test_drata, test_oort


def _step(page: str, key: str) -> str:
    """A step of an onboarding's page as its text reads (its tags dropped)."""
    block = page.split(f'id="step-{key}"', 1)[1].split('id="step-', 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


def test_each_action_of_a_step_says_what_it_does_before_the_plan(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Drata's step 3 read "not yet The wizard does this through the Okta API." twice, side by side:
    nobody could tell the account from its role."""
    web = Web(w.client)
    web.sign_in("ana.admin")
    page = web.get(f"/onboardings/{test_drata.start(w)}").text
    assert "The wizard does this through the Okta API" not in page
    step = _step(page, "create_service_account")
    assert "Create or adopt a dedicated service account: drata-service@acme.example" in step
    assert "Assign Read-Only Administrator to the service account" in step
    assert "Grant okta.users.read.self to Drata - OIDC" in page
    # A list of parameters said by name, a custom role by its label (Defender).
    page = web.get(f"/onboardings/{test_defender.start(w)}").text
    assert "Add custom profile attributes: ObjectSid, ObjectGuid, DistinguishedName" in page
    assert "Assign the custom role “Microsoft Defender for Identity” on its resource set" in page
    # A parameter named as the action's own words does not take their place (the role's description in
    # Okta stood for the action: QA walk 12, M3).
    assert "Create or adopt a custom admin role: Microsoft Defender for Identity" in page
    assert "Create or adopt a resource set: Microsoft Defender for Identity" in page
    assert "(created by the onboarding wizard)" not in page
    page = web.get(f"/onboardings/{test_authomize.start(w)}").text
    assert "Install or adopt an API service integration: Authomize Identity Security" in page


def test_the_token_step_names_the_section_of_the_step_it_is_kept_for(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Oort's "Copy the token value" (step 3) said "Keep the token's value until step 3": step 3 of
    another section."""
    web = Web(w.client)
    web.sign_in("ana.admin")
    oid = test_oort.start(w)
    w.plan(oid)
    w.apply_ok(oid)
    page = web.get(f"/onboardings/{oid}").text
    keep = next(p for p in re.findall(r'<p class="hint token-keep">(.*?)</p>', page, re.S))
    assert re.match(r"Keep the token's value until step \S+ of “Oort Configuration” \(", keep), keep
