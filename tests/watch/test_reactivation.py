"""QA walk 10, M3: the watch's remedies were generic where the vendor's document is specific, and
the remedy of a deactivated service account relied on Okta's activation e-mail, which an account the
wizard made without one may never receive; the wizard offered no new activation link.

Now the onboarding's page offers, to whoever may act on it, to reactivate the account through Okta
without e-mail and shows the new activation link once (never kept, logged or audited); the remedy
says so, and the token remedies name where the vendor's document says the token goes."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.audit import Actor
from app.common.validation import ValidationFailed
from app.engine.checks.library import NEW_TOKEN, new_token
from app.engine.kinds import KINDS
from app.onboardings import reactivation
from app.playbooks.loader import load_file
from app.settings import Settings
from app.store.models import AuditEvent, OnboardingSecret, Operator
from okta_sandbox import SandboxOrg
from okta_sandbox.domain import tokens as tokens_domain
from okta_sandbox.domain import users as users_domain
from okta_sandbox.entities import User
from tests.page_journeys import Journey
from tests.support import PASSWORD, add_operator
from tests.watch.test_notifications import Mailbox, _deliver, _settings_form, mailbox
from tests.watch.test_watch import DAY, _audit, _open_alerts, _rows, _tick
from tests.watch.test_watch import _deactivated as deactivated

__all__ = ["mailbox"]  # the fixture, used by name

LINK_FORM = "/service-account/activation-link"
VENDORS = Path(__file__).resolve().parents[2] / "app" / "playbooks" / "vendors"


def _words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _mail_channel(j: Journey, port: int) -> None:
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)


def _body(message: Any) -> str:
    return " ".join(message.get_payload(decode=True).decode().split())


def _deactivated(j: Journey, sandbox_org: SandboxOrg) -> tuple[uuid.UUID, User]:
    oid, _token, user = deactivated(j, sandbox_org)
    return oid, user


def _link(response: Any) -> str:
    [link] = re.findall(r'<code class="secret-value" id="revealed-value"[^>]*>([^<]+)</code>', response.text)
    return html.unescape(link)


def test_the_owner_gets_a_new_activation_link_without_email_then_replaces_the_token(
        j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    box, port = mailbox
    _mail_channel(j, port)
    oid, user = _deactivated(j, sandbox_org)
    url = f"/onboardings/{oid}"

    # The alert's e-mail names the button, not an e-mail the account may never get, and the vendor's place.
    assert _deliver(j) == 1
    body = _body(box.messages[0])
    assert "Press “Reactivate the service account” on this onboarding's page: the wizard reactivates it in Okta " \
           "without sending e-mail and shows you its new activation link once." in body, body
    assert "activation e-mail" not in body and "activation email" not in body
    assert "paste it on the token step and give it to the vendor: in the Microsoft Defender Portal, Settings > " \
           "Identities > Okta integration" in body

    page = j.get(url).text
    assert "Reactivate it in Directory > People" not in _words(page)
    form = j.form(page, LINK_FORM, button="Reactivate the service account")
    shown = j.post_form(form, {}, revealed=True)
    assert shown.status_code == 200
    link = _link(shown)
    first = link.rsplit("/", 1)[1]
    # Okta reactivated it without e-mail (it answered the link, which it mails instead otherwise).
    assert sandbox_org.activation_tokens == {first: user.id} and user.status == "PROVISIONED"
    assert len(sandbox_org.events_of("user.lifecycle.activate")) == 2  # its first activation, and this one
    words = _words(shown.text)
    assert f"New activation link of the service account {user.login} (shown once" in words
    assert "Open it in a private browser window as the account: choose its password and enrol its MFA. Then sign " \
           "in to Okta as it, create a new API token, paste it on the token step of this page, and give it to the " \
           "vendor: in the Microsoft Defender Portal, Settings > Identities > Okta integration" in words

    # Never kept, never in the trail or the logs; audited without it.
    [event] = _audit(j, "service_account_reactivate")
    assert event.summary == (f"Service account {user.login} (deactivated) given a new activation link in Okta, "
                             "without e-mail; the link was shown once to the person who asked, and not kept")
    assert event.actor_name == "ana.admin" and event.subject_id == user.id
    for row in _rows(j, select(AuditEvent)):
        assert first not in f"{row.summary} {row.details}"
    assert not [s for s in _rows(j, select(OnboardingSecret)) if s.purpose == "reactivation_link"]
    assert first not in caplog.text
    # Opened again (a reload, the back button): the page, without the link.
    again = j.get(f"{url}{LINK_FORM}")
    assert first not in again.text and "An activation link is shown only once" in _words(again.text)

    # Lost before it was used: pressed again, Okta makes a new link (reactivate) and the first dies.
    second = j.post_form(j.form(j.get(url).text, LINK_FORM), {}, revealed=True)
    renewed = _link(second).rsplit("/", 1)[1]
    assert renewed != first and sandbox_org.activation_tokens == {renewed: user.id}
    assert sandbox_org.events_of("user.lifecycle.reactivate")
    assert [e.summary.split(" (", 2)[1] for e in _audit(j, "service_account_reactivate")] == [
        "deactivated) given a new activation link in Okta, without e-mail; the link was shown once to the person "
        "who asked, and not kept",
        "waiting for its activation) given a new activation link in Okta, without e-mail; the link was shown once "
        "to the person who asked, and not kept"]
    for shown_page in j.shown:  # every page but the two answers that show a link on purpose
        assert first not in shown_page.text and renewed not in shown_page.text

    # The person behind the account opens it, makes a new token and pastes it: all is well again.
    sandbox_org.complete_activation(user.id)
    value = sandbox_org.issue_api_token(user.id, "Defender")
    pasted = j.submit(j.form(j.get(url).text, "/token"), service_token=value)
    assert "Token verified" in pasted.text, _words(pasted.text)
    j.wait_for_jobs()
    # Until the watch's next check the alert says the new token was pasted, not that the account still
    # waits for its password (QA walk 20, L6); Health says what is left to do.
    said = _words(j.get(url).text)
    assert f"{user.login} was reactivated in Okta by ana.admin on " in said
    assert ": a new API token was pasted since, and the watch's next check, due now, clears this once Okta shows " \
           "the account active." in said and "it waits for its password" not in said
    assert "What to do: Give the vendor the new token, if that is not done yet; nothing else is left to do in Okta." \
        in _words(j.get("/health").text)
    j.submit(j.form(j.get(url).text, "/reverify"))
    j.wait_for_jobs()
    assert _open_alerts(j, oid) == []
    assert not j.forms(j.get(url).text, LINK_FORM)  # the account is active: nothing to offer


def test_only_who_may_act_gets_the_link_and_only_with_the_form(j: Journey, sandbox_org: SandboxOrg,
                                                               settings: Settings) -> None:
    oid, user = _deactivated(j, sandbox_org)
    url = f"/onboardings/{oid}"
    add_operator(settings, "bob", "operator")  # not the owner (ana, an administrator, is)
    add_operator(settings, "audrey", "auditor")
    for name in ("bob", "audrey"):
        j.client.cookies.clear()
        j.sign_in(name, PASSWORD)
        page = j.get(url).text
        assert not j.forms(page, LINK_FORM), name
        csrf = dict(j.form(page, "/sign-out").fields)["csrf_token"]
        refused = j.client.post(f"{url}{LINK_FORM}", data={"csrf_token": csrf})
        assert refused.status_code == 403, (name, refused.status_code)
        assert "secret-value" not in refused.text
    # Another administrator, who may act on it and use its connection: the link signs in as an Okta
    # administrator, so it is the assignee's only, as a kept secret is (security review, L1).
    add_operator(settings, "carl", "admin")
    j.client.cookies.clear()
    j.sign_in("carl", PASSWORD)
    page = j.get(url).text
    assert not j.forms(page, LINK_FORM)
    assert "Only Ana.Admin, to whom this onboarding is assigned, can reveal the new activation link of the " \
        "service account: to reveal it yourself, hand the onboarding to yourself (Hand off, below)." in _words(page)
    csrf = dict(j.form(page, "/sign-out").fields)["csrf_token"]
    refused = j.client.post(f"{url}{LINK_FORM}", data={"csrf_token": csrf, "since": ""})
    assert refused.status_code == 403 and "secret-value" not in refused.text
    assert [e.summary for e in _audit(j, "secret_reveal_refused")] == [
        "Reveal refused: not the operator this onboarding is assigned to"]
    # The owner, without the form's CSRF token: refused too.
    j.client.cookies.clear()
    j.sign_in("ana.admin", "a long enough password")
    assert j.client.post(f"{url}{LINK_FORM}", data={}).status_code == 403
    # Signed out: to the sign-in page.
    j.client.cookies.clear()
    signed_out = j.client.post(f"{url}{LINK_FORM}", data={}, follow_redirects=False)
    # (No cookie of the site sent: told the session ended, with a way to sign in: QA walk 23, L5.)
    assert signed_out.status_code == 401 and "/sign-in?next=" in signed_out.text
    # Nothing happened in Okta, and nothing was recorded as done.
    assert user.status == "DEPROVISIONED" and not sandbox_org.activation_tokens
    assert _audit(j, "service_account_reactivate") == []


def test_reactivated_in_the_admin_console_since_nothing_is_changed(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, user = _deactivated(j, sandbox_org)
    page = j.get(f"/onboardings/{oid}").text
    users_domain.activate_user(sandbox_org, user, send_email=True, actor=None)
    sandbox_org.complete_activation(user.id)  # its person used Okta's e-mail after all
    answer = j.post_form(j.form(page, LINK_FORM), {})
    assert f"{user.login} is ACTIVE in Okta now, not deactivated: nothing was changed. Re-verify" in _words(
        answer.text)
    assert "secret-value" not in answer.text and user.status == "ACTIVE"
    assert len(sandbox_org.events_of("user.lifecycle.reactivate")) == 0


def test_a_token_remedy_names_where_the_vendors_document_says_the_token_goes(
        j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    _mail_channel(j, port)
    assert j.org.demo is not None
    oid = j.start("drata", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "choose_group", group_label="Engineering")
    j.save_values(oid, "assign_app", app_users="ada.lovelace0@acme.example", app_groups="Drata Users")
    made: list[str] = []

    def token(account: str) -> str:
        made.append(account)
        return sandbox_org.issue_api_token(account, "Drata")

    j.complete(oid, service_token=token)
    _tick(j)
    tokens_domain.revoke_user_tokens(sandbox_org, made[-1], actor=None)
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _deliver(j) == 1
    place = ("Sign in to Okta as the service account, create a new API token, paste it on this onboarding's page, "
             "and give it to the vendor: in Drata, go to Connections > Identity Providers > Okta and paste it as "
             "the API Key.")
    assert f"What to do: {place}" in _body(box.messages[0])
    assert place in _words(j.get(f"/onboardings/{oid}").text)
    assert place in _words(j.get("/health").text)


# The document's own words each playbook's place quotes, copied from the vendor documents (not in this
# tree: ../shared/vendor-docs/), as "Manage your connector" of Sentinel's, "Connect Okta to Defender for
# Identity" of Defender's, Oort's last steps and "Complete the connection in Drata" say them.
QUOTED = {
    "sentinel-unified-connector": ["My Connectors tab", "select Manage from the connector side panel", "API key",
                                   "Authorization prefix"],
    "oort": ["On the Integrations page, click the three dots menu on the right side of the",
             "Okta integration tile", "select Edit settings for the Okta integration", "Okta API token",
             "Test Connectivity"],
    "drata": ["In Drata, go to Connections > Identity Providers > Okta", "API Key"],
    "defender-for-identity": ["Microsoft Defender Portal", "Settings > Identities > Okta integration"],
}


@pytest.mark.parametrize("key", sorted(QUOTED))
def test_each_place_quotes_its_document(key: str) -> None:
    place = " ".join((load_file(VENDORS / f"{key}.yaml", KINDS).token_place or "").split())
    for words in QUOTED[key]:
        assert words.casefold() in place.casefold(), (key, words)


def test_a_playbook_without_a_place_keeps_the_generic_words() -> None:
    assert load_file(VENDORS / "authomize.yaml", KINDS).token_place is None  # it has no service account token
    assert new_token("") == NEW_TOKEN == ("Sign in to Okta as the service account, create a new API token, paste it "
                                          "on this onboarding's page, and give it to the vendor.")


def test_two_presses_at_once_ask_okta_once(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Two presses of Reactivate at the same moment (two tabs, two people) both reached Okta: the
    second link voided the first as it was shown (QA walk 14). One asks Okta; the other is refused
    before any call, saying who is asking, and the link shown stays good."""
    oid, user = _deactivated(j, sandbox_org)
    ana = j.run(lambda: _operator(j, "ana.admin"))
    bob = Actor(id=None, name="bob.helpdesk")

    async def both() -> list[object]:
        engine = j.state.engine
        return list(await asyncio.gather(reactivation.new_activation_link(engine, oid, Actor(ana.id, ana.username), ""),
                                         reactivation.new_activation_link(engine, oid, bob, ""),
                                         return_exceptions=True))

    first, second = j.run(both)
    [shown] = [answer for answer in (first, second) if isinstance(answer, tuple)]
    [refused] = [answer for answer in (first, second) if isinstance(answer, ValidationFailed)]
    assert refused.message.endswith("pressed this button a moment ago, and the wizard is asking Okta for that new "
                                    "activation link now. Nothing more was asked of Okta, so the link shown to them "
                                    "stays good. Reload this page in a moment to see it given."), refused.message
    # Okta was asked once, and the link shown is the one it holds.
    assert len(sandbox_org.events_of("user.lifecycle.activate")) == 2  # its first activation, and this one
    assert not sandbox_org.events_of("user.lifecycle.reactivate")
    token = shown[1].reveal().rsplit("/", 1)[1]
    assert sandbox_org.activation_tokens == {token: user.id}
    assert len(_audit(j, "service_account_reactivate")) == 1
    # Done, the claim is let go: a press from the page drawn now gets a new link, as it should.
    page = j.get(f"/onboardings/{oid}").text
    again = j.post_form(j.form(page, LINK_FORM), {}, revealed=True)
    assert again.status_code == 200 and _link(again).rsplit("/", 1)[1] != token


def test_a_press_refused_by_okta_lets_the_next_one_ask(j: Journey, sandbox_org: SandboxOrg) -> None:
    """A press Okta did not answer leaves no claim behind: the next press asks Okta again."""
    oid, user = _deactivated(j, sandbox_org)
    url = f"/onboardings/{oid}"
    sandbox_org.faults.add("server_error", method="POST", path=f"/api/v1/users/{user.id}/lifecycle/activate",
                           times=None)
    failed = j.post_form(j.form(j.get(url).text, LINK_FORM), {}, revealed=True)
    assert "Okta did not reactivate the service account" in _words(failed.text)
    sandbox_org.faults.clear()
    shown = j.post_form(j.form(j.get(url).text, LINK_FORM), {}, revealed=True)
    assert shown.status_code == 200 and sandbox_org.activation_tokens == {_link(shown).rsplit("/", 1)[1]: user.id}


async def _operator(j: Journey, username: str) -> Operator:
    async with j.state.db.sessions() as session:
        return (await session.execute(select(Operator).where(Operator.username == username))).scalar_one()
