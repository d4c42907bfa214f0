"""A value the person pasted into the vendor's console (Drata's Group Label in step C2), changed
after they attested the step: the console holds the old value, so the attestation is withdrawn (kept
for the record), the step asks again, the page says why, and the onboarding is no longer completed.
A QA walk found C2 stayed attested and the checklist passed on a value Drata never got."""

from __future__ import annotations

import html
import uuid

from sqlalchemy import select

from app.store.models import Attestation, AuditEvent
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def _drata(j: Journey, sandbox_org: SandboxOrg) -> uuid.UUID:
    assert j.org.demo is not None
    oid = j.start("drata", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "choose_group", group_label="Engineering")
    j.save_values(oid, "assign_app", app_users="ada.lovelace0@acme.example", app_groups="Drata Users")
    j.complete(oid, service_token=lambda account: sandbox_org.issue_api_token(account, "Drata"))
    return oid


def _rows(j: Journey, oid: uuid.UUID) -> tuple[list[Attestation], list[AuditEvent]]:
    async def read() -> tuple[list[Attestation], list[AuditEvent]]:
        async with j.state.db.sessions() as session:
            attested = list((await session.execute(select(Attestation).where(
                Attestation.onboarding_id == oid, Attestation.check_key == "drata_connected"))).scalars())
            events = list((await session.execute(select(AuditEvent).where(
                AuditEvent.onboarding_id == oid, AuditEvent.action == "attestation_withdrawn"))).scalars())
            return attested, events

    return j.run(read)


def _step(page: str, key: str) -> str:
    start = page.index(f'id="step-{key}"')
    return html.unescape(page[start:page.index("</li>", start)])


def test_changing_a_pasted_value_reopens_the_attested_step(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _drata(j, sandbox_org)
    assert j.onboarding(oid).status == "completed"
    url = f"/onboardings/{oid}"
    saved = j.submit(j.form(j.get(url).text, "/inputs"), at="choose_group", input_group_label="Finance")
    text = html.unescape(saved.text)
    assert ("Step C2 is open again: “Group label to sync” changed after it was attested, and the vendor's "
            "console still has the old value. Enter the new one there, then attest again.") in text, text
    page = j.get(url).text
    drawer = _step(page, "enter_drata_values")
    assert "Finance" in drawer and "Engineering" not in drawer
    assert "I confirm: Drata shows the Okta connection as connected" in drawer  # to attest again
    assert j.onboarding(oid).status != "completed"
    # Withdrawn, not deleted: who attested the old value, and when, stays on record.
    [attestation], [event] = _rows(j, oid)
    assert attestation.withdrawn_at is not None
    # Attested again (the new value entered in Drata): completed again, both attestations on record.
    warned = j.submit(j.form(page, "/attest/drata_connected"), note="group label changed to Finance")
    # Drata never called Okta with the token in this journey: the person is warned, and confirms.
    assert warned.status_code == 409
    assert "Okta shows no use of the service account's API token" in html.unescape(warned.text)
    j.submit(j.form(warned.text, "/attest/drata_connected"), despite_no_use="yes")
    assert j.onboarding(oid).status == "completed"
    assert len(_rows(j, oid)[0]) == 2
    assert event.summary == ("Attestation withdrawn: Drata shows the Okta connection as connected "
                             f"(“Group label to sync” changed since {attestation.operator_name} attested it)")


def test_a_value_not_pasted_or_unchanged_leaves_attestations_alone(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _drata(j, sandbox_org)
    url = f"/onboardings/{oid}"
    saved = j.submit(j.form(j.get(url).text, "/inputs"), at="choose_group", input_group_label="Engineering")
    assert "open again" not in saved.text
    [attestation], events = _rows(j, oid)
    assert attestation.withdrawn_at is None and events == []
    assert j.onboarding(oid).status == "completed"
