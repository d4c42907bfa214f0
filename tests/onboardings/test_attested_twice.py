"""QA walk 21, L1: an attestation pressed again in a page drawn before it was given (a second tab)
was recorded a second time: two "Attested" a second apart in the trail, and the page said only
"Attested by …". It says it was given already, by whom and when, and records nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.store.models import Attestation, AuditEvent
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_notifications import _words
from tests.watch.test_watch import _rows


def test_an_attestation_pressed_again_in_a_stale_tab_is_not_recorded_twice(j: Journey,
                                                                          sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    url = f"/onboardings/{oid}"
    stale = j.get(url).text  # the second tab, drawn before the attestation
    first = j.attest(j.form(j.get(url).text, "/attest/licence_confirmed"))
    assert "Attested by Ana.Admin." in _words(first.text)
    again = j.attest(j.form(stale, "/attest/licence_confirmed"))
    said = _words(again.text)
    assert "Already attested by Ana.Admin on " in said and "nothing was recorded again." in said, said
    assert len(_rows(j, select(Attestation).where(Attestation.onboarding_id == oid))) == 1
    assert len(_rows(j, select(AuditEvent).where(AuditEvent.action == "attest"))) == 1


def test_two_presses_at_the_same_moment_record_one_attestation(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Review (thirtieth session), M3: both presses read "not given yet" before either wrote."""
    import asyncio

    from app.audit import Actor
    from app.onboardings import attestations
    from app.store.repositories.state import get_onboarding

    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    operator_id = j.onboarding(oid).assignee_id
    state = j.state

    async def press() -> str:
        try:
            async with state.db.session() as session:
                await attestations.attest(session, state.vault, state.library.get("defender-for-identity"),
                                          await get_onboarding(session, oid), "licence_confirmed", "",
                                          Actor(operator_id, "ana.admin"), now=state.clock.now())
        except attestations.AlreadyAttested:
            return "already"
        return "given"

    async def both() -> list[str]:
        return sorted(await asyncio.gather(press(), press()))

    assert j.run(both) == ["already", "given"]
    assert len(_rows(j, select(Attestation).where(Attestation.onboarding_id == oid))) == 1
