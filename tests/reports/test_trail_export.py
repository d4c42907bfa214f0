"""The audit trail exported as the page filters it: exactly the events the filter keeps (every page,
oldest first), in the columns of an onboarding's export, formula cells defused and secrets masked,
streamed in batches; the export is itself recorded, who and what; administrators and auditors only."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.reports import exports
from app.settings import Settings
from app.vault.redaction import REDACTOR
from tests.audit.trail import AGENT, CANARY, FORMULA, Trail, rows, seed
from tests.support import Web, add_operator, web_client


@pytest.fixture
def trail(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Trail:
    return seed(settings, monkeypatch)


@pytest.fixture
def auditor(settings: Settings, trail: Trail) -> Iterator[Web]:
    with web_client(settings) as web:
        web.sign_in("aud")
        yield web


def _csv(web: Web, query: dict[str, str]) -> list[dict[str, str]]:
    response = web.get("/audit/events.csv", params=query)
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-trail-')
    return list(csv.DictReader(io.StringIO(response.text)))


def _json(web: Web, query: dict[str, str]) -> dict[str, Any]:
    response = web.get("/audit/events.json", params=query)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    data: dict[str, Any] = json.loads(response.text)
    return data


def _shown(web: Web, query: dict[str, str]) -> list[int]:
    """Every event the page lists for the filter, page after page, as its number."""
    seqs: list[int] = []
    page = web.get("/audit", params=query).text
    while True:
        seqs += [int(row["#"]) for row in rows(page)]
        older = re.search(r'<a href="([^"]+)">Older ›</a>', page)
        if not older:
            return seqs
        page = web.get(html.unescape(older.group(1))).text


def test_the_export_links_carry_the_filter(auditor: Web, trail: Trail) -> None:
    page = auditor.get("/audit", params={"who": str(trail.ana), "from": "2025-03-10"}).text
    assert f'<a href="/audit/events.csv?who={trail.ana}&amp;from=2025-03-10">CSV</a>' in page
    assert f'<a href="/audit/events.json?who={trail.ana}&amp;from=2025-03-10">JSON</a>' in page
    assert "Download the events that match, all pages, oldest first" in page


@pytest.mark.parametrize("query", [
    {}, {"who": "{ana}"}, {"vendor": "defender-for-identity", "from": "2025-03-10"},
    {"who": "{bob}", "to": "2025-03-13"}, {"who": "watch"}, {"action": "passed", "category": "operator"}])
def test_the_export_holds_exactly_what_the_page_lists(auditor: Web, trail: Trail, query: dict[str, str]) -> None:
    query = {key: value.format(ana=trail.ana, bob=trail.bob) for key, value in query.items()}
    # Read just before each export: the CSV's own record is in the JSON when the filter keeps it.
    shown = _shown(auditor, query)[::-1]
    assert shown and [int(row["seq"]) for row in _csv(auditor, query)] == shown
    shown = _shown(auditor, query)[::-1]
    assert [event["seq"] for event in _json(auditor, query)["events"]] == shown


def test_the_export_has_the_columns_of_an_onboardings_defused_and_masked(auditor: Web, trail: Trail) -> None:
    REDACTOR.remember(CANARY)  # handled as a secret since its event was written
    query = {"who": str(trail.ana)}
    response = auditor.get("/audit/events.csv", params=query)
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert list(table[0]) == exports.COLUMNS
    assert [row["summary"] for row in table] == ["Plan confirmed: 5 actions", "Applied the plan: 5 done",
                                                 "'" + FORMULA]
    assert {row["user_agent"] for row in table} == {"'" + AGENT}
    assert json.loads(table[-1]["details"]) == {"note": "pasted by mistake: ***"}
    data = auditor.get("/audit/events.json", params=query).text
    for body in (response.text, data):
        assert CANARY not in body
    assert json.loads(data)["events"][-1]["details"] == {"note": "pasted by mistake: ***"}


def test_the_json_says_what_was_filtered(auditor: Web, trail: Trail) -> None:
    data = _json(auditor, {"who": str(trail.ana), "vendor": "defender-for-identity", "to": "2025-03-10"})
    assert data["filters"] == {"who": str(trail.ana), "vendor": "defender-for-identity", "to": "2025-03-10"}
    assert data["filters_in_words"] == ("Who: Ana Admin (ana); Vendor: Microsoft Defender for Identity onboardings;"
                                        " To: 2025-03-10, end of the day UTC")
    assert data["exported_by"] == "aud" and data["days_in"] == "UTC"
    assert [e["summary"] for e in data["events"]] == ["Plan confirmed: 5 actions", "Applied the plan: 5 done"]


def test_the_export_is_recorded_and_ends_before_its_own_record(auditor: Web, trail: Trail) -> None:
    data = _json(auditor, {"who": str(trail.bob)})
    table = _csv(auditor, {})
    recorded = [row for row in table if row["action"] == "export"]
    # The JSON export's record is in the later CSV export; the CSV's own is not in itself.
    assert len(recorded) == 1 and int(table[-1]["seq"]) == int(recorded[0]["seq"])
    assert recorded[0]["actor_name"] == "aud" and recorded[0]["subject_id"] == "json"
    assert recorded[0]["summary"] == "Audit trail exported as JSON: Who: Bob (bob)"
    assert json.loads(recorded[0]["details"]) == {"filters": {"who": str(trail.bob)}}
    assert data["through_seq"] == int(recorded[0]["seq"]) - 1
    page = auditor.get("/audit", params={"action": "exported"}).text
    assert [(row["Who"], row["What"]) for row in rows(page)] == [
        ("Aud (aud)", "Audit trail exported as CSV: every event"),
        ("Aud (aud)", "Audit trail exported as JSON: Who: Bob (bob)")]


def test_a_large_trail_streams_in_batches(auditor: Web, trail: Trail, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = _shown(auditor, {})[::-1]
    monkeypatch.setattr(exports, "BATCH", 2)
    assert [int(row["seq"]) for row in _csv(auditor, {})] == everything
    assert [int(row["seq"]) for row in _csv(auditor, {"vendor": "defender-for-identity"})] == \
        _shown(auditor, {"vendor": "defender-for-identity"})[::-1]


def test_a_wrong_filter_exports_nothing_and_says_why(auditor: Web) -> None:
    response = auditor.get("/audit/events.csv", params={"from": "2025-13-01", "vendor": "drata"})
    assert response.status_code == 303
    page = auditor.get(response.headers["location"])
    assert page.status_code == 400 and "From “2025-13-01” is not a date" in page.text
    assert "exported" not in " ".join(row["What"] for row in rows(auditor.get("/audit").text))
    assert auditor.get("/audit/events.xml").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_export_is_for_administrators_and_auditors(settings: Settings, trail: Trail, fmt: str) -> None:
    url = f"/audit/events.{fmt}?who={trail.ana}"
    with web_client(settings) as web:
        signed_out = web.get(url)
        assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=")
    add_operator(settings, "opal", "operator")
    add_operator(settings, "adam", "admin")
    with web_client(settings) as web:
        web.sign_in("opal")
        refused = web.get(url)
        assert refused.status_code == 403 and "This needs the" in refused.text
    with web_client(settings) as web:
        web.sign_in("adam")
        response = web.get(url)
        assert response.status_code == 200 and "Plan confirmed: 5 actions" in response.text
        assert "Signed out" not in response.text  # bob's


def _file_name(web: Web, fmt: str, query: dict[str, str]) -> str:
    disposition = web.get(f"/audit/events.{fmt}", params=query).headers["content-disposition"]
    found = re.fullmatch(r'attachment; filename="audit-trail-\d{4}-\d\d-\d\d-to-event-\d+(.*)"', disposition)
    assert found, disposition
    return found.group(1)


def test_the_file_name_says_which_filters_made_it(auditor: Web, trail: Trail) -> None:
    """Every export was named "audit-trail-<day>-to-event-<n>", whatever it was narrowed to: a CSV
    saved among others could not say what it holds. Its name now says each filter, in the form's
    order, in characters every file system keeps; the JSON says them in its header as well."""
    query = {"category": "operator", "action": "Plan confirmed", "who": str(trail.ana),
             "vendor": "defender-for-identity", "from": "2025-03-09", "to": "2025-03-10"}
    named = "-kind-operator-action-plan-confirmed-who-ana-vendor-defender-for-identity-from-2025-03-09-to-2025-03-10"
    assert _file_name(auditor, "csv", query) == f"{named}.csv"
    assert _file_name(auditor, "json", query) == f"{named}.json"
    data = _json(auditor, query)
    assert data["filters"] == query and [e["summary"] for e in data["events"]] == ["Plan confirmed: 5 actions"]
    assert data["filters_in_words"] == ("Who: Ana Admin (ana); Vendor: Microsoft Defender for Identity onboardings; "
                                        "From: 2025-03-09, 00:00 UTC; To: 2025-03-10, end of the day UTC; "
                                        "Kind: Operator actions; Action: “Plan confirmed”")
    # What a person may type becomes letters, digits and hyphens; the server's own actors by their key.
    odd = {"action": '../"Vérifié"\\ 100% ; rm', "who": "identity provider"}
    assert _file_name(auditor, "csv", odd) == "-action-verifie-100-rm-who-identity-provider.csv"
    assert _file_name(auditor, "csv", {}) == ".csv"  # every event: no filter to name
