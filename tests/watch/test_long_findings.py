"""Review (twenty-eighth session), M2: an alert's summary was limited to 1000 characters and nothing
cut it. A finding that lists many objects (a service account holding eight API tokens nobody watches)
is longer: on Postgres the alert could not be stored, the watch run failed at every tick, nobody was
told, and the completed onboarding read "blocked" with a database error. It is kept whole."""

from __future__ import annotations

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_watch import DAY, _completed, _open_alerts, _tick


def test_a_finding_longer_than_a_thousand_characters_is_alerted_whole(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, token = _completed(j, sandbox_org)
    _tick(j)
    spares = [sandbox_org.issue_api_token(token["account"], f"Defender for Identity sync, spare number {n}")
              for n in range(10)]
    assert len(spares) == 10
    j.clock.advance(DAY + 1)
    _tick(j)
    onboarding = j.onboarding(oid)
    assert onboarding.status == "completed", onboarding.status_note
    [alert] = _open_alerts(j, oid)
    assert len(alert.summary) > 1000
    assert "10 other live API tokens" in alert.summary and "spare number 9" in alert.summary, alert.summary
