"""The sandbox's control plane (JSON under /__sandbox__) and its minimal Admin Console (HTML)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

from okta_sandbox import DemoOrg, SandboxOrg
from okta_sandbox.domain import roles as roles_domain
from okta_sandbox.domain import tokens as tokens_domain
from tests.sandbox.conftest import Connect


class TestControlPlane:
    def test_state_has_counts_and_a_compact_dump(self, connect: Connect, sandbox_org: SandboxOrg) -> None:
        state = connect().get("/__sandbox__/state").json()
        assert state["org"]["id"] == sandbox_org.org_id
        assert state["counts"]["users"] == len(sandbox_org.users) == 41
        sam = next(user for user in state["users"] if user["login"] == "sam.super@acme.example")
        assert sam["roles"] == ["SUPER_ADMIN"]
        assert state["schema"]["email"] == [{"principal": "SELF", "action": "READ_ONLY"}]

    def test_add_list_and_clear_faults(self, connect: Connect, okta: httpx.Client) -> None:
        control = connect()
        added = control.post("/__sandbox__/faults", json={"kind": "server_error", "path": "/api/v1/org", "times": 2})
        assert added.status_code == 201 and added.json()["status"] == 500
        assert [rule["kind"] for rule in control.get("/__sandbox__/faults").json()] == ["server_error"]
        assert okta.get("/api/v1/org").status_code == 500
        assert control.delete("/__sandbox__/faults").status_code == 204
        assert okta.get("/api/v1/org").status_code == 200

    def test_a_bad_fault_is_400(self, connect: Connect) -> None:
        for body in ({"kind": "nope"}, {"kind": "latency"}, {"kind": "drop", "times": "x"}, {"kind": "drop", "x": 1}):
            response = connect().post("/__sandbox__/faults", json=body)
            assert response.status_code == 400 and response.json()["error"]

    def test_config_changes_page_size_and_consistency(self, connect: Connect, okta: httpx.Client,
                                                      sandbox_org: SandboxOrg) -> None:
        response = connect().post("/__sandbox__/config", json={"page_size": 5, "eventual_consistency_ms": 10})
        assert response.json()["pageSize"] == 5 and sandbox_org.eventual_consistency_ms == 10
        assert len(okta.get("/api/v1/users").json()) == 5
        assert connect().post("/__sandbox__/config", json={"page_size": 0}).status_code == 400

    def test_reset_reseeds_and_keeps_the_admin_token(self, connect: Connect, okta: httpx.Client,
                                                     demo_org: DemoOrg, sandbox_org: SandboxOrg) -> None:
        okta.post("/api/v1/iam/roles", json={"label": "Temporary", "description": "d",
                                             "permissions": ["okta.users.read"]})
        response = connect().post("/__sandbox__/reset")
        assert response.status_code == 200 and response.json()["counts"]["customRoles"] == 0
        assert len(sandbox_org.custom_roles) == 0
        me = okta.get("/api/v1/users/me")
        assert me.status_code == 200 and me.json()["profile"]["login"] == demo_org.admin_login


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.fields: dict[str, str] = {}
        self.inputs: dict[str, dict[str, str]] = {}
        self.scripts = 0
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "style" in attributes or tag == "style":
            self.inline_styles += 1
        if tag == "script":
            self.scripts += 1
        if tag == "label":
            self.labels.add(attributes.get("for", ""))
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":  # hidden: no one fills it
            self.fields[attributes["id"]] = tag
            self.inputs[attributes["id"]] = attributes


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


class TestConsole:
    def test_the_page_is_plain_accessible_html(self, connect: Connect) -> None:
        response = connect().get("/__sandbox__/console")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "script-src" not in response.headers["Content-Security-Policy"]
        page = _parse(response.text)
        assert page.scripts == 0 and page.inline_styles == 0
        assert set(page.fields) <= page.labels, "every field needs a label"
        assert {"user_id", "name", "network-anywhere", "network-zone", "zone"} <= set(page.fields)
        assert "Onboarding wizard (demo)" in response.text

    def test_create_a_token_as_a_user_and_see_it_once(self, connect: Connect, sandbox_org: SandboxOrg,
                                                      okta: httpx.Client) -> None:
        user = sandbox_org.add_user("svc.defender@acme.example", first_name="Defender", last_name="Service")
        sandbox_org.assign_role(user["id"], "SUPER_ADMIN")
        console = connect()
        response = console.post("/__sandbox__/console/tokens",
                                data={"user_id": user["id"], "name": "Defender", "network": "ANYWHERE"})
        assert response.status_code == 201
        value = _parse(response.text).inputs["token-value"]["value"]
        assert re.fullmatch(r"00[\w-]{40}", value)
        assert connect(value).get("/api/v1/users/me").json()["id"] == user["id"]
        token = next(t for t in okta.get("/api/v1/api-tokens").json() if t["name"] == "Defender")
        assert token["userId"] == user["id"] and token["network"] == {"connection": "ANYWHERE"}
        assert value not in console.get("/__sandbox__/console").text

    def test_give_and_take_super_administrator_as_the_orgs_admin_would(self, connect: Connect,
                                                                        sandbox_org: SandboxOrg) -> None:
        user = sandbox_org.add_user("svc.watched@acme.example")
        sandbox_org.assign_role(user["id"], "READ_ONLY_ADMIN")
        console = connect()
        given = console.post("/__sandbox__/console/roles", data={"user_id": user["id"], "grant": "1"})
        assert "svc.watched@acme.example is a Super Administrator now." in given.text
        assert "SUPER_ADMIN" in roles_domain.standard_types(sandbox_org, user["id"])
        assert sandbox_org.events_of("user.account.privilege.grant")
        taken = console.post("/__sandbox__/console/roles", data={"user_id": user["id"], "grant": "0"})
        assert "svc.watched@acme.example is no longer a Super Administrator." in taken.text
        assert roles_domain.standard_types(sandbox_org, user["id"]) == {"READ_ONLY_ADMIN"}
        stranger = sandbox_org.add_user("nobody@acme.example")
        refused = console.post("/__sandbox__/console/roles", data={"user_id": stranger["id"], "grant": "1"})
        assert refused.status_code == 400 and "Choose an administrator." in refused.text

    def test_the_demo_administrators_super_administrator_can_be_given_back(self, connect: Connect,
                                                                            sandbox_org: SandboxOrg) -> None:
        """QA walk 24, M5: taken from the demo's own administrator, whose token is the wizard's
        connection, it could not be given back: they had no role left, so the console listed them nowhere."""
        assert sandbox_org.demo is not None
        admin = sandbox_org.demo.admin_user_id
        console = connect()
        taken = console.post("/__sandbox__/console/roles", data={"user_id": admin, "grant": "0"})
        assert taken.status_code == 200 and not roles_domain.standard_types(sandbox_org, admin)
        login = sandbox_org.demo.admin_login
        assert f"Give Super Administrator to {login}" in taken.text
        given = console.post("/__sandbox__/console/roles", data={"user_id": admin, "grant": "1"})
        assert f"{login} is a Super Administrator now." in given.text
        assert "SUPER_ADMIN" in roles_domain.standard_types(sandbox_org, admin)

    def test_deactivating_an_administrator_revokes_their_tokens(self, connect: Connect, sandbox_org: SandboxOrg,
                                                               demo_org: DemoOrg) -> None:
        """For the watch's demo: a service account someone deactivated (QA walk 6, L5)."""
        user = sandbox_org.add_user("svc.gone@acme.example")
        sandbox_org.assign_role(user["id"], "READ_ONLY_ADMIN")
        value = sandbox_org.issue_api_token(user["id"], "Vendor")
        console = connect()
        assert "Deactivate svc.gone@acme.example" in console.get("/__sandbox__/console").text
        done = console.post("/__sandbox__/console/users/deactivate", data={"user_id": user["id"]})
        assert "svc.gone@acme.example is deactivated: Okta revoked their API tokens." in done.text
        assert sandbox_org.users[user["id"]].status == "DEPROVISIONED"
        assert tokens_domain.authenticate(sandbox_org, value) is None
        assert sandbox_org.events_of("user.lifecycle.deactivate")
        again = console.post("/__sandbox__/console/users/deactivate", data={"user_id": user["id"]})
        assert again.status_code == 400 and "Choose an administrator." in again.text
        # The demo's own administrator (the wizard's connection) is not offered.
        admin = sandbox_org.users[demo_org.admin_user_id]
        assert f"Deactivate {admin.login}" not in console.get("/__sandbox__/console").text
        refused = console.post("/__sandbox__/console/users/deactivate", data={"user_id": admin.id})
        assert refused.status_code == 400 and admin.status == "ACTIVE"

    def test_calling_okta_with_a_token_moves_its_expiry(self, connect: Connect, sandbox_org: SandboxOrg,
                                                        demo_org: DemoOrg) -> None:
        value = sandbox_org.issue_api_token(demo_org.admin_user_id, "Vendor")
        token = next(t for t in sandbox_org.api_tokens if t.name == "Vendor")
        before = tokens_domain.expires_at(token)
        sandbox_org.clock.advance(3600)  # type: ignore[attr-defined]
        used = connect().post("/__sandbox__/console/tokens/use", data={"token": value})
        assert used.status_code == 200 and "Okta accepted the token “Vendor”" in used.text
        assert tokens_domain.expires_at(token) == before + 3600
        assert value not in used.text
        unknown = connect().post("/__sandbox__/console/tokens/use", data={"token": "00nope"})
        assert unknown.status_code == 401 and "Okta did not accept this token" in unknown.text

    def test_a_token_limited_to_a_network_zone(self, connect: Connect, sandbox_org: SandboxOrg,
                                               demo_org: DemoOrg) -> None:
        zone = next(zone for zone in sandbox_org.network_zones if zone.name == "LegacyIpZone")
        response = connect().post("/__sandbox__/console/tokens", data={
            "user_id": demo_org.admin_user_id, "name": "Zoned", "network": "ZONE", "zone": zone.id})
        assert response.status_code == 201
        token = next(t for t in sandbox_org.api_tokens if t.name == "Zoned")
        assert token.network == {"connection": "ZONE", "include": [zone.id]}

    def test_missing_fields_are_explained(self, connect: Connect, demo_org: DemoOrg) -> None:
        response = connect().post("/__sandbox__/console/tokens", data={"user_id": demo_org.admin_user_id, "name": ""})
        assert response.status_code == 400 and "Give the token a name." in response.text
        assert 'aria-invalid="true"' in response.text

    def test_only_administrators_can_sign_in(self, connect: Connect, sandbox_org: SandboxOrg) -> None:
        user = sandbox_org.add_user("plain@acme.example")
        page = connect().get("/__sandbox__/console").text
        assert "plain@acme.example" not in page
        response = connect().post("/__sandbox__/console/tokens", data={"user_id": user["id"], "name": "x"})
        assert response.status_code == 400 and "Choose an administrator" in response.text

    def test_the_stylesheet_is_served(self, connect: Connect) -> None:
        response = connect().get("/__sandbox__/console.css")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


class TestRevokingATokenInTheConsole:
    def test_a_token_is_revoked_as_security_api_tokens_does(self, connect: Connect, sandbox_org: SandboxOrg,
                                                           demo_org: DemoOrg) -> None:
        """QA walk 20, L4: the wizard asks a person to revoke a token it does not watch in Security >
        API > Tokens, and the demo's console had no way to."""
        user = sandbox_org.add_user("svc.extra@acme.example")
        sandbox_org.assign_role(user["id"], "READ_ONLY_ADMIN")
        value = sandbox_org.issue_api_token(user["id"], "Second token")
        [token] = [t for t in sandbox_org.api_tokens if t.user_id == user["id"]]
        console = connect()
        page = console.get("/__sandbox__/console").text
        assert "Revoke Second token" in page
        done = console.post("/__sandbox__/console/tokens/revoke", data={"token_id": token.id})
        assert "The token “Second token” is revoked: Okta no longer accepts it." in done.text
        assert tokens_domain.authenticate(sandbox_org, value) is None
        assert sandbox_org.events_of("system.api_token.revoke")
        again = console.post("/__sandbox__/console/tokens/revoke", data={"token_id": token.id})
        assert again.status_code == 400 and "Choose a token." in again.text
        # The demo's own administrator's token (the wizard's connection) is not offered.
        [kept] = [t for t in sandbox_org.api_tokens if t.user_id == demo_org.admin_user_id][:1]
        assert f"Revoke {kept.name}" not in console.get("/__sandbox__/console").text
        refused = console.post("/__sandbox__/console/tokens/revoke", data={"token_id": kept.id})
        assert refused.status_code == 400 and sandbox_org.api_tokens.get(kept.id) is not None
