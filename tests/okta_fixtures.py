"""Pytest fixtures for the sandbox Okta and the Okta client (registered from conftest.py).

``okta_transport`` serves ``sandbox_org`` in process and validates every exchange against Okta's
spec (tests/okta_spec.py); a test that caused a violation fails at teardown with the list, so a
client test cannot pass while sending Okta something Okta's spec forbids, nor the sandbox while
answering something Okta would not."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.common.clock import FakeClock
from app.settings import Settings
from okta_sandbox import DemoOrg, SandboxOrg, SandboxTransport, seed_demo_org
from tests.harness import Wizard, wizard
from tests.okta_spec import OktaSpecValidator, Violation, format_violations
from tests.page_journeys import Journey, journey


@pytest.fixture(scope="session")
def spec_validator() -> OktaSpecValidator:
    return OktaSpecValidator()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox_org(fake_clock: FakeClock) -> SandboxOrg:
    """The demo org on a fake clock. Its seed is ``sandbox_org.demo`` (a :class:`DemoOrg`)."""
    org = SandboxOrg(clock=fake_clock)
    seed_demo_org(org)
    return org


@pytest.fixture
def demo_org(sandbox_org: SandboxOrg) -> DemoOrg:
    assert sandbox_org.demo is not None
    return sandbox_org.demo


@pytest.fixture
def okta_violations() -> list[Violation]:
    """Spec violations recorded by ``okta_transport`` (a test may inspect them)."""
    return []


@pytest.fixture
def okta_requests() -> list[httpx.Request]:
    """Every request ``okta_transport`` was sent, in order (a test may inspect or clear them)."""
    return []


@pytest.fixture
def okta_transport(sandbox_org: SandboxOrg, spec_validator: OktaSpecValidator, okta_violations: list[Violation],
                   okta_requests: list[httpx.Request]) -> Iterator[SandboxTransport]:
    def observe(request: httpx.Request, response: httpx.Response) -> None:
        okta_requests.append(request)
        okta_violations.extend(spec_validator.check(request, response))

    yield SandboxTransport(sandbox_org, observer=observe)
    if okta_violations:
        pytest.fail("Exchanges with the sandbox Okta broke Okta's OpenAPI spec:\n"
                    + format_violations(okta_violations), pytrace=False)


@pytest.fixture
def w(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Wizard]:
    """The wizard in process (tests/harness.py) on this test's database, signed in as an
    administrator, driving ``sandbox_org`` through ``okta_transport``. A module that needs the org
    or the application prepared first defines its own ``w``."""
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as harness:
        yield harness


@pytest.fixture
def j(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Journey]:
    """The application driven like a browser (tests/page_journeys.py) on the sandbox org, its first
    administrator (ana.admin) signed in."""
    with journey(settings, sandbox_org, okta_transport, fake_clock) as started:
        started.first_admin(settings, "ana.admin", "a long enough password")
        yield started
