"""Why a connection the server made went wrong, in words a person acts on. One reading of the
failure, shared by everything that connects out: the Okta connection's form and calls
(app/okta/errors.py) and the watch's notifications and their test messages
(app/watch/delivery_words.py). The exception's own text ("ConnectError: All connection attempts
failed", "gaierror: [Errno -2] Name or service not known") told an administrator nothing
(QA walk 13, M3).

The reading walks the exception's causes (httpx wraps the socket's error twice) and falls back on
the text only for an error that carries nothing else.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from enum import StrEnum

import httpx


class Failure(StrEnum):
    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    CERTIFICATE = "certificate"
    TLS = "tls"
    UNREACHABLE = "unreachable"
    DROPPED = "dropped"
    OTHER = "other"


# What happened, as a clause: "Could not connect to acme.okta.com: <cause>; …".
CAUSES: dict[Failure, str] = {
    Failure.DNS: "the address does not resolve (DNS)",
    Failure.REFUSED: "the server refused the connection",
    Failure.TIMEOUT: "it did not answer in time",
    Failure.CERTIFICATE: "its TLS certificate could not be verified",
    Failure.TLS: "the TLS handshake failed",
    Failure.UNREACHABLE: "the network has no route to it",
    Failure.DROPPED: "the connection dropped before it answered",
}

# What to do, for a service named ``{what}`` at ``{host}``.
ADVICE: dict[Failure, str] = {
    Failure.DNS: "check the name",
    Failure.REFUSED: "check the port, and that {what} is running",
    Failure.TIMEOUT: "check that a firewall lets this server reach it, and that it is up",
    Failure.CERTIFICATE: "its certificate must be valid for {host} and signed by an authority this server trusts",
    Failure.TLS: "check that this port speaks TLS",
    Failure.UNREACHABLE: "check this server's network and firewall",
    Failure.DROPPED: "if it goes on, look at {what}'s own log",
    Failure.OTHER: "check its address",
}

_DNS_TEXT = ("name or service not known", "nodename nor servname", "getaddrinfo",
             "temporary failure in name resolution", "no address associated with hostname")
_UNREACHABLE = (errno.ENETUNREACH, errno.EHOSTUNREACH)
_DROPPED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, httpx.RemoteProtocolError,
            httpx.ReadError, httpx.WriteError)


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(seen) < 10:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _by_type(link: BaseException) -> Failure | None:
    if isinstance(link, socket.gaierror):
        return Failure.DNS
    if isinstance(link, ssl.SSLCertVerificationError):
        return Failure.CERTIFICATE
    if isinstance(link, ssl.SSLError):
        return Failure.TLS
    if isinstance(link, ConnectionRefusedError):
        return Failure.REFUSED
    if isinstance(link, TimeoutError | httpx.TimeoutException):
        return Failure.TIMEOUT
    if isinstance(link, _DROPPED):
        return Failure.DROPPED
    if isinstance(link, OSError) and link.errno in _UNREACHABLE:
        return Failure.UNREACHABLE
    return None


def _by_text(text: str) -> Failure | None:
    lowered = text.lower()
    if any(words in lowered for words in _DNS_TEXT):
        return Failure.DNS
    if "connection refused" in lowered or "connect call failed" in lowered:
        return Failure.REFUSED
    if "certificate" in lowered:
        return Failure.CERTIFICATE
    if "ssl" in lowered or "tls" in lowered:
        return Failure.TLS
    if "timed out" in lowered:
        return Failure.TIMEOUT
    if "network is unreachable" in lowered or "no route to host" in lowered:
        return Failure.UNREACHABLE
    return None


def failure_of(exc: BaseException | None) -> Failure:
    links = list(_chain(exc))
    for link in links:
        found = _by_type(link)
        if found is not None:
            return found
    for link in links:
        found = _by_text(str(link))
        if found is not None:
            return found
    return Failure.OTHER


def _detail(exc: BaseException | None) -> str:
    """What the TLS library said of a certificate ("self-signed certificate", "certificate has
    expired", "Hostname mismatch…"): the part that says which of the certificate's faults it is."""
    for link in _chain(exc):
        if isinstance(link, ssl.SSLCertVerificationError) and link.verify_message:
            return str(link.verify_message)
    return ""


def raw_words(exc: BaseException | None) -> str:
    """The error's own first line, for a failure none of the kinds above describes."""
    text = " ".join(str(exc or "").split())
    return text[:200] or (type(exc).__name__ if exc is not None else "unknown error")


def cause(exc: BaseException | None) -> str:
    """Why a connection failed, as a clause: "the address does not resolve (DNS)" (the network
    error's own text when it is none of the kinds above)."""
    kind = failure_of(exc)
    if kind is Failure.OTHER:
        return raw_words(exc)
    detail = _detail(exc)
    return f"{CAUSES[kind]} ({detail})" if detail else CAUSES[kind]


def place(host: str, port: int) -> str:
    """A host and its port as a URL writes them: an IPv6 address in brackets ("fd00::1:8080" read as
    one address)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def could_not_reach(what: str, host: str, port: int, exc: BaseException | None, *,
                    seconds: float | None = None) -> str:
    """One sentence for a service that could not be reached: which one, where (host and port only,
    never a path), why, and what to check. ``seconds``: the time it was given, said for a timeout."""
    kind = failure_of(exc)
    why = cause(exc)
    if kind is Failure.TIMEOUT and seconds is not None:
        why = f"it did not answer within {seconds:g} seconds"
    advice = ADVICE[kind].format(what=what, host=host)
    return f"Could not reach {what} at {place(host, port)}: {why}; {advice}."


def told_cause(exc: BaseException | None) -> str:
    """``cause`` for a reader who may not see an error's own text (a signed-out visitor): one none
    of the kinds above describes is "the connection failed", not quoted."""
    return "the connection failed" if failure_of(exc) is Failure.OTHER else cause(exc)
