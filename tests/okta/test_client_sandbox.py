"""The client against the sandbox Okta, every exchange validated against Okta's spec: waits
for 429s, throttling below the limit, pagination, and a typed error for every kind of fault."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.common.clock import FakeClock
from app.okta import (
    ApiTokenCredential,
    OktaClient,
    OktaMalformedResponse,
    OktaServerError,
    OktaTransportError,
    OktaUnauthorized,
    normalise_org_url,
    static_secret,
)
from app.okta.calllog import OktaCall, RateLimitWait
from app.okta.errors import OktaForbidden, OktaRateLimited
from app.okta.http import OktaHttp
from app.okta.ratelimit import OrgRateLimiter, RateLimitPolicy
from app.vault import Secret
from okta_sandbox import RateLimitConfig, SandboxOrg, SandboxTransport


class Recorder:
    def __init__(self) -> None:
        self.calls: list[OktaCall] = []
        self.waits: list[RateLimitWait] = []

    async def call(self, call: OktaCall) -> None:
        self.calls.append(call)

    async def wait(self, wait: RateLimitWait) -> None:
        self.waits.append(wait)


def client(org: SandboxOrg, transport: SandboxTransport, clock: FakeClock, recorder: Recorder,
           token: str | None = None, **policy: Any) -> OktaClient:
    assert org.demo is not None
    origin = normalise_org_url(org.base_url, sandbox_origin=org.base_url)
    http = OktaHttp(origin, ApiTokenCredential(static_secret(Secret(token or org.demo.admin_token))),
                    transport=transport, clock=clock,
                    limiter=OrgRateLimiter(clock, RateLimitPolicy(jitter_seconds=0, **policy)),
                    on_call=recorder.call, on_event=recorder.wait)
    return OktaClient(http)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class TestRateLimitsAgainstTheSandbox:
    def test_429_with_a_reset_in_the_future_waits_then_succeeds(self, sandbox_org: SandboxOrg,
                                                                 okta_transport: SandboxTransport,
                                                                 fake_clock: FakeClock) -> None:
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)
        sandbox_org.faults.add("rate_limit_burst", method="GET", path="/api/v1/groups", times=1)
        groups = run(okta.groups.all())
        assert groups
        waits = [w for w in rec.waits if w.reason == "429"]
        assert len(waits) == 1
        # The wait is exactly until the reset Okta announced (no jitter in this test), no blind backoff.
        assert 0 < waits[0].seconds <= sandbox_org.rate_limits.window_seconds
        assert fake_clock.slept == [waits[0].seconds]
        assert [c.status for c in rec.calls][:2] == [429, 200]

    def test_300_reads_under_a_100_per_window_bucket_never_get_a_429(self, sandbox_org: SandboxOrg,
                                                                       okta_transport: SandboxTransport,
                                                                       fake_clock: FakeClock) -> None:
        sandbox_org.rate_limits = RateLimitConfig.of(overrides={"/api/v1/groups": 100})
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)

        async def reads() -> None:
            for _ in range(300):
                await okta.http.call("GET", "/api/v1/groups", params={"limit": 1})

        run(reads())
        assert len(rec.calls) == 300
        assert all(c.status == 200 for c in rec.calls)
        assert rec.waits and all(w.reason == "reserve" for w in rec.waits)

    def test_concurrent_calls_of_one_client_all_complete(self, sandbox_org: SandboxOrg,
                                                         okta_transport: SandboxTransport,
                                                         fake_clock: FakeClock) -> None:
        sandbox_org.faults.add("latency", delay_ms=5, times=None)
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)

        async def many() -> None:
            await asyncio.gather(*(okta.org.settings() for _ in range(10)))

        run(many())
        assert len(rec.calls) == 10


class TestPagination:
    def test_five_pages_are_followed_by_link_headers(self, sandbox_org: SandboxOrg,
                                                     okta_transport: SandboxTransport, fake_clock: FakeClock) -> None:
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)
        # Okta lists every user but the deactivated ones unless a filter asks for them.
        total = len([u for u in sandbox_org.users if u.status != "DEPROVISIONED"])

        async def collect() -> list[Any]:
            pages = []
            async for page in okta.users.pages(limit=8):
                pages.append(page)
            return pages

        pages = run(collect())
        assert sum(len(p) for p in pages) == total
        assert len(pages) >= 5
        assert len(rec.calls) == len(pages)

    def test_iam_lists_follow_links_in_the_body(self, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                                fake_clock: FakeClock) -> None:
        for i in range(45):
            sandbox_org.add_custom_role(f"Role {i:02d}", ["okta.users.read"])
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)
        roles = run(okta.iam.roles())
        assert len(roles) == 45
        assert len(rec.calls) >= 3


FAULTS = [
    ("server_error", OktaServerError, "internal error"),
    ("timeout", OktaTransportError, "did not answer"),
    ("drop", OktaTransportError, "dropped"),
    ("malformed_json", OktaMalformedResponse, "not JSON"),
    ("rate_limit_burst", OktaRateLimited, "rate limit"),
]


class TestFaults:
    @pytest.mark.parametrize(("kind", "error", "text"), FAULTS, ids=[f[0] for f in FAULTS])
    def test_each_fault_is_a_clear_typed_error(self, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                               fake_clock: FakeClock, kind: str, error: type[Exception],
                                               text: str) -> None:
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec, max_429_retries=0)
        sandbox_org.faults.add(kind, method="POST", path="/api/v1/iam/roles", times=None)
        with pytest.raises(error) as info:
            run(okta.iam.create_role("Any", "A role", ["okta.users.read"]))
        assert text in str(info.value)
        assert info.value.transient  # type: ignore[attr-defined]
        assert "POST" in str(info.value) or "Okta" in str(info.value)

    @pytest.mark.parametrize("kind", ["server_error", "timeout", "drop", "malformed_json"])
    def test_reads_are_retried_through_a_transient_fault(self, sandbox_org: SandboxOrg,
                                                         okta_transport: SandboxTransport, fake_clock: FakeClock,
                                                         kind: str) -> None:
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)
        sandbox_org.faults.add(kind, method="GET", path="/api/v1/org", times=1)
        assert run(okta.org.settings()).id == sandbox_org.org_id
        assert [c.attempt for c in rec.calls] == [1, 2]

    def test_a_create_made_invisible_by_eventual_consistency_reads_as_missing(
            self, sandbox_org: SandboxOrg, okta_transport: SandboxTransport, fake_clock: FakeClock) -> None:
        sandbox_org.eventual_consistency_ms = 2000
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec)
        created = run(okta.iam.create_role("Fresh", "A role", ["okta.users.read"]))
        assert run(okta.iam.role(created.id)) is None
        fake_clock.advance(3)
        assert run(okta.iam.role(created.id)) is not None

    def test_a_revoked_token_is_explained(self, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                          fake_clock: FakeClock) -> None:
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec, token="00bogus-token-value-1234567890")
        with pytest.raises(OktaUnauthorized, match="expired"):
            run(okta.users.me())

    def test_a_read_only_admin_is_told_which_role_is_missing(self, sandbox_org: SandboxOrg,
                                                              okta_transport: SandboxTransport,
                                                              fake_clock: FakeClock) -> None:
        user = sandbox_org.add_user("reader@acme.example")
        sandbox_org.assign_role(user["id"], "READ_ONLY_ADMIN")
        token = sandbox_org.issue_api_token(user["id"], "reader")
        rec = Recorder()
        okta = client(sandbox_org, okta_transport, fake_clock, rec, token=token)
        with pytest.raises(OktaForbidden) as info:
            run(okta.roles.assign_standard(user["id"], "ORG_ADMIN"))
        assert "Super Administrator" in info.value.message and "okta.roles.manage" in info.value.message
