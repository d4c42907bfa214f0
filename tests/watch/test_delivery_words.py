"""QA walk 13, M3: a delivery that fails says why in words an administrator acts on (which server,
by its host and port, what went wrong, what to check), not a Python exception ("ConnectError: All
connection attempts failed", "gaierror: [Errno -2] …"); and those words, kept on the delivery and
shown on Settings, never carry a secret or a webhook's path. Each case fails for real: a closed
port, a name that does not resolve, a receiver that answers 404, a self-signed certificate, a
server that never answers, and an SMTP server that refuses the password or a recipient."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app.store.models import NotificationChannel, NotificationDelivery
from okta_sandbox import SandboxOrg
from tests.canary import assert_no_canary, database_bytes
from tests.page_journeys import Journey
from tests.watch.test_notifications import (
    WEBHOOK_PATH,
    Mailbox,
    Receiver,
    _add_webhook,
    _deliver,
    _settings_form,
    _words,
    receiver,
)
from tests.watch.test_watch import _drifted

__all__ = ["receiver"]

RAW = ("ConnectError", "gaierror", "Errno", "All connection attempts failed", "Traceback", "RuntimeError",
       "SMTPAuthenticationError", "SMTPRecipientsRefused", "SSLCertVerificationError")
SMTP_PASSWORD = "canary-smtp-password-41c9"


def _errors(j: Journey) -> list[str]:
    async def go() -> list[str]:
        async with j.state.db.sessions() as session:
            # In the order the channels were added: deliveries queued at one moment tie on created_at.
            return [error or "" for error in (await session.execute(
                select(NotificationDelivery.last_error).join(NotificationChannel,
                                                             NotificationChannel.id == NotificationDelivery.channel_id)
                .order_by(NotificationDelivery.created_at, NotificationChannel.created_at)))
                    .scalars()]
    return j.run(go)


def _email(j: Journey, label: str, host: str, port: int, *, recipients: str = "okta@acme.example",
           username: str = "", password: str = "") -> None:
    done = _settings_form(j, "/settings/notifications/email", email_label=label, recipients=recipients,
                          sender="wizard@acme.example", smtp_host=host, smtp_port=str(port),
                          starttls="on" if host != "127.0.0.1" else None, smtp_username=username,
                          smtp_password=password)
    assert f"Alerts now also go to “{label}”" in _words(done.text), _words(done.text)


def _assert_no_raw_words(page: str) -> None:
    for raw in RAW:
        assert raw not in page, raw


def test_network_failures_read_as_what_to_check(j: Journey, sandbox_org: SandboxOrg, free_tcp_port: int,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """A webhook at a closed port, a webhook and an SMTP server whose names do not resolve."""
    caplog.set_level(logging.DEBUG)
    _add_webhook(j, f"http://127.0.0.1:{free_tcp_port}{WEBHOOK_PATH}")
    hook = _settings_form(j, "/settings/notifications/webhook", webhook_label="Slack", webhook_secret="x" * 20,
                          webhook_url=f"https://hooks.no-such-host.invalid{WEBHOOK_PATH}?token=canary-query-7d1")
    # Added, and said to reach nothing yet (it read as a plain success: QA walk 24, L3).
    assert "“Slack” was added, but hooks.no-such-host.invalid does not resolve to an address" in _words(hook.text)
    mail = _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients="okta@acme.example",
                          sender="wizard@acme.example", smtp_host="smtp.no-such-host.invalid", smtp_port="587",
                          starttls="on")
    assert "“Okta team” was added, but smtp.no-such-host.invalid does not resolve" in _words(mail.text)
    oid, _token = _drifted(j, sandbox_org)
    assert _deliver(j) == 0

    assert _errors(j) == [
        f"Could not reach the webhook's receiver at 127.0.0.1:{free_tcp_port}: the server refused the connection; "
        "check the port, and that the webhook's receiver is running.",
        "Could not reach the webhook's receiver at hooks.no-such-host.invalid:443: the address does not resolve "
        "(DNS); check the name.",
        "Could not reach the SMTP server at smtp.no-such-host.invalid:587: the address does not resolve (DNS); "
        "check the name."]
    page = _words(j.get("/settings").text)
    for error in _errors(j):
        assert f"failing after 1 try: {error}" in page
    _assert_no_raw_words(page)
    pages = j.visit_everything(oid)
    assert_no_canary([WEBHOOK_PATH, "canary-query-7d1"],
                     {**{k: v.body for k, v in pages.items()}, "logs": caplog.text,
                      "database": database_bytes(j.state.settings.resolved_database_url)})


def test_mail_is_never_sent_to_the_local_link(j: Journey, sandbox_org: SandboxOrg) -> None:
    """The SMTP server could be a link-local address (a cloud's metadata service answers there), and
    "Send a test message" told an open port from a closed one there (security probe, L1): refused
    before any connection, as a webhook is; and on its form, where it was saved (QA walk 18, M3)."""
    refused = _settings_form(j, "/settings/notifications/email", email_label="Metadata", recipients="okta@acme.example",
                             sender="wizard@acme.example", smtp_host="169.254.169.254", smtp_port="80",
                             starttls="on")
    assert refused.status_code == 400 and "The e-mail channel was not added." in _words(refused.text)
    assert "169.254.169.254 is an address on this machine's local link" in _words(refused.text)
    # A name that pointed elsewhere when it was added, and at the metadata service now: not sent.
    table = {"mail.acme.example": ["93.184.216.34"]}

    async def resolve(host: str, _port: int = 25) -> list[str]:
        return table.get(host, [host])
    assert j.state.watch is not None
    j.state.watch.notifier.resolver = resolve
    _email(j, "Metadata", "mail.acme.example", 80)
    table["mail.acme.example"] = ["169.254.169.254"]
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    assert _errors(j) == ["Not sent: mail.acme.example resolves to 169.254.169.254, an address on this machine's "
                          "local link (where a cloud's metadata service answers with the server's own credentials); it "
                          "is always refused."]


def test_a_webhook_that_answers_404_says_its_address_is_not_known_there(
        j: Journey, sandbox_org: SandboxOrg, receiver: Receiver) -> None:
    _add_webhook(j, receiver.url)
    receiver.statuses = [404]
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    page = _words(j.get("/settings").text)
    assert "failing after 1 try: The webhook at 127.0.0.1 answered 404 Not Found: it does not know this address " \
           "(a removed Slack webhook answers so); check the URL." in page
    assert WEBHOOK_PATH not in page


class _Refusing:
    """An SMTP server that refuses the password, or one recipient."""

    def __init__(self) -> None:
        self.box = Mailbox()

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return await self.box.handle_DATA(server, session, envelope)


@pytest.fixture
def refusing_smtp(free_tcp_port: int) -> Iterator[int]:
    def authenticator(*_args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    controller = Controller(_Refusing(), hostname="127.0.0.1", port=free_tcp_port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield free_tcp_port
    finally:
        controller.stop()


def test_an_smtp_server_refusing_the_password_or_a_recipient_says_which(
        j: Journey, sandbox_org: SandboxOrg, refusing_smtp: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _email(j, "Signed in", "127.0.0.1", refusing_smtp, username="wizard", password=SMTP_PASSWORD)
    _email(j, "Gone", "127.0.0.1", refusing_smtp, recipients="gone@acme.example")
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    assert _errors(j) == [
        f"The SMTP server 127.0.0.1:{refusing_smtp} refused the username and password (535 5.7.8 Authentication "
        "credentials invalid); check the SMTP username and password.",
        f"The SMTP server 127.0.0.1:{refusing_smtp} refused the recipient gone@acme.example (550 5.1.1 No such user "
        "here); check the addresses, and that the server lets this account send to them."]
    page = _words(j.get("/settings").text)
    _assert_no_raw_words(page)
    assert_no_canary([SMTP_PASSWORD], {"settings": page, "logs": caplog.text,
                                       "database": database_bytes(j.state.settings.resolved_database_url)})


def _self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[Receiver]:
    """The receiver, behind a certificate nobody signed."""
    with Receiver() as running:
        server: ThreadingHTTPServer = running.server
        server.socket = _self_signed(tmp_path).wrap_socket(server.socket, server_side=True)
        running.url = running.url.replace("http://", "https://")
        yield running


def _channel(j: Journey, label: str) -> NotificationChannel:
    async def go() -> NotificationChannel:
        async with j.state.db.sessions() as session:
            return (await session.execute(select(NotificationChannel).where(
                NotificationChannel.label == label))).scalar_one()
    return j.run(go)


def _send_now(j: Journey, label: str, url: str, seconds: float) -> str | None:
    """What the notifier says of one message to the webhook ``label`` (``url``: its sealed address)."""
    assert j.state.watch is not None
    notifier = j.state.watch.notifier
    channel = _channel(j, label)
    payload = {"event": "test", "text": "a test", "headline": "a test"}
    return j.run(lambda: notifier.send(channel, payload, {"url": url, "secret": "s" * 20}, notifier.now(), to=None,
                                       seconds=seconds))


def test_a_certificate_nobody_signed_is_said_so(j: Journey, tls_receiver: Receiver) -> None:
    _add_webhook(j, tls_receiver.url)
    said = _send_now(j, "Security channel", tls_receiver.url, 5)
    port = tls_receiver.server.server_address[1]
    assert said is not None and said.startswith(
        f"Could not reach the webhook's receiver at 127.0.0.1:{port}: its TLS certificate could not be verified (")
    assert said.endswith("its certificate must be valid for 127.0.0.1 and signed by an authority this server "
                         "trusts.")
    assert tls_receiver.received == []


def test_a_receiver_that_never_answers_is_a_timeout_with_the_time_it_was_given(j: Journey) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # the kernel takes the connection, and nobody ever answers
    port = silent.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    try:
        _add_webhook(j, url)
        said = _send_now(j, "Security channel", url, 0.5)
    finally:
        silent.close()
    assert said == (f"Could not reach the webhook's receiver at 127.0.0.1:{port}: it did not answer within 0.5 "
                    "seconds; check that a firewall lets this server reach it, and that it is up.")


def test_an_ipv6_receiver_is_written_with_brackets_before_its_port(j: Journey, free_tcp_port: int) -> None:
    """QA L4: "fd00::1:8080" reads as one address; the receiver is [fd00::1]:8080, as in its URL."""
    url = f"http://[::1]:{free_tcp_port}/hook"  # nothing listens there
    _add_webhook(j, url)
    assert f"http://[::1]:{free_tcp_port}/…" in _words(j.get("/settings").text)
    said = _send_now(j, "Security channel", url, 2)
    assert said is not None and said.startswith(f"Could not reach the webhook's receiver at [::1]:{free_tcp_port}: "), \
        said


@pytest.fixture
def ssh_like_port() -> Iterator[int]:
    """A service on this machine that greets as an SSH server does, its host's name in its banner."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)  # the stop is seen between two waits
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6 internal-bastion-01 build 4711\r\n")
                try:
                    conn.recv(1024)
                except OSError:
                    pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(timeout=10)


def test_a_service_that_is_no_mail_server_is_not_quoted(j: Journey, sandbox_org: SandboxOrg,
                                                        ssh_like_port: int) -> None:
    """Security review, M1: the SMTP server's greeting was quoted whatever answered, so a channel
    pointed at an internal port read out its banner ("SSH-2.0-OpenSSH_9.6 internal-bastion-01") on
    Settings and Health, to every role."""
    _email(j, "Okta team", "127.0.0.1", ssh_like_port)
    _drifted(j, sandbox_org)
    assert _deliver(j) == 0
    assert _errors(j) == [f"The SMTP server 127.0.0.1:{ssh_like_port} answered, but not as a mail server does; "
                          "check the SMTP server and port."]
    for page in (j.get("/settings").text, j.get("/health").text):
        assert "OpenSSH" not in page and "bastion" not in page
