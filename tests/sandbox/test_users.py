"""Users: creation and activation, lookups and searches, Link pagination, partial updates, the
lifecycle (with Okta's two-step delete), and groups."""

from __future__ import annotations

from typing import Any

import httpx

from okta_sandbox import DemoOrg, SandboxOrg
from tests.okta_spec import Violation
from tests.sandbox.conftest import accept_invalid_requests, error_code

PASSWORD = "Kv8-Qm2z-Lp4w"


def _new_user(okta: httpx.Client, login: str, *, activate: bool = True, password: str | None = PASSWORD,
              **profile: str) -> httpx.Response:
    body: dict[str, object] = {"profile": {"firstName": "Dee", "lastName": "Fender", "email": login, "login": login,
                                           **profile}}
    if password:
        body["credentials"] = {"password": {"value": password}}
    return okta.post(f"/api/v1/users?activate={str(activate).lower()}", json=body)


def _follow(okta: httpx.Client, url: str) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        response = okta.get(next_url)
        assert response.status_code == 200
        items.extend(response.json())
        pages += 1
        next_url = response.links.get("next", {}).get("url")
    return items, pages


class TestCreateUser:
    def test_with_a_password_the_user_is_active(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        response = _new_user(okta, "defender.sa@acme.example", userType="Service Account")
        assert response.status_code == 200
        user = response.json()
        assert user["status"] == "ACTIVE" and user["profile"]["userType"] == "Service Account"
        assert "password" in user["credentials"] and "value" not in user["credentials"]["password"]
        assert sandbox_org.find_user("defender.sa@acme.example") is not None

    def test_without_activation_the_user_is_staged(self, okta: httpx.Client) -> None:
        assert _new_user(okta, "staged@acme.example", activate=False).json()["status"] == "STAGED"

    def test_activated_without_a_password_the_user_is_provisioned(self, okta: httpx.Client) -> None:
        assert _new_user(okta, "pending@acme.example", password=None).json()["status"] == "PROVISIONED"

    def test_a_taken_login_is_refused(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        response = _new_user(okta, demo_org.admin_login.upper())
        assert response.status_code == 400 and error_code(response) == "E0000001"
        assert "already exists" in response.json()["errorCauses"][0]["errorSummary"]

    def test_a_weak_password_is_refused(self, okta: httpx.Client) -> None:
        response = _new_user(okta, "weak@acme.example", password="password")
        assert response.status_code == 400 and response.json()["errorSummary"] == "Api validation failed: password"

    def test_an_undefined_profile_property_is_refused(self, okta: httpx.Client) -> None:
        response = _new_user(okta, "odd@acme.example", favouriteColour="green")
        # Okta's words (recorded: TestAccResourceOktaUser_invalidCustomProfileAttribute).
        assert response.status_code == 400 and response.json()["errorSummary"] == "Api validation failed: newUser"
        assert response.json()["errorCauses"] == [
            {"errorSummary": "Property name 'favouriteColour' is not defined in profile"}]

    def test_activating_a_staged_user_without_email_returns_the_activation_link(self, okta: httpx.Client) -> None:
        user = _new_user(okta, "later@acme.example", activate=False).json()
        response = okta.post(f"/api/v1/users/{user['id']}/lifecycle/activate?sendEmail=false")
        assert response.status_code == 200 and response.json()["activationToken"]
        assert okta.get(f"/api/v1/users/{user['id']}").json()["status"] == "ACTIVE"


class TestFindUsers:
    def test_by_id_login_and_shortname(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        for ref in (demo_org.admin_user_id, demo_org.admin_login, "sam.super"):
            assert okta.get(f"/api/v1/users/{ref}").json()["id"] == demo_org.admin_user_id

    def test_filter_by_login(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        found = okta.get("/api/v1/users", params={"filter": f'profile.login eq "{demo_org.admin_login}"'}).json()
        assert [user["id"] for user in found] == [demo_org.admin_user_id]

    def test_filter_values_are_case_sensitive(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        found = okta.get("/api/v1/users", params={"filter": f'profile.login eq "{demo_org.admin_login.upper()}"'})
        assert found.json() == []

    def test_search_by_status(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        found, _ = _follow(okta, '/api/v1/users?search=status+eq+"ACTIVE"&limit=200')
        expected = [user.id for user in sandbox_org.users if user.status == "ACTIVE"]
        assert sorted(user["id"] for user in found) == sorted(expected)

    def test_search_is_case_insensitive_and_includes_deactivated(self, okta: httpx.Client,
                                                                 sandbox_org: SandboxOrg) -> None:
        found, _ = _follow(okta, '/api/v1/users?search=profile.firstName+eq+"LUIS"')
        expected = [user.id for user in sandbox_org.users if user.profile["firstName"] == "Luis"]
        assert [user["id"] for user in found] == expected
        assert "DEPROVISIONED" in {user["status"] for user in found}
        listed, _ = _follow(okta, "/api/v1/users?limit=200")
        assert not set(expected) & {user["id"] for user in listed}

    def test_q_matches_name_starts_and_skips_deactivated(self, okta: httpx.Client) -> None:
        found = okta.get("/api/v1/users", params={"q": "Sam"}).json()
        assert [user["profile"]["login"] for user in found] == ["sam.super@acme.example"]

    def test_an_unreadable_filter_is_400_e0000031(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/users", params={"filter": 'profile.login eq'})
        assert response.status_code == 400 and error_code(response) == "E0000031"

    def test_filter_refuses_unsupported_attributes(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/users", params={"filter": 'profile.department eq "Sales"'})
        assert response.status_code == 400 and error_code(response) == "E0000031"


class TestUserPagination:
    def test_link_headers_walk_every_page_once(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        found, pages = _follow(okta, "/api/v1/users?limit=7")
        expected = [user.id for user in sandbox_org.users if user.status != "DEPROVISIONED"]
        assert [user["id"] for user in found] == expected
        assert pages == -(-len(expected) // 7)

    def test_the_default_page_is_the_orgs_page_size(self, okta: httpx.Client) -> None:
        response = okta.get("/api/v1/users")
        assert len(response.json()) == 20 and "next" in response.links
        assert response.links["self"]["url"].endswith("/api/v1/users")

    def test_limit_above_the_maximum_is_the_maximum(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        response = okta.get("/api/v1/users", params={"limit": "5000"})
        assert len(response.json()) == len([u for u in sandbox_org.users if u.status != "DEPROVISIONED"])
        assert "next" not in response.links

    def test_the_cursor_survives_deletions(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        first = okta.get("/api/v1/users?limit=5")
        last_seen = first.json()[-1]["id"]
        okta.delete(f"/api/v1/users/{last_seen}")
        okta.delete(f"/api/v1/users/{last_seen}")
        second = okta.get(first.links["next"]["url"]).json()
        listed = [user.id for user in sandbox_org.users if user.status != "DEPROVISIONED"]
        assert [user["id"] for user in second] == listed[4:9]


class TestUpdateUser:
    def test_a_partial_update_keeps_the_other_properties(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        response = okta.post(f"/api/v1/users/{demo_org.admin_user_id}", json={"profile": {"title": "sentinel-test"}})
        assert response.status_code == 200
        profile = okta.get(f"/api/v1/users/{demo_org.admin_user_id}").json()["profile"]
        assert profile["title"] == "sentinel-test" and profile["firstName"] == "Sam"

    def test_an_update_is_logged(self, okta: httpx.Client, demo_org: DemoOrg, sandbox_org: SandboxOrg) -> None:
        okta.post(f"/api/v1/users/{demo_org.admin_user_id}", json={"profile": {"title": "CISO"}})
        event = sandbox_org.events_of("user.account.update_profile")[-1]
        assert event["target"][0]["id"] == demo_org.admin_user_id
        assert event["target"][0]["detailEntry"] == {"changedAttributes": "title"}


class TestLifecycle:
    def test_deactivate_then_activate(self, okta: httpx.Client) -> None:
        user = _new_user(okta, "cycle@acme.example").json()
        assert okta.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate").json() == {}
        assert okta.get(f"/api/v1/users/{user['id']}").json()["status"] == "DEPROVISIONED"
        assert okta.post(f"/api/v1/users/{user['id']}/lifecycle/activate?sendEmail=true").json() == {}
        # Back as a new account, whose person sets a password again (it had one).
        assert okta.get(f"/api/v1/users/{user['id']}").json()["status"] == "PROVISIONED"

    def test_a_deactivated_user_activated_without_email_gets_a_link_that_works(
            self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        user = _new_user(okta, "back@acme.example").json()
        okta.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate")
        answer = okta.post(f"/api/v1/users/{user['id']}/lifecycle/activate?sendEmail=false").json()
        assert answer["activationUrl"].endswith(f"/welcome/{answer['activationToken']}")
        assert sandbox_org.activation_tokens == {answer["activationToken"]: user["id"]}
        sandbox_org.complete_activation(user["id"])
        assert okta.get(f"/api/v1/users/{user['id']}").json()["status"] == "ACTIVE"

    def test_activating_an_active_user_is_403(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        response = okta.post(f"/api/v1/users/{demo_org.admin_user_id}/lifecycle/activate")
        assert response.status_code == 403 and error_code(response) == "E0000016"

    def test_the_first_delete_deactivates_and_the_second_deletes(self, okta: httpx.Client,
                                                                 sandbox_org: SandboxOrg) -> None:
        user = _new_user(okta, "gone@acme.example").json()
        assert okta.delete(f"/api/v1/users/{user['id']}").status_code == 204
        assert sandbox_org.users[user["id"]].status == "DEPROVISIONED"
        assert okta.delete(f"/api/v1/users/{user['id']}").status_code == 204
        assert user["id"] not in sandbox_org.users
        assert okta.delete(f"/api/v1/users/{user['id']}").status_code == 404

    def test_unknown_query_flags_are_refused(self, okta: httpx.Client, demo_org: DemoOrg,
                                             okta_violations: list[Violation]) -> None:
        response = okta.post(f"/api/v1/users/{demo_org.admin_user_id}/lifecycle/deactivate?sendEmail=maybe")
        assert response.status_code == 400 and error_code(response) == "E0000001"
        accept_invalid_requests(okta_violations)


class TestGroups:
    def test_search_groups_by_exact_name(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        found = okta.get("/api/v1/groups", params={"search": 'profile.name eq "Engineering"'}).json()
        assert [group["id"] for group in found] == [demo_org.group_ids["Engineering"]]

    def test_q_is_a_name_prefix(self, okta: httpx.Client) -> None:
        found = okta.get("/api/v1/groups", params={"q": "dra"}).json()
        assert [group["profile"]["name"] for group in found] == ["Drata Users"]

    def test_everyone_is_built_in_and_holds_every_user(self, okta: httpx.Client, demo_org: DemoOrg,
                                                       sandbox_org: SandboxOrg) -> None:
        group = okta.get(f"/api/v1/groups/{demo_org.group_ids['Everyone']}").json()
        assert group["type"] == "BUILT_IN"
        members, _ = _follow(okta, f"/api/v1/groups/{demo_org.group_ids['Everyone']}/users?limit=15")
        assert len(members) == len(sandbox_org.users)

    def test_a_users_groups(self, okta: httpx.Client, demo_org: DemoOrg) -> None:
        groups = okta.get(f"/api/v1/users/{demo_org.admin_user_id}/groups").json()
        names = {group["profile"]["name"] for group in groups}
        assert names == {"Everyone", "Engineering", "Drata Users"}

    def test_filter_by_type(self, okta: httpx.Client) -> None:
        found = okta.get("/api/v1/groups", params={"filter": 'type eq "BUILT_IN"'}).json()
        assert [group["profile"]["name"] for group in found] == ["Everyone"]
