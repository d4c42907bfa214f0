"""The JSON export holds the onboarding's record as the audit report shows it (QA walk 13, M5): its
keys were the onboarding's facts, the checklist and the events, while the README promised every
plan confirmed with each action beside it, the values given, the attestations and the hand-offs,
which the report and the PDF carried. And it holds no secret the onboarding handled."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from html import unescape
from typing import Any

from app.onboardings.handoffs import QUEUE, HandoffRequest, hand_off
from app.settings import Settings
from app.store.models import Onboarding
from okta_sandbox import SandboxOrg
from tests.canary import assert_no_canary
from tests.harness import Wizard
from tests.reports import test_reports
from tests.reports.test_reports import _auditor
from tests.support import PASSWORD, add_operator
from tests.vendors import test_drata as drata

done = test_reports.done  # the completed Defender onboarding, shared with the report's other tests

NOTE = "The token is in the vendor's console; only the Defender table's check is left for you."


def _cells(html: str, table: str, labels: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The rows of the report's table that holds ``table``, as the text of the cells ``labels``."""
    body = html[html.index(table):]
    body = body[:body.index("</table>")]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = dict(re.findall(r'<td data-label="([^"]+)">(.*?)</td>', row, re.S))
        if cells:
            rows.append(tuple(" ".join(unescape(re.sub(r"<[^>]+>", "", cells[label])).split()) for label in labels))
    return rows


def _handed_off(w: Wizard, oid: uuid.UUID) -> None:
    async def go() -> None:
        async with w.state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            await hand_off(session, onboarding, HandoffRequest(to=QUEUE, note=NOTE), w.actor)

    w.run(go)


def test_the_json_export_holds_the_record_the_report_shows(done: tuple[Wizard, uuid.UUID]) -> None:
    w, oid = done
    _handed_off(w, oid)
    web = _auditor(w)
    html = web.get(f"/onboardings/{oid}/report").text
    data = json.loads(web.get(f"/onboardings/{oid}/events.json").text)

    # The values given, as the report's "Values given" table, step by step.
    given = _cells(html, 'given-values">', ("Step", "Value", "Given"))
    assert ("1 Create a dedicated Okta account", "Service account username (an email address)",
            "mdi-service@acme.example") in given
    # A default nobody saved is marked apart (the report says so in words).
    assert [(v["step"], v["label"], v["given"] + (" (the wizard's default, unchanged)"
                                                  if v["default"] else "")) for v in data["values_given"]] == given
    assert {v["label"]: v["default"] for v in data["values_given"]}["Service account email"] is True

    # The plan confirmed: when, by whom, its lines (tests/reports/test_record_history.py), and that
    # nothing was applied otherwise.
    [plan] = data["plans"]
    assert (plan["number"], plan["confirmed_by"], len(plan["lines"]), plan["applied_differently"]) == (
        1, "Ana.Admin", 8, 0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", plan["confirmed_at"])

    # Each action beside its plan line and what applying did, as "What the wizard did in Okta".
    shown = _cells(html, "<th scope=\"col\">Confirmed plan</th>", ("Step", "Action", "Okta object", "Confirmed plan",
                                                                    "Outcome"))
    assert len(shown) == 8
    assert [(a["step"], a["action"], a["object_id"] or "—", f"{a['planned']} as confirmed", a["outcome"])
            for a in data["actions"]] == [(s, a, o.replace(" ", ""), p, out) for s, a, o, p, out in shown]
    assert all(a["plan"] == 1 and a["as_planned"] is True for a in data["actions"])
    removed = data["actions"][-1]
    assert (removed["action"], removed["object_type"], removed["planned"], removed["outcome"]) == (
        "Removed Super Administrator", "role_assignment", "remove", "removed")

    # The attestations as given (the checklist rows say which stand), and the hand-off with its note.
    assert [(a["by"], a["action"], a["summary"]) for a in data["attestations"]] == [
        ("ana.admin", "attest", "Attested: The Okta org has a Developer or Enterprise licence (done in the test)"),
        ("ana.admin", "attest", "Attested: The account's password is stored in the team's password manager "
                                "(done in the test)"),
        ("ana.admin", "attest", "Attested: The Okta instance appears in the Defender table as enabled "
                                "(done in the test)")]
    [handoff] = data["handoffs"]
    assert (handoff["by"], handoff["summary"], handoff["note"]) == ("ana.admin", "Handed off to the help-desk queue",
                                                                   NOTE)
    # The events follow, as before.
    assert data["events"] and data["events"][0]["action"] == "onboarding_create"


def test_the_json_export_names_what_it_holds(done: tuple[Wizard, uuid.UUID]) -> None:
    """The link read "events (JSON)", though the file is the record with its events."""
    w, oid = done
    web = _auditor(w)
    link = f'/onboardings/{oid}/events.json">record and events (JSON)</a>'
    assert link in web.get(f"/onboardings/{oid}/report").text
    assert link in web.get(f"/onboardings/{oid}").text


CANARY_ADMIN_TOKEN = "00CanaryRecordAdminTokenQ7w2Lm9Pz4Xc"
CANARY_SERVICE_TOKEN = "00CanaryRecordServiceTokenHd8Kf3Jn5V"
CANARY_CLIENT_SECRET = "CanaryRecordClientSecret-Ue4Wo7Za2Mb9Ng5Pc3Tq8Lr6Yd1Hs0Jf"


def test_the_json_record_holds_no_secret(w: Wizard, sandbox_org: SandboxOrg, settings: Settings) -> None:
    """A Drata onboarding handles them all: the connection's admin token, the service account's
    activation link and token, the app's client secret (sealed for the vendor step, then
    destroyed) and the operators' passwords. Neither the record nor its events hold any; the
    service token, pasted by mistake into a hand-off note, is masked there too."""
    demo = sandbox_org.demo
    assert demo is not None
    app = sandbox_org.apps[demo.drata_app_id]
    app.secrets = [replace(app.secrets[0], value=CANARY_CLIENT_SECRET)]
    admin_token = sandbox_org.issue_api_token(demo.admin_user_id, "canary", value=CANARY_ADMIN_TOKEN)
    oid = w.start(drata.VENDOR, w.connect(admin_token), app_users=drata.PEOPLE, app_groups=["Drata Users"],
                  custom_attributes=True, group_label="Engineering")
    svc = w.to_the_token(oid)
    activation = [token for token, user in sandbox_org.activation_tokens.items() if user == svc]
    assert activation  # the link the wizard kept for the account's person
    sandbox_org.complete_activation(svc)
    w.paste_token(oid, sandbox_org.issue_api_token(svc, "Drata", value=CANARY_SERVICE_TOKEN))
    assert w.verify(oid).state == "succeeded"
    w.attest_all(oid)
    assert w.verify(oid).state == "succeeded"
    assert w.onboarding(oid).status == "completed"

    async def careless_handoff() -> None:
        async with w.state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            await hand_off(session, onboarding, HandoffRequest(
                to=QUEUE, note=f"The token is {CANARY_SERVICE_TOKEN}, it is in Drata now."), w.actor)

    w.run(careless_handoff)
    add_operator(settings, "aud", "auditor")
    body = _auditor(w).get(f"/onboardings/{oid}/events.json").text
    data: dict[str, Any] = json.loads(body)
    header = {key: value for key, value in data.items() if key != "events"}
    # The record is there to be searched: the app by its client id, the values, the note.
    assert any(a["object_id"] == demo.drata_client_id for a in header["actions"]), header["actions"]
    assert {v["given"] for v in header["values_given"]} >= {"Engineering", "Drata Users"}
    assert header["handoffs"][0]["note"].startswith("The token is ") and "it is in Drata now" in \
        header["handoffs"][0]["note"]
    secrets = [CANARY_ADMIN_TOKEN, CANARY_SERVICE_TOKEN, CANARY_CLIENT_SECRET, PASSWORD, *activation]
    assert_no_canary(secrets, {"the JSON record": json.dumps(header), "the JSON export": body})
