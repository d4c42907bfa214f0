"""Audit records of a completed Defender onboarding: the printable report, the PDF (rendered to an
image and read back), streaming JSON and CSV exports, and the audit-trail page and command."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import pypdfium2
import pytest
from sqlalchemy import update

from app.common.clock import FakeClock
from app.reports.data import compare_with_plan
from app.settings import Settings
from app.store.models import AuditEvent, OnboardingAction
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.engine.test_defender import finish
from tests.harness import Wizard, wizard
from tests.support import PASSWORD, Web, add_operator


@pytest.fixture
def done(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
         fake_clock: FakeClock) -> Iterator[tuple[Wizard, uuid.UUID]]:
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as w:
        oid = w.start("defender-for-identity", w.connect(), service_account_login="mdi-service@acme.example")
        finish(w, oid, sandbox_org)
        add_operator(settings, "aud", "auditor")
        yield w, oid


def _auditor(w: Wizard) -> Web:
    web = Web(w.client)
    web.sign_in("aud")
    return web


class TestReport:
    def test_printable_report_has_the_checklist_evidence_and_timeline(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, oid = done
        html = _auditor(w).get(f"/onboardings/{oid}/report").text
        assert "Microsoft Defender for Identity onboarding" in html
        assert "Integrate Okta with Microsoft Defender for Identity" in html
        assert "The custom role has exactly the three permissions" in html
        assert "Attested by Ana.Admin (ana.admin)" in html
        assert "Custom role “Microsoft Defender for Identity” (id <code>cr0" in html  # Okta objects, ids beside
        assert "Audit trail intact: the hash chain was checked over events #" in html
        assert "Service account token verified" in html  # the timeline
        # Its people named as the rest of the report names them, with the trail's username (QA walk 15, L8).
        timeline = html.split('class="table table--stack timeline-table">', 1)[1]
        assert '<td data-label="Who">Ana.Admin (ana.admin)</td>' in timeline
        assert '<td data-label="Who">ana.admin</td>' not in timeline
        # What Okta shows of the vendor's use, beside the attestation that it connected (QA walk 4, L3).
        assert "Vendor connected, as Okta shows it: <strong>not yet</strong> — No use of the token" in html
        # The values the onboarding was given, at the step that asks for each.
        values = html.split('given-values">', 1)[1].split("</table>", 1)[0]
        assert re.search(r'data-label="Given">mdi-service@acme\.example</td>', values)
        # A value a step uses without asking it there (the custom role's name), at that step.
        assert re.search(r'>1-6 Create the role with its three permissions</td><td data-label="Value">[^<]+</td>'
                         r'<td data-label="Given">Microsoft Defender for Identity \(the wizard&#39;s default, '
                         r'unchanged\)</td>', values)  # proposed by the wizard, never saved on the page

    def test_the_report_holds_the_confirmed_plan_against_what_was_applied(self, done: tuple[Wizard, uuid.UUID]
                                                                          ) -> None:
        """Issue 14, point 1: the confirmed plan shows as confirmed (when, by whom), each action beside
        the plan's verdict, and says whether anything was applied otherwise."""
        w, oid = done
        html = _auditor(w).get(f"/onboardings/{oid}/report").text
        assert re.search(r"The plan was confirmed <time[^>]*>[^<]+</time> by Ana\.Admin \(\d+ lines\)\.", html)
        assert "Every action applied was applied as it said." in html
        assert html.count("as confirmed</span>") >= 5 and "differs</span>" not in html

    def test_pdf_renders_and_contains_the_checklist(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, oid = done
        response = _auditor(w).get(f"/onboardings/{oid}/report.pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        pdf = pypdfium2.PdfDocument(response.content)
        try:
            image = pdf[0].render(scale=1).to_pil()
            assert image.width > 500 and image.getextrema() != ((255, 255), (255, 255), (255, 255))
            # Table cells wrap their text, so compare with the line breaks folded away.
            text = " ".join(" ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).split())
        finally:
            pdf.close()
        for label in ("Checklist", "The dedicated account exists", "ObjectSid, ObjectGuid and DistinguishedName",
                      "The Okta instance appears in the Defender table as enabled", "ana.admin",
                      "Vendor connected, as Okta shows it: not yet",
                      "Not checked: instructions only", "Done by the wizard"):  # steps with no check (walk 23, M4)
            assert label in text, label

    def test_events_export_as_json_and_csv(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, oid = done
        web = _auditor(w)
        data = json.loads(web.get(f"/onboardings/{oid}/events.json").text)
        assert data["onboarding"] == str(oid)
        seqs = [e["seq"] for e in data["events"]]
        assert seqs == sorted(seqs) and len(seqs) > 20
        assert {e["category"] for e in data["events"]} == {"operator", "okta"}
        assert all(len(e["hash"]) == 64 for e in data["events"])
        table = web.get(f"/onboardings/{oid}/events.csv")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        # Each download's name says what it holds: the events' CSV was "….csv" beside "….checklist.csv"
        # (QA walk 15, L10).
        stem = f"onboarding-defender-for-identity-{str(oid)[:8]}"
        assert table.headers["content-disposition"] == f'attachment; filename="{stem}.events.csv"'
        for url, name in (("events.json", "json"), ("checklist.csv", "checklist.csv"), ("report.pdf", "pdf")):
            named = web.get(f"/onboardings/{oid}/{url}").headers["content-disposition"]
            assert named == f'attachment; filename="{stem}.{name}"', url
        # The CSV also holds the event that recorded the JSON export made a moment before.
        assert [int(r["seq"]) for r in rows][: len(seqs)] == seqs
        assert rows[-1]["action"] == "export"
        assert rows[0].keys() >= {"seq", "occurred_at", "actor_name", "summary", "hash"}
        # The clean onboarding's own "does the role (the set) exist yet?" is not a failure (QA walk 13, M2).
        for exported in (data["events"], rows):
            assert [e["summary"] for e in exported if e["outcome"] == "failed"] == []
            assert [e["outcome"] for e in exported if e["summary"].endswith("OrLabel} → 404")] == ["not_found"] * 4

    def test_the_checklist_is_exported_section_by_section(self, done: tuple[Wizard, uuid.UUID]) -> None:
        """The JSON and CSV exports were the audit events alone: no row said which item of the
        document passed, so a GRC tool could not show it (QA walk 6, M5)."""
        w, oid = done
        web = _auditor(w)
        page = web.get(f"/onboardings/{oid}/report").text
        assert f'/onboardings/{oid}/checklist.csv">checklist (CSV)</a>' in page
        rows = list(csv.DictReader(io.StringIO(web.get(f"/onboardings/{oid}/checklist.csv").text)))
        assert list(rows[0]) == ["section", "step", "item", "result", "evidence", "attested_by", "attested_at",
                                 "attestation_note", "attestation_warning", "kind"]
        role = next(r for r in rows if r["item"] == "The custom role has exactly the three permissions")
        assert role["section"] == "Create a custom Okta role" and role["step"].startswith("1-6 ")
        assert role["result"] == "Passed" and "okta.iam.read" in role["evidence"]
        attested = next(r for r in rows if r["result"] == "Attested")
        assert attested["attested_by"] == "Ana.Admin (ana.admin)" and attested["attested_at"]
        # The document's order, section by section.
        seen = list(dict.fromkeys(r["section"] for r in rows))
        document = [section.title for section in w.state.library.get("defender-for-identity").sections]
        assert len(seen) > 5 and seen == [title for title in document if title in seen]
        data = json.loads(web.get(f"/onboardings/{oid}/events.json").text)
        assert data["document"].startswith("Integrate Okta with Microsoft Defender for Identity")
        assert data["completed_at"] and data["status"] == "completed"
        assert [(i["item"], i["result"]) for i in data["checklist"]] == [(r["item"], r["result"]) for r in rows]
        trail = json.loads(web.get(f"/onboardings/{oid}/events.json").text)["events"]
        assert any(e["summary"] == "Checklist exported as CSV" and e["actor_name"] == "aud" for e in trail)

    def test_every_step_of_the_document_is_in_the_checklist(self, done: tuple[Wizard, uuid.UUID]) -> None:
        """The exports listed only the items the wizard checks: the document's guided steps (the
        token made as the service account, the Defender portal's) and the wizard's actions that a
        later step checks were missing, though the page shows them (QA walk 23, M4)."""
        w, oid = done
        web = _auditor(w)
        rows = list(csv.DictReader(io.StringIO(web.get(f"/onboardings/{oid}/checklist.csv").text)))
        playbook = w.state.library.get("defender-for-identity")
        numbers = [(section.title, step.number) for section, step in playbook.steps()]
        assert list(dict.fromkeys((r["section"], r["step"].split(" ")[0]) for r in rows)) == numbers
        by_step = {r["step"].split(" ", 1)[1]: r for r in rows if r["kind"] != "check"}
        portal = by_step["Defender portal: Settings > Identities > Okta integration > Connect Okta instance"]
        assert (portal["item"], portal["result"]) == ("A person's step", "Not checked: instructions only")
        # Described, not claimed done: the wizard keeps no record that a person did it (review).
        assert portal["evidence"] == ("The document's instructions for the operator in the vendor's console, as the "
                                      "wizard showed them; the wizard cannot check this step and keeps no record that "
                                      "it was done") and portal["kind"] == "instructions"
        tokens = by_step["Admin > Security > API > Tokens"]
        assert "signed in to Okta as the service account" in tokens["evidence"]
        resource_set = by_step["Assign the resource set to the account"]
        assert resource_set["kind"] == "action" and resource_set["result"] == "Done by the wizard"
        assert re.match(r"Created on \d{4}-\d\d-\d\d \d\d:\d\d UTC; no check of its own at this step; Role "
                        r"assignment “", resource_set["evidence"]), resource_set
        assert re.search(r"\(id \w+\)$", resource_set["evidence"])
        # The JSON's checklist has the same rows; the page and the PDF list them, and count checks only.
        data = json.loads(web.get(f"/onboardings/{oid}/events.json").text)
        assert [(i["item"], i["kind"]) for i in data["checklist"]] == [(r["item"], r["kind"]) for r in rows]
        page = web.get(f"/onboardings/{oid}/report").text
        assert '<span class="pill pill--step-guide">Not checked: instructions only</span>' in page
        assert '<span class="pill pill--action-done">Done by the wizard</span>' in page
        checks = [r for r in rows if r["kind"] == "check"]
        assert f"{sum(r['result'] in ('Passed', 'Attested') for r in checks)} passed" in page
        # The rows the counts leave out are said (19 rows read as 13 counted: QA walk 25, L3).
        assert f"{len(rows) - len(checks)} other rows list the steps of the document with no check of their own." \
            in html.unescape(page)

    def test_an_action_not_applied_yet_is_named_as_the_page_names_it(self, w: Wizard) -> None:
        """Before Apply reaches it, an action read "The wizard's action, not planned yet" beside a plan
        confirmed (review)."""
        oid = w.start("defender-for-identity", w.connect(), service_account_login="mdi-service@acme.example")
        w.plan(oid)
        web = Web(w.client)
        web.sign_in("ana.admin")
        rows = list(csv.DictReader(io.StringIO(web.get(f"/onboardings/{oid}/checklist.csv").text)))
        actions = [r for r in rows if r["kind"] == "action"]
        assert actions and all(r["result"] == "Not done yet" for r in actions), actions
        assert all(r["evidence"] == "Not applied yet; no check of its own at this step" for r in actions), actions
        resource_set = next(r for r in actions if r["step"].endswith("Assign the resource set to the account"))
        assert "resource set" in resource_set["item"] and "action" not in resource_set["item"], resource_set

    def test_a_check_not_made_yet_is_not_called_not_needed(self, w: Wizard) -> None:
        """Authomize's smoke test waits for the client secret the wizard keeps once it installs the
        integration: before that its row is "not checked yet", not "not needed" (review)."""
        oid = w.start("authomize", w.connect())
        web = Web(w.client)
        web.sign_in("ana.admin")
        rows = list(csv.DictReader(io.StringIO(web.get(f"/onboardings/{oid}/checklist.csv").text)))
        smoke = next(r for r in rows if r["step"].startswith("3 Smoke test"))
        assert (smoke["item"], smoke["result"], smoke["kind"]) == ("Not checked yet", "For information", "information")
        assert "not_needed" not in {r["kind"] for r in rows}

    def test_exports_are_audited(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, oid = done
        web = _auditor(w)
        web.get(f"/onboardings/{oid}/report.pdf")
        # Nor does an attempt the wizard refused them (QA walk 17, M6: a refused press listed them).
        page = f"/onboardings/{oid}"
        assert web.post(f"{page}/verify", page=page).status_code == 403
        data = json.loads(web.get(f"/onboardings/{oid}/events.json").text)
        assert any(e["action"] == "export" and e["actor_name"] == "aud" for e in data["events"])
        assert any(e["outcome"] == "denied" and e["actor_name"] == "aud" for e in data["events"])
        # Each export says which file left (the record read as the Audit page's export: QA walk 17, L6).
        web.get(f"/onboardings/{oid}/events.csv")
        summaries = [e["summary"] for e in json.loads(web.get(f"/onboardings/{oid}/events.json").text)["events"]]
        assert {"Audit report downloaded as PDF", "Onboarding record and events exported as JSON",
                "Onboarding events exported as CSV"} <= set(summaries)
        # Reading the record does not make the auditor one of those who did the onboarding (QA M3).
        page = web.get(f"/onboardings/{oid}/report").text
        involved = re.search(r"<dt>Operators involved</dt><dd>([^<]*)</dd>", page)
        assert involved is not None and "Ana.Admin" in involved.group(1) and "aud" not in involved.group(1).lower()

    def test_the_chain_s_check_says_what_it_covered(self, done: tuple[Wizard, uuid.UUID], settings: Settings
                                                    ) -> None:
        """It read "Audit chain over this onboarding's events (40–105): Audit chain intact: 66 events
        verified.", "Audit chain" twice, for 64 events of its own (QA walk 13, L6): the chain runs
        through everyone's events, so the stretch holds others' (here the auditor's sign-in, before
        the PDF's download is recorded), and the sentence says so."""
        from sqlalchemy import func, select

        from app.store.db import create_sync_engine

        w, oid = done
        web = _auditor(w)  # a sign-in: an event of no onboarding
        web.get(f"/onboardings/{oid}/report.pdf")  # an event of this one, after it
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.connect() as conn:
            first, last, own = conn.execute(select(func.min(AuditEvent.seq), func.max(AuditEvent.seq), func.count())
                                            .where(AuditEvent.onboarding_id == oid)).one()
            exports = conn.execute(select(func.count()).where(AuditEvent.onboarding_id == oid,
                                                              AuditEvent.action == "export")).scalar_one()
        engine.dispose()
        others = last - first + 1 - own
        assert others >= 1
        assert exports == 1  # the PDF's download: one of this onboarding's events, said as such (QA walk 25, L8)
        said = (f"Audit trail intact: the hash chain was checked over events #{first} to #{last}, which hold this "
                f"onboarding's {own} events (1 of them a download of its record) and {others} "
                f"event{'s' if others > 1 else ''} of other work recorded in between (sign-ins, other onboardings).")
        page = web.get(f"/onboardings/{oid}/report").text
        assert '<p class="notice notice--success">' + escape(said, quote=False).replace("'", "&#39;") + "</p>" in page
        assert "Audit chain" not in page
        pdf = pypdfium2.PdfDocument(web.get(f"/onboardings/{oid}/report.pdf").content)
        try:
            text = " ".join(" ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).split())
        finally:
            pdf.close()
        assert said in text  # the same words (its own download is recorded once it is written)
        assert "Audit chain" not in text

    def test_unknown_export_format_is_404(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, oid = done
        assert _auditor(w).get(f"/onboardings/{oid}/events.xml").status_code == 404


class TestAuditTrailPage:
    def test_intact_chain(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, _oid = done
        page = _auditor(w).get("/audit/verify").text
        assert "Audit chain intact" in page

    def test_tampering_is_named(self, done: tuple[Wizard, uuid.UUID], settings: Settings) -> None:
        from sqlalchemy import func, select

        from app.store.db import create_sync_engine

        w, _oid = done
        engine = create_sync_engine(settings.resolved_database_url)
        with engine.begin() as conn:
            seq = conn.execute(select(func.min(AuditEvent.seq)).where(AuditEvent.onboarding_id == _oid)).scalar_one()
            conn.execute(update(AuditEvent).where(AuditEvent.seq == seq + 3).values(summary="nothing to see"))
        engine.dispose()
        page = _auditor(w).get("/audit/verify").text
        assert f"Audit chain broken at event {seq + 3}" in page
        report = _auditor(w).get(f"/onboardings/{_oid}/report").text
        assert (f"Audit trail BROKEN, checking this onboarding&#39;s events ({seq} to ") in report
        assert f"): at event {seq + 3}, its contents were changed after it was written.</p>" in report

    def test_filtering_events(self, done: tuple[Wizard, uuid.UUID]) -> None:
        w, _oid = done
        page = _auditor(w).get("/audit?category=okta").text
        assert "GET /api/v1/users/{userId}" in page or "/api/v1/" in page
        # Each event's onboarding is named by its vendor (every link read "onboarding").
        name = w.state.library.get(w.onboarding(_oid).vendor).name
        assert f'/onboardings/{_oid}">{name} onboarding</a>' in page
        assert "Attested:" not in page
        # Odd values from the address bar are no filter at all, never an error.
        for query in ("action=%00", "category=%00", "before=%00", "action=<script>"):
            response = _auditor(w).get(f"/audit?{query}")
            assert response.status_code == 200, query

    def test_the_application_cannot_change_an_event(self, done: tuple[Wizard, uuid.UUID]) -> None:
        from sqlalchemy import select

        w, _oid = done

        async def edit() -> None:
            async with w.state.db.session() as session:
                event = (await session.execute(select(AuditEvent).limit(1))).scalar_one()
                event.summary = "rewritten"

        with pytest.raises(RuntimeError, match="append-only"):
            w.run(edit)

        async def remove() -> None:
            async with w.state.db.session() as session:
                event = (await session.execute(select(AuditEvent).limit(1))).scalar_one()
                await session.delete(event)

        with pytest.raises(RuntimeError, match="append-only"):
            w.run(remove)


def test_operators_see_reports_but_not_the_audit_trail(done: tuple[Wizard, uuid.UUID], settings: Settings) -> None:
    w, oid = done
    add_operator(settings, "opal", "operator")
    web = Web(w.client)
    web.sign_in("opal", PASSWORD)
    assert web.get(f"/onboardings/{oid}/report").status_code == 200
    assert web.get("/audit").status_code == 403


def test_an_action_applied_otherwise_than_confirmed_is_a_difference() -> None:
    confirmed = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    later, earlier = confirmed + timedelta(minutes=5), confirmed - timedelta(minutes=5)

    def row(outcome: str | None, state: str = "done", at: datetime = later) -> OnboardingAction:
        return OnboardingAction(action_key="a", state=state, outcome=outcome, updated_at=at)

    create = {"action_key": "a", "verdict": "create"}
    assert compare_with_plan(row("created"), create, confirmed) is True
    assert compare_with_plan(row("adopted"), create, confirmed) is False  # planned a new object, adopted one
    assert compare_with_plan(row(None, "pending"), create, confirmed) is None  # not applied yet
    assert compare_with_plan(row("created", at=earlier), {"action_key": "a", "verdict": "unchanged"}, confirmed)
    assert compare_with_plan(row("created"), None, confirmed) is False  # applied, though not in the plan
    assert compare_with_plan(row("created", at=earlier), None, confirmed) is None  # from before that plan


def test_a_pdf_heading_near_a_pages_foot_starts_the_next_page() -> None:
    """"What the wizard did in Okta" ended page 2, its table on page 3 (QA walk 25, L7)."""
    from types import SimpleNamespace

    from app.reports.pdf import _Document

    report: Any = SimpleNamespace(vendor="Oort", org="https://acme.okta.com", generated_at=datetime.now(UTC),
                                  generated_by="aud")
    document = _Document(report)
    try:
        document.add_page()
        document.set_y(document.h - 40)
        document.heading("What the wizard did in Okta")
        assert document.page == 2
        document.heading("Timeline")  # with room below it: where it is
        assert document.page == 2
    finally:
        # Never written out, its font files (read lazily) stay open: closed here, or a later test's
        # garbage collection reported them as unclosed (a CI failure in test_graceful_stop).
        for font in document.fonts.values():
            font.close()


@pytest.mark.parametrize(("events", "own", "exports", "said"), [
    ((7, 7), 1, 0, "Audit trail intact: the hash chain was checked over event #7, this onboarding's only event."),
    ((5, 9), 5, 2, "Audit trail intact: the hash chain was checked over events #5 to #9, all 5 of this onboarding "
                   "(2 of them downloads of its record)."),
    ((5, 12), 6, 0, "Audit trail intact: the hash chain was checked over events #5 to #12, which hold this "
                    "onboarding's 6 events and 2 events of other work recorded in between (sign-ins, other "
                    "onboardings)."),
], ids=["one event", "only its own", "others between"])
def test_the_chain_s_line_says_the_stretch_then_what_it_holds(events: tuple[int, int], own: int, exports: int,
                                                              said: str) -> None:
    """The line led with counts that move as the auditor downloads the record (each download is an
    event of the onboarding), before the stretch they came from (QA walk 25, L8)."""
    from types import SimpleNamespace

    from app.audit.chain import ChainReport
    from app.reports.data import Report

    stand_in = SimpleNamespace(chain_range=events, chain=ChainReport(True, events[1] - events[0] + 1),
                               own_events=own, exports=exports)
    assert Report.chain_words.fget(stand_in) == said  # type: ignore[attr-defined]
