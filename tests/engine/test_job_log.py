"""QA walk 5, L6: an Apply that stopped on an Okta 500 or a dropped connection (expected, handled,
shown on the page) wrote "ERROR ... failed" and two full Python tracebacks to the server log, which
an operator takes for a crash of the wizard. Now one warning line says what stopped; a traceback
is left for a real bug."""

from __future__ import annotations

import logging

import pytest

from okta_sandbox import SandboxOrg
from tests.harness import Wizard


@pytest.mark.parametrize("kind", ["server_error", "drop"])
def test_an_okta_failure_in_a_job_is_one_warning_line(w: Wizard, sandbox_org: SandboxOrg,
                                                      caplog: pytest.LogCaptureFixture, kind: str) -> None:
    oid = w.start("defender-for-identity", w.connect())
    w.plan(oid)
    sandbox_org.faults.add(kind, method="POST", path="/api/v1/iam/roles", times=None)
    with caplog.at_level(logging.INFO, logger="onboard.jobs"):
        assert w.apply(oid).state == "failed"
    logged = [r for r in caplog.records if r.name == "onboard.jobs"]
    assert [r.levelno for r in logged] == [logging.WARNING]
    assert logged[0].exc_info is None and "Traceback" not in caplog.text
    assert logged[0].getMessage().startswith("job ") and "(apply) stopped: " in logged[0].getMessage()


def test_a_bug_in_a_job_still_logs_its_traceback(w: Wizard, caplog: pytest.LogCaptureFixture) -> None:
    oid = w.start("defender-for-identity", w.connect())

    async def broken(_handle: object) -> None:
        raise ZeroDivisionError("a bug")

    w.state.jobs.handlers["verify"] = broken
    with caplog.at_level(logging.INFO, logger="onboard.jobs"):
        assert w.verify(oid).state == "failed"
    [logged] = [r for r in caplog.records if r.name == "onboard.jobs"]
    assert logged.levelno == logging.ERROR and logged.exc_info is not None
