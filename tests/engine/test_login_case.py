"""A login typed in another case than Okta holds it: Okta's logins are unique whatever their case,
but its `filter=profile.login eq` is case-sensitive (the spec: "Filtering is case-sensitive for
property names and query values"). The wizard looked the account up so, planned to create a user
Okta already had, and the apply failed on Okta's "already exists"."""

from __future__ import annotations

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

