"""What the onboarding page tests share: a wizard application on the sandbox org, its first
administrator signed in, driven like a browser (tests/page_journeys.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.common.clock import FakeClock
from app.settings import Settings
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.page_journeys import Journey, journey

PASSWORD = "a long enough password"


@pytest.fixture
def j(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Journey]:
    with journey(settings, sandbox_org, okta_transport, fake_clock) as started:
        started.first_admin(settings, "ana.admin", PASSWORD)
        yield started
