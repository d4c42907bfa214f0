"""A connection goes to the addresses checked for its name (app/common/destinations.py): the next
one when an address does not take the connection, none when the name resolved to nothing, and
never to a host that was not checked (a redirect or a link to elsewhere)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.common import network
from app.common.destinations import PinnedTransport


class _Network(httpx.AsyncBaseTransport):
    """Addresses that refuse the connection, and the ones asked, with the name the TLS check uses."""

    def __init__(self, refusing: set[str]) -> None:
        self.refusing = refusing
        self.asked: list[tuple[str, str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append((request.url.host, request.headers["Host"], request.extensions.get("sni_hostname")))
        if request.url.host in self.refusing:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(204, request=request)


def _get(transport: httpx.AsyncBaseTransport, url: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(url)
    return asyncio.run(go())


def test_the_next_address_is_tried_when_one_refuses_and_the_name_is_kept() -> None:
    inner = _Network(refusing={"2001:db8::1"})
    answer = _get(PinnedTransport(inner, "Hooks.Acme.Example", ["2001:db8::1", "203.0.113.7"]),
                  "https://hooks.acme.example/x")
    assert answer.status_code == 204
    assert inner.asked == [("2001:db8::1", "hooks.acme.example", "hooks.acme.example"),
                           ("203.0.113.7", "hooks.acme.example", "hooks.acme.example")]


def test_every_address_refusing_is_said_as_refused() -> None:
    inner = _Network(refusing={"203.0.113.7", "203.0.113.8"})
    with pytest.raises(httpx.ConnectError) as failed:
        _get(PinnedTransport(inner, "hooks.acme.example", ["203.0.113.7", "203.0.113.8"]), "https://hooks.acme.example/")
    assert network.failure_of(failed.value) is network.Failure.REFUSED and len(inner.asked) == 2


def test_a_name_that_resolved_to_nothing_is_not_resolved_again() -> None:
    inner = _Network(refusing=set())
    with pytest.raises(httpx.ConnectError) as failed:
        _get(PinnedTransport(inner, "hooks.acme.example", []), "https://hooks.acme.example/")
    assert network.cause(failed.value) == "the address does not resolve (DNS)" and inner.asked == []


def test_a_host_that_was_not_checked_is_not_connected_to() -> None:
    inner = _Network(refusing=set())
    with pytest.raises(httpx.ConnectError, match=r"169\.254\.169\.254 was not checked"):
        _get(PinnedTransport(inner, "hooks.acme.example", ["203.0.113.7"]), "http://169.254.169.254/latest/")
    assert inner.asked == []


def test_a_silent_address_is_passed_over_for_the_next() -> None:
    class Silent(_Network):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host == "2001:db8::1":
                self.asked.append((request.url.host, request.headers["Host"], None))
                raise httpx.ConnectTimeout("timed out", request=request)
            return await super().handle_async_request(request)
    inner = Silent(refusing=set())
    answer = _get(PinnedTransport(inner, "hooks.acme.example", ["2001:db8::1", "203.0.113.7"]),
                  "https://hooks.acme.example/x")
    assert answer.status_code == 204 and [asked[0] for asked in inner.asked] == ["2001:db8::1", "203.0.113.7"]


@pytest.mark.parametrize("given", ["münchen.example", "xn--mnchen-3ya.example", "MÜNCHEN.example"])
def test_an_internationalised_name_is_checked_and_sent_in_its_punycode_form(given: str) -> None:
    inner = _Network(refusing=set())
    answer = _get(PinnedTransport(inner, given, ["203.0.113.7"]), "https://münchen.example/hook")
    assert answer.status_code == 204
    assert inner.asked == [("203.0.113.7", "xn--mnchen-3ya.example", "xn--mnchen-3ya.example")]


def test_a_name_that_failed_to_resolve_is_asked_again_at_the_next_request() -> None:
    """A custom domain's client lives for a whole job: one failed lookup failed every later request."""
    from app.common.destinations import CheckedTransport

    answers = [[], ["203.0.113.7"]]
    asked: list[str] = []

    async def resolve(host: str, _port: int) -> list[str]:
        asked.append(host)
        return answers.pop(0)

    inner = _Network(refusing=set())

    async def twice() -> tuple[str, int]:
        transport = CheckedTransport(inner, "login.acme.example", resolve, lambda _host, _addresses: None)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx.ConnectError) as failed:
                await client.get("https://login.acme.example/api/v1/users/me")
            answer = await client.get("https://login.acme.example/api/v1/users/me")
        return network.cause(failed.value), answer.status_code
    assert asyncio.run(twice()) == ("the address does not resolve (DNS)", 204)
    assert asked == ["login.acme.example", "login.acme.example"]


def test_silent_addresses_share_one_connect_timeout() -> None:
    """Addresses are tried one at a time: three silent ones waited three connect timeouts, before each
    of the client's retries, where the connection that raced a name's addresses waited one (review)."""
    waited: list[float] = []

    class Silent(_Network):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            waited.append(request.extensions["timeout"]["connect"])
            if request.url.host != "203.0.113.9":
                raise httpx.ConnectTimeout("timed out", request=request)
            return await super().handle_async_request(request)

    addresses = ["2001:db8::1", "203.0.113.7", "203.0.113.8", "203.0.113.9"]

    async def go(limits: httpx.Timeout) -> int:
        async with httpx.AsyncClient(transport=PinnedTransport(Silent(set()), "login.acme.example", addresses),
                                     timeout=limits) as client:
            return (await client.get("https://login.acme.example/")).status_code

    assert asyncio.run(go(httpx.Timeout(30, connect=10))) == 204
    assert waited == [2.5, 2.5, 2.5, 2.5]  # 10 s in all, the last address still reached
    waited.clear()
    assert asyncio.run(go(httpx.Timeout(4))) == 204
    assert waited == [2.0, 2.0, 2.0, 2.0]  # each at least two seconds: a connection takes far less
    waited.clear()
    only = PinnedTransport(Silent(set()), "login.acme.example", ["203.0.113.9"])
    assert _get(only, "https://login.acme.example/").status_code == 204 and waited == [5.0]  # httpx's default


def test_the_mail_servers_silent_addresses_share_one_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMTP connection tries the checked addresses in turn as well; the socket it keeps has the
    conversation's whole timeout, not an address's share."""
    from app.watch import notify

    tried: list[tuple[str, float]] = []

    class Connected:
        timeout: float | None = None

        def settimeout(self, value: float) -> None:
            self.timeout = value

    def connect(address: tuple[str, int], timeout: float, _source: object = None) -> Connected:
        tried.append((address[0], timeout))
        if address[0] != "203.0.113.9":
            raise TimeoutError("timed out")
        return Connected()

    monkeypatch.setattr(notify.socket, "create_connection", connect)
    smtp = notify._PinnedSMTP("", 0, ["2001:db8::1", "203.0.113.7", "203.0.113.9"], timeout=30)
    sock = smtp._get_socket("mail.acme.example", 587, 30.0)
    assert tried == [("2001:db8::1", 10.0), ("203.0.113.7", 10.0), ("203.0.113.9", 10.0)]
    assert isinstance(sock, Connected) and sock.timeout == 30.0
