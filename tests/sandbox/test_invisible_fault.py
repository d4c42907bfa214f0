"""The ``invisible`` fault: what one call creates is missing from reads (GET by id, lists,
searches) for a while, as on a real Okta whose replicas lag, while writes and uniqueness checks
already see it. It reaches objects inside others too (a custom role assignment, an app's grants
and assignments, a custom profile attribute), and combines with a lost answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.common.clock import FakeClock
from okta_sandbox import DemoOrg, SandboxOrg
from tests.sandbox.conftest import Connect, error_code

LOGIN = "replica.lag@acme.example"
NEW_USER = {"profile": {"firstName": "Rep", "lastName": "Lica", "email": LOGIN, "login": LOGIN}}


def ids_of(response: httpx.Response, key: str = "id") -> list[str]:
    return [str(item[key]) for item in response.json()]


class TestTableObjects:
    def test_a_created_user_is_missing_from_reads_until_the_delay_passes(
            self, okta: httpx.Client, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users", delay_ms=2500)
        created = okta.post("/api/v1/users", json=NEW_USER)
        assert created.status_code == 200  # the write itself answers normally
        user_id = created.json()["id"]
        search = {"search": f'profile.login eq "{LOGIN}"'}
        assert okta.get(f"/api/v1/users/{user_id}").status_code == 404
        assert okta.get("/api/v1/users", params=search).json() == []
        assert user_id not in ids_of(okta.get("/api/v1/users", params={"limit": 200}))
        # The primary sees it: the login is taken, and writes to the user work.
        again = okta.post("/api/v1/users", json=NEW_USER)
        assert again.status_code == 400 and "already exists" in again.text
        assert okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "READ_ONLY_ADMIN"}).status_code == 201
        fake_clock.advance(2.4)
        assert okta.get(f"/api/v1/users/{user_id}").status_code == 404
        fake_clock.advance(0.1)
        assert okta.get(f"/api/v1/users/{user_id}").status_code == 200
        assert ids_of(okta.get("/api/v1/users", params=search)) == [user_id]

    def test_only_what_the_call_created_is_hidden_and_only_for_times_calls(
            self, okta: httpx.Client, sandbox_org: SandboxOrg, demo_org: DemoOrg) -> None:
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/iam/roles", delay_ms=1000)
        body = {"description": "d", "permissions": ["okta.users.read"]}
        first = okta.post("/api/v1/iam/roles", json={**body, "label": "First"}).json()["id"]
        second = okta.post("/api/v1/iam/roles", json={**body, "label": "Second"}).json()["id"]
        assert okta.get(f"/api/v1/iam/roles/{first}").status_code == 404
        assert okta.get(f"/api/v1/iam/roles/{second}").status_code == 200  # the rule was used up
        assert okta.get(f"/api/v1/users/{demo_org.admin_user_id}").status_code == 200  # nothing else hides

    def test_with_a_processed_drop_the_answer_is_lost_and_the_object_hidden(
            self, okta: httpx.Client, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/logStreams", delay_ms=3000)
        sandbox_org.faults.add("drop", method="POST", path="/api/v1/logStreams", processed=True)
        stream = {"type": "aws_eventbridge", "name": "Lagging", "settings": {
            "accountId": "123456789012", "eventSourceName": "lagging", "region": "us-east-2"}}
        with pytest.raises(httpx.RemoteProtocolError):
            okta.post("/api/v1/logStreams", json=stream)
        assert len(sandbox_org.log_streams) == 1
        assert okta.get("/api/v1/logStreams").json() == []
        assert okta.post("/api/v1/logStreams", json=stream).status_code == 400  # the name is taken
        fake_clock.advance(3)
        assert [s["name"] for s in okta.get("/api/v1/logStreams").json()] == ["Lagging"]
        assert not sandbox_org.faults.rules

    def test_a_failure_before_the_write_hides_nothing(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users", delay_ms=1000)
        sandbox_org.faults.add("server_error", method="POST", path="/api/v1/users")
        assert okta.post("/api/v1/users", json=NEW_USER).status_code == 500
        assert sandbox_org.find_user(LOGIN) is None
        assert sandbox_org.faults.hidden.count(sandbox_org.clock.now()) == 0


class TestObjectsInsideOthers:
    def test_a_standard_role_assignment_hides_only_its_own_user_s(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                                                 fake_clock: FakeClock) -> None:
        # Another user's assignment of the role has the same id: it stays in reads.
        holder = sandbox_org.add_user("holder@acme.example")["id"]
        sandbox_org.assign_role(holder, "READ_ONLY_ADMIN")
        user = sandbox_org.add_user("standard.role@acme.example")["id"]
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users/{userId}/roles", delay_ms=2000)
        created = okta.post(f"/api/v1/users/{user}/roles", json={"type": "READ_ONLY_ADMIN"})
        assert created.status_code == 201
        assert okta.get(f"/api/v1/users/{user}/roles").json() == []
        assert okta.get(f"/api/v1/users/{user}/roles/{created.json()['id']}").status_code == 404
        assert ids_of(okta.get(f"/api/v1/users/{holder}/roles")) == [created.json()["id"]]
        fake_clock.advance(2)
        assert ids_of(okta.get(f"/api/v1/users/{user}/roles")) == [created.json()["id"]]

    def test_a_custom_role_assignment(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                      fake_clock: FakeClock) -> None:
        user = sandbox_org.add_user("custom.role@acme.example")["id"]
        role = sandbox_org.add_custom_role("Lagging role", ["okta.users.read"])["id"]
        rset = sandbox_org.add_resource_set("Lagging set", [f"{sandbox_org.base_url}/api/v1/users"])["id"]
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users/{userId}/roles", delay_ms=2000)
        assignment = {"type": "CUSTOM", "role": role, "resource-set": rset}
        created = okta.post(f"/api/v1/users/{user}/roles", json=assignment)
        assert created.status_code == 201
        member = created.json()["id"]
        assert okta.get(f"/api/v1/users/{user}/roles").json() == []
        assert okta.get(f"/api/v1/users/{user}/roles/{member}").status_code == 404
        assert okta.get(f"/api/v1/iam/resource-sets/{rset}/bindings/{role}/members").json()["members"] == []
        assert okta.get(f"/api/v1/iam/resource-sets/{rset}/bindings/{role}/members/{member}").status_code == 404
        again = okta.post(f"/api/v1/users/{user}/roles", json=assignment)
        assert again.status_code == 409 and error_code(again) == "E0000090"
        fake_clock.advance(2)
        assert ids_of(okta.get(f"/api/v1/users/{user}/roles")) == [member]

    def test_an_app_grant_and_assignments(self, okta: httpx.Client, sandbox_org: SandboxOrg, demo_org: DemoOrg,
                                          fake_clock: FakeClock) -> None:
        app = demo_org.drata_app_id
        person = sandbox_org.find_user("ada.lovelace0@acme.example")
        assert person is not None
        group = demo_org.group_ids["Drata Users"]
        for method, path in (("POST", "/api/v1/apps/{appId}/grants"), ("POST", "/api/v1/apps/{appId}/users"),
                             ("PUT", "/api/v1/apps/{appId}/groups/{groupId}")):
            sandbox_org.faults.add("invisible", method=method, path=path, delay_ms=1500)
        grant = okta.post(f"/api/v1/apps/{app}/grants", json={"issuer": sandbox_org.base_url,
                                                              "scopeId": "okta.users.read.self"})
        assert grant.status_code == 201
        assert okta.post(f"/api/v1/apps/{app}/users", json={"id": person["id"], "scope": "USER"}).status_code == 200
        assert okta.put(f"/api/v1/apps/{app}/groups/{group}", json={}).status_code == 200
        assert okta.get(f"/api/v1/apps/{app}/grants").json() == []
        assert okta.get(f"/api/v1/apps/{app}/grants/{grant.json()['id']}").status_code == 404
        assert okta.post(f"/api/v1/apps/{app}/grants", json={"issuer": sandbox_org.base_url,
                                                             "scopeId": "okta.users.read.self"}).status_code == 400
        assert person["id"] not in ids_of(okta.get(f"/api/v1/apps/{app}/users"))
        assert okta.get(f"/api/v1/apps/{app}/users/{person['id']}").status_code == 404
        assert okta.get(f"/api/v1/apps/{app}/groups").json() == []
        assert okta.get(f"/api/v1/apps/{app}/groups/{group}").status_code == 404
        fake_clock.advance(1.5)
        assert ids_of(okta.get(f"/api/v1/apps/{app}/grants")) == [grant.json()["id"]]
        assert person["id"] in ids_of(okta.get(f"/api/v1/apps/{app}/users"))
        assert ids_of(okta.get(f"/api/v1/apps/{app}/groups")) == [group]

    def test_a_custom_profile_attribute(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                        fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/meta/schemas/user/{schemaId}",
                               delay_ms=1000)
        body: dict[str, Any] = {"definitions": {"custom": {"properties": {
            "lagging": {"title": "Lagging", "type": "string",
                        "permissions": [{"principal": "SELF", "action": "READ_ONLY"}]}}}}}
        updated = okta.post("/api/v1/meta/schemas/user/default", json=body)
        assert "lagging" in updated.json()["definitions"]["custom"]["properties"]  # the write's own answer
        assert "lagging" not in okta.get("/api/v1/meta/schemas/user/default").json()["definitions"]["custom"][
            "properties"]
        assert "lagging" in sandbox_org.schema_properties()
        fake_clock.advance(1)
        assert "lagging" in okta.get("/api/v1/meta/schemas/user/default").json()["definitions"]["custom"][
            "properties"]


class TestRules:
    def test_an_invisible_rule_needs_a_delay(self, sandbox_org: SandboxOrg) -> None:
        with pytest.raises(ValueError, match="invisible fault needs delay_ms"):
            sandbox_org.faults.add("invisible", method="POST")

    def test_the_control_api_adds_one(self, connect: Connect, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        control = connect()
        added = control.post("/__sandbox__/faults", json={"kind": "invisible", "method": "POST",
                                                          "path": "/api/v1/users", "delay_ms": 500})
        assert added.status_code == 201 and added.json()["kind"] == "invisible"
        user_id = okta.post("/api/v1/users", json=NEW_USER).json()["id"]
        assert okta.get(f"/api/v1/users/{user_id}").status_code == 404
        assert control.get("/__sandbox__/faults").json() == []
