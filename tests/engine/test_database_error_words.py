"""A run that stopped on a database error put the driver's text in the onboarding's status line,
which anyone signed in reads: the SQL statement and its parameters (a finding, an address), e.g.
"(psycopg.errors.StringDataRightTruncation) value too long … [SQL: INSERT INTO alerts …]
[parameters: …]" (review, twenty-eighth session). The line says a database error; the log has it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.engine import verify
from app.store.models import Alert
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


def test_a_database_error_in_a_watch_run_is_no_alert(w: Wizard, sandbox_org: SandboxOrg,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A watch run stopped by the database raised the "could not use this onboarding's Okta connection"
    alert with the driver's text (the statement, its values), shown on Health and sent to every channel
    (review of this session's change, H1): it is not the Okta connection, and said as the verify's is."""
    oid = test_defender.start(w)
    test_defender.finish(w, oid, sandbox_org)
    assert w.onboarding(oid).status == "completed"

    async def fails(*_args: object) -> None:
        raise OperationalError("INSERT INTO alerts (summary) VALUES (%(summary)s)",
                               {"summary": "canary-finding-3f9a"}, Exception("database is locked"))

    monkeypatch.setattr(verify, "latest_results", fails)
    assert w.job(oid, "watch").state == "failed"
    assert w.run(lambda: _alerts(w)) == []
    assert "canary-finding-3f9a" not in (w.onboarding(oid).status_note or "")


async def _alerts(w: Wizard) -> list[str]:
    async with w.state.db.sessions() as session:
        return [alert.summary for alert in (await session.execute(select(Alert))).scalars()]
