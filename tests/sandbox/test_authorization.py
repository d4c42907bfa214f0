"""Who may call what: API tokens act with their owner's current roles, the spec's
x-okta-iam-admin-roles are honoured, and only super admins assign roles, grant scopes and manage
log streams and API service integrations."""

from __future__ import annotations

import httpx

from app.common.clock import FakeClock
from okta_sandbox import DemoOrg, SandboxOrg
from okta_sandbox.domain.api_services import AUTHOMIZE_TYPE
from tests.sandbox.conftest import Connect, MakeAdmin, error_code

AWS_STREAM = {"type": "aws_eventbridge", "name": "Oort",
              "settings": {"accountId": "123456789012", "eventSourceName": "oort-events", "region": "us-east-1"}}


class TestAuthentication:
    def test_no_token_is_401_e0000011(self, connect: Connect) -> None:
        response = connect().get("/api/v1/users")
        assert response.status_code == 401 and error_code(response) == "E0000011"

    def test_an_unknown_token_is_401_e0000011(self, connect: Connect) -> None:
        response = connect("00" + "x" * 40).get("/api/v1/users")
        assert response.status_code == 401 and error_code(response) == "E0000011"

    def test_a_revoked_token_is_401(self, connect: Connect, make_admin: MakeAdmin) -> None:
        _, token = make_admin("ORG_ADMIN")
        client = connect(token)
        assert client.delete("/api/v1/api-tokens/current").status_code == 204
        assert client.get("/api/v1/users/me").status_code == 401

    def test_a_token_unused_for_30_days_expires(self, connect: Connect, make_admin: MakeAdmin,
                                                fake_clock: FakeClock) -> None:
        _, token = make_admin("ORG_ADMIN")
        fake_clock.advance(31 * 86_400)
        assert connect(token).get("/api/v1/users/me").status_code == 401

    def test_each_use_moves_the_expiry_window(self, connect: Connect, make_admin: MakeAdmin,
                                              fake_clock: FakeClock) -> None:
        _, token = make_admin("ORG_ADMIN")
        client = connect(token)
        for _ in range(3):
            fake_clock.advance(20 * 86_400)
            assert client.get("/api/v1/users/me").status_code == 200

    def test_me_is_the_tokens_owner(self, connect: Connect, make_admin: MakeAdmin) -> None:
        user_id, token = make_admin("READ_ONLY_ADMIN")
        assert connect(token).get("/api/v1/users/me").json()["id"] == user_id

    def test_a_user_without_admin_roles_may_read_only_themselves(self, connect: Connect,
                                                                 make_admin: MakeAdmin) -> None:
        user_id, token = make_admin()
        client = connect(token)
        assert client.get("/api/v1/users/me").status_code == 200
        assert client.get(f"/api/v1/users/{user_id}").status_code == 200
        response = client.get("/api/v1/users")
        assert response.status_code == 403 and error_code(response) == "E0000006"

    def test_deactivating_the_owner_revokes_their_tokens(self, okta: httpx.Client, connect: Connect,
                                                         make_admin: MakeAdmin, sandbox_org: SandboxOrg) -> None:
        user_id, token = make_admin("ORG_ADMIN")
        assert okta.post(f"/api/v1/users/{user_id}/lifecycle/deactivate").status_code == 200
        assert connect(token).get("/api/v1/users/me").status_code == 401
        assert all(t.user_id != user_id for t in sandbox_org.api_tokens)


class TestAdminRoles:
    def test_read_only_admin_cannot_read_the_user_schema(self, connect: Connect, make_admin: MakeAdmin) -> None:
        _, token = make_admin("READ_ONLY_ADMIN")
        response = connect(token).get("/api/v1/meta/schemas/user/default")
        assert response.status_code == 403 and error_code(response) == "E0000006"

    def test_org_admin_can_read_the_user_schema(self, connect: Connect, make_admin: MakeAdmin) -> None:
        _, token = make_admin("ORG_ADMIN")
        assert connect(token).get("/api/v1/meta/schemas/user/default").status_code == 200

    def test_read_only_admin_reads_users_and_the_system_log(self, connect: Connect, make_admin: MakeAdmin) -> None:
        _, token = make_admin("READ_ONLY_ADMIN")
        client = connect(token)
        assert client.get("/api/v1/users").status_code == 200
        assert client.get("/api/v1/logs").status_code == 200
        assert client.post("/api/v1/users", json={"profile": {}}).status_code == 403

    def test_only_super_admin_assigns_roles(self, connect: Connect, make_admin: MakeAdmin,
                                            demo_org: DemoOrg) -> None:
        _, token = make_admin("ORG_ADMIN")
        response = connect(token).post(f"/api/v1/users/{demo_org.admin_user_id}/roles", json={"type": "APP_ADMIN"})
        assert response.status_code == 403 and error_code(response) == "E0000006"

    def test_only_super_admin_grants_scopes(self, connect: Connect, make_admin: MakeAdmin, demo_org: DemoOrg,
                                            sandbox_org: SandboxOrg) -> None:
        _, token = make_admin("ORG_ADMIN", "APP_ADMIN")
        response = connect(token).post(f"/api/v1/apps/{demo_org.drata_app_id}/grants",
                                       json={"issuer": sandbox_org.base_url, "scopeId": "okta.users.read.self"})
        assert response.status_code == 403 and error_code(response) == "E0000006"

    def test_only_super_admin_manages_log_streams(self, connect: Connect, make_admin: MakeAdmin) -> None:
        _, token = make_admin("ORG_ADMIN")
        response = connect(token).post("/api/v1/logStreams", json=AWS_STREAM)
        assert response.status_code == 403 and error_code(response) == "E0000006"

    def test_only_super_admin_installs_api_service_integrations(self, connect: Connect,
                                                                make_admin: MakeAdmin) -> None:
        _, token = make_admin("ORG_ADMIN", "APP_ADMIN")
        response = connect(token).post("/integrations/api/v1/api-services", json={
            "type": AUTHOMIZE_TYPE, "grantedScopes": ["okta.users.read"]})
        assert response.status_code == 403 and error_code(response) == "E0000006"

    def test_a_token_loses_super_admin_powers_as_soon_as_its_owner_does(
            self, okta: httpx.Client, connect: Connect, make_admin: MakeAdmin) -> None:
        # Defender for Identity's recipe: the service account makes its token as a super admin,
        # then trades Super Admin for Read-Only Admin; the same token follows at once.
        user_id, token = make_admin("SUPER_ADMIN")
        service = connect(token)
        assert service.get(f"/api/v1/users/{user_id}/roles").status_code == 200
        assert okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "READ_ONLY_ADMIN"}).status_code == 201
        super_admin = next(role for role in okta.get(f"/api/v1/users/{user_id}/roles").json()
                           if role["type"] == "SUPER_ADMIN")
        assert okta.delete(f"/api/v1/users/{user_id}/roles/{super_admin['id']}").status_code == 204
        refused = service.post(f"/api/v1/users/{user_id}/roles", json={"type": "SUPER_ADMIN"})
        assert refused.status_code == 403 and error_code(refused) == "E0000006"
        assert service.get("/api/v1/users").status_code == 200


class TestCustomRoles:
    def test_a_custom_role_grants_its_permissions_on_its_resource_set(
            self, connect: Connect, make_admin: MakeAdmin, sandbox_org: SandboxOrg) -> None:
        user_id, token = make_admin()
        sandbox_org.add_custom_role("User reader", ["okta.users.read"])
        sandbox_org.add_resource_set("All users", [f"{sandbox_org.base_url}/api/v1/users"])
        sandbox_org.assign_role(user_id, "CUSTOM", role="User reader", resource_set="All users")
        client = connect(token)
        assert client.get("/api/v1/users").status_code == 200
        assert client.get("/api/v1/groups").status_code == 403

    def test_a_permission_needs_a_matching_resource_in_the_set(
            self, connect: Connect, make_admin: MakeAdmin, sandbox_org: SandboxOrg) -> None:
        user_id, token = make_admin()
        sandbox_org.add_custom_role("IAM viewer", ["okta.iam.read", "okta.users.read"])
        sandbox_org.add_resource_set("IAM only", [f"orn:okta:iam:{sandbox_org.org_id}:contained_resources"])
        sandbox_org.assign_role(user_id, "CUSTOM", role="IAM viewer", resource_set="IAM only")
        client = connect(token)
        assert client.get("/api/v1/iam/roles").status_code == 200
        assert client.get("/api/v1/users").status_code == 403
