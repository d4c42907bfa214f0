"""Where an administrator may make the server send requests (the identity provider it signs in
with, a webhook it posts alerts to): one rule, because whoever sets such an address can turn the
server against the network it sits in (server-side request forgery):

- never to a link-local address (169.254.x.x, fe80::): a cloud's metadata service answers there
  with the machine's own credentials; nor to a multicast, unspecified or reserved one;
- to this machine (loopback) only while the sandbox is enabled (the demo; the tests run their
  receivers there the same way): the sign-in's provider is then the sandbox Okta's own address
  only (app/auth/oidc_config.py), a webhook a receiver on this machine;
- to a private address (10.x, 172.16-31.x, 192.168.x, fc00::) only when an administrator said the
  service is on the company's private network;
- anywhere else on the internet.

Each address a name resolves to is checked, when the address is set and again before each
connection (a name may point elsewhere since); the connection is then made to the addresses
checked (``PinnedTransport``, and the mail server's own connection), never to what the name
resolves to a moment later: a name that answered a public address to the check and the metadata
service's to the connection (DNS rebinding) reached it (security probe, left from the last session).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpx

LINK_LOCAL = ("an address on this machine's local link (where a cloud's metadata service answers with the server's "
              "own credentials); it is always refused")
# Clouds' metadata services outside the link-local range, refused as those are: AWS's over IPv6 (a
# unique local address) and Alibaba Cloud's (in the shared address space). A private network allowed
# for a mail server or a webhook reached them (review).
METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")})


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:169.254.169.254 is that address
    return mapped or address


def address_problem(host: str, addresses: Iterable[str], *, private_ok: bool, loopback_ok: bool,
                    service: str, private_choice: str, loopback_note: str = "") -> str | None:
    """Why the server must not connect to ``host`` at these resolved addresses, or None (also
    when it resolves to none: the connection then fails and says so). ``service``: what is
    there ("the identity provider"); ``private_choice``: the box an administrator ticks to say it
    is on the private network; ``loopback_note``: when this machine is allowed, said after its refusal."""
    for text in addresses:
        address = _address(text)
        said = f"{host} is" if address is not None and str(address) == host.strip("[]") else \
            f"{host} resolves to {address or text},"
        if address is None:
            return f"{host} resolves to {text}, which is not an address."
        if address.is_link_local or address in METADATA:
            return f"{said} {LINK_LOCAL}."
        if address.is_loopback:
            if loopback_ok:
                continue
            return f"{said} an address of this machine; the server is not made to call its own services{loopback_note}."
        if address.is_multicast or address.is_unspecified or address.is_reserved:
            return f"{said} a multicast, unspecified or reserved address; it is refused."
        if not address.is_global and not private_ok:
            return (f"{said} a private address. If {service} really is on the company's private network, "
                    f"tick “{private_choice}”.")
    return None


async def resolve(host: str, port: int = 443) -> list[str]:
    """The addresses ``host`` resolves to (empty when it does not resolve); an IP address is itself."""
    if _address(host.strip("[]")) is not None:
        return [host.strip("[]")]
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    # In the resolver's order of preference (RFC 6724), each once: the connection tries them in turn.
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def unresolved(host: str) -> OSError:
    """The error a connection to a name that resolved to nothing fails with (said as a DNS failure)."""
    return socket.gaierror(socket.EAI_NONAME, f"{host}: Name or service not known")


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request for ``host`` to the ``addresses`` checked for it, in turn until one
    connects, keeping the name for the Host header and for the TLS certificate's check (SNI).
    A request for any other host is refused: the check covered this one only."""

    def __init__(self, inner: httpx.AsyncBaseTransport, host: str, addresses: Iterable[str]) -> None:
        self.inner, self.host, self.addresses = inner, host.strip("[]").lower(), list(addresses)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.lower() != self.host:
            raise httpx.ConnectError(f"{request.url.host} was not checked; only {self.host} was", request=request)
        if not self.addresses:
            raise httpx.ConnectError(f"{self.host} does not resolve", request=request) from unresolved(self.host)
        failure: httpx.ConnectError | None = None
        for address in self.addresses:
            pinned = httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                                   stream=request.stream,
                                   extensions={**request.extensions, "sni_hostname": self.host})
            try:
                return await self.inner.handle_async_request(pinned)
            except httpx.ConnectError as exc:  # this address did not take the connection: the next may
                failure = exc
        assert failure is not None
        raise failure

    async def aclose(self) -> None:
        await self.inner.aclose()
