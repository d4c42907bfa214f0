"""Why a notification did not get out, in words an administrator acts on: which server (its host
and port, never a webhook's path or query, which may hold its token), what went wrong and what to
check. "ConnectError: All connection attempts failed" was all the Settings page said (QA walk 13,
M3). The same words are kept on the delivery (``last_error``), shown on the channel's row, on the
Health page and in a test message's answer, so none of them carries a secret: whatever a server
echoes is cut short and cleaned of the channel's sealed values.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from http import HTTPStatus
from urllib.parse import urlsplit

from app.common import network
from app.common.text import clip
from app.store.models import NotificationChannel
from app.watch.channels import RECEIVER, WEBHOOK, webhook_place

WORDS_LIMIT = 400
SMTP_SERVER = "the SMTP server"


class Undeliverable(Exception):
    """A failure already in words (the channel was removed; the address is one the server may not
    be made to call)."""


class WebhookAnswered(Exception):
    """The webhook's receiver answered, with a status other than 2xx."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the webhook answered HTTP {status}")
        self.status = status


def _status(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _answered(host: str, status: int) -> str:
    said = f"The webhook at {host} answered {_status(status)}"
    if 300 <= status < 400:
        return f"{said}: redirects are not followed; enter the address it redirects to."
    if status in (401, 403):
        return f"{said}: it refused the request; check the URL, and that the receiver expects this signing secret."
    if status in (404, 410):
        return f"{said}: it does not know this address (a removed Slack webhook answers so); check the URL."
    if status == 429:
        return f"{said}: it is limiting requests; alerts are tried again later."
    if status >= 500:
        return f"{said}: the receiver had an error; alerts are tried again later, and its own log says why."
    if 400 <= status < 500:
        return f"{said}: it did not accept the message; check that the URL is an incoming webhook's."
    return f"{said}."


def _server_said(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return clip(f"{exc.smtp_code} {text}", 160)


def _smtp(host: str, port: int, exc: BaseException) -> str | None:
    """An SMTP server's own refusal, or None when it is a network failure (or none it said)."""
    server = f"The SMTP server {network.place(host, port)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = exc.recipients or {}
        names = ", ".join(sorted(refused)) or "the recipients"
        code, said = next(iter(refused.values()), (0, b""))
        why = clip(f"{code} {said.decode(errors='replace') if isinstance(said, bytes) else said}", 160)
        return (f"{server} refused the recipient{'s' if len(refused) > 1 else ''} {names} ({why}); check the "
                "addresses, and that the server lets this account send to them.")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"{server} refused the username and password ({_server_said(exc)}); check the SMTP username and "
                "password.")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (f"{server} refused the from address {exc.sender} ({_server_said(exc)}); use an address this "
                "account may send from.")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "starttls" in str(exc).lower():
            return f"{server} does not offer STARTTLS; use its submission port (usually 587), or a server that does."
        return (f"{server} does not offer sign-in (SMTP AUTH) here; leave the username empty, or use its "
                "submission port (usually 587).")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{server} closed the connection before the message was sent; if it goes on, look at its own log."
    if isinstance(exc, smtplib.SMTPDataError):
        return f"{server} refused the message ({_server_said(exc)})."
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        if not 400 <= exc.smtp_code < 600:
            # Not an SMTP server's answer (an SSH or HTTP greeting, say): not quoted, or a test message
            # read out any internal service's banner to everyone who reads Settings (security review, M1).
            return f"{server} answered, but not as a mail server does; check the SMTP server and port."
        return f"{server} refused this server's connection ({_server_said(exc)})."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{server} answered {_server_said(exc)}."
    if isinstance(exc, smtplib.SMTPException):
        return f"{server} failed: {network.raw_words(exc)}."
    return None


def failure_words(channel: NotificationChannel, url: str | None, exc: BaseException, *, seconds: float,
                  hidden: Iterable[str] = ()) -> str:
    """Why sending to ``channel`` failed. ``url``: the webhook's sealed address (host and port said,
    its path and query never); ``hidden``: the channel's sealed values, never in the words."""
    if isinstance(exc, Undeliverable):
        words = str(exc)
    elif channel.kind == WEBHOOK:
        host, port = webhook_place(url or "")
        words = _answered(host, exc.status) if isinstance(exc, WebhookAnswered) else \
            network.could_not_reach(RECEIVER, host, port, exc, seconds=seconds)
    else:
        host, port = str(channel.settings.get("host", "?")), int(channel.settings.get("port") or 0)
        words = _smtp(host, port, exc) or network.could_not_reach(SMTP_SERVER, host, port, exc, seconds=seconds)
    return clean(words, [*hidden, *_url_parts(url)])


def _url_parts(url: str | None) -> list[str]:
    if not url:
        return []
    parts = urlsplit(url)
    return [url, *(part for part in (parts.path, parts.query, parts.fragment) if len(part) > 3)]


def clean(words: str, hidden: Iterable[str]) -> str:
    """``words`` without any of the ``hidden`` values (longest first, so none is left in part)."""
    for value in sorted((value for value in hidden if value), key=len, reverse=True):
        words = words.replace(value, "[sealed]")
    return clip(words, WORDS_LIMIT)
