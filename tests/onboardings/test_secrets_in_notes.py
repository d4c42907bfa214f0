"""A secret pasted by mistake into what a person writes (a hand-off's note, an attestation's note,
why an attestation was withdrawn or the onboarding closed) is masked before it is stored: the
colleague, the summary, the report, its PDF and its exports, and the database itself never hold it,
even in a process that never handled it (restarted: only the secret's shape can tell). The person
is told; a refused form gives back what they typed, never the secret. An Okta object id and the
words around the secret stay as written."""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from app.observability import RedactingFilter
from app.settings import Settings
from app.store.models import Attestation, Handoff, Onboarding
from app.vault.redaction import REDACTOR
from okta_sandbox import SandboxOrg
from tests.canary import assert_no_canary, database_bytes
from tests.harness import Wizard
from tests.page_journeys import Journey, pdf_text
from tests.support import Web, add_operator

# An Okta API token as the Admin Console shows it once ("00" and 40 characters), a client secret
# as Okta makes one (64), and an activation link's token (20 characters, like an Okta id: only
# the link around it tells).
OKTA_TOKEN = "00CanaryT0ken-pasted_by-mistake-in4note7Qz"
CLIENT_SECRET = "Cn4ry-Cl1entSecret_pasted-by-mistake-in-a-reason-0123456789abcdX"
ACTIVATION = "CnRyAct1vat10nTok3n9"
CANARIES = [OKTA_TOKEN, CLIENT_SECRET, ACTIVATION]
OKTA_APP_ID = "0oauj98mikme3r9p41d7"  # an app's Okta id (20 characters, from a recording), read as written
PROSE = "Plan applied; the app"
TOLD = "Something in your note looked like a secret (an Okta API token) and was masked: it is not stored."


def test_the_canaries_have_okta_s_shapes() -> None:
    assert len(OKTA_TOKEN) == 42 and OKTA_TOKEN.startswith("00")
    assert len(CLIENT_SECRET) == 64 and len(OKTA_APP_ID) == 20


@pytest.fixture
def people(settings: Settings) -> dict[str, Any]:
    return {name: add_operator(settings, name, role) for name, role in
            (("amy", "operator"), ("bob", "operator"), ("aud", "auditor"))}


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """The application's log output, through the redacting filter `onboard serve` installs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def _started_by(w: Wizard, web: Web, who: str) -> uuid.UUID:
    connection = w.connect()
    web.sign_in(who)
    response = web.post("/onboardings", {"vendor": "defender-for-identity", "connection": str(connection)},
                        page="/onboardings/new")
    assert response.status_code == 303, response.text
    return uuid.UUID(re.search(r"/onboardings/([0-9a-f-]{36})", response.headers["location"]).group(1))  # type: ignore[union-attr]


def _said(web: Web, page: str) -> str:
    """The page as a person reads it (the flash shown once, after the redirect)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", web.get(page).text)).split())


def _rows(w: Wizard, oid: uuid.UUID) -> tuple[list[str], list[str | None], str | None]:
    """The hand-off notes, the attestations' notes and the status sentence as the database holds them."""
    async def read() -> tuple[list[str], list[str | None], str | None]:
        async with w.state.db.sessions() as session:
            handed = (await session.execute(select(Handoff.note).where(Handoff.onboarding_id == oid))).scalars()
            attested = (await session.execute(select(Attestation.note).where(
                Attestation.onboarding_id == oid))).scalars()
            status = (await session.execute(select(Onboarding.status_note).where(Onboarding.id == oid))).scalar_one()
            return list(handed), list(attested), status

    return w.run(read)


def test_a_token_pasted_in_a_note_is_masked_everywhere_it_is_kept_or_shown(
        w: Wizard, people: dict[str, Any], settings: Settings, app_log: io.StringIO) -> None:
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    # A restarted process: it never handled these values, only their shape can tell.
    REDACTOR.forget_all()
    pages: list[str] = []

    # An attestation's note with the token in it: attested, the note kept masked, and she is told.
    response = web.post(f"{page}/attest/licence_confirmed",
                        {"note": f"P2 licence seen by Ann. Pasted {OKTA_TOKEN} here by mistake."}, page=page)
    assert response.status_code == 303, response.text
    said = _said(web, page)
    assert f"Attested by Amy. {TOLD}" in said
    # Withdrawn, the reason with a client secret in it; attested again, an activation link in the note.
    response = web.post(f"{page}/attest/licence_confirmed/withdraw",
                        {"reason": f"Wrong licence, and client_id 0oa secret {CLIENT_SECRET} pasted"}, page=page)
    assert response.status_code == 303, response.text
    assert ("Attestation withdrawn: the step asks for it again. Something in your reason looked like a secret "
            "(an Okta client secret) and was masked: it is not stored.") in _said(web, page)
    response = web.post(f"{page}/attest/licence_confirmed",
                        {"note": f"E5 licence. Link: https://acme.okta.com/welcome/{ACTIVATION} for {OKTA_APP_ID}"},
                        page=page)
    assert response.status_code == 303, response.text
    assert ("Something in your note looked like a secret (an activation link) and was masked: it is not stored."
            in _said(web, page))

    # The hand-off: the note with the token, an Okta object id and prose around it.
    note = f"{PROSE} {OKTA_APP_ID} was created. The token for the vendor: {OKTA_TOKEN} (from the console)."
    response = web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": note}, page=page)
    assert response.status_code == 303, response.text
    assert f"Handed off to Bob. {TOLD}" in _said(web, page)

    # What the database holds, read from the tables themselves.
    handed, attested, _status = _rows(w, oid)
    kept = f"{PROSE} {OKTA_APP_ID} was created. The token for the vendor: *** (from the console)."
    assert handed == [kept]
    assert sorted(n or "" for n in attested) == sorted([
        f"E5 licence. Link: https://acme.okta.com/welcome/*** for {OKTA_APP_ID}",
        "P2 licence seen by Ann. Pasted *** here by mistake."])

    # The colleague's page and the summary: the note as kept, id and words readable.
    web.sign_in("bob")
    pages.append(web.get(page).text)
    summary = web.get(f"{page}/summary").text
    pages.append(summary)
    assert kept in unescape(summary)
    # He closes it; his reason has the token too.
    response = web.post(f"{page}/close", {"reason": f"Vendor cancelled. Revoke {OKTA_TOKEN} in Okta."}, page=page)
    assert response.status_code == 303, response.text
    assert ("Onboarding closed; it kept no secret to destroy. Something in your reason looked like a secret "
            "(an Okta API token) and was masked: it is not stored.") in _said(web, page)
    assert _rows(w, oid)[2] == "Closed: Vendor cancelled. Revoke *** in Okta."

    # The auditor's report, its PDF and the exports.
    web.sign_in("aud")
    report = web.get(f"{page}/report").text
    assert f"Note: “{kept}”" in " ".join(unescape(re.sub(r"<[^>]+>", " ", report)).split())
    pdf = pdf_text(web.get(f"{page}/report.pdf").content)
    assert OKTA_APP_ID in pdf and "Pasted *** here by mistake" in pdf
    exports = {fmt: web.get(f"{page}/{fmt}").text for fmt in ("events.json", "events.csv", "checklist.csv")}
    assert f"https://acme.okta.com/welcome/*** for {OKTA_APP_ID}" in exports["checklist.csv"]
    pages += [report, *exports.values(), web.get("/audit").text, web.get("/audit/events.json").text]
    web.sign_in("amy")
    pages.append(web.get(page).text)

    assert_no_canary(CANARIES, {
        "database": database_bytes(settings.resolved_database_url),
        "pages": "\n".join(pages),
        "pdf": pdf,
        "logs": app_log.getvalue(),
    })


def test_a_refused_hand_off_gives_the_note_back_without_the_token(w: Wizard, people: dict[str, Any]) -> None:
    """Refused for another reason (no colleague chosen), the form keeps what was typed, never a token."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    REDACTOR.forget_all()
    note = f"{PROSE} {OKTA_APP_ID} was created; token {OKTA_TOKEN}"
    refused = web.post(f"{page}/handoff", {"to": "", "note": note}, page=page)
    assert refused.status_code == 400
    assert f"required>{PROSE} {OKTA_APP_ID} was created; token ***</textarea>" in refused.text
    assert f"The onboarding was not handed off. {TOLD}" in unescape(refused.text)
    assert_no_canary([OKTA_TOKEN], {"page": refused.text})
    assert _rows(w, oid)[0] == []


def test_a_note_without_a_secret_is_kept_as_written_and_nothing_is_said(w: Wizard, people: dict[str, Any]) -> None:
    """Okta's ids, a hex digest and words like "basic" in a note are not secrets: kept, and no warning."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    note = (f"The basic licence is enough. App {OKTA_APP_ID} (0oa1b2c3d4e5f6g7h8i9j0 was the test one), user "
            "00u1b2c3d4e5f6g7h8i9, resource set "
            "iamoJDFKaJxGIr0oamd9g, commit 9e4e83d3bc437e18c11b98d4161599a0e95b821d.")
    assert web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": note}, page=page).status_code == 303
    said = _said(web, page)
    assert "Handed off to Bob." in said and "looked like a secret" not in said
    assert _rows(w, oid)[0] == [note]


def test_the_column_masks_whatever_writes_it(w: Wizard, people: dict[str, Any]) -> None:
    """The note is masked on its way into the database, not only by the page that takes it."""
    oid = w.start("defender-for-identity", w.connect())

    async def write() -> None:
        async with w.state.db.session() as session:
            session.add(Handoff(onboarding_id=oid, from_operator_id=people["amy"].id, to_operator_id=None,
                                note=f"For the queue: SSWS {OKTA_TOKEN}, app {OKTA_APP_ID}"))

    w.run(write)
    assert _rows(w, oid)[0] == [f"For the queue: SSWS ***, app {OKTA_APP_ID}"]


def test_a_token_pasted_as_the_token_s_name_is_not_given_back(j: Journey, sandbox_org: SandboxOrg) -> None:
    """The token's name beside its value: the token pasted there too, the paste is refused ("None of
    the service account's tokens is named '…'"), and neither the refusal nor the name given back
    repeats it (it did, word for word)."""
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    j.plan_and_apply(oid)
    account = str(j.onboarding(oid).facts["service_account_id"])
    sandbox_org.complete_activation(account)
    value = sandbox_org.issue_api_token(account, "Defender")
    sandbox_org.issue_api_token(account, "Another")  # two tokens: the name tells which was pasted
    REDACTOR.forget_all()
    refused = j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/token"), service_token=value,
                       service_token_name=OKTA_TOKEN)
    text = unescape(refused.text)
    assert refused.status_code == 400 and "None of the service account's 2 tokens is named “***”." in text
    assert re.search(r'<input id="service_token_name"[^>]*value="\*\*\*"', refused.text)
    assert_no_canary([OKTA_TOKEN, value], {"page": refused.text})
