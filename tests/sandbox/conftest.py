"""Fixtures for the sandbox's own tests: synchronous httpx clients over the spec-validating
``okta_transport`` (so a test reads like a conversation with Okta), and helpers to make admins."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator

import httpx
import pytest

from okta_sandbox import DemoOrg, SandboxOrg, SandboxTransport
from tests.okta_spec import Violation

_logins = itertools.count(1)


class BlockingTransport(httpx.BaseTransport):
    """Runs an async transport from synchronous code, on one event loop for the whole test."""

    def __init__(self, inner: httpx.AsyncBaseTransport, runner: asyncio.Runner) -> None:
        self.inner = inner
        self.runner = runner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def exchange() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content,
                                  request=request)

        return self.runner.run(exchange())


Connect = Callable[..., httpx.Client]


@pytest.fixture
def connect(okta_transport: SandboxTransport, sandbox_org: SandboxOrg) -> Iterator[Connect]:
    """``connect(token)`` is a client that sends ``Authorization: SSWS <token>`` (``scheme`` to
    change the word, ``token=None`` for no header)."""
    runner = asyncio.Runner()
    clients: list[httpx.Client] = []

    def make(token: str | None = None, *, scheme: str = "SSWS") -> httpx.Client:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"{scheme} {token}"
        client = httpx.Client(transport=BlockingTransport(okta_transport, runner), base_url=sandbox_org.base_url,
                              headers=headers)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    runner.close()


@pytest.fixture
def okta(connect: Connect, demo_org: DemoOrg) -> httpx.Client:
    """A client with the demo super admin's API token."""
    return connect(demo_org.admin_token)


MakeAdmin = Callable[..., tuple[str, str]]


@pytest.fixture
def make_admin(sandbox_org: SandboxOrg) -> MakeAdmin:
    """``make_admin("ORG_ADMIN", ...)`` -> (user id, API token value) of a new user with those
    standard roles (none: a user without admin roles)."""

    def make(*role_types: str) -> tuple[str, str]:
        number = next(_logins)
        user = sandbox_org.add_user(f"admin{number}@acme.example", first_name="Admin", last_name=f"Number{number}")
        for role_type in role_types:
            sandbox_org.assign_role(user["id"], role_type)
        return user["id"], sandbox_org.issue_api_token(user["id"], f"token {number}")

    return make


def error_code(response: httpx.Response) -> str:
    return str(response.json()["errorCode"])


def accept_invalid_requests(violations: list[Violation]) -> None:
    """For tests that send Okta a request its spec forbids on purpose (to see Okta's answer): the
    validator must have caught the request, and nothing but the request, so its report is cleared
    before the fixture's end-of-test check."""
    assert violations, "the request was meant to break the spec, but the validator accepted it"
    assert all(violation.where == "request" for violation in violations), violations
    violations.clear()
