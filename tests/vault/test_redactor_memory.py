"""Security review, H1: the redactor masks every value it remembers wherever it occurs, in every log
line, audit event and export of the process. A sign-in's password, typed by anyone, was remembered:
one anonymous attempt with the password "signed in" turned the next sign-in in the audit trail into
"ana ***" for good, and two thousand long ones made every request rebuild one pattern of them all.
What anyone may type is remembered only once it is known to be a secret (Okta accepted the token)."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from app.settings import Settings
from app.store.db import create_sync_engine
from app.store.models import AuditEvent
from app.vault.redaction import MASK, REDACTOR, Redactor
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import PASSWORD, add_operator, no_sleep, web_client


def _summaries(settings: Settings, action: str) -> list[str]:
    engine = create_sync_engine(settings.resolved_database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.summary).where(AuditEvent.action == action)
                            .order_by(AuditEvent.seq)).scalars().all()
    engine.dispose()
    return list(rows)


def test_a_password_typed_at_sign_in_masks_nothing_in_the_trail(settings: Settings) -> None:
    add_operator(settings, "ana")
    with web_client(settings) as web:
        web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
        assert web.sign_in("nobody", "signed in").status_code == 401
        assert web.sign_in("ana", "ana signed in").status_code == 401
        assert web.sign_in("ana").status_code == 303
        # Nor is a wrong current password at a password change.
        wrong = web.post("/account/password", {"current_password": "Onboarding", "password": "x",
                                               "password_again": "x"}, page="/account/password")
        assert wrong.status_code == 400
    assert _summaries(settings, "sign_in")[-1] == "ana signed in"
    assert REDACTOR.text("ana signed in and Onboarding") == "ana signed in and Onboarding"
    # Nor is a password an operator is given or chooses (any role may choose its own): it goes only
    # into its hash (review of this change, M1: "Sign-in refused for" as a new password masked those
    # words in every later event).
    assert REDACTOR.text(f"a log line with {PASSWORD}") == f"a log line with {PASSWORD}"


def test_a_password_chosen_masks_nothing_in_the_trail(settings: Settings) -> None:
    add_operator(settings, "ana")
    chosen = "Failed sign-in for"
    with web_client(settings) as web:
        web.client.app.state.onboard.sleep = no_sleep  # type: ignore[attr-defined]
        assert web.sign_in("ana").status_code == 303
        changed = web.post("/account/password", {"current_password": PASSWORD, "password": chosen,
                                                  "password_again": chosen}, page="/account/password")
        assert changed.status_code == 303, changed.text
        assert web.sign_in("nobody", "whatever-else").status_code == 401
    assert _summaries(settings, "sign_in")[-1].startswith("Failed sign-in for an unknown username")


def test_a_wrong_paste_of_the_token_masks_nothing_later(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("sentinel-unified-connector", j.connect(sandbox_org.demo.admin_token))
    j.save_values(oid, "choose_workspace", workspace_name="sentinel-prod")
    j.plan_and_apply(oid)
    # The person pastes the vendor's name where the token goes: Okta refuses it.
    refused = j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/token"), service_token="Microsoft Sentinel")
    assert refused.status_code == 400 and "Token verified" not in refused.text
    j.paste_service_token(oid, "Microsoft Sentinel")
    events = j.get(f"/onboardings/{oid}/events.csv").text
    assert "Microsoft Sentinel" in events and MASK not in events


def test_many_long_values_are_each_masked_longest_first() -> None:
    redactor = Redactor()
    values = [secrets.token_urlsafe(96) for _ in range(1_999)]
    for value in values:
        redactor.remember(value)
    inner = values[-1][:20]
    redactor.remember(inner)  # a value inside another: the longer is masked whole; 2,000 in all
    assert redactor.text(f"one {values[0]} two {values[-1]} three {inner}.") == f"one {MASK} two {MASK} three {MASK}."
    assert redactor.text("nothing remembered here") == "nothing remembered here"
    redactor.remember(secrets.token_urlsafe(96))  # the 2,001st: the oldest is forgotten
    assert redactor.text(values[0]) == values[0] and redactor.text(values[1]) == MASK
