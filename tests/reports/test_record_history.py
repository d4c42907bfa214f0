"""The audit report and the JSON record of a completed onboarding whose service account was
deactivated, reactivated with the wizard's "Reactivate the service account" button, given a new
token and completed again. The report and the record left the reactivation out (an Okta write the
product made, a line of the timeline only, without its call); they said the first completion of an
onboarding completed again since; and the record's plans said how many lines they had, not which."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime

from app.common.moments import stamp
from app.store.models import AuditEvent
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey, pdf_text
from tests.reports.test_record_export import _cells
from tests.watch.test_one_alarm import _paste_new_token, _reactivated
from tests.watch.test_reactivation import _deactivated, _words
from tests.watch.test_watch import DAY, _audit, _completed, _tick

CALL = "POST /api/v1/users/{userId}/lifecycle/activate → 200"
VERDICTS = {"create": "create", "adopt": "adopt existing", "unchanged": "unchanged", "change": "change",
            "remove": "remove", "conflict": "conflict"}  # as the onboarding's page says them


def _completed_again(j: Journey, sandbox_org: SandboxOrg) -> tuple[uuid.UUID, AuditEvent, datetime, set[str]]:
    """The reactivation's event, the first completion, and the minutes the second one may read."""
    oid, user = _deactivated(j, sandbox_org)
    _reactivated(j, oid)
    sandbox_org.complete_activation(user.id)  # its person opens the link and sets its password
    j.clock.advance(DAY + 1)
    _tick(j)
    _paste_new_token(j, sandbox_org, oid, user)  # the vendor's attestation is asked again for the new token
    assert j.onboarding(oid).status == "waiting"
    before = datetime.now(UTC)  # the trail's times are the database's clock, not the test's
    for form in j.forms(j.get(f"/onboardings/{oid}").text, "", button="I confirm:"):
        j.attest(form)
    j.wait_for_jobs()
    after = datetime.now(UTC)
    onboarding = j.onboarding(oid)
    assert onboarding.status == "completed" and onboarding.completed_at is not None
    [reactivated] = _audit(j, "service_account_reactivate")
    return oid, reactivated, onboarding.completed_at, {stamp(before), stamp(after)}


def _plan_rows(page: str) -> list[tuple[str, ...]]:
    """The onboarding page's plan table, as the text of its Step, Verdict, What and Okta calls cells."""
    labels = ("Step", "Verdict", "What", "Okta calls")
    rows = []
    for row in re.findall(r'<tr class="plan__row[^"]*">(.*?)</tr>', page, re.S):
        cells = dict(re.findall(r'<td data-label="([^"]+)">(.*?)</td>', row, re.S))
        rows.append(tuple(" ".join(html.unescape(re.sub(r"<[^>]+>", "", cells[label])).split()) for label in labels))
    return rows


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_the_report_and_the_record_show_the_reactivation_and_the_latest_completion(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, reactivated, first, latest_minutes = _completed_again(j, sandbox_org)
    who = "ana.admin"
    page = j.get(f"/onboardings/{oid}/report").text
    words = _words(page)

    # The reactivation: who, when (to the second, as the timeline), what, and the Okta call that made it.
    assert "Outside the plan Changed in Okta when someone pressed a button on the onboarding's page:" in words
    [row] = _cells(page, 'class="table table--stack okta-changes"', ("When", "Who", "What", "Okta call"))
    assert row == (f"{_utc(reactivated.occurred_at):%Y-%m-%d %H:%M:%S} UTC", who, reactivated.summary, CALL)
    assert reactivated.summary.startswith("Service account defender-for-identity@acme.example (deactivated) given "
                                          "a new activation link in Okta, without e-mail")

    # The latest completion, and that it was completed before; the timeline has both.
    shown = re.search(r"<dt>Completed</dt><dd>(.*?)</dd>", page, re.S)
    assert shown is not None
    completed = " ".join(html.unescape(re.sub(r"<[^>]+>", "", shown.group(1))).split())
    found = re.fullmatch(r"(.+ UTC) \(completed again; first completed (.+ UTC)\)", completed)
    assert found is not None, completed
    latest = found.group(1)
    assert latest in latest_minutes and found.group(2) == stamp(first)
    assert f"The wizard Onboarding completed again (first completed {stamp(first)} ). Every item of the checklist " \
           "passed or was attested." in words

    pdf = pdf_text(j.get(f"/onboardings/{oid}/report.pdf").content)
    assert f"completed {latest} (completed again; first completed {stamp(first)}); owner" in pdf
    assert "Outside the plan Changed in Okta when someone pressed a button on the onboarding's page:" in pdf
    assert f"{_utc(reactivated.occurred_at):%Y-%m-%d %H:%M:%S} UTC {who} {reactivated.summary}" in pdf
    assert "POST /api/v1/users/{userId}/lifecycle/activ" in pdf  # the PDF's cell breaks the long path

    record = json.loads(j.get(f"/onboardings/{oid}/events.json").text)
    assert record["okta_changes_outside_plan"] == [{"at": _utc(reactivated.occurred_at).isoformat(), "by": who,
                                                    "summary": reactivated.summary, "okta_calls": [CALL]}]
    assert record["first_completed_at"] == _utc(first).isoformat()
    assert stamp(datetime.fromisoformat(record["completed_at"])) == latest


def test_the_record_carries_each_plans_lines(j: Journey, sandbox_org: SandboxOrg) -> None:
    """The record's plan said "lines": 8; it now carries the lines, as the onboarding's page showed
    the plan that was confirmed, and as the report says each action's line beside it."""
    oid, _token = _completed(j, sandbox_org)
    record = json.loads(j.get(f"/onboardings/{oid}/events.json").text)
    [plan] = record["plans"]
    shown = _plan_rows(j.get(f"/onboardings/{oid}").text)
    assert len(plan["lines"]) == len(shown) == 8
    for line, (step, verdict, what, calls) in zip(plan["lines"], shown, strict=True):
        assert (line["step"], VERDICTS[line["verdict"]]) == (step, verdict)
        assert what.startswith(line["what"]), (what, line["what"])
        assert ("".join(line["okta_calls"]) or "none") == calls
    report = _cells(j.get(f"/onboardings/{oid}/report").text, '<th scope="col">Confirmed plan</th>',
                    ("Step", "Confirmed plan"))
    assert [(line["step"], line["verdict"]) for line in plan["lines"]] == [
        (step, planned.removesuffix(" as confirmed")) for step, planned in report]
    first = plan["lines"][0]
    assert (first["step"], first["verdict"], first["object_type"], first["okta_calls"]) == (
        "Create a dedicated Okta account", "create", "user",
        ["POST /api/v1/users?activate=false", "POST /api/v1/users/{id}/lifecycle/activate?sendEmail=false"])
