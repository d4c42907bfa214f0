"""Paging over /api/v1/iam lists against the sandbox, which (like a real org) puts their next-page
links on the org's admin host: the client must map them back to the org, and only them."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.common.clock import FakeClock
from app.okta import ApiTokenCredential, OktaClient, normalise_org_url, static_secret
from app.okta.calllog import OktaCall
from app.okta.http import OktaHttp
from app.okta.ratelimit import OrgRateLimiter, RateLimitPolicy
from app.vault import Secret
from okta_sandbox import SandboxOrg, SandboxTransport
from okta_sandbox.paging import admin_base_url


def _client(org: SandboxOrg, transport: SandboxTransport, clock: FakeClock, calls: list[OktaCall]) -> OktaClient:
    assert org.demo is not None

    async def record(call: OktaCall) -> None:
        calls.append(call)

    origin = normalise_org_url(org.base_url, sandbox_origin=org.base_url)
    http = OktaHttp(origin, ApiTokenCredential(static_secret(Secret(org.demo.admin_token))), transport=transport,
                    clock=clock, limiter=OrgRateLimiter(clock, RateLimitPolicy(jitter_seconds=0)), on_call=record)
    return OktaClient(http)


def _add_resource_sets(org: SandboxOrg, transport: SandboxTransport, count: int) -> None:
    assert org.demo is not None
    token = org.demo.admin_token

    async def create() -> None:
        async with httpx.AsyncClient(transport=transport, base_url=org.base_url,
                                     headers={"Authorization": f"SSWS {token}"}) as raw:
            for n in range(count):
                answer = await raw.post("/api/v1/iam/resource-sets", json={
                    "label": f"Paging set {n}", "description": "paging test",
                    "resources": [f"{org.base_url}/api/v1/users"]})
                assert answer.status_code == 200, answer.text

    asyncio.run(create())


def test_a_multi_page_resource_set_list_is_read_whole(sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                                                      fake_clock: FakeClock) -> None:
    sandbox_org.page_size = 2
    _add_resource_sets(sandbox_org, okta_transport, 5)
    calls: list[OktaCall] = []

    async def read() -> list[str]:
        async with _client(sandbox_org, okta_transport, fake_clock, calls) as okta:
            return [rs.label for rs in await okta.iam.resource_sets()]

    labels = run(read())
    assert [f"Paging set {n}" for n in range(5)] == [label for label in labels if label.startswith("Paging set")]
    assert len(labels) == len(set(labels)) == len(sandbox_org.resource_sets.listing())
    pages = [c for c in calls if c.path == "/api/v1/iam/resource-sets"]
    assert len(pages) >= 3 and all(c.status == 200 for c in pages)


def test_the_sandbox_points_iam_next_links_at_its_admin_host(sandbox_org: SandboxOrg,
                                                             okta_transport: SandboxTransport) -> None:
    sandbox_org.page_size = 2
    _add_resource_sets(sandbox_org, okta_transport, 3)
    assert sandbox_org.demo is not None
    token = sandbox_org.demo.admin_token

    async def first_page() -> Any:
        async with httpx.AsyncClient(transport=okta_transport, base_url=sandbox_org.base_url,
                                     headers={"Authorization": f"SSWS {token}"}) as raw:
            return (await raw.get("/api/v1/iam/resource-sets")).json()

    nxt = run(first_page())["_links"]["next"]["href"]
    assert nxt.startswith(admin_base_url(sandbox_org.base_url) + "/api/v1/iam/resource-sets?")
    assert urlsplit(nxt).hostname != urlsplit(sandbox_org.base_url).hostname


def run(coro: Any) -> Any:
    return asyncio.run(coro)
