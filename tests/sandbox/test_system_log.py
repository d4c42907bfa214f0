"""The System Log: an event for every write, with the token's owner as actor and the objects as
targets; filters; and Okta's paging rules (a bounded query ends, a polling query always has next)."""

from __future__ import annotations

import httpx

from app.common.clock import FakeClock
from okta_sandbox import DemoOrg, SandboxOrg
from okta_sandbox.timestamps import iso


def _create_user(okta: httpx.Client, login: str) -> str:
    response = okta.post("/api/v1/users?activate=false", json={"profile": {
        "firstName": "Log", "lastName": "Test", "email": login, "login": login}})
    return str(response.json()["id"])


class TestEventsForWrites:
    def test_a_write_records_actor_targets_and_request(self, okta: httpx.Client, demo_org: DemoOrg,
                                                       sandbox_org: SandboxOrg) -> None:
        user_id = _create_user(okta, "logged@acme.example")
        event = okta.get("/api/v1/logs", params={"filter": 'eventType eq "user.lifecycle.create"'}).json()[-1]
        assert event["actor"]["id"] == demo_org.admin_user_id and event["actor"]["type"] == "User"
        assert event["actor"]["alternateId"] == demo_org.admin_login
        assert event["target"] == [{"id": user_id, "type": "User", "alternateId": "logged@acme.example",
                                    "displayName": "Log Test"}]
        token_id = next(t.id for t in sandbox_org.api_tokens if t.user_id == demo_org.admin_user_id)
        assert event["transaction"]["detail"]["requestApiTokenId"] == token_id
        assert event["debugContext"]["debugData"]["requestUri"] == "/api/v1/users"
        assert event["outcome"]["result"] == "SUCCESS" and event["published"] == iso(sandbox_org.clock.now())

    def test_each_kind_of_write_has_its_event_type(self, okta: httpx.Client, demo_org: DemoOrg,
                                                   sandbox_org: SandboxOrg) -> None:
        user_id = _create_user(okta, "kinds@acme.example")
        okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "READ_ONLY_ADMIN"})
        okta.post("/api/v1/iam/roles", json={"label": "R", "description": "d", "permissions": ["okta.users.read"]})
        okta.post("/api/v1/iam/resource-sets", json={"label": "S", "description": "d",
                                                     "resources": [f"{sandbox_org.base_url}/api/v1/users"]})
        okta.post(f"/api/v1/apps/{demo_org.drata_app_id}/grants",
                  json={"issuer": sandbox_org.base_url, "scopeId": "okta.users.read.self"})
        okta.delete(f"/api/v1/users/{user_id}")
        types = [event["eventType"] for event in okta.get("/api/v1/logs", params={"limit": "100"}).json()]
        for expected in ("user.lifecycle.create", "user.account.privilege.grant", "iam.role.create",
                         "iam.resourceset.create", "app.oauth2.admin.consent.grant", "user.lifecycle.deactivate"):
            assert expected in types

    def test_reads_are_not_logged(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        before = len(sandbox_org.events)
        okta.get("/api/v1/users")
        okta.get("/api/v1/iam/roles")
        assert len(sandbox_org.events) == before


class TestQueries:
    def test_keyword_search(self, okta: httpx.Client) -> None:
        _create_user(okta, "needle@acme.example")
        found = okta.get("/api/v1/logs", params={"q": "needle"}).json()
        assert [event["eventType"] for event in found] == ["user.lifecycle.create"]

    def test_a_bounded_query_ends(self, okta: httpx.Client, fake_clock: FakeClock) -> None:
        start = fake_clock.now()
        for number in range(5):
            fake_clock.advance(1)
            _create_user(okta, f"bounded{number}@acme.example")
        fake_clock.advance(1)
        url: str | None = f"/api/v1/logs?since={iso(start + 0.5)}&until={iso(fake_clock.now())}&limit=2"
        pages, events = 0, []
        while url:
            response = okta.get(url)
            events.extend(response.json())
            url = response.links.get("next", {}).get("url")
            pages += 1
        assert pages == 3 and len(events) == 5

    def test_a_polling_query_always_has_next_and_finds_new_events(self, okta: httpx.Client,
                                                                  fake_clock: FakeClock) -> None:
        since = iso(fake_clock.now())
        first = okta.get("/api/v1/logs", params={"since": since, "limit": "1000"})
        assert "next" in first.links
        empty = okta.get(first.links["next"]["url"])
        assert empty.json() == [] and "next" in empty.links
        fake_clock.advance(5)
        user_id = _create_user(okta, "later@acme.example")
        fresh = okta.get(empty.links["next"]["url"]).json()
        assert [event["target"][0]["id"] for event in fresh] == [user_id]

    def test_descending_order(self, okta: httpx.Client, fake_clock: FakeClock) -> None:
        fake_clock.advance(1)
        _create_user(okta, "first@acme.example")
        fake_clock.advance(1)
        _create_user(okta, "second@acme.example")
        newest = okta.get("/api/v1/logs", params={"sortOrder": "DESCENDING", "limit": "1",
                                                  "until": iso(fake_clock.now() + 1)}).json()
        assert newest[0]["target"][0]["alternateId"] == "second@acme.example"

    def test_a_since_older_than_180_days_is_e0000053(self, okta: httpx.Client, fake_clock: FakeClock) -> None:
        response = okta.get("/api/v1/logs", params={"since": iso(fake_clock.now() - 200 * 86_400)})
        assert response.status_code == 400 and response.json()["errorCode"] == "E0000053"
