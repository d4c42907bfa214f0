"""QA walk 13, L7: a webhook makes the server post wherever an administrator points it, so it
follows the one rule the identity provider's address follows (app/common/destinations.py): never
a link-local address (the cloud metadata service at 169.254.169.254), this machine only while the
sandbox is enabled (the demo, and these tests' local receivers, the same way), a private address
only when the administrator ticks that the receiver is on the private network. The form's hint and
its refusal say why, and the rule is applied again before each message, to where the name points
then."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from app.audit import Actor
from app.common.clock import FakeClock
from app.settings import Settings
from app.watch.channels import ChannelInput, add_channel
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.page_journeys import Journey, journey
from tests.watch.test_notifications import (
    WEBHOOK_SECRET,
    Mailbox,
    Receiver,
    _settings_form,
    _words,
    mailbox,
    receiver,
)
from tests.web.test_channel_test_message import _at

__all__ = ["mailbox", "receiver"]

METADATA = ("an address on this machine's local link (where a cloud's metadata service answers with the server's own "
            "credentials); it is always refused.")
HINT = "The server itself posts there, so it may not point at the server’s own services: not at this machine"


def _add(j: Journey, url: str, **extra: str) -> str:
    return _words(_settings_form(j, "/settings/notifications/webhook", webhook_label="Hook", webhook_url=url,
                                 webhook_secret=WEBHOOK_SECRET, **extra).text)


def _resolving(j: Journey, table: dict[str, list[str]]) -> None:
    """Where names point, for the server (the notifier's resolver, which the form asks too)."""
    async def resolve(host: str, _port: int = 443) -> list[str]:
        return table.get(host, [host] if host[0].isdigit() or ":" in host else [])
    assert j.state.watch is not None
    j.state.watch.notifier.resolver = resolve


@pytest.fixture
def j_production(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
                 fake_clock: FakeClock) -> Iterator[Journey]:
    """The wizard as a production server runs it: no sandbox."""
    quiet = settings.model_copy(update={"sandbox_enabled": False})
    with journey(quiet, sandbox_org, okta_transport, fake_clock) as started:
        started.first_admin(quiet, "ana.admin", "a long enough password")
        yield started


def test_without_the_sandbox_this_machine_is_refused_and_the_form_says_why(j_production: Journey) -> None:
    page = _words(j_production.get("/settings").text)
    assert HINT + ", never at a link-local address (169.254.x.x, where a cloud’s metadata service answers)" in page
    refused = _add(j_production, "https://127.0.0.1:9/hook")
    assert "The webhook was not added." in refused
    assert "127.0.0.1 is an address of this machine; the server is not made to call its own services (a receiver on " \
           "this machine is allowed only while the sandbox is enabled, as in the demo)." in refused
    refused = _add(j_production, "http://localhost:8080/hook")
    assert "localhost resolves to 127.0.0.1, an address of this machine" in refused or \
        "localhost resolves to ::1, an address of this machine" in refused
    assert "No channel yet" in _words(j_production.get("/settings").text)


def test_with_the_sandbox_a_receiver_on_this_machine_is_allowed_as_the_demo_needs(j: Journey) -> None:
    page = _words(j.get("/settings").text)
    assert HINT + " (allowed while the sandbox is enabled, for a local test receiver)" in page
    assert "Alerts now also go to “Hook”." in _add(j, "https://127.0.0.1:9/hook")


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data/", "https://169.254.169.254:8443/x",
                                 "https://[::ffff:169.254.169.254]/x", "https://[fe80::1]/x",
                                 # AWS's over IPv6, Alibaba Cloud's: not link-local, refused as those (review)
                                 "https://[fd00:ec2::254]/x", "https://100.100.100.200/x"])
def test_the_metadata_service_is_refused_even_in_the_sandbox_and_on_the_private_network(j: Journey, url: str) -> None:
    refused = _add(j, url, webhook_private_network="on")
    assert METADATA in refused and "The webhook was not added." in refused


def test_a_name_that_points_at_the_metadata_service_is_refused(j: Journey) -> None:
    _resolving(j, {"metadata.acme.example": ["169.254.169.254"]})
    refused = _add(j, "https://metadata.acme.example/hook")
    assert f"metadata.acme.example resolves to 169.254.169.254, {METADATA}" in refused


def test_a_private_receiver_needs_the_administrators_word(j: Journey) -> None:
    _resolving(j, {"hooks.corp.acme.example": ["10.1.2.3"]})
    refused = _add(j, "https://hooks.corp.acme.example/hook")
    assert "hooks.corp.acme.example resolves to 10.1.2.3, a private address. If the webhook's receiver really is on " \
           "the company's private network, tick “The receiver is on our private network”." in refused
    added = _add(j, "https://hooks.corp.acme.example/hook", webhook_private_network="on")
    assert "Alerts now also go to “Hook”." in added
    assert "Webhook (signed, HMAC-SHA256, on our private network)" in added


def test_the_rule_holds_again_when_a_message_is_sent(j: Journey) -> None:
    """The name pointed at a public address when the webhook was added; it points at the metadata
    service now: nothing is sent there, and the test message's answer says why."""
    table = {"hooks.acme.example": ["93.184.216.34"]}
    _resolving(j, table)
    assert "Alerts now also go to “Hook”." in _add(j, "https://hooks.acme.example/services/T0/B0/secret-path")
    table["hooks.acme.example"] = ["169.254.169.254"]
    page = j.get("/settings").text
    [button] = j.forms(page, "/test", button="Send a test message to Hook")
    said = _words(j.submit(button).text)
    assert f"The test message did not reach “Hook”: Not sent: hooks.acme.example resolves to 169.254.169.254, " \
           f"{METADATA}" in said
    assert "secret-path" not in said


def test_a_message_goes_to_the_addresses_checked_not_to_where_the_name_points_next(
        j: Journey, receiver: Receiver, mailbox: tuple[Mailbox, int]) -> None:
    """DNS rebinding: the name is checked, then the connection resolved it again, and a name
    that answered a harmless address to the check could answer the metadata service's to the
    connection. The names here resolve only through the server's own resolver (the operating
    system's knows nothing of ``.invalid``): each message reaches its receiver, so it went to the
    address checked; the receiver still sees the name it was sent to."""
    box, smtp_port = mailbox
    port = receiver.url.split(":")[2].split("/")[0]
    _resolving(j, {"hooks.rebind.invalid": ["127.0.0.1"], "mail.rebind.invalid": ["127.0.0.1"]})

    async def add() -> None:
        async with j.state.db.session() as session:
            await add_channel(session, j.state.vault, ChannelInput(
                "webhook", "Rebound hook", "http://hooks.rebind.invalid/…", {},
                {"url": f"http://hooks.rebind.invalid:{port}/services/T0", "secret": WEBHOOK_SECRET}),
                Actor.system("test"))
            await add_channel(session, j.state.vault, ChannelInput(
                "email", "Rebound mail", "okta@acme.example", {
                "sender": "wizard@acme.example", "host": "mail.rebind.invalid", "port": smtp_port,
                "starttls": False, "username": ""}, {}), Actor.system("test"))
    j.run(add)
    page = j.get("/settings").text
    for label in ("Rebound hook", "Rebound mail"):
        [button] = j.forms(page, "/test", button=f"Send a test message to {label}")
        said = _words(j.submit(button).text)
        assert f"The test message reached “{label}”." in said, said
    [sent] = receiver.received
    assert sent["path"] == "/services/T0" and sent["headers"]["Host"] == f"hooks.rebind.invalid:{port}"
    [message] = box.messages
    assert message["To"] == "okta@acme.example"


def test_a_receiver_on_this_machine_gets_nothing_once_the_sandbox_is_off(j_production: Journey,
                                                                          receiver: Receiver) -> None:
    """Added while the sandbox was on (the demo); the server now runs without it: nothing is sent."""
    given = ChannelInput("webhook", "Local hook", "http://127.0.0.1/…", {},
                         {"url": receiver.url, "secret": WEBHOOK_SECRET})

    async def add() -> None:
        async with j_production.state.db.session() as session:
            await add_channel(session, j_production.state.vault, given, Actor.system("test"))
    j_production.run(add)
    page = j_production.get("/settings").text
    [button] = j_production.forms(page, "/test", button="Send a test message to Local hook")
    said = _words(j_production.submit(button).text)
    assert "The test message did not reach “Local hook”: Not sent: 127.0.0.1 is an address of this machine; the " \
           "server is not made to call its own services (a receiver on this machine is allowed only while the " \
           "sandbox is enabled, as in the demo)." in said
    assert receiver.received == []


def _flash(page: str) -> str:
    found = re.search(r'<div class="notice notice--\w+" role="status">(.*?)</div>', page, re.S)
    assert found, "no message at the top of the page"
    return _words(found.group(1))


def test_a_long_refusal_is_never_cut_mid_sentence_or_mid_word(j: Journey) -> None:
    """QA L3: the answer to a test message was cut mid-sentence at the message's 300 characters,
    and the audit trail's at 500 mid-word. The top of the page says the test failed and points at
    the row, which has the words whole; the trail cuts at a word, and says so."""
    host = "hooks.security-operations.eu-west-1.internal.acme-corporation.example"
    label = ("Security operations, production alerts for the Okta onboarding wizard: escalations go to the on-call "
             "engineer through the paging service, see the runbook page on the wiki for who is on call today")
    _resolving(j, {host: ["93.184.216.34"]})
    assert "Alerts now also go to" in _words(_settings_form(
        j, "/settings/notifications/webhook", webhook_label=label, webhook_url=f"https://{host}/hook",
        webhook_secret=WEBHOOK_SECRET).text)
    _resolving(j, {host: ["169.254.169.254"]})
    page = j.get("/settings").text
    [button] = j.forms(page, "/test", button=f"Send a test message to {label}")
    answered = j.submit(button).text
    why = f"Not sent: {host} resolves to 169.254.169.254, {METADATA}"
    assert _flash(answered) == f"The test message did not reach “{label}”: its row under Notifications says why."
    assert f"Test message failed {_at(j)} UTC: {why}" in _words(answered)
    trail = _words(j.get("/audit").text)
    # Whole: an event's summary was cut at 500 characters (QA walk 27, L6).
    assert f"Notifications: test message to webhook “{label}” did not get through: {why}" in trail, trail


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/x",
                                 "http://metadata.acme.example/hook"])
def test_the_metadata_service_over_http_is_refused_for_what_it_is_first(j: Journey, url: str) -> None:
    """QA L5: http://169.254.169.254/ was refused for its plain http, as if https there would do."""
    _resolving(j, {"metadata.acme.example": ["169.254.169.254"]})
    refused = _add(j, url)
    assert METADATA in refused and "The webhook was not added." in refused
    assert "Use https://" not in refused


def test_a_refused_webhook_keeps_what_was_typed_but_its_secret(j: Journey) -> None:
    """QA L6: a refused webhook came back with its name empty. It is as typed; the signing secret and
    the URL are never written back, and the form says to enter them again."""
    _resolving(j, {"hooks.corp.acme.example": ["10.1.2.3"]})
    page = _settings_form(j, "/settings/notifications/webhook", webhook_label="Corp hook",
                          webhook_url="https://hooks.corp.acme.example/services/T0/B0", webhook_secret=WEBHOOK_SECRET)
    assert page.status_code == 400 and "a private address" in _words(page.text)
    assert 'value="Corp hook"' in page.text
    # Its URL is not written back either (a Slack webhook's address is its key); the form names its host.
    assert "/services/T0/B0" not in page.text and WEBHOOK_SECRET not in page.text
    words = _words(page.text)
    assert ("Enter the webhook URL again (the one at hooks.corp.acme.example): it can hold the receiver’s key, so "
            "it is never shown back.") in words.split("Webhook URL", 1)[1].split("Signing secret", 1)[0]
    assert "Enter the signing secret again: it is never shown back." in words.split("Signing secret", 1)[1]
    again = j.submit(j.form(page.text, "/settings/notifications/webhook"), webhook_secret=WEBHOOK_SECRET,
                     webhook_url="https://hooks.corp.acme.example/services/T0/B0", webhook_private_network="on")
    assert "Alerts now also go to “Corp hook”." in _words(again.text)


def test_a_receiver_on_this_machine_is_said_so_and_the_private_tick_is_in_the_trail(j: Journey) -> None:
    """QA L7: a receiver at 127.0.0.1 (the sandbox's demo) was described as on the private network,
    and the add's audit event did not say the administrator ticked that box."""
    added = _add(j, "http://127.0.0.1:9/hook", webhook_private_network="on")
    assert "Webhook (signed, HMAC-SHA256, on this machine)" in added and "private network)" not in added
    _resolving(j, {"hooks.corp.acme.example": ["10.1.2.3"], "hooks.acme.example": ["93.184.216.34"]})
    _settings_form(j, "/settings/notifications/webhook", webhook_label="Corp", webhook_secret=WEBHOOK_SECRET,
                   webhook_url="https://hooks.corp.acme.example/x", webhook_private_network="on")
    _settings_form(j, "/settings/notifications/webhook", webhook_label="Public", webhook_secret=WEBHOOK_SECRET,
                   webhook_url="https://hooks.acme.example/x")
    kinds = _words(j.get("/settings").text)
    assert "Corp Webhook (signed, HMAC-SHA256, on our private network)" in kinds
    assert "Public Webhook (signed, HMAC-SHA256)" in kinds
    trail = _words(j.get("/audit").text)
    assert "Notifications: webhook “Hook” to http://127.0.0.1:9/… added, with “The receiver is on our private " \
        "network” ticked" in trail
    assert "Notifications: webhook “Corp” to https://hooks.corp.acme.example/… added, with “The receiver is on our " \
        "private network” ticked" in trail
    assert re.search(r"Notifications: webhook “Public” to https://hooks\.acme\.example/… added(?!, with)", trail)
    assert WEBHOOK_SECRET not in trail


def test_a_webhook_refused_for_its_secret_asks_for_its_url_again_at_the_top(j: Journey) -> None:
    """QA walk 16, M5: the secret left out, the page listed only the secret, and the URL (never shown
    back) was refused at the next try: the list at the top names both."""
    page = _settings_form(j, "/settings/notifications/webhook", webhook_label="Security channel",
                          webhook_url="https://hooks.slack.com/services/T0/B0/XYZ", webhook_secret="")
    assert page.status_code == 400
    summary = _words(page.text.split('error-summary" role="alert"', 1)[1].split("</div>", 1)[0])
    assert "Enter the signing secret." in summary, summary
    assert "Enter the webhook URL again (the one at hooks.slack.com)" in summary, summary
    assert "/services/T0/B0/XYZ" not in page.text
