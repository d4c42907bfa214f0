"""A login typed in another case than Okta holds it: Okta's logins are unique whatever their case,
but its `filter=profile.login eq` is case-sensitive (the spec: "Filtering is case-sensitive for
property names and query values"). The wizard looked the account up so, planned to create a user
Okta already had, and the apply failed on Okta's "already exists"."""

from __future__ import annotations

import pytest

from app.engine.actions.users import SERVICE_ACCOUNT_TYPE
from okta_sandbox import SandboxOrg
from tests.engine.test_defender import LOGIN
from tests.harness import Wizard


def test_an_account_in_another_case_is_found_not_created_again(w: Wizard, sandbox_org: SandboxOrg) -> None:
    sandbox_org.add_user(LOGIN, first_name="Real", last_name="Person")
    oid = w.start("defender-for-identity", w.connect(), service_account_login=LOGIN.upper())
    item = next(i for i in w.draft_plan(oid) if i["action_key"] == "service_account")
    assert item["verdict"] == "conflict", item
    assert "will not change the roles of an existing person" in item["detail"]


def test_a_service_account_in_another_case_is_adopted(w: Wizard, sandbox_org: SandboxOrg) -> None:
    sandbox_org.add_user(LOGIN, profile={"userType": SERVICE_ACCOUNT_TYPE})
    oid = w.start("defender-for-identity", w.connect(), service_account_login="Mdi-Service@Acme.Example")
    item = next(i for i in w.draft_plan(oid) if i["action_key"] == "service_account")
    assert item["verdict"] == "adopt" and item["object_id"] == sandbox_org.find_user(LOGIN)["id"], item



def test_a_lost_create_is_adopted_whatever_words_okta_refuses_the_login_in(
        w: Wizard, sandbox_org: SandboxOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    """The account's create reached Okta but its answer was lost, and the account stays out of
    reads a while (Okta's replicas): the retry creates it again and Okta refuses the login. Okta
    keeps its error codes, not its words (the review of the sandbox against real Okta, F3): the
    retry read "already exists" in the answer and failed on other words; it reads the cause's
    field, looks the account up and adopts the one its first attempt made."""
    from okta_sandbox import errors
    from okta_sandbox.domain import users

    def reworded(field: str, *causes: str) -> errors.OktaError:
        return errors.validation_failed(field, *(c.replace("An object with this field already exists in the "
                                                           "current organization", "This login is taken")
                                                 for c in causes))

    monkeypatch.setattr(users, "validation_failed", reworded)
    oid = w.start("defender-for-identity", w.connect(), service_account_login=LOGIN)
    w.plan(oid)
    sandbox_org.faults.add("drop", method="POST", path="/api/v1/users", processed=True)
    sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users", delay_ms=8000)
    assert w.apply(oid).state == "failed"

    w.apply_ok(oid)
    assert sum(1 for u in sandbox_org.users if u.login.lower() == LOGIN.lower()) == 1
    assert w.actions(oid)["service_account"].created_by_us
