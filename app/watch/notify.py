"""Notifications of alerts: each alert raised or cleared becomes one delivery per channel, written
in the transaction that changed the alert (so a restart loses none), and sent by the watch's loop
with retries and backoff. A failure is kept in words an administrator acts on
(app/watch/delivery_words.py), shown on the channel's row under Settings and, while a channel's
alerts do not get out, on the Health page (app/watch/channel_state.py); a test message goes the
same way (app/watch/trial.py). The channels themselves, as an administrator sets them, are
app/watch/channels.py.

- Webhook: a JSON body with a Slack-compatible ``text``, signed with HMAC-SHA256 over
  ``<timestamp>.<body>`` with the channel's secret (sealed in the vault), sent as
  ``X-Onboard-Signature: sha256=<hex>`` beside ``X-Onboard-Timestamp``; only to an address the
  server may be made to call (app/common/destinations.py), checked again before each connection.
- E-mail over SMTP, STARTTLS unless the server is on this machine's loopback and it is turned off;
  the SMTP password is sealed in the vault. It goes to the addresses the delivery kept when it was
  queued: the channel's recipients and, for a channel set so, the onboarding's assignee then.

No delivery, log line or page carries a channel's secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import smtplib
import socket
import ssl
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.common import destinations
from app.common.clock import Clock
from app.common.text import clip
from app.store.db import Database
from app.store.models import Alert, NotificationChannel, NotificationDelivery, Onboarding
from app.store.models.watch import MAX_ATTEMPTS
from app.store.repositories.secrets import SecretRepository
from app.vault import Secret, Vault
from app.watch import messages
from app.watch.audience import assignee_of, owner_words, recipients
from app.watch.channels import (
    PRIVATE_NETWORK,
    SECRET_PURPOSE,
    WEBHOOK,
    channel_owner,
    channels,
    destination,
    mail_server_problem,
    webhook_place,
)
from app.watch.delivery_words import Undeliverable, WebhookAnswered, failure_words
from app.watch.findings import CONTINUES

log = logging.getLogger("onboard.notify")

BATCH = 20
SENDING_LEASE = timedelta(minutes=5)
SUBJECT_LIMIT = 200


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min... up to 6 hours between tries."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=6))


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


# -- deliveries -----------------------------------------------------------------------------

async def enqueue(session: AsyncSession, alert: Alert, event: str, onboarding: Onboarding, vendor: str,
                  now: datetime, *, public_url: str) -> int:
    """One delivery per channel for this alert's change (a clearing: per channel told of its raising;
    ``continued``, an alert raised as the continuation of another: an update to the channels told of
    that one, and raised to the others, who never heard of it), in the caller's transaction. An
    e-mail's addresses are fixed now, the onboarding's assignee as it is at this moment among them
    where the channel says so (app/watch/audience.py)."""
    if event == "raised":
        found = [(channel, event) for channel in await channels(session)]
    elif event == "continued":
        earlier = await session.get(Alert, uuid.UUID(str(alert.details[CONTINUES]["id"])))
        told = {channel.id for channel in await told_of(session, earlier)} if earlier is not None else set()
        found = [(channel, "continued" if channel.id in told else "raised") for channel in await channels(session)]
    else:
        found = [(channel, event) for channel in await told_of(session, alert)]
    assignee = await assignee_of(session, onboarding)
    addresses = recipients([channel for channel, _said in found], assignee)
    bodies = {said: _payload(alert, said, onboarding, vendor, public_url, owner_words(assignee))
              for said in {said for _channel, said in found}}
    for channel, said in found:
        session.add(NotificationDelivery(id=uuid.uuid4(), channel_id=channel.id, alert_id=alert.id, event=said,
                                         payload=bodies[said], recipients=addresses.get(channel.id), created_at=now,
                                         next_attempt_at=now))
    return len(found)


def _payload(alert: Alert, event: str, onboarding: Onboarding, vendor: str, public_url: str,
             owner: str) -> dict[str, Any]:
    """The message stands on its own for someone who reads only the channel: what happened, what to
    do, who owns the onboarding and a link to it (``public_url``: the wizard's own address)."""
    headline = messages.headline(event, alert, vendor, onboarding)
    remedy = (alert.details or {}).get("remedy") if event != "cleared" else None
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


async def sealed_of(session: AsyncSession, vault: Vault, channel: NotificationChannel) -> dict[str, str]:
    """A channel's sealed values (the webhook's URL and signing secret, the SMTP password),
    remembered by the log redactor, whatever repeats them."""
    if channel.secret_id is None or channel.removed_at is not None:
        return {}
    sealed: dict[str, str] = json.loads((await SecretRepository(session, vault).read(
        channel.secret_id, purpose=SECRET_PURPOSE, owner=channel_owner(channel.id))).reveal())
    for value in sealed.values():
        Secret(value)
    return sealed


class _PinnedSMTP(smtplib.SMTP):
    """An SMTP connection to the addresses checked for the mail server's name, in turn, not to what
    the name resolves to a moment later (app/common/destinations.py); STARTTLS still checks the
    certificate against the name."""

    def __init__(self, host: str, port: int, addresses: list[str], *, timeout: float) -> None:
        self.addresses = addresses
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        if not self.addresses:
            raise destinations.unresolved(host)
        failure: OSError | None = None
        share = destinations.connect_share(timeout, len(self.addresses))  # silent ones: one timeout in all
        for address in self.addresses:
            try:
                connected = socket.create_connection((address, port), share, self.source_address)
            except OSError as exc:  # this address did not take the connection: the next may
                failure = exc
                continue
            connected.settimeout(timeout)  # the conversation's own, whole
            return connected
        assert failure is not None
        raise failure


# An alert's raise before its update before its clearing when queued at the same moment (one run
# raises and clears, a clock's resolution): Postgres returned ties in any order, and "[Resolved]"
# could reach an inbox before the "[Alert]" it resolves.
_IN_TURN = case({"raised": 0, "continued": 1, "cleared": 2}, value=NotificationDelivery.event, else_=3)


async def _held(session: AsyncSession, delivery: NotificationDelivery, now: datetime) -> bool:
    """Whether a clearing or an update waits for the raising it follows to the same channel (of its own
    alert; of the alert it carries on): still retried (a receiver that was down), that goes first. A
    clearing whose raising was given up is given up too: the channel never had the alert (review,
    twenty-eighth session, M1: the "[Resolved]" came an hour before the "[Alert]" it resolved, or
    alone). An update still goes: it says what is left of the problem now."""
    if delivery.event == "cleared":
        follows: uuid.UUID | None = delivery.alert_id
    elif delivery.event == "continued":
        alert = await session.get(Alert, delivery.alert_id)
        carried = ((alert.details or {}).get(CONTINUES) or {}).get("id") if alert is not None else None
        follows = uuid.UUID(str(carried)) if carried else None
    else:
        return False
    earlier = list((await session.execute(select(NotificationDelivery).where(
        NotificationDelivery.alert_id == follows, NotificationDelivery.channel_id == delivery.channel_id,
        NotificationDelivery.event.in_(("raised", "continued")), NotificationDelivery.delivered_at.is_(None))))
        .scalars()) if follows is not None else []
    waiting = [before.next_attempt_at for before in earlier if before.attempts < MAX_ATTEMPTS]
    if waiting:
        delivery.next_attempt_at = max(max(waiting), now)  # the round that tries the raising then tries this after it
        return True
    if earlier and delivery.event == "cleared":
        # Never tried: the channel's last try and its words stay the raising's, the receiver's answer.
        delivery.attempts, delivery.not_sent = MAX_ATTEMPTS, "the alert it resolves never got through to this channel"
        return True
    return False


class Notifier:
    """Sends what is due. ``loopback_ok``: a webhook may be on this machine (while the sandbox is
    enabled, as the demo and the tests run it: app/common/destinations.py); ``resolver``: the host
    names' addresses, checked before each connection."""

    def __init__(self, db: Database, vault: Vault, clock: Clock, *,
                 http_transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
                 timeout_seconds: float = 10.0, loopback_ok: bool = False,
                 resolver: Callable[[str, int], Awaitable[list[str]]] = destinations.resolve) -> None:
        self.db, self.vault, self.clock = db, vault, clock
        self.http_transport = http_transport
        self.timeout = timeout_seconds
        self.loopback_ok = loopback_ok
        self.resolver = resolver

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    async def deliver_due(self, stopping: Callable[[], bool] = lambda: False) -> int:
        """Send what is due (each delivery claimed by one server); returns how many were sent.
        ``stopping``: the server is stopping; what is left goes at its next start (a round is up to
        BATCH sends of up to a timeout each: the stop waited for all of them, and a process manager's
        kill cut one short, to be sent again once its lease ran out)."""
        now = self.now()
        async with self.db.sessions() as session:
            due = list((await session.execute(select(NotificationDelivery.id).where(
                NotificationDelivery.delivered_at.is_(None), NotificationDelivery.next_attempt_at <= now,
                NotificationDelivery.attempts < MAX_ATTEMPTS).order_by(NotificationDelivery.created_at, _IN_TURN)
                .limit(BATCH))).scalars())
        sent = 0
        for delivery_id in due:
            if stopping():
                break
            sent += await self._deliver(delivery_id)
        return sent

    async def _deliver(self, delivery_id: uuid.UUID) -> int:
        # The moment of this send, not the round's: a round of slow sends outlasts a lease, and a claim
        # from its start would be over already, for another server to send it too (review).
        now = self.now()
        async with self.db.session() as session:
            claimed = await session.execute(update(NotificationDelivery).where(
                NotificationDelivery.id == delivery_id, NotificationDelivery.delivered_at.is_(None),
                NotificationDelivery.next_attempt_at <= now).values(next_attempt_at=now + SENDING_LEASE,
                                                                    sending_until=now + SENDING_LEASE))
            if (getattr(claimed, "rowcount", 0) or 0) != 1:
                return 0
            delivery = await session.get(NotificationDelivery, delivery_id)
            assert delivery is not None
            if await _held(session, delivery, now):
                delivery.sending_until = None
                return 0
            channel = await session.get(NotificationChannel, delivery.channel_id)
            sealed = await sealed_of(session, self.vault, channel) if channel is not None else {}
            payload, to = dict(delivery.payload), delivery.recipients
        error = None
        if channel is None or channel.removed_at is not None:
            error = "The channel was removed."
        else:
            error = await self.send(channel, payload, sealed, now, to=to, seconds=self.timeout)
            if error is not None:
                log.warning("notification %s to %s failed: %s", delivery_id, channel.kind, error)
        async with self.db.session() as session:
            delivery = await session.get(NotificationDelivery, delivery_id)
            if delivery is None:  # its channel's rows went with it
                return 1 if error is None else 0
            # Withdrawn while it was sent (its onboarding undone or closed: `end_alerts`): the try is
            # still the channel's, and it is not tried again.
            withdrawn = delivery.not_sent is not None
            delivery.attempts = MAX_ATTEMPTS if withdrawn else delivery.attempts + 1
            delivery.last_attempt_at, delivery.sending_until = now, None
            if error is None:
                delivery.delivered_at, delivery.last_error, delivery.not_sent = now, None, None
            else:
                delivery.last_error = error[:1000]
                if not withdrawn:
                    delivery.next_attempt_at = now + backoff(delivery.attempts)
        return 1 if error is None else 0

    async def send(self, channel: NotificationChannel, payload: dict[str, Any], sealed: dict[str, str],
                   now: datetime, *, to: list[str] | None, seconds: float) -> str | None:
        """Send one message to ``channel``, giving each connection ``seconds``; None once it got
        through, else why not, in words an administrator acts on (app/watch/delivery_words.py)."""
        try:
            if channel.kind == WEBHOOK:
                await self._webhook(channel, payload, sealed, now, seconds)
            else:
                await self._email(channel, payload, sealed, now, to=to, seconds=seconds)
        except Exception as exc:  # any failure is said (and a delivery retried later), never a secret
            return failure_words(channel, sealed.get("url"), exc, seconds=seconds, hidden=sealed.values())
        return None

    async def _webhook(self, channel: NotificationChannel, payload: dict[str, Any], sealed: dict[str, str],
                       now: datetime, seconds: float) -> None:
        url = sealed["url"]
        # Where the name points now, not only when the webhook was added (app/common/destinations.py).
        problem, addresses = await destination(url, private_ok=bool((channel.settings or {}).get(PRIVATE_NETWORK)),
                                               loopback_ok=self.loopback_ok, resolver=self.resolver)
        if problem:
            raise Undeliverable(f"Not sent: {problem}")
        body = json.dumps(payload, sort_keys=True).encode()
        timestamp = str(int(now.timestamp()))
        headers = {"Content-Type": "application/json", "User-Agent": "okta-onboarding-wizard",
                   "X-Onboard-Timestamp": timestamp}
        headers["X-Onboard-Signature"] = sign(sealed["secret"], timestamp, body)
        # Straight to the transport: httpx's client logs each request's full URL, and a webhook's
        # URL is a credential (Slack's are). Redirects are not followed.
        request = httpx.Request("POST", url, content=body, headers=headers,
                                extensions={"timeout": httpx.Timeout(seconds).as_dict()})
        # To the addresses just checked, not to where the name points a moment later (DNS rebinding).
        inner = self.http_transport() if self.http_transport else httpx.AsyncHTTPTransport()
        async with destinations.PinnedTransport(inner, webhook_place(url)[0], addresses) as transport:
            response = await transport.handle_async_request(request)
            await response.aread()
        if not 200 <= response.status_code < 300:
            raise WebhookAnswered(response.status_code)

    async def _email(self, channel: NotificationChannel, payload: dict[str, Any], sealed: dict[str, str],
                     now: datetime, *, to: list[str] | None = None, seconds: float | None = None) -> None:
        """``to``: the addresses the delivery kept when it was queued (None: one queued before they
        were kept, which goes to the channel's recipients)."""
        settings = channel.settings
        message = EmailMessage()
        # One line: a header has no breaks (deliveries queued before the headline was kept have only the text).
        # Cut at a word, with an ellipsis ("… in Okta (rev" read as garbled): the body has it whole.
        message["Subject"] = clip(str(payload.get("subject") or payload.get("headline") or payload["text"]),
                                  SUBJECT_LIMIT)
        message["From"] = settings["sender"]
        message["To"] = ", ".join(to) if to else channel.target
        message["Date"] = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
        # A delivery queued before the text carried the link names the onboarding as it did then.
        old = "" if payload.get("headline") else f"\nOnboarding {payload['onboarding']['id']} " \
            f"({payload['onboarding']['vendor']}, {payload['onboarding']['org']}).\n"
        message.set_content(f"{payload['text']}\n{old}")
        password = sealed.get("password")
        # Where the name points now, not only when the channel was added (mail_server_problem).
        host, port = str(settings["host"]), int(settings["port"])
        addresses = await self.resolver(host, port)
        if problem := mail_server_problem(host, addresses, private_ok=bool(settings.get(PRIVATE_NETWORK)),
                                          loopback_ok=self.loopback_ok):
            raise Undeliverable(f"Not sent: {problem}")

        def send() -> None:
            with _PinnedSMTP(host, port, addresses, timeout=seconds or self.timeout) as smtp:
                if settings.get("starttls", True):
                    smtp.starttls(context=ssl.create_default_context())
                if settings.get("username"):
                    smtp.login(settings["username"], password or "")
                smtp.send_message(message)

        await asyncio.to_thread(send)
