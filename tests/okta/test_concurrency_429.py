"""The Okta review, H1: Okta answers too many requests in flight (75 an org, shared with its other
apps) with a 429 whose Limit and Remaining are 0. The client learnt that as a bucket of 0 and held
every later call to the org until the server restarted. Now it waits the suggested few seconds,
retries, and the rest of the onboarding goes on at once."""

from __future__ import annotations

from app.common.clock import FakeClock
from okta_sandbox import SandboxOrg
from tests.harness import Wizard


def test_an_apply_that_meets_okta_concurrency_limit_waits_seconds_and_finishes(
        w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
    oid = w.start("defender-for-identity", w.connect())
    w.plan(oid)
    sandbox_org.faults.add("concurrency_limit", method="POST", times=2)
    waited_before = sum(fake_clock.slept)
    w.apply_ok(oid)
    assert not sandbox_org.faults.rules  # both 429s were met
    assert sum(fake_clock.slept) - waited_before < 20  # two waits of about 5 s, not a window each call
    assert w.actions(oid)["role"].state == "done"
