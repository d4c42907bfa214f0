"""Reactivating a user (``POST /api/v1/users/{id}/lifecycle/reactivate``): a PROVISIONED user,
whose activation link was lost, gets a new one and the old one stops working; any other status
is refused, as Okta refuses it."""

from __future__ import annotations

import httpx

from okta_sandbox import DemoOrg, SandboxOrg
from tests.sandbox.conftest import error_code

LOGIN = "relinked@acme.example"


def provisioned(okta: httpx.Client) -> tuple[str, str]:
    """A user activated without a password: (its id, its first activation token)."""
    user = okta.post("/api/v1/users?activate=false", json={"profile": {
        "firstName": "Re", "lastName": "Linked", "email": LOGIN, "login": LOGIN}}).json()
    first = okta.post(f"/api/v1/users/{user['id']}/lifecycle/activate?sendEmail=false").json()
    return user["id"], first["activationToken"]


def test_a_provisioned_user_gets_a_new_link_and_the_old_one_dies(okta: httpx.Client,
                                                                 sandbox_org: SandboxOrg) -> None:
    user_id, old = provisioned(okta)
    response = okta.post(f"/api/v1/users/{user_id}/lifecycle/reactivate?sendEmail=false")
    assert response.status_code == 200
    new = response.json()["activationToken"]
    assert response.json()["activationUrl"].endswith(f"/welcome/{new}") and new != old
    assert sandbox_org.activation_tokens == {new: user_id}
    assert okta.get(f"/api/v1/users/{user_id}").json()["status"] == "PROVISIONED"
    assert sandbox_org.events_of("user.lifecycle.reactivate")


def test_with_email_nothing_is_returned(okta: httpx.Client) -> None:
    user_id, _old = provisioned(okta)
    response = okta.post(f"/api/v1/users/{user_id}/lifecycle/reactivate?sendEmail=true")
    assert response.status_code == 200 and response.json() == {}


def test_an_active_user_is_refused(okta: httpx.Client, demo_org: DemoOrg) -> None:
    response = okta.post(f"/api/v1/users/{demo_org.admin_user_id}/lifecycle/reactivate?sendEmail=false")
    assert response.status_code == 403 and error_code(response) == "E0000038"
