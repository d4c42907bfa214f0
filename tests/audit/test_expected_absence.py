"""The audit trail of the wizard's own "does it exist yet?" look-ups (QA walk 13, M2): a clean
Defender onboarding showed four Okta calls with Result "Failed" (the role and the resource set
looked up by label, 404, then created), which an auditor had to ask about. A 404 the caller
expected reads "Not found (expected)"; a 404 that makes a check fail still reads "Failed"."""

from __future__ import annotations

import csv
import io
import json
import uuid
from urllib.parse import urlsplit

from sqlalchemy import select

from app.audit import verify_chain
from app.settings import Settings
from app.store.models import AuditEvent
from okta_sandbox import SandboxOrg
from tests.engine.test_defender import LABEL, finish, start
from tests.harness import Wizard
from tests.support import Web, add_operator
from tests.web.test_audit_filter import rows

ROLE = "GET /api/v1/iam/roles/{roleIdOrLabel} → 404"
SET = "GET /api/v1/iam/resource-sets/{resourceSetIdOrLabel} → 404"
PERMISSIONS = "GET /api/v1/iam/roles/{roleIdOrLabel}/permissions → 404"
# The service account looked up by its login, in any case (Okta's look-up by login: not yet, 404).
USER = "GET /api/v1/users/{userId} → 404"


def _calls(w: Wizard, oid: uuid.UUID, after: int = 0) -> list[AuditEvent]:
    async def read() -> list[AuditEvent]:
        async with w.state.db.sessions() as session:
            return list((await session.execute(select(AuditEvent).where(
                AuditEvent.onboarding_id == oid, AuditEvent.category == "okta", AuditEvent.seq > after)
                .order_by(AuditEvent.seq))).scalars())

    return w.run(read)


def _auditor(w: Wizard, settings: Settings) -> Web:
    add_operator(settings, "aud", "auditor")
    web = Web(w.client)
    web.sign_in("aud")
    return web


def _results(web: Web, typed: str) -> list[tuple[str, str]]:
    """The audit page's rows found by ``typed``, as the auditor reads them: What (its first line) and Result."""
    page = web.get("/audit", params={"action": typed}).text
    return [(row["What"].split("Okta org ")[0], row["Result"]) for row in rows(page)]


def test_a_clean_onboarding_has_no_failed_okta_call(w: Wizard, sandbox_org: SandboxOrg, settings: Settings) -> None:
    oid = start(w)
    finish(w, oid, sandbox_org)
    calls = _calls(w, oid)
    assert [e.summary for e in calls if e.outcome == "failed"] == []
    # The plan and the apply each asked whether the account (by login), the role and the set (by label)
    # exist yet, then made them.
    assert [(e.summary, e.outcome) for e in calls if e.details["status"] == 404] == [
        (USER, "not_found"), (ROLE, "not_found"), (SET, "not_found")] * 2
    web = _auditor(w, settings)
    assert _results(web, "users/{userId} → 404") == [(USER, "Not found (expected)")] * 2
    assert _results(web, "roleIdOrLabel} → 404") == [(ROLE, "Not found (expected)")] * 2
    assert _results(web, "resourceSetIdOrLabel} → 404") == [(SET, "Not found (expected)")] * 2
    assert "Failed" not in {result for _what, result in _results(web, "/api/v1/")}
    assert web.get("/audit/verify").text.count("Audit chain intact") == 1


def test_a_404_that_fails_a_check_still_reads_failed(w: Wizard, sandbox_org: SandboxOrg, settings: Settings) -> None:
    """Someone deleted the role: the check's read of it (404) is the failure the checklist names;
    undo's look-up of the same role (already gone: nothing to delete) is an answer."""
    oid = start(w)
    finish(w, oid, sandbox_org)
    sandbox_org.custom_roles.remove(next(r for r in sandbox_org.custom_roles if r.label == LABEL).id)
    before = max(e.seq for e in _calls(w, oid))
    assert w.verify(oid, "reverify").state == "succeeded"
    reverified = _calls(w, oid, before)
    assert [(e.summary, e.outcome) for e in reverified if e.details["status"] == 404] == [(PERMISSIONS, "failed")]
    web = _auditor(w, settings)
    assert _results(web, "/permissions → 404") == [(PERMISSIONS, "Failed")]

    before = max(e.seq for e in reverified)
    assert w.job(oid, "undo").state == "succeeded", w.failure(oid)
    undone = [(e.summary, e.outcome) for e in _calls(w, oid, before) if e.details["status"] == 404]
    # The service account's membership of the binding went with the role, and the role itself is gone.
    assert undone == [("GET /api/v1/iam/resource-sets/{resourceSetIdOrLabel}/bindings/{roleIdOrLabel}/members → 404",
                       "not_found"), (ROLE, "not_found")]

    async def chain() -> bool:
        async with w.state.db.sessions() as session:
            return (await verify_chain(session)).ok

    assert w.run(chain)



def test_an_okta_calls_row_names_the_org_with_its_port(w: Wizard, sandbox_org: SandboxOrg, settings: Settings) -> None:
    """The rows named the sandbox org by its host without its port ("Okta org 127.0.0.1")."""
    oid = start(w)
    w.plan(oid)
    web = _auditor(w, settings)
    org = urlsplit(sandbox_org.base_url).netloc
    assert org.startswith("127.0.0.1:")
    # The What column: the call, then (on the line below) the org it went to and the onboarding.
    assert [row["What"] for row in rows(web.get("/audit", params={"action": "okta-organization"}).text)][-1] == \
        f"GET /.well-known/okta-organization → 200Okta org {org}"
    assert {row["What"].split("Okta org ", 1)[1] for row in rows(web.get("/audit", params={"category": "okta"}).text)} \
        == {org, f"{org} · Microsoft Defender for Identity onboarding"}
    table = list(csv.DictReader(io.StringIO(web.get(f"/onboardings/{oid}/events.csv").text)))
    assert {row["subject_id"] for row in table if row["category"] == "okta"} == {org}


def test_an_expected_404_reads_alike_on_the_page_in_the_filter_and_in_the_exports(
        w: Wizard, sandbox_org: SandboxOrg, settings: Settings) -> None:
    """The exports wrote "not_found" where the page says "Not found (expected)", and the Action
    filter found none of those rows by the words the page shows."""
    oid = start(w)
    w.plan(oid)  # it asks whether the account, the role and the resource set exist yet: 404 each
    web = _auditor(w, settings)
    expected = [(SET, "Not found (expected)"), (ROLE, "Not found (expected)"), (USER, "Not found (expected)")]
    for typed in ("Not found", "not found (EXPECTED)", "expected", "not_found"):
        assert _results(web, typed) == expected, typed
    # "Done" is the result of nearly every event: the word finds the descriptions that say it, as before.
    assert _results(web, "done") == []

    response = web.get("/audit/events.csv", params={"action": "Not found"})
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["summary"], row["result"], row["outcome"]) for row in table] == [
        (USER, "Not found (expected)", "not_found"), (ROLE, "Not found (expected)", "not_found"),
        (SET, "Not found (expected)", "not_found")]
    data = json.loads(web.get("/audit/events.json", params={"action": "Not found"}).text)
    assert [(e["summary"], e["result"], e["outcome"]) for e in data["events"]] == [
        (USER, "Not found (expected)", "not_found"), (ROLE, "Not found (expected)", "not_found"),
        (SET, "Not found (expected)", "not_found"),
        ("Audit trail exported as CSV: Action: “Not found”", "Done", "ok")]  # the CSV's record says the words too
    # The onboarding's own export says it alike.
    mine = json.loads(web.get(f"/onboardings/{oid}/events.json").text)["events"]
    assert {e["result"] for e in mine if e["outcome"] == "not_found"} == {"Not found (expected)"}


def test_a_missing_app_assignment_reads_failed_where_a_check_finds_it_missing(
        w: Wizard, sandbox_org: SandboxOrg, settings: Settings) -> None:
    """Review of the thirtieth session, L3: whether a chosen person has Drata's app is one read of
    their assignment; the plan's read before assigning them (404: not yet) is an answer, but the
    re-verification's read of an assignment someone removed is the failure the checklist names."""
    from okta_sandbox.domain import apps as apps_domain
    from tests.vendors import test_drata as drata

    oid = drata.start(w)
    drata.finish(w, oid, sandbox_org)
    app = drata.drata_app(sandbox_org)
    person = sandbox_org.find_user(drata.PEOPLE[1])  # not in the group Drata Users
    assert person is not None
    assigned = "GET /api/v1/apps/{appId}/users/{userId} → 404"
    assert {(e.summary, e.outcome) for e in _calls(w, oid) if e.summary == assigned} == {(assigned, "not_found")}
    apps_domain.unassign_user(sandbox_org, app, person["id"], None)
    before = max(e.seq for e in _calls(w, oid))
    assert w.verify(oid, "reverify").state == "succeeded"
    assert [(e.summary, e.outcome) for e in _calls(w, oid, before) if e.details["status"] == 404] == [
        (assigned, "failed")]
    web = _auditor(w, settings)
    assert (assigned, "Failed") in _results(web, "/users/{userId} → 404")
