"""An e-mail channel's addresses are checked as an operator's e-mail is: one pattern for every
address the wizard sends to. A channel took "<ops@acme.example>", "ops@acme.example." and a bare
IP address after the "@", which an operator's e-mail refused, and its message named none of them
(QA walk 14, left over)."""

from __future__ import annotations

import asyncio

import pytest

from app.common.validation import ValidationFailed, is_email_address
from app.watch.channels import ChannelInput, EmailRequest, read_email
from app.web.deps import typed_input

FORM = {"email_label": "Security team", "recipients": "alerts@acme.example", "sender": "wizard@acme.example",
        "smtp_host": "smtp.acme.example", "smtp_port": "587", "starttls": "on"}


async def _resolve(host: str, _port: int) -> list[str]:
    return {"smtp.acme.example": ["93.184.215.14"], "metadata.acme.example": ["169.254.169.254"],
            "relay.corp.acme.example": ["10.1.2.3"]}.get(host, [host] if host[0].isdigit() else [])


def _read(loopback_ok: bool = False, **changed: str) -> ChannelInput:
    return asyncio.run(read_email(typed_input(EmailRequest, {**FORM, **changed}), loopback_ok=loopback_ok,
                                  resolver=_resolve))


@pytest.mark.parametrize("recipients", ["alerts@acme.example", "alerts@acme.example, ops+okta@mail.acme.example",
                                        "alerts@acme.example; it.security@acme.example"])
def test_addresses_a_person_types_are_taken(recipients: str) -> None:
    assert _read(recipients=recipients).target == ", ".join(
        a.strip() for a in recipients.replace(";", ",").split(","))


@pytest.mark.parametrize(("recipients", "named"), [
    ("alerts@acme.example, <ops@acme.example>", "<ops@acme.example>"),
    ("ops@acme.example.", "ops@acme.example."),
    ("alerts@acme.example ops@10.0.0.5", "ops@10.0.0.5"),
    ('"ops"@acme.example', '"ops"@acme.example'),
])
def test_an_address_an_operators_e_mail_would_refuse_is_refused_by_name(recipients: str, named: str) -> None:
    assert not is_email_address(named)  # the operator's e-mail field refuses it too
    with pytest.raises(ValidationFailed) as refused:
        _read(recipients=recipients)
    assert refused.value.errors["recipients"] == (f"“{named}” is not an e-mail address: enter the recipients' "
                                                  "addresses like name@example.com, separated by commas.")
    assert refused.value.message == "The e-mail channel was not added."


def test_the_from_address_is_checked_the_same_way() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _read(sender="wizard@acme.example.")
    assert refused.value.errors["sender"] == "Enter the from address like name@example.com."


@pytest.mark.parametrize(("host", "said"), [
    ("169.254.169.254", "169.254.169.254 is an address on this machine's local link"),
    ("metadata.acme.example", "metadata.acme.example resolves to 169.254.169.254, an address on this machine's local "
                              "link"),
    ("100.100.100.200", "100.100.100.200 is an address on this machine's local link"),
])
def test_a_mail_server_at_the_metadata_service_is_refused_when_it_is_added(host: str, said: str) -> None:
    """It was saved, and refused only at its first message (QA walk 18, M3), where a webhook at the
    same address is refused on its form."""
    with pytest.raises(ValidationFailed) as refused:
        _read(smtp_host=host)
    assert refused.value.errors["smtp_host"].startswith(said), refused.value.errors
    assert str(refused.value) == "The e-mail channel was not added."


def test_a_mail_server_on_the_private_network_or_this_machine_is_taken_once_ticked() -> None:
    taken = _read(smtp_host="relay.corp.acme.example", smtp_private_network="on")
    assert taken.settings["host"] == "relay.corp.acme.example" and taken.settings["private_network"] is True
    assert _read(smtp_host="127.0.0.1", starttls="", smtp_private_network="on").settings["host"] == "127.0.0.1"
    assert _read(smtp_host="smtp.acme.example").settings["private_network"] is False


@pytest.mark.parametrize(("host", "said"), [
    ("relay.corp.acme.example", "relay.corp.acme.example resolves to 10.1.2.3, a private address. If the mail server "
                                "really is on the company's private network, tick “The mail server is on our private "
                                "network or this machine”."),
    ("127.0.0.1", "127.0.0.1 is an address of this machine; the server is not made to call its own services (unless "
                  "“The mail server is on our private network or this machine” is ticked)."),
])
def test_a_mail_server_on_the_private_network_or_this_machine_is_refused_unticked(host: str, said: str) -> None:
    """Security review, M1: any was taken, so a channel's test message knocked on any internal port
    (an SSH server's banner then read on Settings by every role); the webhook asks for the tick."""
    with pytest.raises(ValidationFailed) as refused:
        _read(smtp_host=host, starttls="")
    assert refused.value.errors["smtp_host"] == said


def test_a_mail_server_on_this_machine_is_taken_while_the_sandbox_is_enabled() -> None:
    assert _read(loopback_ok=True, smtp_host="127.0.0.1", starttls="").settings["host"] == "127.0.0.1"
