"""Issue 15: alerts go to the channels an administrator sets, a signed webhook (a local HTTP
receiver here) and e-mail (a real SMTP server on loopback, aiosmtpd); a failed delivery is retried
after a restart; the channels' secrets are never in pages, logs, the audit trail or the database."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.store.models import NotificationChannel, SealedSecret
from app.watch.notify import Notifier
from okta_sandbox import SandboxOrg
from tests.canary import assert_no_canary, database_bytes
from tests.page_journeys import Journey
from tests.watch.test_watch import DAY, _drifted, _take_super_admin, _tick

WEBHOOK_SECRET = "canary-webhook-signing-secret-5f1c"
WEBHOOK_PATH = "/services/T000/B000/canary-path-token-9ad2"
SMTP_PASSWORD = "canary-smtp-password-77e0"


class Receiver:
    """An HTTP server on loopback that records each POST and answers with the next status given."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{WEBHOOK_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def mailbox(free_tcp_port: int) -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_tcp_port)
    controller.start()
    try:
        yield box, free_tcp_port
    finally:
        controller.stop()


def _settings_form(j: Journey, action: str, **fields: str) -> Any:
    page = j.get("/settings").text
    return j.submit(j.form(page, action), **fields)


def _add_webhook(j: Journey, url: str) -> None:
    done = _settings_form(j, "/settings/notifications/webhook", webhook_label="Security channel", webhook_url=url,
                          webhook_secret=WEBHOOK_SECRET)
    assert "Alerts now also go to “Security channel”" in done.text, done.text


def _words(page: str) -> str:
    """A page's text as a person reads it: no tags (a word's own tags join it to what follows: a
    time, then its colon), entities read, spaces folded."""
    page = re.sub(r"</?(?:time|span|strong|code|a|wbr)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _deliver(j: Journey) -> int:
    assert j.state.watch is not None
    return j.run(j.state.watch.notifier.deliver_due)


def test_an_alert_and_its_clearing_reach_a_signed_webhook(j: Journey, sandbox_org: SandboxOrg,
                                                         receiver: Receiver) -> None:
    _add_webhook(j, receiver.url)
    settings = j.get("/settings").text
    assert "http://127.0.0.1:" in settings and WEBHOOK_PATH not in settings  # shown as its host only
    oid, token = _drifted(j, sandbox_org)
    assert _deliver(j) == 1
    [sent] = receiver.received
    assert sent["path"] == WEBHOOK_PATH
    body = json.loads(sent["body"])
    assert body["event"] == "alert_raised" and "no Super Admin" in body["text"]
    assert body["text"].startswith("[Alert] Microsoft Defender for Identity on ")
    assert body["onboarding"]["id"] == str(oid)
    expected = hmac.new(WEBHOOK_SECRET.encode(), sent["headers"]["X-Onboard-Timestamp"].encode() + b"." + sent["body"],
                        hashlib.sha256).hexdigest()
    assert sent["headers"]["X-Onboard-Signature"] == f"sha256={expected}"
    assert _deliver(j) == 0  # sent once

    _take_super_admin(sandbox_org, token["account"])
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _deliver(j) == 1
    assert json.loads(receiver.received[1]["body"])["event"] == "alert_cleared"
    assert "delivered" in j.get("/settings").text


def test_an_alert_reaches_the_mailbox(j: Journey, sandbox_org: SandboxOrg, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    refused = _settings_form(j, "/settings/notifications/email", email_label="Okta team",
                             recipients="okta@acme.example", sender="wizard@acme.example",
                             smtp_host="smtp.acme.example", smtp_port=str(port), starttls=None)
    assert refused.status_code == 400 and "Keep STARTTLS on" in refused.text
    assert 'value="okta@acme.example"' in refused.text  # what was typed stays
    assert "SMTP password (optional) If the server asks for one, enter it again: it is never shown back." in \
        _words(refused.text)
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)
    _drifted(j, sandbox_org)
    assert _deliver(j) == 1
    [message] = box.messages
    assert message["To"] == "okta@acme.example" and message["From"] == "wizard@acme.example"
    assert message["Subject"].startswith("[Alert] Microsoft Defender for Identity")
    assert "no Super Admin" in message.get_payload()


def test_a_failed_delivery_is_retried_after_a_restart(j: Journey, sandbox_org: SandboxOrg,
                                                      receiver: Receiver) -> None:
    _add_webhook(j, receiver.url)
    receiver.statuses = [500]
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    page = _words(j.get("/settings").text)
    assert "failing after 1 try: The webhook at 127.0.0.1 answered 500 Internal Server Error: the receiver had an " \
        "error; alerts are tried again later, and its own log says why." in page
    # The server restarts: a new notifier finds the delivery in the database, and tries again once
    # the pause is over (not before). It is set as the server sets it: the receiver on this machine
    # is allowed because the sandbox is enabled (app/main.py).
    restarted = Notifier(j.state.db, j.state.vault, j.clock, loopback_ok=j.state.settings.sandbox)
    assert j.run(restarted.deliver_due) == 0
    j.clock.advance(31)
    assert j.run(restarted.deliver_due) == 1
    assert len(receiver.received) == 2
    assert json.loads(receiver.received[1]["body"])["event"] == "alert_raised"


def test_notification_secrets_are_never_shown_logged_or_stored_in_clear(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _add_webhook(j, receiver.url)
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port="1", starttls=None,
                   smtp_username="wizard", smtp_password=SMTP_PASSWORD)
    receiver.statuses = [500]
    oid, _token = _drifted(j, sandbox_org)
    _deliver(j)  # the webhook answers 500; the SMTP port refuses: both failures are recorded
    pages = j.visit_everything(oid)
    haystacks: dict[str, bytes | str] = {**{k: v.body for k, v in pages.items()}, "logs": caplog.text,
                                         "database": database_bytes(j.state.settings.resolved_database_url)}
    assert_no_canary([WEBHOOK_SECRET, WEBHOOK_PATH, SMTP_PASSWORD], haystacks)
    settings = _words(j.get("/settings").text)
    assert settings.count("failing") == 2
    assert "Could not reach the SMTP server at 127.0.0.1:1: the server refused the connection; check the port, and " \
        "that the SMTP server is running." in settings


def test_a_removed_channel_gets_nothing_more_and_its_secret_is_destroyed(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> None:
    _add_webhook(j, receiver.url)
    page = j.get("/settings").text
    [remove] = j.forms(page, "/remove", button="Remove Security channel")
    done = j.submit(remove)
    assert "removed: alerts no longer go there, and its secret is destroyed" in done.text.replace("&#39;", "'")
    assert "No channel yet" in done.text

    async def sealed() -> list[Any]:
        async with j.state.db.sessions() as session:
            return list((await session.execute(select(SealedSecret.destroyed_at).where(
                SealedSecret.purpose == "notification_secret"))).scalars())
    assert all(when is not None for when in j.run(sealed))
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0 and receiver.received == []


def test_a_finding_on_several_lines_still_makes_one_subject_line(j: Journey, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    channel = NotificationChannel(kind="email", label="Okta team", target="okta@acme.example",
                                  settings={"host": "127.0.0.1", "port": port, "sender": "wizard@acme.example",
                                            "starttls": False, "username": ""})
    payload = {"text": "[Alert] Oort on acme: the stream\nstopped", "onboarding": {"id": "x", "vendor": "Oort",
                                                                                  "org": "acme"}}
    notifier = Notifier(j.state.db, j.state.vault, j.clock, loopback_ok=True)  # as with the sandbox
    j.run(lambda: notifier._email(channel, payload, {}, notifier.now()))
    [message] = box.messages
    assert message["Subject"] == "[Alert] Oort on acme: the stream stopped"


_EMAIL_WORD = re.compile(r"(?<![\w.@/-])email(?![\w@./-])", re.I)


def test_the_notification_pages_write_e_mail(j: Journey, sandbox_org: SandboxOrg,
                                             mailbox: tuple[Mailbox, int]) -> None:
    """QA L8: the pages say "e-mail", and the trail said "Notifications: email 'Okta team' … added"."""
    _box, port = mailbox
    _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None)
    _settings_form(j, "/settings/notifications/email", email_label="Old relay", recipients="okta@acme.example",
                   sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port="1", starttls=None)
    j.submit(j.form(j.get("/settings").text, "/test", button="Send a test message to Old relay"))
    j.submit(j.forms(j.get("/settings").text, "/remove", button="Remove Old relay")[0])
    oid, _token = _drifted(j, sandbox_org)
    _deliver(j)
    trail = _words(j.get("/audit?action=Notifications").text)
    assert "Notifications: e-mail “Okta team” to okta@acme.example added" in trail
    assert "Notifications: e-mail “Old relay” removed (its secret destroyed)" in trail
    told = re.search(r'<p class="hint watch-told">(.*?)</p>', j.get(f"/onboardings/{oid}").text, re.S)
    assert told and "Okta team (e-mail)" in _words(told.group(1))
    for url in ("/settings", "/health", "/operators", "/audit?action=Notifications"):
        words = _words(j.get(url).text)
        assert not _EMAIL_WORD.search(words), (url, _EMAIL_WORD.findall(words),
                                               [words[max(m.start() - 60, 0):m.end() + 20]
                                                for m in _EMAIL_WORD.finditer(words)])
