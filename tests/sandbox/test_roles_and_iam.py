"""Role assignments, custom roles, resource sets and bindings, as the Defender and Oort guides
use them: ids and status codes, label lookups and uniqueness, 409 E0000090 on a duplicate role,
URL and ORN forms of one resource, and ``_links.next`` paging of the /iam lists."""

from __future__ import annotations

import httpx
import pytest

from okta_sandbox import DemoOrg, SandboxOrg
from tests.okta_spec import Violation
from tests.sandbox.conftest import MakeAdmin, accept_invalid_requests, error_code

DEFENDER = "Microsoft Defender for Identity"
PERMISSIONS = ["okta.users.lifecycle.manage", "okta.users.credentials.manage", "okta.iam.read"]


def _role(okta: httpx.Client, label: str = DEFENDER, permissions: list[str] | None = None) -> httpx.Response:
    return okta.post("/api/v1/iam/roles", json={"label": label, "description": f"{label} role",
                                                "permissions": permissions or PERMISSIONS})


def _resource_set(okta: httpx.Client, org: SandboxOrg, label: str = DEFENDER) -> httpx.Response:
    return okta.post("/api/v1/iam/resource-sets", json={
        "label": label, "description": f"{label} resources",
        "resources": [f"{org.base_url}/api/v1/users", f"orn:okta:iam:{org.org_id}:contained_resources"]})


class TestStandardRoleAssignment:
    def test_assigning_a_role_is_201_with_the_assignment(self, okta: httpx.Client, make_admin: MakeAdmin) -> None:
        user_id, _ = make_admin()
        response = okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "SUPER_ADMIN"})
        assert response.status_code == 201
        body = response.json()
        assert body["type"] == "SUPER_ADMIN" and body["assignmentType"] == "USER" and body["status"] == "ACTIVE"
        assert body["_links"]["assignee"]["href"].endswith(f"/api/v1/users/{user_id}")

    def test_a_duplicate_standard_role_is_409_e0000090(self, okta: httpx.Client, make_admin: MakeAdmin) -> None:
        user_id, _ = make_admin("READ_ONLY_ADMIN")
        response = okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "READ_ONLY_ADMIN"})
        assert response.status_code == 409 and error_code(response) == "E0000090"

    def test_list_get_and_unassign(self, okta: httpx.Client, make_admin: MakeAdmin, sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin("ORG_ADMIN", "READ_ONLY_ADMIN")
        roles = okta.get(f"/api/v1/users/{user_id}/roles").json()
        assert {role["type"] for role in roles} == {"ORG_ADMIN", "READ_ONLY_ADMIN"}
        org_admin = next(role for role in roles if role["type"] == "ORG_ADMIN")
        assert okta.get(f"/api/v1/users/{user_id}/roles/{org_admin['id']}").json()["label"] == \
            "Organization administrator"
        assert okta.delete(f"/api/v1/users/{user_id}/roles/{org_admin['id']}").status_code == 204
        assert [role["type"] for role in sandbox_org.user_roles(user_id)] == ["READ_ONLY_ADMIN"]

    def test_an_assignment_id_is_the_role_types_for_every_user(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                               sandbox_org: SandboxOrg) -> None:
        # Okta's id (recorded: APP_ADMIN is IFIFAX2BIRGUSTQ for two users of two orgs), so a client
        # that takes the id alone for one assignment meets it here as it would in a real org.
        first, _ = make_admin("APP_ADMIN")
        second, _ = make_admin()
        created = okta.post(f"/api/v1/users/{second}/roles", json={"type": "APP_ADMIN"}).json()
        assert created["id"] == "IFIFAX2BIRGUSTQ"
        assert [role["id"] for role in okta.get(f"/api/v1/users/{first}/roles").json()] == ["IFIFAX2BIRGUSTQ"]
        mine = okta.get(f"/api/v1/users/{second}/roles/IFIFAX2BIRGUSTQ").json()
        assert mine["_links"]["assignee"]["href"].endswith(f"/api/v1/users/{second}")
        assert okta.delete(f"/api/v1/users/{second}/roles/IFIFAX2BIRGUSTQ").status_code == 204
        assert okta.get(f"/api/v1/users/{second}/roles/IFIFAX2BIRGUSTQ").status_code == 404
        assert [role["type"] for role in sandbox_org.user_roles(first)] == ["APP_ADMIN"]

    def test_a_role_held_directly_and_through_a_group_is_removed_from_the_user_only(
            self, okta: httpx.Client, make_admin: MakeAdmin, sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin("READ_ONLY_ADMIN")
        group = sandbox_org.add_group("Auditors", members=[user_id])["id"]
        sandbox_org.assign_group_role(group, "READ_ONLY_ADMIN")
        roles = okta.get(f"/api/v1/users/{user_id}/roles").json()
        assert [(role["id"], role["assignmentType"]) for role in roles] == [
            ("KJCUCRC7J5HEYWK7IFCE2SKO", "USER"), ("KJCUCRC7J5HEYWK7IFCE2SKO", "GROUP")]
        assert okta.get(f"/api/v1/users/{user_id}/roles/KJCUCRC7J5HEYWK7IFCE2SKO").json()["assignmentType"] == "USER"
        assert okta.delete(f"/api/v1/users/{user_id}/roles/KJCUCRC7J5HEYWK7IFCE2SKO").status_code == 204
        assert [role["assignmentType"] for role in okta.get(f"/api/v1/users/{user_id}/roles").json()] == ["GROUP"]
        assert okta.delete(f"/api/v1/users/{user_id}/roles/KJCUCRC7J5HEYWK7IFCE2SKO").status_code == 404

    def test_an_unknown_role_type_is_refused(self, okta: httpx.Client, make_admin: MakeAdmin,
                                             okta_violations: list[Violation]) -> None:
        user_id, _ = make_admin()
        response = okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "NOT_A_ROLE"})
        assert response.status_code == 400 and error_code(response) == "E0000001"
        accept_invalid_requests(okta_violations)

    def test_a_custom_assignment_needs_role_and_resource_set(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                             okta_violations: list[Violation]) -> None:
        user_id, _ = make_admin()
        response = okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "CUSTOM", "role": "cr0x"})
        assert response.status_code == 400 and "resource-set" in response.json()["errorSummary"]
        accept_invalid_requests(okta_violations)


class TestCustomRoleAssignment:
    def test_a_custom_role_is_assigned_through_a_binding_member(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                                sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin("READ_ONLY_ADMIN")
        role, resource_set = _role(okta).json(), _resource_set(okta, sandbox_org).json()
        response = okta.post(f"/api/v1/users/{user_id}/roles",
                             json={"type": "CUSTOM", "role": role["id"], "resource-set": resource_set["id"]})
        assert response.status_code == 201
        assignment = response.json()
        assert assignment["id"].startswith("irb") and assignment["role"] == role["id"]
        assert assignment["resource-set"] == resource_set["id"] and assignment["label"] == DEFENDER
        members = okta.get(f"/api/v1/iam/resource-sets/{resource_set['id']}/bindings/{role['id']}/members").json()
        assert [member["id"] for member in members["members"]] == [assignment["id"]]
        assert members["members"][0]["_links"]["self"]["href"].endswith(f"/api/v1/users/{user_id}")

    def test_the_same_custom_assignment_twice_is_409(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                     sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin()
        body = {"type": "CUSTOM", "role": _role(okta).json()["id"],
                "resource-set": _resource_set(okta, sandbox_org).json()["id"]}
        okta.post(f"/api/v1/users/{user_id}/roles", json=body)
        response = okta.post(f"/api/v1/users/{user_id}/roles", json=body)
        assert response.status_code == 409 and error_code(response) == "E0000090"

    def test_unassigning_removes_the_binding_member(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                    sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin()
        role, resource_set = _role(okta).json(), _resource_set(okta, sandbox_org).json()
        assignment = okta.post(f"/api/v1/users/{user_id}/roles", json={
            "type": "CUSTOM", "role": role["id"], "resource-set": resource_set["id"]}).json()
        assert okta.delete(f"/api/v1/users/{user_id}/roles/{assignment['id']}").status_code == 204
        assert okta.get(f"/api/v1/users/{user_id}/roles").json() == []
        # The binding stays, empty, until it is deleted (as the recorded Terraform runs show), and
        # its role cannot be deleted meanwhile.
        binding = sandbox_org.resource_sets[resource_set["id"]].bindings[role["id"]]
        assert binding.members == {}
        assert okta.delete(f"/api/v1/iam/roles/{role['id']}").status_code == 400
        assert okta.delete(f"/api/v1/iam/resource-sets/{resource_set['id']}/bindings/{role['id']}").status_code == 204
        assert okta.delete(f"/api/v1/iam/roles/{role['id']}").status_code == 204


class TestCustomRoles:
    def test_create_is_200_with_a_cr0_id(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        response = _role(okta)
        assert response.status_code == 200
        body = response.json()
        assert body["id"].startswith("cr0") and body["label"] == DEFENDER
        assert body["_links"]["permissions"]["href"].endswith(f"/api/v1/iam/roles/{body['id']}/permissions")
        assert sorted(sandbox_org.custom_roles[body["id"]].permissions) == sorted(PERMISSIONS)

    def test_the_label_works_as_the_id(self, okta: httpx.Client) -> None:
        role_id = _role(okta).json()["id"]
        assert okta.get(f"/api/v1/iam/roles/{DEFENDER}").json()["id"] == role_id
        permissions = okta.get(f"/api/v1/iam/roles/{DEFENDER}/permissions").json()["permissions"]
        assert sorted(permission["label"] for permission in permissions) == sorted(PERMISSIONS)

    def test_labels_are_unique(self, okta: httpx.Client) -> None:
        _role(okta)
        response = _role(okta, DEFENDER.upper())
        assert response.status_code == 400 and error_code(response) == "E0000001"
        assert response.json()["errorSummary"] == "Api validation failed: label"

    def test_description_is_required(self, okta: httpx.Client, okta_violations: list[Violation]) -> None:
        response = okta.post("/api/v1/iam/roles", json={"label": "No description", "permissions": PERMISSIONS})
        assert response.status_code == 400 and response.json()["errorSummary"] == "Api validation failed: description"
        accept_invalid_requests(okta_violations)

    def test_unknown_permissions_are_refused(self, okta: httpx.Client) -> None:
        response = _role(okta, "Typo", ["okta.users.reed"])
        assert response.status_code == 400 and "okta.users.reed" in response.json()["errorCauses"][0]["errorSummary"]

    def test_add_and_remove_a_permission(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        role_id = _role(okta).json()["id"]
        assert okta.post(f"/api/v1/iam/roles/{role_id}/permissions/okta.users.read").status_code == 204
        assert "okta.users.read" in sandbox_org.custom_roles[role_id].permissions
        assert okta.get(f"/api/v1/iam/roles/{role_id}/permissions/okta.users.read").status_code == 200
        assert okta.delete(f"/api/v1/iam/roles/{role_id}/permissions/okta.users.read").status_code == 204
        assert okta.get(f"/api/v1/iam/roles/{role_id}/permissions/okta.users.read").status_code == 404

    def test_replace_and_delete(self, okta: httpx.Client) -> None:
        role_id = _role(okta).json()["id"]
        replaced = okta.put(f"/api/v1/iam/roles/{role_id}", json={"label": "Renamed", "description": "new"})
        assert replaced.status_code == 200 and replaced.json()["label"] == "Renamed"
        assert okta.delete("/api/v1/iam/roles/Renamed").status_code == 204
        assert okta.get(f"/api/v1/iam/roles/{role_id}").status_code == 404

    def test_lists_page_with_links_next_in_the_body(self, okta: httpx.Client) -> None:
        for number in range(25):
            _role(okta, f"Role {number:02d}", ["okta.users.read"])
        first = okta.get("/api/v1/iam/roles").json()
        assert len(first["roles"]) == 20 and "Link" not in okta.get("/api/v1/iam/roles").headers
        second = okta.get(first["_links"]["next"]["href"]).json()
        assert len(second["roles"]) == 5 and "next" not in second["_links"]
        labels = [role["label"] for role in first["roles"] + second["roles"]]
        assert labels == [f"Role {number:02d}" for number in range(25)]


class TestResourceSets:
    def test_create_with_a_url_and_an_orn(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        response = _resource_set(okta, sandbox_org)
        assert response.status_code == 200 and response.json()["id"].startswith("iam")
        resources = okta.get(f"/api/v1/iam/resource-sets/{DEFENDER}/resources").json()["resources"]
        assert [resource["orn"] for resource in resources] == [
            f"orn:okta:directory:{sandbox_org.org_id}:users", f"orn:okta:iam:{sandbox_org.org_id}:contained_resources"]
        assert resources[0]["_links"]["self"]["href"] == f"{sandbox_org.base_url}/api/v1/users"

    def test_a_url_and_its_orn_are_one_resource(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        set_id = _resource_set(okta, sandbox_org).json()["id"]
        response = okta.patch(f"/api/v1/iam/resource-sets/{set_id}/resources", json={
            "additions": [f"orn:okta:directory:{sandbox_org.org_id}:users",
                          f"{sandbox_org.base_url}/api/v1/groups"]})
        assert response.status_code == 200
        orns = [resource.orn for resource in sandbox_org.resource_sets[set_id].resources.values()]
        assert len(orns) == 3 and orns.count(f"orn:okta:directory:{sandbox_org.org_id}:users") == 1

    def test_labels_are_unique(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        _resource_set(okta, sandbox_org)
        response = _resource_set(okta, sandbox_org)
        assert response.status_code == 400 and response.json()["errorSummary"] == "Api validation failed: label"

    @pytest.mark.parametrize("resource", ["https://evil.example/api/v1/users", "orn:okta:directory:00oOTHER:users",
                                          "not a resource", "{base}/api/v1/groups/00gnothere"])
    def test_unknown_resources_are_refused(self, okta: httpx.Client, sandbox_org: SandboxOrg, resource: str) -> None:
        response = okta.post("/api/v1/iam/resource-sets", json={
            "label": "Bad", "description": "d", "resources": [resource.replace("{base}", sandbox_org.base_url)]})
        assert response.status_code == 400 and error_code(response) == "E0000001"

    def test_delete_a_resource(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        set_id = _resource_set(okta, sandbox_org).json()["id"]
        resource_id = okta.get(f"/api/v1/iam/resource-sets/{set_id}/resources").json()["resources"][0]["id"]
        assert okta.delete(f"/api/v1/iam/resource-sets/{set_id}/resources/{resource_id}").status_code == 204
        assert len(sandbox_org.resource_sets[set_id].resources) == 1

    def test_replace_keeps_the_resources(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        set_id = _resource_set(okta, sandbox_org).json()["id"]
        response = okta.put(f"/api/v1/iam/resource-sets/{set_id}", json={"label": "New label", "description": "d"})
        assert response.json()["label"] == "New label" and len(sandbox_org.resource_sets[set_id].resources) == 2


class TestBindings:
    def test_bind_a_role_list_and_add_members(self, okta: httpx.Client, make_admin: MakeAdmin,
                                              sandbox_org: SandboxOrg, demo_org: DemoOrg) -> None:
        first, _ = make_admin()
        second, _ = make_admin()
        role_id, set_id = _role(okta).json()["id"], _resource_set(okta, sandbox_org).json()["id"]
        created = okta.post(f"/api/v1/iam/resource-sets/{set_id}/bindings", json={
            "role": role_id, "members": [f"{sandbox_org.base_url}/api/v1/users/{first}"]})
        assert created.status_code == 200
        assert created.json()["_links"]["self"]["href"].endswith(f"/bindings/{role_id}")
        listed = okta.get(f"/api/v1/iam/resource-sets/{set_id}/bindings").json()
        assert [binding["id"] for binding in listed["roles"]] == [role_id]
        assert okta.get(f"/api/v1/iam/resource-sets/{DEFENDER}/bindings/{DEFENDER}").json()["id"] == role_id
        added = okta.patch(f"/api/v1/iam/resource-sets/{set_id}/bindings/{role_id}/members", json={
            "additions": [f"{sandbox_org.base_url}/api/v1/users/{second}",
                          f"{sandbox_org.base_url}/api/v1/groups/{demo_org.group_ids['Sales']}"]})
        assert added.status_code == 200
        members = okta.get(f"/api/v1/iam/resource-sets/{set_id}/bindings/{role_id}/members").json()["members"]
        assert len(members) == 3
        assert [role["type"] for role in okta.get(f"/api/v1/users/{second}/roles").json()] == ["CUSTOM"]

    def test_binding_the_same_role_twice_is_refused(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                    sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin()
        role_id, set_id = _role(okta).json()["id"], _resource_set(okta, sandbox_org).json()["id"]
        body = {"role": role_id, "members": [f"{sandbox_org.base_url}/api/v1/users/{user_id}"]}
        okta.post(f"/api/v1/iam/resource-sets/{set_id}/bindings", json=body)
        response = okta.post(f"/api/v1/iam/resource-sets/{set_id}/bindings", json=body)
        assert response.status_code == 400 and error_code(response) == "E0000001"

    def test_remove_a_member_and_delete_the_binding(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                    sandbox_org: SandboxOrg) -> None:
        first, _ = make_admin()
        second, _ = make_admin()
        role_id, set_id = _role(okta).json()["id"], _resource_set(okta, sandbox_org).json()["id"]
        okta.post(f"/api/v1/iam/resource-sets/{set_id}/bindings", json={"role": role_id, "members": [
            f"{sandbox_org.base_url}/api/v1/users/{first}", f"{sandbox_org.base_url}/api/v1/users/{second}"]})
        base = f"/api/v1/iam/resource-sets/{set_id}/bindings/{role_id}"
        member_id = okta.get(f"{base}/members").json()["members"][0]["id"]
        assert okta.get(f"{base}/members/{member_id}").status_code == 200
        assert okta.delete(f"{base}/members/{member_id}").status_code == 204
        assert okta.get(f"/api/v1/users/{first}/roles").json() == []
        assert okta.delete(base).status_code == 204
        assert okta.get(base).status_code == 404

    def test_a_bound_role_cannot_be_deleted(self, okta: httpx.Client, make_admin: MakeAdmin,
                                            sandbox_org: SandboxOrg) -> None:
        user_id, _ = make_admin()
        role_id, set_id = _role(okta).json()["id"], _resource_set(okta, sandbox_org).json()["id"]
        okta.post(f"/api/v1/iam/resource-sets/{set_id}/bindings", json={
            "role": role_id, "members": [f"{sandbox_org.base_url}/api/v1/users/{user_id}"]})
        assert okta.delete(f"/api/v1/iam/roles/{role_id}").status_code == 400


class TestLabelsInPaths:
    def test_next_links_keep_a_label_with_spaces_encoded(self, okta: httpx.Client, make_admin: MakeAdmin,
                                                         sandbox_org: SandboxOrg) -> None:
        set_id = _resource_set(okta, sandbox_org).json()["id"]
        for number in range(3):
            role_id = _role(okta, f"Bound {number}", ["okta.users.read"]).json()["id"]
            user_id, _ = make_admin()
            okta.post(f"/api/v1/iam/resource-sets/{set_id}/bindings", json={
                "role": role_id, "members": [f"{sandbox_org.base_url}/api/v1/users/{user_id}"]})
        sandbox_org.page_size = 2
        first = okta.get(f"/api/v1/iam/resource-sets/{DEFENDER}/bindings").json()
        next_href = first["_links"]["next"]["href"]
        assert "Microsoft%20Defender%20for%20Identity" in next_href and " " not in next_href
        assert len(okta.get(next_href).json()["roles"]) == 1
