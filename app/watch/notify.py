"""Notifications of alerts: each alert raised or cleared becomes one delivery per channel, written
in the transaction that changed the alert (so a restart loses none), and sent by the watch's loop
with retries and backoff. Failures stay visible on the Settings page.

- Webhook: a JSON body with a Slack-compatible ``text``, signed with HMAC-SHA256 over
  ``<timestamp>.<body>`` with the channel's secret (sealed in the vault), sent as
  ``X-Onboard-Signature: sha256=<hex>`` beside ``X-Onboard-Timestamp``.
- E-mail over SMTP, STARTTLS unless the server is on this machine's loopback and it is turned off;
  the SMTP password is sealed in the vault.

No delivery, log line or page carries a channel's secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor, record
from app.common.clock import Clock
from app.common.text import clip
from app.common.validation import Fields
from app.store.db import Database
from app.store.models import Alert, NotificationChannel, NotificationDelivery, Onboarding, Operator
from app.store.repositories.secrets import SecretRepository
from app.vault import Secret, Vault
from app.watch import messages
from app.watch.findings import CONTINUES

log = logging.getLogger("onboard.notify")

WEBHOOK, EMAIL = "webhook", "email"
SECRET_PURPOSE = "notification_secret"  # noqa: S105 (a purpose's name)
MAX_ATTEMPTS = 12
BATCH = 20
SENDING_LEASE = timedelta(minutes=5)
SUBJECT_LIMIT = 200
EMAIL_ADDRESS = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
HOST = re.compile(r"[A-Za-z0-9.-]{1,253}")


def channel_owner(channel_id: uuid.UUID) -> str:
    return f"notification_channel:{channel_id}"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min... up to 6 hours between tries."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=6))


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


@dataclass(frozen=True)
class WebhookRequest:
    webhook_label: str
    webhook_url: str = field(repr=False)  # a Slack-style URL is itself a credential
    webhook_secret: str = field(repr=False)


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


def read_webhook(request: WebhookRequest) -> ChannelInput:
    """The webhook channel the request describes, once its values are checked."""
    form = Fields.of(request)
    label = form.text("webhook_label", label="Name", max_length=200)
    url = form.text("webhook_url", label="Webhook URL", max_length=1000)
    secret = form.secret("webhook_secret", label="Signing secret", max_length=500)
    if url and "webhook_url" not in form.errors:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host:
            form.errors["webhook_url"] = "Enter the webhook's full address, starting with https://."
        elif parts.scheme == "http" and not _loopback(host):
            form.errors["webhook_url"] = "Use https:// (plain http is allowed only to this machine's loopback address)."
    if secret and "webhook_secret" not in form.errors and len(secret) < 16:
        form.errors["webhook_secret"] = "Use a signing secret of at least 16 characters (the receiver checks it)."  # noqa: S105
    form.raise_if_invalid("The webhook was not added.")
    parts = urlsplit(url)
    return ChannelInput(WEBHOOK, label, f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…", {},
                        {"url": url, "secret": secret})


def read_email(request: EmailRequest) -> ChannelInput:
    """The e-mail channel the request describes, once its values are checked."""
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
    if recipients and "recipients" not in form.errors and not all(EMAIL_ADDRESS.fullmatch(a) for a in addresses):
        form.errors["recipients"] = "Enter the recipients' addresses, separated by commas."
    port = int(port_text) if port_text and "smtp_port" not in form.errors else 0
    if port_text and "smtp_port" not in form.errors and not 0 < port < 65536:
        form.errors["smtp_port"] = "Enter a port between 1 and 65535."
    if host and "smtp_host" not in form.errors and not starttls and not _loopback(host):
        form.errors["starttls"] = "Keep STARTTLS on: without it the password and alerts cross the network in clear."
    if username and not password:
        form.errors["smtp_password"] = "Enter the SMTP password for this username."  # noqa: S105
    form.raise_if_invalid("The e-mail channel was not added.")
    return ChannelInput(EMAIL, label, ", ".join(addresses),
                        {"host": host, "port": port, "username": username, "sender": sender, "starttls": starttls},
                        {"password": password} if password else {})


async def add_channel(session: AsyncSession, vault: Vault, given: ChannelInput, actor: Actor) -> NotificationChannel:
    channel = NotificationChannel(id=uuid.uuid4(), kind=given.kind, label=given.label, target=given.target,
                                  settings=given.settings, created_by_id=actor.id)
    session.add(channel)
    await session.flush()
    if given.sealed:
        channel.secret_id = await SecretRepository(session, vault).store(
            SECRET_PURPOSE, Secret(json.dumps(given.sealed)), owner=channel_owner(channel.id))
    await record(session, action="notification_channel_add", actor=actor, subject_type="notification_channel",
                 subject_id=str(channel.id),
                 summary=f"Notifications: {given.kind} '{given.label}' to {given.target} added")
    return channel


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
                 subject_id=str(channel.id), summary=f"Notifications: {channel.kind} '{channel.label}' removed "
                                                     "(its secret destroyed)")
    return channel


async def channels(session: AsyncSession) -> list[NotificationChannel]:
    return list((await session.execute(select(NotificationChannel).where(NotificationChannel.removed_at.is_(None))
                                       .order_by(NotificationChannel.created_at))).scalars())


async def told_of(session: AsyncSession, alert: Alert) -> list[NotificationChannel]:
    """The channels still set that were told of ``alert`` when it was raised, or as the update of the
    alert it carries on (or are being told: its delivery is still retried): only they hear it is
    resolved. A channel added since heard nothing of it ("[Resolved]" reached people who never had
    the alert), and one whose delivery gave up never had it either. The raised deliveries are the
    record: they are kept, never deleted."""
    told = select(NotificationDelivery.channel_id).where(
        NotificationDelivery.alert_id == alert.id, NotificationDelivery.event.in_(("raised", "continued")),
        or_(NotificationDelivery.delivered_at.is_not(None), NotificationDelivery.attempts < MAX_ATTEMPTS))
    return list((await session.execute(select(NotificationChannel).where(
        NotificationChannel.removed_at.is_(None), NotificationChannel.id.in_(told))
        .order_by(NotificationChannel.created_at))).scalars())


async def recent_deliveries(session: AsyncSession, limit: int = 20) -> list[NotificationDelivery]:
    return list((await session.execute(select(NotificationDelivery)
                                       .order_by(NotificationDelivery.created_at.desc()).limit(limit))).scalars())


# -- deliveries -----------------------------------------------------------------------------

async def _owner(session: AsyncSession, onboarding: Onboarding) -> str:
    """Who the onboarding is assigned to, by name: the person a reader of the channel turns to."""
    operator = await session.get(Operator, onboarding.assignee_id) if onboarding.assignee_id else None
    return operator.display_name if operator is not None else "nobody yet (it is in the help-desk queue)"


async def enqueue(session: AsyncSession, alert: Alert, event: str, onboarding: Onboarding, vendor: str,
                  now: datetime, *, public_url: str) -> int:
    """One delivery per channel for this alert's change (a clearing: per channel told of its raising;
    ``continued``, an alert raised as the continuation of another: an update to the channels told of
    that one, and raised to the others, who never heard of it), in the caller's transaction."""
    if event == "raised":
        found = [(channel, event) for channel in await channels(session)]
    elif event == "continued":
        earlier = await session.get(Alert, uuid.UUID(str(alert.details[CONTINUES]["id"])))
        told = {channel.id for channel in await told_of(session, earlier)} if earlier is not None else set()
        found = [(channel, "continued" if channel.id in told else "raised") for channel in await channels(session)]
    else:
        found = [(channel, event) for channel in await told_of(session, alert)]
    bodies = {said: await _payload(session, alert, said, onboarding, vendor, public_url) for said in
              {said for _channel, said in found}}
    for channel, said in found:
        session.add(NotificationDelivery(id=uuid.uuid4(), channel_id=channel.id, alert_id=alert.id, event=said,
                                         payload=bodies[said], created_at=now, next_attempt_at=now))
    return len(found)


async def _payload(session: AsyncSession, alert: Alert, event: str, onboarding: Onboarding, vendor: str,
                   public_url: str) -> dict[str, Any]:
    """The message stands on its own for someone who reads only the channel: what happened, what to
    do, who owns the onboarding and a link to it (``public_url``: the wizard's own address)."""
    headline = messages.headline(event, alert, vendor, onboarding)
    remedy = (alert.details or {}).get("remedy") if event != "cleared" else None
    owner = await _owner(session, onboarding)
    url = f"{public_url.rstrip('/')}/onboardings/{onboarding.id}"
    lines = [headline, ""] + ([f"What to do: {remedy}"] if remedy else []) + [messages.when(event, alert, onboarding),
        f"Owner: {owner}", f"Onboarding: {url}", f"Every watched onboarding: {public_url.rstrip('/')}/health"]
    return {"event": f"alert_{event}", "headline": headline,
            "subject": messages.subject(event, alert, vendor, onboarding), "text": "\n".join(lines),
            "alert": {"key": alert.key, "kind": alert.kind, "summary": alert.summary, "what_to_do": remedy,
                      "raised_at": alert.raised_at.isoformat(),
                      "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None}
                     | ({"continues": alert.details[CONTINUES]["key"]} if event == "continued" else {}),
            "onboarding": {"id": str(onboarding.id), "vendor": vendor, "org": onboarding.org_origin, "url": url,
                           "owner": owner}}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Notifier:
    def __init__(self, db: Database, vault: Vault, clock: Clock, *,
                 http_transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
                 timeout_seconds: float = 10.0) -> None:
        self.db, self.vault, self.clock = db, vault, clock
        self.http_transport = http_transport
        self.timeout = timeout_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    async def deliver_due(self) -> int:
        """Send what is due (each delivery claimed by one server); returns how many were sent."""
        now = self.now()
        async with self.db.sessions() as session:
            due = list((await session.execute(select(NotificationDelivery.id).where(
                NotificationDelivery.delivered_at.is_(None), NotificationDelivery.next_attempt_at <= now,
                NotificationDelivery.attempts < MAX_ATTEMPTS).order_by(NotificationDelivery.created_at)
                .limit(BATCH))).scalars())
        sent = 0
        for delivery_id in due:
            sent += await self._deliver(delivery_id, now)
        return sent

    async def _deliver(self, delivery_id: uuid.UUID, now: datetime) -> int:
        async with self.db.session() as session:
            claimed = await session.execute(update(NotificationDelivery).where(
                NotificationDelivery.id == delivery_id, NotificationDelivery.delivered_at.is_(None),
                NotificationDelivery.next_attempt_at <= now).values(next_attempt_at=now + SENDING_LEASE))
            if (getattr(claimed, "rowcount", 0) or 0) != 1:
                return 0
            delivery = await session.get(NotificationDelivery, delivery_id)
            assert delivery is not None
            channel = await session.get(NotificationChannel, delivery.channel_id)
            sealed: dict[str, str] = {}
            if channel is not None and channel.secret_id is not None and channel.removed_at is None:
                sealed = json.loads((await SecretRepository(session, self.vault).read(
                    channel.secret_id, purpose=SECRET_PURPOSE, owner=channel_owner(channel.id))).reveal())
                for value in sealed.values():
                    Secret(value)  # remembered by the log redactor, whatever repeats it
            payload = dict(delivery.payload)
        error = None
        if channel is None or channel.removed_at is not None:
            error = "The channel was removed."
        else:
            try:
                await (self._webhook if channel.kind == WEBHOOK else self._email)(channel, payload, sealed, now)
            except Exception as exc:  # any failure is retried later; its words are kept, never a secret
                error = f"{type(exc).__name__}: {exc}"
                for value in sealed.values():
                    if value:
                        error = error.replace(value, "[sealed]")
                log.warning("notification %s to %s failed: %s", delivery_id, channel.kind, error[:300])
        async with self.db.session() as session:
            delivery = await session.get(NotificationDelivery, delivery_id)
            assert delivery is not None
            delivery.attempts += 1
            if error is None:
                delivery.delivered_at, delivery.last_error = now, None
            else:
                delivery.last_error = error[:1000]
                delivery.next_attempt_at = now + backoff(delivery.attempts)
        return 1 if error is None else 0

    async def _webhook(self, channel: NotificationChannel, payload: dict[str, Any], sealed: dict[str, str],
                       now: datetime) -> None:
        body = json.dumps(payload, sort_keys=True).encode()
        timestamp = str(int(now.timestamp()))
        headers = {"Content-Type": "application/json", "User-Agent": "okta-onboarding-wizard",
                   "X-Onboard-Timestamp": timestamp}
        headers["X-Onboard-Signature"] = sign(sealed["secret"], timestamp, body)
        # Straight to the transport: httpx's client logs each request's full URL, and a webhook's
        # URL is a credential (Slack's are). Redirects are not followed.
        request = httpx.Request("POST", sealed["url"], content=body, headers=headers,
                                extensions={"timeout": httpx.Timeout(self.timeout).as_dict()})
        async with self.http_transport() if self.http_transport else httpx.AsyncHTTPTransport() as transport:
            response = await transport.handle_async_request(request)
            await response.aread()
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"the webhook answered HTTP {response.status_code}")

    async def _email(self, channel: NotificationChannel, payload: dict[str, Any], sealed: dict[str, str],
                     now: datetime) -> None:
        settings = channel.settings
        message = EmailMessage()
        # One line: a header has no breaks (deliveries queued before the headline was kept have only the text).
        # Cut at a word, with an ellipsis ("… in Okta (rev" read as garbled): the body has it whole.
        message["Subject"] = clip(str(payload.get("subject") or payload.get("headline") or payload["text"]),
                                  SUBJECT_LIMIT)
        message["From"] = settings["sender"]
        message["To"] = channel.target
        message["Date"] = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
        # A delivery queued before the text carried the link names the onboarding as it did then.
        old = "" if payload.get("headline") else f"\nOnboarding {payload['onboarding']['id']} " \
            f"({payload['onboarding']['vendor']}, {payload['onboarding']['org']}).\n"
        message.set_content(f"{payload['text']}\n{old}")
        password = sealed.get("password")

        def send() -> None:
            with smtplib.SMTP(settings["host"], int(settings["port"]), timeout=self.timeout) as smtp:
                if settings.get("starttls", True):
                    smtp.starttls(context=ssl.create_default_context())
                if settings.get("username"):
                    smtp.login(settings["username"], password or "")
                smtp.send_message(message)

        await asyncio.to_thread(send)
