"""Before the card sends the person to hand the values to the vendor (Drata's drawer, step C2), the
document's prerequisites the wizard checks in Okta have been checked: a QA walk found the card at C2
while P6 (every user's email domain; several need Drata's support first) had never run."""

from __future__ import annotations

import html
import re
import uuid

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def _card(j: Journey, oid: uuid.UUID) -> str:
    page = j.get(f"/onboardings/{oid}").text
    start = page.index('id="next-step"')
    card = page[start:page.index('<nav class="next-step__progress"', start)]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)))


def _drata_at_the_drawer(j: Journey) -> uuid.UUID:
    assert j.org.demo is not None
    oid = j.start("drata", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "assign_app", app_users="ada.lovelace0@acme.example", app_groups="Drata Users")
    j.plan_and_apply(oid)
    j.paste_service_token(oid, "Drata")
    return oid


def test_the_card_checks_the_prerequisites_before_the_drawer(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _drata_at_the_drawer(j)
    card = _card(j, oid)
    assert "Check the prerequisites in Okta first" in card, card
    assert ("Step P6 (All users' email domains match) is a prerequisite the wizard checks against Okta, and has not "
            "been checked yet. Verify now, before you give Drata the values (step C2).") in card, card
    assert "Verify" in card and "Enter the values in Drata's Okta connection drawer" not in card
    # The line and the badge say the same: they read "Waiting for attestation: Enter the values in
    # Drata's Okta connection drawer" and "Waiting for the vendor's console" (QA walk 15, M1).
    onboarding = j.onboarding(oid)
    assert (onboarding.status, onboarding.waiting_for, onboarding.status_note) == (
        "waiting", "operator", "Check the prerequisites in Okta first: verify step P6 before Drata is given "
        "the values (step C2)")
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/verify"))
    j.wait_for_jobs()
    card = _card(j, oid)
    assert "Check the prerequisites" not in card
    assert "Check the prerequisites" not in (j.onboarding(oid).status_note or "")
    # Checked: the card goes on (here to what the scan found: the demo org's users are on more than one
    # domain, which Drata's support must enable before the drawer).
    assert "Step P6: All users' email domains match" in card and "are on 3 domains" in card, card


def test_the_super_administrator_the_connection_reported_is_not_asked_again(j: Journey) -> None:
    """P1 (work as a Super Administrator) is what the connection's check read of its credential's
    roles: the step said "not checked yet" and the line asked to verify it beside the Preflight
    panel's "Super Administrator: yes" (QA walk 15, L4). It says what Okta reported, and when."""
    oid = _drata_at_the_drawer(j)
    page = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", j.get(f"/onboardings/{oid}").text)))
    assert re.search(r"Roles: Super Administrator, as Okta reported when the Okta connection was checked, "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d", page), page
    assert "Steps P1" not in _card(j, oid)


def test_a_credential_without_super_administrator_is_named_at_p1_before_any_verification(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """The connection's check found its owner holds Organization Administrator only: P1 says so at
    once, and what to do, rather than "not checked yet"."""
    owner = sandbox_org.add_user("org.admin@acme.example", first_name="Orla", last_name="Admin")
    sandbox_org.assign_role(owner["id"], "ORG_ADMIN")
    oid = j.start("drata", j.connect(sandbox_org.issue_api_token(owner["id"], "Wizard")))
    page = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", j.get(f"/onboardings/{oid}").text)))
    assert re.search(r"Roles: Organization Administrator, as Okta reported when the Okta connection was checked, "
                     r"[^.]+\. Super Administrator is missing\.", page), page
    assert "assign it in Security > Administrators, then check the Okta connection again" in page


def test_a_group_label_is_checked_in_okta_before_it_is_offered_to_copy_into_drata(j: Journey) -> None:
    """A misspelt group label (O2) was offered, with a Copy button, in Drata's drawer (C2), and found
    missing only at the verification after (QA walk 17, M5). O2 is only Okta's to confirm: it is a
    prerequisite of the drawer, as P6 is; once verified, its finding leads."""
    assert j.org.demo is not None
    oid = j.start("drata", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "assign_app", app_users="ada.lovelace0@acme.example", app_groups="Drata Users",
                  group_label="Engneering")
    j.plan_and_apply(oid)
    j.paste_service_token(oid, "Drata")
    card = _card(j, oid)
    assert "Steps P6 (All users' email domains match) and O2 (Optional: the group label to sync) are prerequisites " \
        "the wizard checks against Okta" in card, card
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/verify"))
    j.wait_for_jobs()
    page = html.unescape(j.get(f"/onboardings/{oid}").text)
    assert "No Okta group is named “Engneering”" in page
    # Corrected: what the verification found of the old label is not shown as current (QA walk 17, M3),
    # and a pass of one label is not a pass of the next (the review).
    j.save_values(oid, "choose_group", group_label="Engineering")
    page = html.unescape(j.get(f"/onboardings/{oid}").text)
    assert "No Okta group is named “Engneering”" not in page and "change of values" in page
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/reverify"))
    j.wait_for_jobs()

    def o2() -> str:
        page = html.unescape(j.get(f"/onboardings/{oid}").text)
        return page.split('id="step-choose_group"', 1)[1].split('id="step-', 1)[0]

    assert "pill--check-passed" in o2()
    j.save_values(oid, "choose_group", group_label="Enginering")
    assert "pill--check-passed" not in o2()
