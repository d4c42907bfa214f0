"""Where the watch's alerts go, as an administrator sets it: a webhook (its URL and signing secret
sealed in the vault) or e-mail over SMTP (its password sealed), added, removed (its secret
destroyed), and, for e-mail, whether it also sends to the person each onboarding is assigned to
(``settings["to_assignee"]``; who that is, in app/watch/audience.py). Every change is audited;
no page, log line or audit event carries a channel's secret.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common import destinations
from app.common.validation import EMAIL_ADDRESS, Fields, ValidationFailed, is_email_address
from app.store.base import fold_name, name_taken
from app.store.models import NotificationChannel
from app.store.repositories.secrets import SecretRepository
from app.vault import Secret, Vault

WEBHOOK, EMAIL = "webhook", "email"
SECRET_PURPOSE = "notification_secret"  # noqa: S105 (a purpose's name)
PRIVATE_CHOICE = "The receiver is on our private network"
MAIL_PRIVATE_CHOICE = "The mail server is on our private network or this machine"
# A channel's setting: its webhook's receiver, or its mail server, is on the company's private network.
PRIVATE_NETWORK = "private_network"
RECEIVER = "the webhook's receiver"
LOOPBACK_NOTE = " (a receiver on this machine is allowed only while the sandbox is enabled, as in the demo)"
TO_ASSIGNEE = "to_assignee"  # an e-mail channel's setting: also to each onboarding's assignee
UNRESOLVED = "unresolved_when_added"  # the host that resolved to no address as the channel was added
ASSIGNEE_TOO = " and each onboarding's assignee"
HOST = re.compile(r"[A-Za-z0-9.-]{1,253}")


def kind_words(kind: str) -> str:
    """A channel's kind as the pages and the trail write it: "webhook" or "e-mail"."""
    return "webhook" if kind == WEBHOOK else "e-mail"


def private_choice(kind: str) -> str:
    """The box an administrator ticks to say a channel's receiver or mail server is on the private network."""
    return PRIVATE_CHOICE if kind == WEBHOOK else MAIL_PRIVATE_CHOICE


def receiver_place(channel: NotificationChannel) -> str:
    """Where a webhook's receiver, or a mail server, is when not on the internet: "on this machine"
    (the sandbox's demo receiver; a webhook added before the private-network tick is kept as ticked,
    and one at 127.0.0.1 read as on the private network: QA L7), "on our private network" when
    ticked, else ""."""
    if channel.kind != WEBHOOK:
        # A mail server's tick only allows a private address (channels added before it are kept as
        # ticked, smtp.sendgrid.net among them): it says nothing of where the server is.
        return "on this machine" if _loopback(str((channel.settings or {}).get("host", ""))) else ""
    if _loopback(urlsplit(channel.target).hostname or ""):
        return "on this machine"
    return "on our private network" if (channel.settings or {}).get(PRIVATE_NETWORK) else ""


def channel_owner(channel_id: uuid.UUID) -> str:
    return f"notification_channel:{channel_id}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- channels, as an administrator sets them ------------------------------------------------

@dataclass(frozen=True)
class ChannelInput:
    kind: str
    label: str
    target: str  # what pages show: the recipients, or the webhook's scheme and host only
    settings: dict[str, Any]
    # Sealed in the vault, never printed: the webhook's URL (a Slack URL is a credential) and
    # signing secret, or the SMTP password.
    sealed: dict[str, str] = field(repr=False)
    # The host the channel sends to, when it resolved to no address as it was added: it is added (a
    # name may resolve later), and the administrator is told that nothing reaches it until then.
    unresolved: str = ""


@dataclass(frozen=True)
class WebhookRequest:
    webhook_label: str
    webhook_url: str = field(repr=False)  # a Slack-style URL is itself a credential
    webhook_secret: str = field(repr=False)
    # The administrator says the receiver is on the company's private network (10.x, 192.168.x...).
    webhook_private_network: bool = False


@dataclass(frozen=True)
class EmailRequest:
    email_label: str
    recipients: str  # addresses separated by commas, semicolons or spaces
    sender: str
    smtp_host: str
    smtp_port: str
    smtp_username: str
    smtp_password: str = field(repr=False)
    starttls: bool = True
    # Also send to the person each onboarding is assigned to (their address on the operators page).
    to_assignee: bool = False
    # The SMTP server may be at a private address or on this machine (MAIL_PRIVATE_CHOICE).
    smtp_private_network: bool = False


async def read_webhook(request: WebhookRequest, *, loopback_ok: bool,
                       resolver: Callable[[str, int], Awaitable[list[str]]]) -> ChannelInput:
    """The webhook channel the request describes, once its values are checked, where its address
    points among them: only where the server may be made to call (app/common/destinations.py: a
    webhook can make the server post to the services beside it, server-side request forgery). An
    address never allowed is said before plain http is: "use https://" for the metadata service read
    as if https would do there (QA L5)."""
    form = Fields.of(request)
    unresolved = ""
    label = form.text("webhook_label", label="Name", max_length=200)
    url = form.text("webhook_url", label="Webhook URL", max_length=1000)
    secret = form.secret("webhook_secret", label="Signing secret", max_length=500)
    if url and "webhook_url" not in form.errors:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host or not _port_ok(url):
            form.errors["webhook_url"] = "Enter the webhook's full address, starting with https://."
        elif (problem := (found := await destination(url, private_ok=request.webhook_private_network,
                                                     loopback_ok=loopback_ok, resolver=resolver))[0]):
            form.errors["webhook_url"] = problem
        elif parts.scheme == "http" and not _loopback(host):
            form.errors["webhook_url"] = ("Use https:// (plain http is allowed only to a receiver on this machine, "
                                          "while the sandbox is enabled).")
        elif not found[1]:  # after the scheme's check: one not resolving yet is no reason to allow http (review)
            unresolved = host
    if secret and "webhook_secret" not in form.errors and len(secret) < 16:
        form.errors["webhook_secret"] = "Use a signing secret of at least 16 characters (the receiver checks it)."  # noqa: S105
    form.raise_if_invalid("The webhook was not added.")
    parts = urlsplit(url)
    return ChannelInput(WEBHOOK, label, f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…",
                        {PRIVATE_NETWORK: request.webhook_private_network}, {"url": url, "secret": secret},
                        unresolved=unresolved)


def webhook_place(url: str) -> tuple[str, int]:
    """The receiver's host and port: all of its address a page or a failure may name."""
    parts = urlsplit(url)
    return parts.hostname or "?", (parts.port if _port_ok(url) else None) or (443 if parts.scheme == "https" else 80)


def _port_ok(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 (read for its check: a port past 65535 raises)
    except ValueError:
        return False
    return True


async def destination(url: str, *, private_ok: bool, loopback_ok: bool,
                      resolver: Callable[[str, int], Awaitable[list[str]]]) -> tuple[str | None, list[str]]:
    """Why the server must not post to the webhook at ``url``, where its name points now (None: it
    may), and the addresses it points to, which a message is then sent to: when it is added, and
    again before each message (a name may point elsewhere since)."""
    host, port = webhook_place(url)
    addresses = await resolver(host, port)
    return destinations.address_problem(host, addresses, private_ok=private_ok, loopback_ok=loopback_ok,
                                        service=RECEIVER, private_choice=PRIVATE_CHOICE,
                                        loopback_note=LOOPBACK_NOTE), addresses


def mail_server_problem(host: str, addresses: list[str], *, private_ok: bool, loopback_ok: bool) -> str | None:
    """Why mail must not go to the SMTP server ``host`` at these addresses (None: it may). A mail
    server on the company's network or this machine is usual, so an administrator may say so
    (``private_ok``, which allows this machine too; ``loopback_ok``: the sandbox's demo); without
    it, an address there let a channel's test message knock on any internal port and show its
    banner to everyone who reads Settings (security review, M1). A link-local, multicast or
    reserved address never (a cloud's metadata service answers on the link: security probe, L1)."""
    return destinations.address_problem(host, addresses, private_ok=private_ok, loopback_ok=loopback_ok or private_ok,
                                        service="the mail server", private_choice=MAIL_PRIVATE_CHOICE,
                                        loopback_note=f" (unless “{MAIL_PRIVATE_CHOICE}” is ticked)")


async def read_email(request: EmailRequest, *, loopback_ok: bool,
                     resolver: Callable[[str, int], Awaitable[list[str]]]) -> ChannelInput:
    """The e-mail channel the request describes, once its values are checked, where its SMTP
    server's name points among them (the channel was saved at the metadata service's address and
    refused only at its first message: QA walk 18, M3)."""
    form = Fields.of(request)
    label = form.text("email_label", label="Name", max_length=200)
    recipients = form.text("recipients", label="Recipients", max_length=1000)
    sender = form.text("sender", label="From address", max_length=320, pattern=EMAIL_ADDRESS,
                       pattern_hint="Enter the from address like name@example.com.")
    host = form.text("smtp_host", label="SMTP server", max_length=253, pattern=HOST,
                     pattern_hint="Enter the SMTP server's host name, like smtp.example.com.")
    port_text = form.text("smtp_port", label="SMTP port", max_length=5, pattern=re.compile(r"\d{1,5}"),
                          pattern_hint="Enter the port as a number, like 587.")
    username = form.text("smtp_username", label="SMTP username", required=False, max_length=320)
    password = form.secret("smtp_password", label="SMTP password", required=False, max_length=500)
    starttls = request.starttls
    addresses = [a.strip() for a in re.split(r"[,;\s]+", recipients) if a.strip()]
    # One pattern for every address the wizard sends to, a person's or a channel's (a channel took
    # "<ops@acme.example>" and "ops@acme.example." that an operator's e-mail refused): it goes into
    # the To header as it is.
    wrong = next((a for a in addresses if not is_email_address(a)), None)
    if recipients and "recipients" not in form.errors and wrong is not None:
        form.errors["recipients"] = (f"“{wrong}” is not an e-mail address: enter the recipients' addresses like "
                                     "name@example.com, separated by commas.")
    port = int(port_text) if port_text and "smtp_port" not in form.errors else 0
    if port_text and "smtp_port" not in form.errors and not 0 < port < 65536:
        form.errors["smtp_port"] = "Enter a port between 1 and 65535."
    if host and "smtp_host" not in form.errors and not starttls and not _loopback(host):
        form.errors["starttls"] = "Keep STARTTLS on: without it the password and alerts cross the network in clear."
    if username and not password:
        form.errors["smtp_password"] = "Enter the SMTP password for this username."  # noqa: S105
    resolved: list[str] | None = None
    if host and port and not form.errors.keys() & {"smtp_host", "smtp_port"}:
        resolved = await resolver(host, port)
        if problem := mail_server_problem(host, resolved, private_ok=request.smtp_private_network,
                                          loopback_ok=loopback_ok):
            form.errors["smtp_host"] = problem
    form.raise_if_invalid("The e-mail channel was not added.")
    return ChannelInput(EMAIL, label, ", ".join(addresses),
                        {"host": host, "port": port, "username": username, "sender": sender, "starttls": starttls,
                         TO_ASSIGNEE: request.to_assignee, PRIVATE_NETWORK: request.smtp_private_network},
                        {"password": password} if password else {}, unresolved=host if resolved == [] else "")


async def _refuse_a_name_in_use(session: AsyncSession, given: ChannelInput) -> None:
    names = (await session.execute(select(NotificationChannel.label).where(
        NotificationChannel.removed_at.is_(None)))).scalars()
    existing = next((name for name in names if fold_name(name) == fold_name(given.label)), None)
    if existing is not None:  # named as that one is written, not as typed
        field_name = "webhook_label" if given.kind == WEBHOOK else "email_label"
        raise ValidationFailed({field_name: f"Another channel is named “{existing}”: choose a name that tells "
                                            "them apart."}, "The webhook was not added." if given.kind == WEBHOOK
                               else "The e-mail channel was not added.")


async def add_channel(session: AsyncSession, vault: Vault, given: ChannelInput, actor: Actor) -> NotificationChannel:
    """Keep the channel; one whose name another channel has is refused: an alert's delivery, the
    channel list and the trail name channels by it (two were told apart by nothing: QA walk 24, L2)."""
    await _refuse_a_name_in_use(session, given)
    # Its row says so until a test message or a delivery tells more (the warning was shown once: QA walk 25, L6).
    settings = {**given.settings, UNRESOLVED: given.unresolved} if given.unresolved else given.settings
    channel = NotificationChannel(id=uuid.uuid4(), kind=given.kind, label=given.label, target=given.target,
                                  settings=settings, created_by_id=actor.id)
    try:
        async with session.begin_nested():  # only this insert undone if refused, not the request's session
            session.add(channel)
            await session.flush()
    except IntegrityError as exc:
        if not name_taken(exc, NotificationChannel.__tablename__):
            raise
        # Added by another administrator since the names were read (the unique index saw it).
        await _refuse_a_name_in_use(session, given)
        raise ValidationFailed({}, "Another administrator changed the channels at the same moment: add it "
                                   "again.") from None
    if given.sealed:
        channel.secret_id = await SecretRepository(session, vault).store(
            SECRET_PURPOSE, Secret(json.dumps(given.sealed)), owner=channel_owner(channel.id))
    ticked = bool(given.settings.get(PRIVATE_NETWORK))
    await record(session, action="notification_channel_add", actor=actor, subject_type="notification_channel",
                 subject_id=str(channel.id),
                 summary=f"Notifications: {kind_words(given.kind)} “{given.label}” to {given.target}"
                         f"{ASSIGNEE_TOO if given.settings.get(TO_ASSIGNEE) else ''} added"
                         f"{f', with “{private_choice(given.kind)}” ticked' if ticked else ''}",
                 details={PRIVATE_NETWORK: ticked})
    return channel


async def set_to_assignee(session: AsyncSession, channel_id: uuid.UUID, on: bool,
                          actor: Actor) -> NotificationChannel | None:
    """Turn on or off an e-mail channel's sending to each onboarding's assignee (None: no such
    channel, or removed). Deliveries queued already keep the addresses they were given."""
    channel = await session.get(NotificationChannel, channel_id)
    if channel is None or channel.removed_at is not None:
        return None
    if channel.kind != EMAIL:
        raise ValidationFailed({}, f"“{channel.label}” is a webhook: only an e-mail channel sends to the assignee.")
    if sends_to_assignee(channel) == on:
        return channel
    channel.settings = {**(channel.settings or {}), TO_ASSIGNEE: on}  # a new dict: the JSON column sees the change
    await record(session, action="notification_channel_change", actor=actor, subject_type="notification_channel",
                 subject_id=str(channel.id),
                 summary=f"Notifications: e-mail “{channel.label}” "
                         f"{'now also sends' if on else 'no longer sends'} to each onboarding's assignee")
    return channel


def sends_to_assignee(channel: NotificationChannel) -> bool:
    return channel.kind == EMAIL and bool((channel.settings or {}).get(TO_ASSIGNEE))


def addresses(channel: NotificationChannel) -> list[str]:
    """An e-mail channel's own recipients (its target, as read_email joined them)."""
    return [address.strip() for address in channel.target.split(",") if address.strip()]


async def remove_channel(session: AsyncSession, vault: Vault, channel_id: uuid.UUID, actor: Actor,
                         now: datetime) -> NotificationChannel | None:
    channel = await session.get(NotificationChannel, channel_id)
    if channel is None or channel.removed_at is not None:
        return None
    channel.removed_at = now
    if channel.secret_id is not None:
        await SecretRepository(session, vault).destroy(channel.secret_id, purpose=SECRET_PURPOSE,
                                                       owner=channel_owner(channel.id))
    await record(session, action="notification_channel_remove", actor=actor, subject_type="notification_channel",
                 subject_id=str(channel.id),
                 summary=f"Notifications: {kind_words(channel.kind)} “{channel.label}” removed (its secret destroyed)")
    return channel


async def channels(session: AsyncSession) -> list[NotificationChannel]:
    return list((await session.execute(select(NotificationChannel).where(NotificationChannel.removed_at.is_(None))
                                       .order_by(NotificationChannel.created_at))).scalars())
