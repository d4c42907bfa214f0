"""The client secret Okta shows at a hand install (QA walk 11, H1). When Okta refuses the catalog key
the wizard sends the person to install Authomize by hand; Okta shows them a client secret the wizard
never sees, and the wizard gives Authomize a new one. The first stayed active while the onboarding
read "Completed", told only in a folded step's evidence. Now a check keeps the onboarding open, on
the step the card leads to, naming the secret by id and date and where to deactivate it, until it is;
the wizard itself deactivates nothing (it cannot tell which secret Authomize connects with)."""

from __future__ import annotations

import uuid
from typing import Any

from markupsafe import escape

from app.common.clock import FakeClock
from app.common.moments import stamp
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import api_services as services_domain
from okta_sandbox.domain.actors import Actor as SandboxActor
from tests.harness import Wizard
from tests.support import Web
from tests.vendors.readback import last_results, plan_item, write_events
from tests.vendors.test_authomize import use_catalog_key
from tests.vendors.test_authomize_catalog import install_by_hand, refused, start

CHECK = "only_authomize_secret"
WHERE = "Applications > API Service Integrations > Authomize Identity Security, its Client secrets"


def adopted(w: Wizard, org: SandboxOrg, clock: FakeClock) -> tuple[uuid.UUID, Any]:
    """Installed by hand ten minutes before the wizard adopts it and makes its own secret."""
    by_hand = install_by_hand(org)
    clock.advance(600)
    oid = start(w)
    assert plan_item(w.plan(oid), "integration")["verdict"] == "adopt"
    w.apply_ok(oid)
    return oid, by_hand


def connected(w: Wizard, oid: uuid.UUID) -> None:
    """Verified (the smoke test proves the wizard's secret), Authomize's steps attested, verified."""
    assert w.verify(oid).state == "succeeded"
    w.attest_all(oid)
    assert w.verify(oid).state == "succeeded"


def deactivate(org: SandboxOrg, integration: Any, secret: Any) -> None:
    """What the person does in the Admin Console's Client secrets list."""
    services_domain.set_secret_status(org, integration, secret, "INACTIVE", SandboxActor.system())


def card(web: Web, oid: uuid.UUID) -> str:
    page = web.get(f"/onboardings/{oid}").text
    start = page.index('id="next-step"')
    return page[start:page.index('<nav class="next-step__progress"', start)]


class TestTheInstallTimeSecret:
    def test_the_onboarding_is_not_completed_while_it_is_active(self, w: Wizard, sandbox_org: SandboxOrg,
            fake_clock: FakeClock) -> None:
        oid, by_hand = adopted(w, sandbox_org, fake_clock)
        original, ours = by_hand.secrets
        since = len(sandbox_org.events)
        connected(w, oid)
        assert w.onboarding(oid).status != "completed"
        result = last_results(w, oid)[CHECK]
        named = (f"the secret ending …{original.value[-4:]} (secret id {original.id}, created "
                 f"{stamp(original.created, seconds=True)})")
        assert result.status == "failed"
        assert result.found == (f"Besides the client secret the wizard gave Authomize, the secret ending "
                                f"…{ours.value[-4:]} (secret id {ours.id}, created "
                                f"{stamp(ours.created, seconds=True)}), 1 other client secret is active: {named}")
        assert WHERE in (result.remedy or "")
        # The Admin Console lists secrets by their endings and dates: the install's is the older one.
        assert (f"deactivate the one ending …{original.value[-4:]}, created {stamp(original.created, seconds=True)} "
                "(the older one: the wizard's was made after), then delete it") in (result.remedy or "")
        # The wizard deactivated nothing: which secret Authomize uses, Okta cannot say.
        assert original.status == "ACTIVE" and not any("deactivate" in e for e in write_events(sandbox_org, since))

        # Said on the step the card leads to, not in a folded step's evidence (QA walk 11, H1).
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        shown = card(web, oid)
        assert "Step 6: Create; Okta appears as a connected app" in shown
        # What failed leads; the steps before it, done and attested, are not drawn again (QA walk 12, L6).
        assert "“Only the client secret the wizard gave Authomize is active on the integration” failed at the last " \
            "verification: what to do is below, then verify again." in shown
        assert "come first" not in shown
        assert "next-step__before" not in shown
        # (its date drawn in the reader's time zone, as every moment in a finding is)
        assert f"1 other client secret is active: the secret ending …{original.value[-4:]} (secret id {original.id}, " \
            "created <time" in shown
        assert escape(WHERE) in shown

        deactivate(sandbox_org, by_hand, original)
        assert w.verify(oid).state == "succeeded"
        assert w.onboarding(oid).status == "completed", w.onboarding(oid).status_note
        result = last_results(w, oid)[CHECK]
        assert result.status == "passed"
        assert f"the one the wizard gave Authomize, the secret ending …{ours.value[-4:]} (secret id {ours.id}" \
            in result.found

    def test_before_authomize_is_connected_the_other_secret_waits(self, w: Wizard, sandbox_org: SandboxOrg,
                                                                  fake_clock: FakeClock) -> None:
        """Verified before Authomize's steps, it read "failed … Keep the wizard's secret: Authomize was
        given it" while the secret had not even been revealed (QA walk 17, M8): a second secret to
        deactivate once Authomize connects is not a fault yet."""
        oid, by_hand = adopted(w, sandbox_org, fake_clock)
        ours = by_hand.secrets[1]
        assert w.verify(oid).state == "succeeded"
        result = last_results(w, oid)[CHECK]
        assert result.status == "waiting"
        assert (result.found or "").startswith(f"Besides the client secret the wizard made for Authomize, the secret "
                                               f"ending …{ours.value[-4:]}")
        assert (result.remedy or "").startswith(
            f"Give Authomize the wizard's secret, the one ending …{ours.value[-4:]}")
        assert "was given it" not in (result.remedy or "")
        assert "Once Authomize shows Okta as connected, deactivate the other" in (result.remedy or "")

    def test_the_wizards_secret_deactivated_instead_is_named(self, w: Wizard, sandbox_org: SandboxOrg,
            fake_clock: FakeClock) -> None:
        oid, by_hand = adopted(w, sandbox_org, fake_clock)
        original, ours = by_hand.secrets
        connected(w, oid)
        deactivate(sandbox_org, by_hand, ours)  # the wrong one: Authomize connected with it
        assert w.verify(oid).state == "succeeded"
        result = last_results(w, oid)[CHECK]
        assert result.status == "failed" and w.onboarding(oid).status != "completed"
        assert (f"The client secret the wizard gave Authomize (the secret ending …{ours.value[-4:]} "
                f"(secret id {ours.id}") in (result.found or "")
        assert f"is inactive, while the secret ending …{original.value[-4:]} (secret id {original.id}" \
            in (result.found or "")
        assert "activate it again" in (result.remedy or "")

    def test_one_secret_passes_when_the_wizard_installed_it(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        oid = refused(w, sandbox_org)
        use_catalog_key(w, services_domain.AUTHOMIZE_TYPE)
        w.plan(oid)
        assert w.apply(oid).state == "succeeded"
        connected(w, oid)
        assert last_results(w, oid)[CHECK].status == "passed"
        assert w.onboarding(oid).status == "completed", w.onboarding(oid).status_note
        # A second secret made later, by anyone, is a second live credential: drift.
        [integration] = sandbox_org.api_services
        services_domain.add_secret(sandbox_org, integration, SandboxActor.system())
        assert w.verify(oid).state == "succeeded"
        result = last_results(w, oid)[CHECK]
        assert result.status == "failed" and (result.found or "").startswith("2 client secrets of Authomize")

    def test_the_secret_is_named_by_its_id_said_to_be_one(self, w: Wizard, sandbox_org: SandboxOrg,
                                                          fake_clock: FakeClock) -> None:
        """The report printed "The client secret Okta showed at the install (ocse…)": read as the
        secret itself (QA walk 11, L1)."""
        oid, by_hand = adopted(w, sandbox_org, fake_clock)
        original = by_hand.secrets[0]
        summary = w.actions(oid)["integration"].summary or ""
        assert (f"The client secret Okta showed at the install, the secret ending …{original.value[-4:]} (secret id "
                f"{original.id}, created {stamp(original.created, seconds=True)}), was still active then") in summary
        connected(w, oid)
        web = Web(w.client)
        assert web.sign_in("ana.admin").status_code == 303
        report = web.get(f"/onboardings/{oid}/report").text
        assert f"secret id {original.id}" in report and f"({original.id})" not in report


def test_two_secrets_made_in_the_same_minute_are_told_apart_as_the_console_lists_them(
        w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
    """QA walk 12, M4: both secrets read "created Dec 7, 2026, 12:15 AM" and the remedy's "the older
    one" could not be read from the page. Each is named by its masked ending, as the Admin Console's
    Client secrets list shows it, and to the second; the remedy says which to keep and which to
    deactivate, in a sentence that stands alone."""
    by_hand = install_by_hand(sandbox_org)
    fake_clock.advance(20)  # the person retries at once: the same minute
    oid = start(w)
    assert plan_item(w.plan(oid), "integration")["verdict"] == "adopt"
    w.apply_ok(oid)
    original, ours = by_hand.secrets
    assert stamp(original.created) == stamp(ours.created)  # the minute alone cannot tell them apart
    connected(w, oid)
    result = last_results(w, oid)[CHECK]
    mine, other = f"…{ours.value[-4:]}", f"…{original.value[-4:]}"
    assert f"the wizard gave Authomize, the secret ending {mine} (secret id {ours.id}, created " \
        f"{stamp(ours.created, seconds=True)})" in (result.found or "")
    assert f"active: the secret ending {other} (secret id {original.id}" in (result.found or "")
    assert (result.remedy or "").startswith(f"Keep the wizard's secret, the one ending {mine}, created "
                                            f"{stamp(ours.created, seconds=True)}: Authomize was given it")
    assert f"deactivate the one ending {other}, created {stamp(original.created, seconds=True)}" \
        in (result.remedy or "")
    # The list answer carries only the masked values: no more of a secret than the console shows.
    assert ours.value not in (result.found or "") + (result.remedy or "")
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    shown = card(web, oid)
    # The seconds are kept on the page, drawn in the reader's zone (app.js keeps them: HH:MM:SS).
    assert f'title="{stamp(original.created, seconds=True)}" class="local-time">' \
        f"{stamp(original.created, seconds=True)}</time>" in shown
    assert escape(f"deactivate the one ending {other}") in shown
    # The remedy's times too: the finding read "Dec 6, 2026, 09:08:22 PM GMT+1" in the reader's zone
    # and the remedy below it "2026-12-06 20:08:22 UTC" for the same secret (QA walk 15, M4).
    remedy = shown.split('<p class="remedy">', 1)[1].split("</p>", 1)[0]
    for secret in (ours, original):
        at = stamp(secret.created, seconds=True)
        assert f'title="{at}" class="local-time">{at}</time>' in remedy, remedy
