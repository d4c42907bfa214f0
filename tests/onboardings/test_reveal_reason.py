"""QA walk 8, finding 5: where a kept secret's Reveal button would be, someone who may not reveal it
(only the person the onboarding is assigned to may) reads why, and what to do to reveal it."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest

from app.settings import Settings
from tests.harness import Wizard
from tests.support import PASSWORD, Web, add_operator

VENDOR = "defender-for-identity"
REVEAL = re.compile(r'action="[^"]*/onboardings/[0-9a-f-]{36}/secrets/activation_link"')


@pytest.fixture
def people(settings: Settings) -> dict[str, Any]:
    return {name: add_operator(settings, name, role) for name, role in
            (("amy", "operator"), ("bob", "operator"), ("aud", "auditor"))}


def _applied_by(w: Wizard, web: Web, who: str) -> str:
    connection = w.connect()
    web.sign_in(who)
    started = web.post("/onboardings", {"vendor": VENDOR, "connection": str(connection)}, page="/onboardings/new")
    oid = uuid.UUID(re.search(r"/onboardings/([0-9a-f-]{36})", started.headers["location"]).group(1))  # type: ignore[union-attr]
    page = f"/onboardings/{oid}"
    assert web.post(f"{page}/plan", page=page).status_code == 303
    plan = re.search(r"/plans/([0-9a-f-]{36})/confirm", web.get(page).text).group(1)  # type: ignore[union-attr]
    assert web.post(f"{page}/plans/{plan}/confirm", page=page).status_code == 303
    w.run(lambda: w.state.jobs.wait_idle(60))
    return page


def _reasons(page_html: str) -> list[str]:
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", m)).split())
            for m in re.findall(r'<p class="hint reveal-reason">(.*?)</p>', page_html, re.S)]


def _as(web: Web, who: str, password: str = PASSWORD) -> None:
    web.sign_out()
    web.sign_in(who, password)


def test_who_may_not_reveal_reads_why_where_the_button_would_be(w: Wizard, people: dict[str, Any]) -> None:
    web = Web(w.client)
    page = _applied_by(w, web, "amy")
    mine = web.get(page).text
    assert REVEAL.search(mine) and not _reasons(mine)  # the assignee reveals, nothing to explain

    web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": "Over to you, Bob: activate the account."},
             page=page)
    _as(web, "ana.admin")
    admin = web.get(page).text
    assert not REVEAL.search(admin)
    reasons = _reasons(admin)
    assert reasons and set(reasons) == {
        "Only Bob, to whom this onboarding is assigned, can reveal the activation link of the service account: to "
        "reveal it yourself, hand the onboarding to yourself (Hand off, below)."}
    _as(web, "amy")  # an operator who no longer has it: no hand-off offered to them
    assert set(_reasons(web.get(page).text)) == {
        "Only Bob, to whom this onboarding is assigned, can reveal the activation link of the service account."}

    _as(web, "bob")
    web.post(f"{page}/handoff", {"to": "queue", "note": "To the queue: activate the account next."}, page=page)
    _as(web, "ana.admin")
    queued = web.get(page).text
    assert not REVEAL.search(queued)
    assert set(_reasons(queued)) == {
        "Only the person this onboarding is assigned to can reveal the activation link of the service account: take "
        "the onboarding from the help-desk queue (above) to reveal it."}
    _as(web, "aud")
    assert set(_reasons(web.get(page).text)) == {
        "Only the person this onboarding is assigned to can reveal the activation link of the service account."}

    # Taken from the queue, it is theirs to reveal again.
    _as(web, "ana.admin")
    assert web.post(f"{page}/take", page=page).status_code == 303
    taken = web.get(page).text
    assert REVEAL.search(taken) and not _reasons(taken)
