"""Handing an onboarding to a colleague or the help-desk queue: the note, the summary, who may act,
who may reveal kept secrets, when a stored credential may be reused, and closing."""

from __future__ import annotations

import html
import re
import uuid
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select, update

from app.onboardings import handoffs
from app.settings import Settings
from app.store.models import AuditEvent, Handoff, OktaConnection, Onboarding, OnboardingSecret, SealedSecret
from okta_sandbox import SandboxOrg
from tests.harness import Wizard
from tests.page_journeys import pdf_text
from tests.support import Web, add_operator

VENDOR = "defender-for-identity"


@pytest.fixture
def people(settings: Settings) -> dict[str, Any]:
    return {name: add_operator(settings, name, role) for name, role in
            (("amy", "operator"), ("bob", "operator"), ("cat", "operator"), ("aud", "auditor"))}


def _started_by(w: Wizard, web: Web, who: str) -> uuid.UUID:
    connection = w.connect()
    web.sign_in(who)
    response = web.post("/onboardings", {"vendor": VENDOR, "connection": str(connection)}, page="/onboardings/new")
    assert response.status_code == 303, response.text
    return uuid.UUID(re.search(r"/onboardings/([0-9a-f-]{36})", response.headers["location"]).group(1))  # type: ignore[union-attr]


def _onboarding(w: Wizard, oid: uuid.UUID) -> Onboarding:
    return w.onboarding(oid)


def _events(w: Wizard, oid: uuid.UUID, action: str) -> list[AuditEvent]:
    async def get() -> list[AuditEvent]:
        async with w.state.db.sessions() as session:
            return list((await session.execute(select(AuditEvent).where(
                AuditEvent.onboarding_id == oid, AuditEvent.action == action))).scalars())

    return w.run(get)


class TestHandOff:
    def test_hand_off_to_a_colleague_with_a_note(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = _started_by(w, web, "amy")
        page = f"/onboardings/{oid}"
        response = web.post(f"{page}/handoff", {"to": str(people["bob"].id),
                                                "note": "Plan applied; waiting for the token of the account."},
                            page=page)
        assert response.status_code == 303
        assert _onboarding(w, oid).assignee_id == people["bob"].id
        [event] = _events(w, oid, "handoff")
        assert event.actor_name == "amy" and "Bob" in event.summary
        # Amy can read but no longer act.
        assert web.post(f"{page}/plan", page=page).status_code == 403
        web.sign_out()
        web.sign_in("bob")
        mine = web.get("/?view=mine").text
        assert f"/onboardings/{oid}" in mine
        banner = web.get(page).text
        assert "Handed to you by Amy" in banner and "waiting for the token of the account" in banner
        summary = web.get(f"{page}/summary").text
        assert "Plan applied; waiting for the token" in summary and "Still to do" in summary
        assert web.post(f"{page}/summary/read", page=f"{page}/summary").status_code == 303
        assert "Handed to you by" not in web.get(page).text
        assert _events(w, oid, "handoff_read")

    def test_the_note_is_required_and_the_target_checked(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = _started_by(w, web, "amy")
        page = f"/onboardings/{oid}"
        response = web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": ""}, page=page)
        assert response.status_code == 400
        assert "Write what is done and what is waiting" in response.text
        response = web.post(f"{page}/handoff", {"to": str(people["aud"].id), "note": "Please finish this one"},
                            page=page)
        assert response.status_code == 400
        assert "Choose an active operator or administrator" in response.text
        assert _onboarding(w, oid).assignee_id == people["amy"].id
        # The note written stays on the refused form (it was lost with the refusal), markup as text.
        assert '<textarea id="note" name="note" rows="3" maxlength="4000" required>Please finish this one</textarea>' \
            in response.text
        response = web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": "done <b>"}, page=page)
        assert response.status_code == 400  # too short to start from
        assert 'required>done &lt;b&gt;</textarea>' in response.text
        assert f'<option value="{people["bob"].id}" selected>' in response.text

    def test_queue_then_take(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = _started_by(w, web, "amy")
        page = f"/onboardings/{oid}"
        web.post(f"{page}/handoff", {"to": "queue", "note": "Anyone: the vendor console step is left."}, page=page)
        assert _onboarding(w, oid).assignee_id is None
        web.sign_out()
        web.sign_in("cat")
        # Cat's own list is empty, and says the queue holds work (it said only "Nothing assigned to you").
        mine = " ".join(web.get("/").text.split())
        assert "Nothing assigned to you" in mine
        assert "The help-desk queue holds 1 onboarding</strong> waiting to be taken" in mine
        queue = web.get("/?view=queue").text
        assert f"/onboardings/{oid}" in queue
        queued = web.get(page).text
        assert "in the help-desk queue" in queued
        # Its header says whose it is as the queue's list does (it read "owner —": QA walk 11, L7).
        assert re.search(r'data-label="Owner">Help-desk queue\s*<br><span class="hint queue-handed">handed there by '
                         r'Amy [^“]*“Anyone: the vendor console step is left\.”', queue)
        assert "· owner: Help-desk queue\n" in queued and "owner —" not in queued
        # The card says how to do its step: take it (it said "The person it is assigned to does this").
        assert "Take it from the help-desk queue (above) to do this." in queued
        assert web.post(f"{page}/plan", page=page).status_code == 403
        response = web.post(f"{page}/take", page=page)
        assert response.status_code == 303 and response.headers["location"].endswith("/summary")
        assert _onboarding(w, oid).assignee_id == people["cat"].id
        assert "· owner: Cat\n" in web.get(page).text
        assert f"/onboardings/{oid}" not in web.get("/?view=queue").text
        # The banner says who took it (it still read "Handed to the help-desk queue" to the end), for
        # the taker only.
        assert re.search(r"to the help-desk queue by Amy</strong> <time[^>]*>[^<]*</time>, taken by you: “Anyone",
                         web.get(page).text)
        web.sign_out()
        web.sign_in("amy")
        assert "Handed to the help-desk queue by" not in web.get(page).text

    def test_an_auditor_can_read_but_not_take(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = _started_by(w, web, "amy")
        web.post(f"/onboardings/{oid}/handoff", {"to": "queue", "note": "For whoever is free next."},
                 page=f"/onboardings/{oid}")
        web.sign_out()
        web.sign_in("aud")
        assert web.get(f"/onboardings/{oid}").status_code == 200
        assert web.get(f"/onboardings/{oid}/summary").status_code == 200
        assert web.post(f"/onboardings/{oid}/take", page=f"/onboardings/{oid}").status_code == 403


class TestSecretsAndCredentials:
    def _to_token_step(self, w: Wizard, web: Web, who: str) -> uuid.UUID:
        oid = _started_by(w, web, who)
        page = f"/onboardings/{oid}"
        assert web.post(f"{page}/plan", page=page).status_code == 303
        plan = re.search(r"/plans/([0-9a-f-]{36})/confirm", web.get(page).text).group(1)  # type: ignore[union-attr]
        assert web.post(f"{page}/plans/{plan}/confirm", page=page).status_code == 303
        w.run(lambda: w.state.jobs.wait_idle(60))
        return oid

    def test_only_the_assignee_reveals_and_each_reveal_is_audited(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = self._to_token_step(w, web, "amy")
        page = f"/onboardings/{oid}"
        first = web.post(f"{page}/secrets/activation_link", page=page)
        assert first.status_code == 200 and "/welcome/" in first.text
        second = web.post(f"{page}/secrets/activation_link", page=page)
        assert "revealed 2 times" in second.text
        assert len(_events(w, oid, "secret_reveal")) == 2
        web.sign_out()
        web.sign_in("ana.admin", "correct horse battery staple")
        refused = web.post(f"{page}/secrets/activation_link", page=page)
        assert refused.status_code == 403
        assert "/welcome/" not in refused.text

    def test_closing_destroys_kept_secrets(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = self._to_token_step(w, web, "amy")
        page = f"/onboardings/{oid}"
        assert web.post(f"{page}/close", {"reason": ""}, page=page).status_code == 400
        assert web.post(f"{page}/close", {"reason": "Vendor contract cancelled"}, page=page).status_code == 303
        onboarding = _onboarding(w, oid)
        assert onboarding.status == "closed" and "Vendor contract cancelled" in (onboarding.status_note or "")

        async def kept() -> list[tuple[OnboardingSecret, SealedSecret]]:
            async with w.state.db.sessions() as session:
                rows = await session.execute(select(OnboardingSecret, SealedSecret).join(
                    SealedSecret, SealedSecret.id == OnboardingSecret.secret_id).where(
                    OnboardingSecret.onboarding_id == oid))
                return [tuple(r) for r in rows.all()]  # type: ignore[misc]

        rows = w.run(kept)
        assert rows and all(o.destroyed_at and s.ciphertext == b"" for o, s in rows)
        # The page says what closing destroyed, counted (it said "its kept secrets were destroyed" even
        # of an onboarding that kept none).
        told = " ".join(unescape(re.sub(r"<[^>]+>", " ", web.get(page).text)).split())
        assert f"Onboarding closed; {len(rows)} kept secret{'s' if len(rows) > 1 else ''} destroyed." in told
        assert web.post(f"{page}/secrets/activation_link", page=page).status_code in (303, 403)

    def test_a_credential_that_may_not_be_reused_asks_for_ones_own(self, w: Wizard, people: dict[str, Any]) -> None:
        web = Web(w.client)
        oid = _started_by(w, web, "amy")
        page = f"/onboardings/{oid}"

        async def forbid() -> None:
            async with w.state.db.session() as session:
                await session.execute(update(OktaConnection).values(shareable=False))

        w.run(forbid)
        web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": "Over to you, Bob: plan next."}, page=page)
        web.sign_out()
        web.sign_in("bob")
        # The card asks for his own connection; it offered "Make the plan", refused (QA walk 24, M4).
        card = web.get(page).text.split('id="next-step"', 1)[1].split("</section>", 1)[0]
        assert "Continue with your own Okta connection" in card and "belongs to Ana.Admin, who keeps it" in card, card
        assert "/plan" not in card and "No other connection to this org is yours to use" in card
        refused = web.post(f"{page}/plan", page=page)  # from a page drawn before
        assert refused.status_code == 403 and "belongs to someone else" in refused.text
        assert f'href="http://testserver/onboardings/{oid}">Back to the onboarding</a>' in refused.text
        # Bob adds his own connection to the same org and switches to it.
        assert w.org.demo is not None
        web.post("/connections", {"org_url": w.org.base_url, "api_token": w.org.demo.admin_token, "label": "Bob's"},
                 page="/connections")

        async def bobs() -> uuid.UUID:
            async with w.state.db.sessions() as session:
                return (await session.execute(select(OktaConnection.id).where(
                    OktaConnection.created_by_id == people["bob"].id))).scalar_one()

        bob_connection = w.run(bobs)
        assert web.post(f"{page}/connection", {"connection": str(bob_connection)}, page=page).status_code == 303
        assert web.post(f"{page}/plan", page=page).status_code == 303


def test_handoffs_are_listed_in_order(w: Wizard, people: dict[str, Any]) -> None:
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    web.post(f"{page}/handoff", {"to": str(people["bob"].id), "note": "First handoff note here."}, page=page)
    web.sign_out()
    web.sign_in("bob")
    web.post(f"{page}/handoff", {"to": str(people["cat"].id), "note": "Second handoff note here."}, page=page)

    async def get() -> list[Handoff]:
        async with w.state.db.sessions() as session:
            return list((await session.execute(select(Handoff).where(Handoff.onboarding_id == oid)
                                                .order_by(Handoff.created_at))).scalars())

    notes = [h.note for h in w.run(get)]
    assert notes == ["First handoff note here.", "Second handoff note here."]
    summary = web.get(f"{page}/summary").text
    assert summary.index("First handoff note") < summary.index("Second handoff note")


def test_the_audit_report_carries_the_handoff_note(w: Wizard, people: dict[str, Any]) -> None:
    """The note says why it was handed over ("I attested 4.2 by mistake"): the report and its PDF
    gave only "Handed off to the help-desk queue", the note only in the events' JSON (QA)."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    note = "Plan applied; I attested step 4.2 by mistake, please check it with Oort."
    assert web.post(f"{page}/handoff", {"to": "queue", "note": note}, page=page).status_code == 303
    web.sign_in("aud")
    report = " ".join(unescape(web.get(f"{page}/report").text).split())
    assert f"Handed off to the help-desk queue Note: “{note}”" in " ".join(re.sub(r"<[^>]+>", " ", report).split())
    pdf = pdf_text(web.get(f"{page}/report.pdf").content)
    assert f"Note: “{note}”" in pdf, pdf


def test_handing_over_after_the_token_says_the_wizard_does_not_keep_it(
        w: Wizard, people: dict[str, Any], sandbox_org: SandboxOrg) -> None:
    """The token a person copied is pasted later in the vendor's console (Defender's step 4-6); the
    wizard never keeps it. Handed over after it was verified, the colleague could not finish, and
    neither the handoff form nor the summary said so (QA)."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    said = "step 4-6 (API token)"
    before = unescape(web.get(page).text)
    assert "does not keep the service account's token" not in before  # no token yet: nobody holds one
    svc = w.to_the_token(oid)
    sandbox_org.complete_activation(svc)
    w.paste_token(oid, sandbox_org.issue_api_token(svc, "Defender"))
    form = unescape(web.get(page).text)
    assert (f"The wizard does not keep the service account's token, and {said} still needs it: say where your "
            "colleague finds it") in form, form
    assert 'aria-describedby="note-token"' in form
    web.post(f"{page}/handoff", {"to": "queue", "note": "Token is in the team vault under MDI."}, page=page)
    web.sign_in("bob")
    summary = unescape(web.get(f"{page}/summary").text)
    assert f"You need the service account's token for {said}: the wizard does not keep it." in summary
    # Once the step after it is attested (Defender shows Okta connected), the token has served there.
    w.apply_ok(oid)  # what waited for the token (removing Super Admin)
    w.attest(oid, "defender_enabled")
    assert handoffs.token_to_pass_on(w.view(oid)) == []



def test_an_auditor_s_lists_are_not_mine_or_the_queue(w: Wizard, people: dict[str, Any]) -> None:
    """An auditor is never assigned and takes nothing: "Mine" and "Help-desk queue" meant nothing (QA)."""
    web = Web(w.client)
    web.sign_in("aud")
    home = web.get("/").text
    assert "?view=all" in home and "?view=completed" in home
    assert "?view=mine" not in home and ">Help-desk queue</a>" not in home


def test_the_summary_does_not_ask_again_for_what_is_done_and_names_the_values(w: Wizard, people: dict[str, Any]
                                                                              ) -> None:
    """Oort, handed over once applied: "Still to do" listed the choice saved, the Super Administrator's
    set-up and "The service account exists" (made by the wizard, never verified yet) as work for the
    taker, and nothing said which setup was chosen (QA walk 3, M2)."""
    oid = w.start("oort", w.connect(), access="read_write")
    w.plan(oid)
    w.apply_ok(oid)
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    summary = web.get(f"/onboardings/{oid}/summary").text
    still = summary.split("Still to do</h2>", 1)[1].split("</ul>", 1)[0]
    assert "The service account exists" not in still and "Choose read-only or read/write" not in still
    confirm = summary.split('<ul class="to-confirm">', 1)[1].split("</ul>", 1)[0]
    # Done as the wizard recorded it, not left to the next verification (QA walk 22, L1).
    assert "The service account exists" not in confirm
    # What the taker does next stays work: the token's steps (a person's), Oort's AWS values (empty,
    # in Oort's console) and the log stream waiting for them (QA walk 4, M1: listed as nothing to do).
    assert "Create an API token" in still and "copy Oort&#39;s AWS values here" in still
    assert "Create an API token" not in confirm and "log stream" not in confirm
    assert still.index("Create an API token") < still.index("copy Oort&#39;s AWS values here")  # document order
    values = summary.split('given-values">', 1)[1].split("</table>", 1)[0]
    assert re.search(r'data-label="Given">[^<]*[Rr]ead/write[^<]*</td>', values), values


def test_disabling_an_owner_says_what_they_leave_behind(w: Wizard, people: dict[str, Any]) -> None:
    """Disabling (or making an auditor of) someone who owns onboardings said only that they were
    disabled: their onboardings waited, still naming them as owner, and nothing led anyone to them."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    web.sign_out()
    assert web.sign_in("ana.admin").status_code == 303
    web.post(f"/operators/{people['amy'].id}/disable", page="/operators")
    assert ("amy is disabled and signed out everywhere. They own 1 open onboarding: it waits in the help-desk queue "
            "for a colleague to take, or hand it on from its page.") in html.unescape(web.get("/operators").text)
    web.post(f"/operators/{people['bob'].id}/disable", page="/operators")
    assert "bob is disabled and signed out everywhere.</" in web.get("/operators").text  # owns none: nothing more
    # Where people look for work: the help-desk queue, naming her as disabled (QA walk 24, M2: it was on
    # no list but its own page), and its page offers to take it.
    queue = html.unescape(web.get("/?view=queue").text)
    assert f"#{str(oid)[:8]}" in queue and "Amy, disabled" in queue, queue
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", web.get(f"/onboardings/{oid}").text)).split())
    assert "Its owner, Amy, is disabled: it waits in the help-desk queue for someone to take it." in page
    web.sign_out()
    web.sign_in("cat")
    assert web.post(f"/onboardings/{oid}/take", page=f"/onboardings/{oid}").status_code == 303
    assert w.onboarding(oid).assignee_id == people["cat"].id
    assert f"#{str(oid)[:8]}" not in web.get("/?view=queue").text


def test_the_summary_asks_only_about_steps_elsewhere_before_where_it_stands(
        w: Wizard, people: dict[str, Any]) -> None:
    """Drata handed to the queue at the token: the summary told the taker to ask whether C1 (Drata's
    Connections page, which needs the token and the app's values) was done, a step that cannot have
    been done yet (QA walk 11, M4). It is still to do, after the token's steps."""
    oid = w.start("drata", w.connect(), app_users=["ada.lovelace0@acme.example"], app_groups=["Drata Users"])
    w.plan(oid)
    w.apply_ok(oid)
    web = Web(w.client)
    page = f"/onboardings/{oid}"
    assert web.sign_in("ana.admin").status_code == 303
    web.post(f"{page}/handoff", {"to": "queue", "note": "Applied; the token and the Drata drawer are left."},
             page=page)
    web.sign_in("cat")
    assert web.post(f"{page}/take", page=page).status_code == 303
    summary = web.get(f"{page}/summary").text
    left = summary.split("Still to do</h2>", 1)[1].split("</section>", 1)[0]
    still = left.split("</ul>", 1)[0]
    assert "Done elsewhere" not in left and "Drata: Connections &gt; Identity Providers &gt; Okta" in still
    assert still.index("Create Token") < still.index("Drata: Connections")  # in the document's order


def test_the_summary_says_which_values_nobody_gave(w: Wizard, people: dict[str, Any]) -> None:
    """"Values given" listed the playbook's defaults, in their boxes but never saved, as values someone
    had given: the taker could not tell what the sender chose from what the wizard proposed (QA walk
    16, L1). A default says so until a person changes it."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")

    def given() -> dict[str, str]:
        summary = web.get(f"/onboardings/{oid}/summary").text
        rows = re.findall(r'data-label="Value">([^<]*)</td><td data-label="Given">([^<]*)</td>',
                          summary.split('given-values">', 1)[1].split("</table>", 1)[0])
        return {html.unescape(label): html.unescape(value) for label, value in rows}

    before = given()
    assert before["Service account username (an email address)"].endswith(
        " (the wizard's default, unchanged)"), before
    page = f"/onboardings/{oid}"
    typed = {"service_account_login": "mdi-svc@acme.example", "service_account_email": "mdi-svc@acme.example",
             "first_name": "Microsoft Defender", "last_name": "for Identity"}
    response = web.post(f"{page}/inputs", {"steps": "create_account", "at": "create_account",
                                            **{f"input_{key}": value for key, value in typed.items()}}, page=page)
    assert response.status_code == 303, response.text
    after = given()
    # Saved: the value typed is the person's now; one sent as the box proposed it stays the wizard's
    # (QA walk 17, L1: the pre-filled boxes read as given beside defaults marked as such).
    assert after["Service account username (an email address)"] == "mdi-svc@acme.example"
    assert after["First name"] == "Microsoft Defender (the wizard's default, unchanged)"
    # Saved all the same: a default made from the connection's owner must not move if a colleague
    # continues with a connection of their own (review); only one made from another value follows it.
    assert w.onboarding(oid).inputs["first_name"] == "Microsoft Defender"
    assert after["Name of the custom role and resource set"].endswith(
        "(the wizard's default, unchanged)")  # another step's, not saved


def test_a_take_on_a_page_drawn_before_a_colleague_took_it_is_refused_and_the_record_says_who_took_it(
        w: Wizard, people: dict[str, Any]) -> None:
    """Bob took an onboarding from the queue; an administrator's Take it, on the page drawn while it
    was queued, moved it from him and nobody was told (QA walk 17, M1). The JSON record listed
    hand-offs but no take, so it could not say who held it (M2)."""
    web = Web(w.client)
    oid = _started_by(w, web, "amy")
    page = f"/onboardings/{oid}"
    web.post(f"{page}/handoff", {"to": "queue", "note": "For whoever is free next."}, page=page)
    web.sign_out()
    web.sign_in("bob")
    assert web.post(f"{page}/take", page=page).status_code == 303
    web.sign_out()
    web.sign_in("ana.admin")
    late = web.post(f"{page}/take", page=page)  # pressed on the page as it was drawn before Bob took it
    assert late.status_code == 403
    assert "Only onboardings in the help-desk queue can be taken: Bob has this one now. To move it, hand it on " \
        "from its page, with a note." in html.unescape(late.text)
    assert _onboarding(w, oid).assignee_id == people["bob"].id
    record = web.get(f"{page}/events.json").json()
    assert [(line["action"], line["summary"]) for line in record["handoffs"]] == [
        ("handoff", "Handed off to the help-desk queue"), ("take", "bob took the onboarding from the help-desk queue")]
