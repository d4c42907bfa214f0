"""Rate limits (headers on every response, 429 E0000047 with a reset from the org clock), every
kind of injected fault, and eventual consistency."""

from __future__ import annotations

import asyncio
import email.utils
import json
from typing import Any

import httpx
import pytest

from app.common.clock import FakeClock
from okta_sandbox import DemoOrg, FaultKind, RateLimitConfig, SandboxOrg, SandboxTransport
from tests.sandbox.conftest import Connect, error_code


class TestRateLimits:
    def test_every_response_carries_rate_limit_headers_from_the_clock(self, okta: httpx.Client, connect: Connect,
                                                                      fake_clock: FakeClock) -> None:
        for response in (okta.get("/api/v1/users"), connect().get("/api/v1/users"),
                         connect().get("/.well-known/okta-organization"), okta.get("/api/v1/nothing")):
            assert int(response.headers["X-Rate-Limit-Limit"]) > 0
            assert int(response.headers["X-Rate-Limit-Remaining"]) >= 0
            reset = int(response.headers["X-Rate-Limit-Reset"])
            assert fake_clock.now() < reset <= fake_clock.now() + 60
            assert email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp() == fake_clock.now()

    def test_an_empty_bucket_is_429_until_the_reset(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                                    fake_clock: FakeClock) -> None:
        sandbox_org.rate_limits = RateLimitConfig.of(overrides={"/api/v1/users": 3})
        remaining = [int(okta.get("/api/v1/users/me").headers["X-Rate-Limit-Remaining"]) for _ in range(3)]
        assert remaining == [2, 1, 0]
        limited = okta.get("/api/v1/users")
        assert limited.status_code == 429 and error_code(limited) == "E0000047"
        assert limited.headers["X-Rate-Limit-Limit"] == "3" and limited.headers["X-Rate-Limit-Remaining"] == "0"
        reset = int(limited.headers["X-Rate-Limit-Reset"])
        assert reset > fake_clock.now()
        assert okta.get("/api/v1/groups").status_code == 200  # another bucket
        fake_clock.advance(reset - fake_clock.now())
        assert okta.get("/api/v1/users").status_code == 200

    def test_a_method_specific_bucket(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        sandbox_org.rate_limits = RateLimitConfig.of(overrides={"POST /api/v1/iam/roles": 1})
        body = {"label": "One", "description": "d", "permissions": ["okta.users.read"]}
        assert okta.post("/api/v1/iam/roles", json=body).status_code == 200
        assert okta.post("/api/v1/iam/roles", json={**body, "label": "Two"}).status_code == 429
        assert okta.get("/api/v1/iam/roles").status_code == 200

    def test_configured_at_construction(self, fake_clock: FakeClock) -> None:
        org = SandboxOrg(clock=fake_clock, rate_limits=RateLimitConfig(default_limit=2))

        async def calls() -> list[int]:
            async with httpx.AsyncClient(transport=SandboxTransport(org), base_url=org.base_url) as client:
                return [(await client.get("/.well-known/okta-organization")).status_code for _ in range(3)]

        assert asyncio.run(calls()) == [200, 200, 429]


class TestFaults:
    def test_latency_passes_on_the_org_clock(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                             fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("latency", path="/api/v1/users", delay_ms=1500, times=None)
        before = fake_clock.now()
        assert okta.get("/api/v1/users/me").status_code == 200
        assert okta.get("/api/v1/users").status_code == 200
        assert fake_clock.now() - before == 3.0 and fake_clock.slept == [1.5, 1.5]

    def test_server_error_answers_500_e0000009_then_stops(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        sandbox_org.faults.add(FaultKind.SERVER_ERROR, method="GET", path="/api/v1/users/{id}")
        failed = okta.get("/api/v1/users/me")
        assert failed.status_code == 500 and error_code(failed) == "E0000009"
        assert okta.get("/api/v1/users/me").status_code == 200

    def test_server_error_503(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        sandbox_org.faults.add("server_error", path="/api/v1/org", status=503)
        response = okta.get("/api/v1/org")
        assert response.status_code == 503 and error_code(response) == "E0000010"

    def test_rate_limit_burst_sends_n_429s_with_a_future_reset(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                                               fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("rate_limit_burst", path="/api/v1/iam", times=2)
        for _ in range(2):
            response = okta.get("/api/v1/iam/roles")
            assert response.status_code == 429 and error_code(response) == "E0000047"
            assert response.headers["X-Rate-Limit-Remaining"] == "0"
            assert int(response.headers["X-Rate-Limit-Reset"]) > fake_clock.now()
        assert okta.get("/api/v1/iam/roles").status_code == 200

    def test_a_concurrency_limit_429_names_no_bucket(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                                    fake_clock: FakeClock) -> None:
        """Okta's concurrency 429: "the first two header values are always 0" (docs rl2-monitor)."""
        sandbox_org.faults.add("concurrency_limit", path="/api/v1/iam")
        response = okta.get("/api/v1/iam/roles")
        assert response.status_code == 429 and error_code(response) == "E0000047"
        assert (response.headers["X-Rate-Limit-Limit"], response.headers["X-Rate-Limit-Remaining"]) == ("0", "0")
        assert int(response.headers["X-Rate-Limit-Reset"]) > fake_clock.now()
        assert okta.get("/api/v1/iam/roles").status_code == 200

    def test_malformed_json_is_a_200_that_does_not_parse(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        sandbox_org.faults.add("malformed_json", path="/api/v1/users")
        response = okta.get("/api/v1/users")
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        with pytest.raises(json.JSONDecodeError):
            response.json()

    def test_timeout_raises_read_timeout(self, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                         demo_org: DemoOrg, fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("timeout", path="/api/v1/users", delay_ms=30_000)

        async def call() -> None:
            async with httpx.AsyncClient(transport=okta_transport, base_url=sandbox_org.base_url,
                                         headers={"Authorization": f"SSWS {demo_org.admin_token}"}) as client:
                await client.get("/api/v1/users")

        before = fake_clock.now()
        with pytest.raises(httpx.ReadTimeout):
            asyncio.run(call())
        assert fake_clock.now() - before == 30.0

    def test_drop_raises_a_protocol_error(self, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                          demo_org: DemoOrg) -> None:
        sandbox_org.faults.add("drop", method="GET")

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=okta_transport, base_url=sandbox_org.base_url,
                                         headers={"Authorization": f"SSWS {demo_org.admin_token}"}) as client:
                with pytest.raises(httpx.RemoteProtocolError):
                    await client.get("/api/v1/users")
                return await client.get("/api/v1/users")

        assert asyncio.run(call()).status_code == 200

    def test_a_processed_drop_loses_the_answer_but_keeps_the_write(self, okta: httpx.Client,
                                                                   sandbox_org: SandboxOrg) -> None:
        sandbox_org.faults.add("drop", method="POST", path="/api/v1/iam/roles", processed=True)
        with pytest.raises(httpx.RemoteProtocolError):
            okta.post("/api/v1/iam/roles", json={"label": "Lost", "description": "d",
                                                 "permissions": ["okta.users.read"]})
        assert okta.get("/api/v1/iam/roles/Lost").status_code == 200

    def test_a_template_path_matches_one_segment_only(self, okta: httpx.Client, sandbox_org: SandboxOrg) -> None:
        sandbox_org.faults.add("server_error", path="/api/v1/users/{id}", times=None)
        assert okta.get("/api/v1/users").status_code == 200
        assert okta.get("/api/v1/users/me/groups").status_code == 200
        assert okta.get("/api/v1/users/me").status_code == 500

    def test_rules_count_down_and_can_be_cleared(self, sandbox_org: SandboxOrg) -> None:
        rule = sandbox_org.faults.add("server_error", times=2)
        assert len(sandbox_org.faults) == 1
        sandbox_org.faults.take("GET", "/api/v1/users")
        assert rule.times == 1
        sandbox_org.faults.clear()
        assert len(sandbox_org.faults) == 0

    @pytest.mark.parametrize("arguments", [{"kind": "nonsense"}, {"kind": "latency"},
                                           {"kind": "server_error", "status": 404}, {"kind": "drop", "times": 0}])
    def test_nonsense_rules_are_refused(self, sandbox_org: SandboxOrg, arguments: dict[str, Any]) -> None:
        kind = str(arguments.pop("kind"))
        with pytest.raises(ValueError):
            sandbox_org.faults.add(kind, **arguments)


class TestEventualConsistency:
    def test_a_new_object_is_invisible_to_reads_for_a_while(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                                            fake_clock: FakeClock) -> None:
        sandbox_org.eventual_consistency_ms = 2000
        created = okta.post("/api/v1/iam/roles", json={"label": "Slow", "description": "d",
                                                       "permissions": ["okta.users.read"]})
        assert created.status_code == 200
        role_id = created.json()["id"]
        assert okta.get(f"/api/v1/iam/roles/{role_id}").status_code == 404
        assert okta.get("/api/v1/iam/roles").json()["roles"] == []
        # The primary sees it: a second create with the same label is still refused.
        again = okta.post("/api/v1/iam/roles", json={"label": "Slow", "description": "d",
                                                     "permissions": ["okta.users.read"]})
        assert again.status_code == 400
        fake_clock.advance(2)
        assert okta.get(f"/api/v1/iam/roles/{role_id}").status_code == 200

    def test_a_new_user_is_missing_from_lists_and_searches(self, okta: httpx.Client, sandbox_org: SandboxOrg,
                                                           fake_clock: FakeClock) -> None:
        sandbox_org.eventual_consistency_ms = 500
        login = "eventual@acme.example"
        user_id = okta.post("/api/v1/users", json={"profile": {
            "firstName": "Eve", "lastName": "Ntual", "email": login, "login": login}}).json()["id"]
        search = {"search": f'profile.login eq "{login}"'}
        assert okta.get("/api/v1/users", params=search).json() == []
        assert okta.get(f"/api/v1/users/{user_id}").status_code == 404
        assert okta.post(f"/api/v1/users/{user_id}/roles", json={"type": "READ_ONLY_ADMIN"}).status_code == 201
        fake_clock.advance(0.5)
        assert [user["id"] for user in okta.get("/api/v1/users", params=search).json()] == [user_id]
