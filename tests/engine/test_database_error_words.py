"""A run that stopped on a database error put the driver's text in the onboarding's status line,
which anyone signed in reads: the SQL statement and its parameters (a finding, an address), e.g.
"(psycopg.errors.StringDataRightTruncation) value too long … [SQL: INSERT INTO alerts …]
[parameters: …]" (review, twenty-eighth session). The line says a database error; the log has it."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from app.engine import verify
from okta_sandbox import SandboxOrg
from tests.engine import test_defender
from tests.harness import Wizard


def test_a_database_error_is_said_without_its_statement(w: Wizard, sandbox_org: SandboxOrg,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    oid = test_defender.start(w)
    w.plan(oid)

    async def fails(*_args: object) -> None:
        raise OperationalError("INSERT INTO alerts (summary) VALUES (%(summary)s)",
                               {"summary": "canary-finding-3f9a"}, Exception("value too long"))

    monkeypatch.setattr(verify, "latest_results", fails)
    job = w.verify(oid)
    assert job.state == "failed"
    note = w.onboarding(oid).status_note or ""
    assert note == "The verify run stopped: the database refused a write or a read; the server's log says why", note
    assert job.error == "the database refused a write or a read; the server's log says why", job.error  # its page
    assert any("canary-finding-3f9a" in (record.exc_text or "") or record.exc_info for record in caplog.records
               if "stopped on a database error" in record.getMessage())
