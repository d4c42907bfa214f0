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
checked (``PinnedTransport``, ``CheckedTransport``, the mail server's socket), never to what the name
resolves to a moment later: a name that answered a public address to the check and the metadata
service's to the connection (DNS rebinding) reached it (security probe, left from the last session).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

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
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:169.254.169.254 is that address; a 6to4 (2002::/16) or Teredo address reaches the IPv4
        # address inside it, which the rule is applied to (review).
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        return embedded or address
    return address


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
        # fec0::/10 (site-local, deprecated) is a private network's, as fc00::/7 is (review).
        if (not address.is_global or getattr(address, "is_site_local", False)) and not private_ok:
            return (f"{said} a private address. If {service} really is on the company's private network, "
                    f"tick “{private_choice}”.") if private_choice else \
                f"{said} a private address; {service} is called only at a public one."
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


def ascii_host(host: str) -> str:
    """The host as it goes on the wire: an internationalised name in its punycode form (httpx
    reads ``xn--`` names back as Unicode), an IPv6 address without its brackets, lower case."""
    bare = host.strip("[]")
    if ":" in bare:
        return bare.lower()
    try:
        return httpx.URL(f"https://{bare}/").raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError):
        return bare.lower()


# The least time an address is given to take the connection when the request's connect timeout
# is shared among several (a connection over a slow link takes well under it).
LEAST_CONNECT_SHARE = 2.0


def connect_shares(timeout: dict[str, float | None] | None, addresses: int) -> dict[str, object]:
    """The request's timeouts with its connect timeout shared among ``addresses`` tried in turn, so
    that silent ones take about the one connect timeout in all, as the connection racing a name's
    addresses did, not one each (three silent addresses: three times the wait, before every retry);
    each gets at least LEAST_CONNECT_SHARE. Nothing changes for one address or no connect timeout."""
    connect = (timeout or {}).get("connect")
    if addresses < 2 or connect is None:
        return {}
    return {"timeout": {**(timeout or {}), "connect": connect_share(connect, addresses)}}


def connect_share(connect: float, addresses: int) -> float:
    """One address's share of a connect timeout shared among ``addresses`` tried in turn."""
    return connect if addresses < 2 else max(connect / addresses, min(LEAST_CONNECT_SHARE, connect))


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request for ``host`` to the ``addresses`` checked for it, in turn until one
    connects, keeping the name for the Host header and for the TLS certificate's check (SNI).
    A request for any other host is refused: the check covered this one only."""

    def __init__(self, inner: httpx.AsyncBaseTransport, host: str, addresses: Iterable[str]) -> None:
        self.inner, self.host, self.addresses = inner, ascii_host(host), list(addresses)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        asked = request.url.raw_host.decode("ascii").lower()
        if asked != self.host:
            raise httpx.ConnectError(f"{request.url.host} was not checked; only {self.host} was", request=request)
        if not self.addresses:
            raise httpx.ConnectError(f"{self.host} does not resolve", request=request) from unresolved(self.host)
        failure: httpx.ConnectError | httpx.ConnectTimeout | None = None
        try:  # a body already read goes as read (so that it can be read again); else its stream
            body: bytes | None = request.content
        except httpx.RequestNotRead:
            body = None
        timeouts = connect_shares(request.extensions.get("timeout"), len(self.addresses))
        for address in self.addresses:
            pinned = httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                                   content=body, stream=None if body is not None else request.stream,
                                   extensions={**request.extensions, "sni_hostname": self.host, **timeouts})
            try:
                return await self.inner.handle_async_request(pinned)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # This address did not take the connection (nothing of the request was sent): the next
                # may, as the connection tried each address the name had before (a silent IPv6 first).
                failure = exc
        assert failure is not None
        raise failure

    async def aclose(self) -> None:
        await self.inner.aclose()


class Refused(httpx.ConnectError):
    """A connection the rule refused before it was made; its text says why, in a person's words."""


class CheckedTransport(httpx.AsyncBaseTransport):
    """Requests for ``host`` go to the addresses its name has when it is first asked, once
    ``rule`` allows them (``address_problem``'s words, None: allowed), and to no others for the
    life of this transport; requests for any other host pass as they are (an Okta org reached by
    its custom domain links to its own Okta address, Okta's name to resolve)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, host: str,
                 resolver: Callable[[str, int], Awaitable[list[str]]],
                 rule: Callable[[str, list[str]], str | None]) -> None:
        self.inner, self.host, self.resolver, self.rule = inner, ascii_host(host), resolver, rule
        self.pinned: PinnedTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.raw_host.decode("ascii").lower() != self.host:
            return await self.inner.handle_async_request(request)
        if self.pinned is None:
            addresses = await self.resolver(self.host, request.url.port or 443)
            problem = self.rule(self.host, addresses)
            if problem:
                raise Refused(problem, request=request)
            self.pinned = PinnedTransport(self.inner, self.host, addresses)
        try:
            return await self.pinned.handle_async_request(request)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            # Asked again, and checked again, at the next request: a lookup that failed once, or addresses
            # that stopped answering, would otherwise fail the rest of a long job (review).
            self.pinned = None
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()
