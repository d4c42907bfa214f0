"""The watch "alerts the people who own it": an e-mail channel set to also send to the person each
onboarding is assigned to sends them the alert and its resolution (once, even when they are among
its recipients), when they are active and have an address; an unassigned onboarding, a disabled
assignee or one without an address is told through the channels only. Each e-mail keeps the
addresses it was queued for, so a reassignment or a restart since does not reroute it; the
onboarding's page says who will be told."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.settings import Settings
from app.store.models import NotificationDelivery, Operator
from app.watch.notify import Notifier
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import add_operator
from tests.watch.test_notifications import Mailbox, _deliver, _settings_form
from tests.watch.test_watch import DAY, _completed, _drifted, _rows, _take_super_admin, _tick

CHANNEL = "okta@acme.example"
ANA = "ana@acme.example"
OLGA = "olga@acme.example"


class Inbox(Mailbox):
    """The messages, and whom the SMTP server was asked to deliver each to (its envelope)."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(list(envelope.rcpt_tos))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox(free_tcp_port: int) -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_tcp_port)
    controller.start()
    try:
        yield box, free_tcp_port
    finally:
        controller.stop()


def _email_channel(j: Journey, port: int, *, recipients: str = CHANNEL, to_assignee: bool = True) -> None:
    added = _settings_form(j, "/settings/notifications/email", email_label="Okta team", recipients=recipients,
                           sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None,
                           to_assignee="on" if to_assignee else None)
    assert "Alerts now also go to “Okta team”" in html.unescape(added.text), added.text
    listed = _words(added)
    assert ("and the person each onboarding is assigned to" in listed) is to_assignee


def _operator_id(j: Journey, username: str) -> uuid.UUID:
    [found] = _rows(j, select(Operator.id).where(Operator.username == username))
    return found  # type: ignore[no-any-return]


def _give_address(j: Journey, username: str, email: str) -> None:
    """An administrator types the person's address on the operators page."""
    page = j.get("/operators").text
    done = j.submit(j.form(page, f"/operators/{_operator_id(j, username)}/email"), email=email)
    assert f"The e-mail address of {username} is now {email}." in html.unescape(done.text), done.text


def _hand_to(j: Journey, oid: uuid.UUID, to: str) -> None:
    page = j.get(f"/onboardings/{oid}").text
    done = j.submit(j.form(page, "/handoff"), to=to, note="Completed; the watch looks after it.")
    assert "Handed off" in done.text, done.text


def _words(page: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text.replace("<wbr>", ""))).split())


def _told(j: Journey, oid: uuid.UUID) -> str:
    """What the onboarding's page says of who its alerts go to."""
    found = re.search(r'<p class="hint watch-told">(.*?)</p>', j.get(f"/onboardings/{oid}").text, re.S)
    assert found, "the page does not say who is told"
    return html.unescape(found.group(1))


def _cleared(j: Journey, sandbox_org: SandboxOrg, token: dict[str, str]) -> None:
    """The drift is put right and the watch's next run clears the alert."""
    _take_super_admin(sandbox_org, token["account"])
    j.clock.advance(DAY + 1)
    _tick(j)


def test_the_assignee_is_sent_the_alert_and_its_resolution(j: Journey, sandbox_org: SandboxOrg,
                                                            inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    _email_channel(j, port)
    _give_address(j, "ana.admin", ANA)
    oid, token = _drifted(j, sandbox_org)
    assert _told(j, oid) == f"Alerts go to: Okta team (e-mail), and Ana.Admin <{ANA}> as the assignee."
    assert ("through an e-mail channel set so, to the person the onboarding is assigned to; each onboarding's page "
            "says who is told.") in _words(j.get("/health"))
    assert _deliver(j) == 1
    [raised] = box.messages
    assert raised["To"] == f"{CHANNEL}, {ANA}" and box.envelopes == [[CHANNEL, ANA]]
    assert raised["Subject"].startswith("[Alert] Microsoft Defender for Identity") and "Owner: Ana.Admin" in \
        raised.get_payload()
    assert f"Okta team ({CHANNEL}, {ANA}) : delivered" in _words(j.get("/settings"))  # who it went to, said

    _cleared(j, sandbox_org, token)
    assert _deliver(j) == 1
    resolved = box.messages[1]
    assert resolved["Subject"].startswith("[Resolved] Microsoft Defender for Identity")
    assert box.envelopes[1] == [CHANNEL, ANA]


def test_an_assignee_among_the_recipients_gets_one_message(j: Journey, sandbox_org: SandboxOrg,
                                                           inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    _email_channel(j, port, recipients=f"{CHANNEL}, ANA@acme.example")
    _give_address(j, "ana.admin", ANA)
    _drifted(j, sandbox_org)
    assert _deliver(j) == 1
    assert box.envelopes == [[CHANNEL, "ANA@acme.example"]]


def test_an_assignee_without_an_address_or_disabled_is_not_sent_it(
        j: Journey, sandbox_org: SandboxOrg, inbox: tuple[Inbox, int], settings: Settings) -> None:
    box, port = inbox
    _email_channel(j, port)
    oid, token = _drifted(j, sandbox_org)
    assert _told(j, oid) == ("Alerts go to: Okta team (e-mail). Ana.Admin, the assignee, has no e-mail address (an "
                             "administrator sets one on the Operators page), so only the channels are told.")
    assert _deliver(j) == 1 and box.envelopes == [[CHANNEL]]

    add_operator(settings, "olga.op", "operator", display_name="Olga Ops")
    _give_address(j, "olga.op", OLGA)
    _hand_to(j, oid, str(_operator_id(j, "olga.op")))
    disabled = j.submit(j.form(j.get("/operators").text, f"/operators/{_operator_id(j, 'olga.op')}/disable"))
    assert "olga.op is disabled" in disabled.text
    assert _told(j, oid) == ("Alerts go to: Okta team (e-mail). Olga Ops, the assignee, is disabled, so only the "
                             "channels are told.")
    _cleared(j, sandbox_org, token)
    assert _deliver(j) == 1 and box.envelopes[1] == [CHANNEL]
    # The message names her as disabled, and where the onboarding waits (QA walk 24, M2).
    assert "Owner: Olga Ops, disabled (it waits in the help-desk queue)" in box.messages[1].get_payload()
    assert "owner: Olga Ops, disabled (it waits in the help-desk queue)" in j.get("/health").text


def test_an_unassigned_onboarding_tells_the_channels_only(j: Journey, sandbox_org: SandboxOrg,
                                                          inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    _email_channel(j, port)
    _give_address(j, "ana.admin", ANA)
    oid, token = _completed(j, sandbox_org)
    _hand_to(j, oid, "queue")
    assert _told(j, oid) == ("Alerts go to: Okta team (e-mail). It is unassigned (in the help-desk queue), so only "
                             "the channels are told.")
    _tick(j)
    sandbox_org.assign_role(token["account"], "SUPER_ADMIN")
    j.clock.advance(DAY + 1)
    _tick(j)
    assert _deliver(j) == 1 and box.envelopes == [[CHANNEL]]
    assert "Owner: nobody yet (it is in the help-desk queue)" in box.messages[0].get_payload()


def test_a_queued_message_keeps_its_addresses_after_a_reassignment_and_a_restart(
        j: Journey, sandbox_org: SandboxOrg, inbox: tuple[Inbox, int], settings: Settings) -> None:
    box, port = inbox
    _email_channel(j, port)
    _give_address(j, "ana.admin", ANA)
    add_operator(settings, "olga.op", "operator", display_name="Olga Ops")
    _give_address(j, "olga.op", OLGA)
    oid, token = _drifted(j, sandbox_org)  # queued while Ana is the assignee
    [queued] = _rows(j, select(NotificationDelivery.recipients))
    assert queued == [CHANNEL, ANA]
    _hand_to(j, oid, str(_operator_id(j, "olga.op")))
    assert _told(j, oid) == f"Alerts go to: Okta team (e-mail), and Olga Ops <{OLGA}> as the assignee."
    restarted = Notifier(j.state.db, j.state.vault, j.clock, loopback_ok=True)  # as with the sandbox
    assert j.run(restarted.deliver_due) == 1
    assert box.envelopes == [[CHANNEL, ANA]]  # as it was queued, not to whoever has it now
    # The resolution is news of now: it goes to the assignee when the alert clears.
    _cleared(j, sandbox_org, token)
    assert _deliver(j) == 1 and box.envelopes[1] == [CHANNEL, OLGA]


def test_a_channel_sends_to_the_assignee_once_it_is_set_to(j: Journey, sandbox_org: SandboxOrg,
                                                           inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    _email_channel(j, port, to_assignee=False)
    _give_address(j, "ana.admin", ANA)
    oid, token = _drifted(j, sandbox_org)
    assert _told(j, oid) == "Alerts go to: Okta team (e-mail)."
    assert _deliver(j) == 1 and box.envelopes == [[CHANNEL]]
    page = j.get("/settings").text
    turned = j.submit(j.form(page, "/assignee", button="Also send to the person each onboarding is assigned to"))
    words = _words(turned)
    assert "“Okta team” now also sends each alert to the onboarding's assignee." in words
    assert f"{CHANNEL} and the person each onboarding is assigned to" in words
    _cleared(j, sandbox_org, token)
    assert _deliver(j) == 1 and box.envelopes[1] == [CHANNEL, ANA]


def _mail_channel(j: Journey, label: str, recipients: str, port: int) -> None:
    added = _settings_form(j, "/settings/notifications/email", email_label=label, recipients=recipients,
                           sender="wizard@acme.example", smtp_host="127.0.0.1", smtp_port=str(port), starttls=None,
                           to_assignee="on")
    assert f"Alerts now also go to “{label}”" in _words(added), _words(added)


def test_the_assignee_is_told_through_the_next_channel_set_so_when_the_first_is_broken(
        j: Journey, sandbox_org: SandboxOrg, inbox: tuple[Inbox, int]) -> None:
    """QA, M1: the assignee's address rode only on the first channel set to send to them; with
    that channel's SMTP server down, they were never told. Each channel set so sends to them."""
    box, port = inbox
    _mail_channel(j, "Old relay", CHANNEL, 1)  # nothing listens on port 1: this channel is broken
    _mail_channel(j, "Help desk", "desk@acme.example", port)
    _give_address(j, "ana.admin", ANA)
    oid, token = _drifted(j, sandbox_org)
    assert _told(j, oid) == (f"Alerts go to: Old relay (e-mail) and Help desk (e-mail), and Ana.Admin <{ANA}> as the "
                             "assignee (from each of Old relay and Help desk).")
    assert _deliver(j) == 1
    assert box.envelopes == [["desk@acme.example", ANA]]  # through the channel that works
    recent = _words(j.get("/settings")).split("Recent deliveries", 1)[1]
    assert f"Old relay ({CHANNEL}, {ANA}) : failing after 1 try: Could not reach the SMTP server at 127.0.0.1:1" in \
        recent
    assert f"Help desk (desk@acme.example, {ANA}) : delivered" in recent
    _cleared(j, sandbox_org, token)
    assert _deliver(j) == 1 and box.envelopes[1] == ["desk@acme.example", ANA]


def test_two_working_channels_set_so_each_send_it_to_the_assignee_as_the_page_says(
        j: Journey, sandbox_org: SandboxOrg, inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    hint = _words(j.get("/settings"))
    assert ("Each e-mail channel set so sends it to them, once, even if they are among its recipients: set it on two "
            "channels and they get each alert from both, so it reaches them while one of the two is down.") in hint
    _mail_channel(j, "Okta team", f"{CHANNEL}, {ANA}", port)  # the assignee is among this one's recipients
    _mail_channel(j, "Help desk", "desk@acme.example", port)
    _give_address(j, "ana.admin", ANA)
    _drifted(j, sandbox_org)
    assert _deliver(j) == 2
    assert sorted(box.envelopes) == [["desk@acme.example", ANA], [CHANNEL, ANA]]  # one message from each
