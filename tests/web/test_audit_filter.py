"""The audit trail page as an auditor reads it: the Action filter finds events by the words the table
shows (any case, anywhere in the description), and still by an action's internal key; the Who
column names the wizard's own background work in words, not "engine"."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from app.audit import Actor, record
from app.settings import Settings
from tests.support import Web, add_operator, in_database, web_client

_ROW = re.compile(r"<tr><td data-label=\"#\">.*?</tr>", re.S)
_CELL = re.compile(r'<td data-label="([^"]+)">(.*?)</td>', re.S)
_TAG = re.compile(r"<[^>]+>")


def rows(page: str) -> list[dict[str, str]]:
    """The table's rows as a person reads them: column name to the cell's text."""
    return [{label: " ".join(html.unescape(_TAG.sub("", cell)).split()) for label, cell in _CELL.findall(row)}
            for row in _ROW.findall(page)]


def what(page: str) -> list[str]:
    return [row["What"] for row in rows(page)]


EVENTS = [
    # (action, summary, actor)
    ("verify", "Verified: 12 passed, 0 failed", Actor.system("job")),
    ("attest", "Attested: the vendor's console shows the connector as healthy", Actor(None, "ana", "198.51.100.7")),
    ("secrets_destroyed", "Secrets of the finished onboarding destroyed", Actor.system("engine")),
    ("reverify", "Re-verified: 12 passed, 0 failed", Actor.system("watch")),
    ("export", "Exported 100% of the events as CSV", Actor(None, "ana", "198.51.100.7")),
    ("sign_in", "Failed sign-in for engine (1 in a row from this address)", Actor(None, "engine", "203.0.113.9")),
]


@pytest.fixture
def auditor(settings: Settings) -> Any:
    async def write(session: Any) -> None:
        for action, summary, actor in EVENTS:
            await record(session, action=action, summary=summary, actor=actor)

    in_database(settings, write)
    add_operator(settings, "aud", "auditor")
    with web_client(settings) as web:
        web.sign_in("aud")
        yield web


def test_the_filter_matches_the_words_shown_in_any_case(auditor: Web) -> None:
    for typed in ("Verified", "verified", "VERIFIED", "  verified  "):
        response = auditor.get("/audit", params={"action": typed})
        assert response.status_code == 200
        # "Re-verified" holds the word too: a substring, as the person reads it.
        assert what(response.text) == ["Re-verified: 12 passed, 0 failed", "Verified: 12 passed, 0 failed"], typed
    assert what(auditor.get("/audit", params={"action": "healthy"}).text) == [
        "Attested: the vendor's console shows the connector as healthy"]
    assert what(auditor.get("/audit", params={"action": "passed, 0 FAILED"}).text) == [
        "Re-verified: 12 passed, 0 failed", "Verified: 12 passed, 0 failed"]


def test_the_internal_key_still_filters(auditor: Web) -> None:
    assert what(auditor.get("/audit", params={"action": "verify"}).text) == ["Verified: 12 passed, 0 failed"]
    assert what(auditor.get("/audit", params={"action": "secrets_destroyed"}).text) == [
        "Secrets of the finished onboarding destroyed"]


def test_percent_and_underscore_are_plain_characters(auditor: Web) -> None:
    assert what(auditor.get("/audit", params={"action": "100%"}).text) == ["Exported 100% of the events as CSV"]
    assert what(auditor.get("/audit", params={"action": "%"}).text) == ["Exported 100% of the events as CSV"]
    page = auditor.get("/audit", params={"action": "_"}).text
    assert what(page) == [] and "No events." in page


def test_the_typed_filter_stays_in_the_box(auditor: Web) -> None:
    page = auditor.get("/audit", params={"action": "Verified"}).text
    assert 'name="action" value="Verified"' in page
    assert "Action: words from the What column" in page


def test_who_names_the_wizards_background_work(auditor: Web) -> None:
    who = {row["What"]: row["Who"] for row in rows(auditor.get("/audit").text)}
    assert who["Verified: 12 passed, 0 failed"] == "The wizard (background run)"
    assert who["Secrets of the finished onboarding destroyed"] == "The wizard (background run)"
    assert who["Re-verified: 12 passed, 0 failed"] == "The watch (background re-verification)"
    assert who["Attested: the vendor's console shows the connector as healthy"] == "ana"
    # Someone who typed "engine" at the sign-in page is not shown as the wizard.
    assert who["Failed sign-in for engine (1 in a row from this address)"] == "engine"
    assert all(row["Who"] != "engine" or row["From"] != "—" for row in rows(auditor.get("/audit").text))


def test_who_names_a_person_as_the_who_filter_does(auditor: Web, settings: Settings) -> None:
    """The column read bare usernames ("bob") beside the filter's "Bob Helpdesk (bob)" (QA walk 17, L5)."""
    bob = add_operator(settings, "bob", display_name="Bob Helpdesk")
    in_database(settings, lambda session: record(session, action="take", summary="bob took the onboarding",
                                                  actor=Actor(bob.id, "bob", "198.51.100.8")))
    who = {row["What"]: row["Who"] for row in rows(auditor.get("/audit").text)}
    assert who["bob took the onboarding"] == "Bob Helpdesk (bob)"
    assert f'<option value="{bob.id}" >Bob Helpdesk (bob)</option>' in auditor.get("/audit").text


def test_the_next_page_keeps_the_filter(settings: Settings) -> None:
    async def write(session: Any) -> None:
        for n in range(55):
            await record(session, action="verify", summary=f"Verified & checked #{n}", actor=Actor.system("job"))

    in_database(settings, write)
    add_operator(settings, "aud", "auditor")
    with web_client(settings) as web:
        web.sign_in("aud")
        first = web.get("/audit", params={"action": "verified & checked"}).text
        assert len(rows(first)) == 50
        link = re.search(r'<a href="([^"]+)">Older ›</a>', first)
        assert link, "no link to older events"
        older = web.get(html.unescape(link.group(1))).text
        assert what(older) == [f"Verified & checked #{n}" for n in range(4, -1, -1)]


def test_an_operator_cannot_filter_the_trail(settings: Settings) -> None:
    add_operator(settings, "opal", "operator")
    with web_client(settings) as web:
        web.sign_in("opal")
        assert web.get("/audit", params={"action": "verified"}).status_code == 403


def test_the_result_is_a_word(auditor: Web) -> None:
    results = {row["Result"] for row in rows(auditor.get("/audit").text)}
    assert results == {"Done"}, results  # the stored outcome was shown as "ok"
