"""An attestation given by mistake (Oort's "saved in Oort" pressed before it was, a QA walk found no
way back) is withdrawn with a reason: kept on record, no longer counted, the step asks again, and the
trail and the report say who withdrew it and why. A reason is required; the refusal keeps what was
typed and opens the folded step it is on."""

from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import select

from app.store.models import Attestation, AuditEvent
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey


def _defender(j: Journey) -> uuid.UUID:
    assert j.org.demo is not None
    return j.start("defender-for-identity", j.connect(j.org.demo.admin_token))


def _rows(j: Journey, oid: uuid.UUID, key: str) -> tuple[list[Attestation], list[AuditEvent]]:
    async def read() -> tuple[list[Attestation], list[AuditEvent]]:
        async with j.state.db.sessions() as session:
            rows = list((await session.execute(select(Attestation).where(
                Attestation.onboarding_id == oid, Attestation.check_key == key))).scalars())
            events = list((await session.execute(select(AuditEvent).where(
                AuditEvent.onboarding_id == oid, AuditEvent.action == "attestation_withdrawn"))).scalars())
            return rows, events

    return j.run(read)


def test_an_attestation_given_by_mistake_is_withdrawn_with_a_reason(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _defender(j)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/attest/licence_confirmed"), note="P2 licence")
    page = j.get(url).text
    assert "Withdraw this attestation" in page
    # No reason: refused, nothing withdrawn, the field shown open with what was typed.
    refused = j.submit(j.form(page, "/attest/licence_confirmed/withdraw"), reason="oops")
    assert refused.status_code == 400 and "Why it is withdrawn must be at least 5 characters." in refused.text
    assert 'href="#withdraw-licence_confirmed"' in refused.text
    assert re.search(r'<details class="withdraw" open>.*?>oops</textarea>', refused.text, re.S)
    assert _rows(j, oid, "licence_confirmed")[0][0].withdrawn_at is None
    reason = "Pressed before the licence was checked"
    done = j.submit(j.form(refused.text, "/attest/licence_confirmed/withdraw"), reason=reason)
    assert "Attestation withdrawn: the step asks for it again." in html.unescape(done.text)
    page = html.unescape(j.get(url).text)
    assert "I confirm: The Okta org has a Developer or Enterprise licence" in page
    [row], [event] = _rows(j, oid, "licence_confirmed")
    assert row.withdrawn_at is not None and row.note == "P2 licence"  # kept, as it was given
    assert event.summary.startswith("Attestation withdrawn: ") and reason in event.summary
    assert event.details["reason"] == reason
    # The report's timeline says it too; the checklist no longer counts it.
    report = html.unescape(j.get(f"{url}/report").text)
    assert reason in report


def test_only_a_live_attestation_is_withdrawn(j: Journey) -> None:
    oid = _defender(j)
    url = f"/onboardings/{oid}"
    page = j.get(url).text
    assert "Withdraw this attestation" not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    missing = j.client.post(f"{url}/attest/licence_confirmed/withdraw",
                            data={"csrf_token": csrf.group(1), "reason": "never given"})
    assert missing.status_code == 404


def test_a_duplicate_recorded_before_presses_were_serialised_is_withdrawn_with_it(j: Journey) -> None:
    """Two presses at once recorded an attestation twice before they were serialised (thirtieth
    session): withdrawing the one the page shows left the other live, and the step still counted it."""
    oid = _defender(j)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/attest/licence_confirmed"), note="P2 licence")
    [given], _events = _rows(j, oid, "licence_confirmed")

    async def duplicate() -> None:
        async with j.state.db.session() as session:
            session.add(Attestation(id=uuid.uuid4(), onboarding_id=oid, step_key=given.step_key,
                                    check_key=given.check_key, operator_id=given.operator_id,
                                    operator_name=given.operator_name, note=None, attested_at=given.attested_at))

    j.run(duplicate)
    page = j.get(url).text
    done = j.submit(j.form(page, "/attest/licence_confirmed/withdraw"), reason="Pressed before the licence was checked")
    assert "Attestation withdrawn: the step asks for it again." in html.unescape(done.text)
    rows, _events = _rows(j, oid, "licence_confirmed")
    assert len(rows) == 2 and all(row.withdrawn_at is not None for row in rows)
    assert "I confirm: The Okta org has a Developer or Enterprise licence" in html.unescape(j.get(url).text)
