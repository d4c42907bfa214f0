"""The report's Evidence column says in words what was proven, as an auditor reads it: who attested
(by name and username), when, and their note; what a check found, with the Okta objects it looked
at named by their type and label and their ids only beside them. No stored key name (operator_id,
object_id, role_id...) shows in the page or the PDF, and the Result column uses the product's
words for a check's status, capitalised."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta
from html import unescape

from app.audit import Actor
from app.audit.recorder import record
from app.reports.checklist import (
    EVIDENCE_ID_TYPES,
    ChecklistItem,
    EvidenceObject,
    _in_words,
    _Known,
    _objects,
    count_line,
)
from app.reports.data import ActionRow
from app.settings import Settings
from app.store.statuses import CHECK_WORDS, Outcome
from okta_sandbox import SandboxOrg
from tests.harness import Wizard
from tests.page_journeys import pdf_text
from tests.reports import test_reports
from tests.reports.test_reports import _auditor
from tests.support import add_operator
from tests.vendors import test_drata as drata

done = test_reports.done  # the completed Defender onboarding, shared with the report's other tests

RAW_KEYS = ("operator_id", *EVIDENCE_ID_TYPES)
ROLE = "Microsoft Defender for Identity"
_ROW = re.compile(r'<td data-label="Item">(.*?)</td>\s*<td data-label="Result">(.*?)</td>\s*'
                  r'<td data-label="Evidence">(.*?)</td>', re.S)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br>", " ", html))).split())


def _checklist(html: str) -> dict[str, tuple[str, str]]:
    """Each checklist item's Result and Evidence cells, as the text a reader sees."""
    rows = {_text(item): (_text(result), _text(evidence)) for item, result, evidence in _ROW.findall(html)}
    assert len(rows) > 10
    return rows


def test_the_evidence_column_says_what_was_proven_in_words(done: tuple[Wizard, uuid.UUID]) -> None:
    w, oid = done
    html = _auditor(w).get(f"/onboardings/{oid}/report").text
    rows = _checklist(html)

    # An attestation: the person by name and username, when, and the note they wrote.
    _result, licence = rows["The Okta org has a Developer or Enterprise licence"]
    assert re.fullmatch(r"Attested by Ana\.Admin \(ana\.admin\) on \d{4}-\d\d-\d\d \d\d:\d\d UTC: done in the test",
                        licence), licence

    # Okta objects by their type and label, the id only beside it.
    _result, role = rows["The custom role has exactly the three permissions"]
    assert re.search(rf"Custom role “{ROLE}” \(id cr0\w+\)", role), role
    _result, resource_set = rows["The resource set holds All users and All IAM resources"]
    assert re.search(rf"Resource set “{ROLE}” \(id iam\w+\)", resource_set), resource_set
    _result, account = rows["The dedicated account exists"]
    # What the step did, dated: what it found or left then is not said as now (QA walk 19, M3).
    assert re.match(r"When applied, \d{4}-\d\d-\d\d \d\d:\d\d UTC: Created mdi-service@acme\.example", account), account
    assert "Okta id" not in account
    # The account's status when it was made, said as then: the "account is active" row says ACTIVE now.
    assert "(Okta showed it then as “Pending user action”, status PROVISIONED)" in account, account
    assert re.search(r"Okta user “mdi-service@acme\.example” \(id 00u\w+\)", account), account
    # A finding that named objects by their ids names them by their labels instead.
    _result, roles = next(v for k, v in rows.items() if k.startswith("The account has exactly Read-Only"))
    assert roles.startswith(f"Roles: Read-Only Administrator, custom role “{ROLE}” on resource set “{ROLE}”"), roles
    assert not re.search(r"custom role cr0|on iam", roles), roles

    # What applying did, said once: "created", not "created (created here)".
    outcomes = {_text(cell) for cell in re.findall(r'<td data-label="Outcome">(.*?)</td>', html, re.S)}
    assert "created" in outcomes and not any("created (created here)" in o for o in outcomes), outcomes

    # No stored key name anywhere in the page.
    for key in RAW_KEYS:
        assert key not in html, key

    # The product's words for a check's status, capitalised as a cell starts; a step of the document
    # with no check of its own says how it was done (QA walk 23, M4).
    results = {result for result, _evidence in rows.values()}
    assert results == {CHECK_WORDS["passed"].capitalize(), CHECK_WORDS["attested"].capitalize(),
                       "Done by the wizard", "Not checked: instructions only"}, results
    assert "Passed" in results and "passed" not in results


def test_the_pdf_evidence_is_in_words_too(done: tuple[Wizard, uuid.UUID]) -> None:
    w, oid = done
    text = pdf_text(_auditor(w).get(f"/onboardings/{oid}/report.pdf").content)
    # In UTC to the second, as the PDF's timeline and the checklist export say it (QA walk 13, L4).
    assert re.search(r"Attested by Ana\.Admin \(ana\.admin\) on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: done in the test",
                     text)
    assert re.search(rf"Custom role “{ROLE}” \(id cr0\w+\)", text), text
    assert f"custom role “{ROLE}” on resource set “{ROLE}”" in text
    assert text.count(" Passed ") >= 10  # the Result cells ("10 passed" in the counts' sentence)
    # The counts as the page counts them: an attested item is passed (it read "2 attested, 10 passed").
    assert re.search(r"\d+\s+passed\s+\(\d+\s+of\s+them\s+attested\),\s+0\s+failed,\s+0\s+not\s+attested\.", text), text
    for key in RAW_KEYS:
        assert key not in text, key


def test_the_pdf_counts_read_in_the_pages_order() -> None:
    counts = {"passed": 9, "attested": 3, "failed": 1, "waiting": 2, "needs_attestation": 1}
    assert count_line(counts) == "12 passed (3 of them attested), 1 FAILED, 2 waiting, 1 not attested."
    # Capitals say a failure an auditor must not miss, never that there is none (QA walk 13, L6).
    assert count_line({"passed": 4}) == "4 passed, 0 failed, 0 not attested."
    # Checks Okta did not answer are neither passed nor failed: counted apart.
    assert count_line({"passed": 4, "unchecked": 2}) == "4 passed, 0 failed, 2 unanswered, 0 not attested."
    # What Okta fails and an attestation accepted is never counted as passed (QA walk 11, M2).
    assert count_line({"passed": 8, "attested": 2, "accepted": 1}) == (
        "10 passed (2 of them attested), 1 accepted on attestation (Okta does not meet it), 0 failed, 0 not attested.")


def test_the_event_exports_keep_ids_as_data_and_summaries_in_words(done: tuple[Wizard, uuid.UUID]) -> None:
    """The exports are data: ids stay in their own fields (and the details), while the summaries,
    the cells people read, hold no key names."""
    w, oid = done
    rows = list(csv.DictReader(io.StringIO(_auditor(w).get(f"/onboardings/{oid}/events.csv").text)))
    assert any(r["subject_id"] for r in rows) and any("object_id" in r["details"] for r in rows)
    for row in rows:
        for key in RAW_KEYS:
            assert key not in row["summary"], row["summary"]


def test_findings_name_the_objects_they_can_and_keep_the_ids_they_cannot() -> None:
    known = {"cr0a": _Known("custom_role", "Role A"), "iam1": _Known("resource_set", "Set 1"),
             "ra1x": _Known("role_assignment", "Super Administrator")}
    evidence = {"roles": ["READ_ONLY_ADMIN"], "custom": ["cr0a@iam1", "cr0z@iam9"], "object_id": "ra1x",
                "client_id": "0oaC", "operator_id": "f03a"}
    objects = _objects(evidence, known, {"0oaC": "Sentinel app"})
    assert [o.words for o in objects] == [
        "Role assignment “Super Administrator” (id ra1x)", "App “Sentinel app” (client id 0oaC)",
        "Custom role “Role A” (id cr0a)", "Resource set “Set 1” (id iam1)", "Custom role (id cr0z)",
        "Resource set (id iam9)"]
    found = "Roles: Read-Only Administrator, custom role cr0a on iam1. unexpected custom role cr0z on iam9."
    assert _in_words(found, objects, known) == ("Roles: Read-Only Administrator, custom role “Role A” on resource "
                                                "set “Set 1”. unexpected custom role cr0z on resource set iam9.")
    assert _in_words("Assigned Super Administrator (Okta id ra1x)", objects, known) == "Assigned Super Administrator"
    assert EvidenceObject("Okta user", "00u1").words == "Okta user (id 00u1)"
    # A finding that ends its sentence is followed by the objects without a stray "." (".; App").
    item = ChecklistItem("s", "1", "l", "passed", "Not run again since 2026-12-05 20:23 UTC.", {},
                         objects=[EvidenceObject("App", "0oa1", "Authomize")])
    assert item.evidence_words() == "Not run again since 2026-12-05 20:23 UTC; App “Authomize” (id 0oa1)"


def test_the_status_and_the_timeline_s_who_are_words(done: tuple[Wizard, uuid.UUID]) -> None:
    """The report's Status read "completed" and its timeline named the server's own work "engine"."""
    w, oid = done
    html = _auditor(w).get(f"/onboardings/{oid}/report").text
    assert "<dt>Status</dt><dd>Completed</dd>" in html
    who = {_text(cell) for cell in re.findall(r'<td data-label="Who">(.*?)</td>', html, re.S)}
    # The server's own work in words, as /audit names it; a person by name and username.
    assert "Ana.Admin (ana.admin)" in who and not who & {"engine", "system", "watch", "job"}, who
    assert "Status: Completed" in pdf_text(_auditor(w).get(f"/onboardings/{oid}/report.pdf").content)


def test_the_outcome_names_an_object_made_here_only_where_it_adds_something() -> None:
    def row(outcome: str | None, ours: bool, state: str = "done") -> str:
        return ActionRow("1", "x", None, None, outcome, ours, state).outcome_words

    assert row("created", True) == "created"
    assert row("unchanged", True) == "unchanged (created here)"  # applied again: made by this onboarding
    assert row("adopted", False) == "adopted"
    assert row(None, False, "failed") == "failed"


def test_the_pdf_timeline_says_refused_as_the_page_does(w: Wizard, settings: Settings) -> None:
    """The page's timeline read "(refused)" and the PDF's the stored word "(denied)"."""
    oid = w.start("defender-for-identity", w.connect())
    state = w.state

    async def a_refusal() -> None:
        async with state.db.session() as session:
            await record(session, action="secret.reveal", summary="Reveal refused: not the assignee",
                         actor=Actor.system("test"), outcome=Outcome.denied, onboarding_id=oid)

    w.run(a_refusal)
    add_operator(settings, "aud", "auditor")
    web = _auditor(w)
    assert "Reveal refused: not the assignee <span class=\"status status--err\">(refused)</span>" in \
        web.get(f"/onboardings/{oid}/report").text
    text = pdf_text(web.get(f"/onboardings/{oid}/report.pdf").content)
    assert "Reveal refused: not the assignee (refused)" in " ".join(text.split()) and "(denied)" not in text


def test_an_app_is_called_an_app_not_its_assignment(w: Wizard, settings: Settings, sandbox_org: SandboxOrg) -> None:
    """QA walk 8, finding 12: Drata's app was listed as "App assignment (id 0oa…)" in the report,
    the PDF and the checklist export; its assignments' action records the app's own id."""
    oid = drata.start(w)
    drata.finish(w, oid, sandbox_org)
    app = drata.drata_app(sandbox_org)
    add_operator(settings, "aud", "auditor")
    auditor = _auditor(w)
    _result, found = _checklist(auditor.get(f"/onboardings/{oid}/report").text)[
        "The Drata - OIDC app is installed and found"]
    assert f"App “Drata - OIDC” (id {app.id})" in found, found
    pdf = " ".join(pdf_text(auditor.get(f"/onboardings/{oid}/report.pdf").content).split())
    exported = auditor.get(f"/onboardings/{oid}/checklist.csv").text
    for text in (found, pdf, exported):
        assert "App assignment" not in text
    assert f"App “Drata - OIDC” (id {app.id})" in exported and f"App “Drata - OIDC” (id {app.id})" in pdf


def test_the_checklist_export_writes_an_attestation_s_moment_for_people(done: tuple[Wizard, uuid.UUID]) -> None:
    """Its evidence read "Attested by Helen Helpdesk (helen.helpdesk) on 2026-12-06T13:22:13.801954+00:00"
    (QA walk 13, L4): a sentence says the moment as the PDF does, in UTC to the second; the
    attested_at column, for a tool, keeps the instant as ISO 8601."""
    w, oid = done
    rows = list(csv.DictReader(io.StringIO(_auditor(w).get(f"/onboardings/{oid}/checklist.csv").text)))
    attested = [r for r in rows if r["result"] == "Attested"]
    assert len(attested) >= 2
    for row in attested:
        said = re.fullmatch(r"Attested by Ana\.Admin \(ana\.admin\) on (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC: "
                            r"done in the test", row["evidence"])
        assert said is not None, row["evidence"]
        instant = datetime.fromisoformat(row["attested_at"])
        assert instant.utcoffset() == timedelta(0) and said[1] == instant.strftime("%Y-%m-%d %H:%M:%S")
    pdf = pdf_text(_auditor(w).get(f"/onboardings/{oid}/report.pdf").content)
    assert attested[0]["evidence"] in pdf


def test_the_timeline_s_sentences_say_their_moments_in_the_reader_s_zone(done: tuple[Wizard, uuid.UUID]) -> None:
    """The timeline's When column was in the reader's zone and its What, on the same line, said
    "pasted on 2026-12-06 13:22 UTC: its expiry, 2027-01-05 13:22 UTC" (QA walk 13, L4)."""
    w, oid = done
    summary = ("Attested: The vendor uses the token. The service account's token was pasted on 2026-12-06 13:22 UTC: "
               "its expiry, 2027-01-05 13:22 UTC, had not moved")

    async def attested_with_a_warning() -> None:
        async with w.state.db.session() as session:
            await record(session, action="attest", summary=summary, actor=w.actor, onboarding_id=oid)

    w.run(attested_with_a_warning)
    html = _auditor(w).get(f"/onboardings/{oid}/report").text
    [what] = [cell for cell in re.findall(r'<td data-label="What">(.*?)</td>', html.split("timeline-table", 1)[1])
              if "pasted on" in cell]
    assert ("pasted on <time datetime=\"2026-12-06T13:22:00Z\" title=\"2026-12-06 13:22 UTC\" class=\"local-time\">"
            "2026-12-06 13:22 UTC</time>: its expiry, <time datetime=\"2027-01-05T13:22:00Z\" "
            "title=\"2027-01-05 13:22 UTC\" class=\"local-time\">2027-01-05 13:22 UTC</time>, had not moved") \
        in what, what
    # Without a reader's zone, the PDF says it in UTC, as written.
    assert summary in pdf_text(_auditor(w).get(f"/onboardings/{oid}/report.pdf").content)
