"""The one reading of a failed connection every part of the server uses (app/common/network.py):
the Okta connection's form, the identity provider's sign-in and the watch's notifications say the
same failure in the same words. A refused connection reached the Okta form as httpx's "All
connection attempts failed" (the refusal is two causes down), and a notification as
"ConnectError: …" (QA walk 13, M3)."""

from __future__ import annotations

import asyncio
import smtplib
import socket

import httpx
import pytest

from app.common import network
from app.okta.errors import connect_cause


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _httpx_error(url: str) -> httpx.HTTPError:
    async def go() -> httpx.HTTPError:
        try:
            async with httpx.AsyncClient() as client:
                await client.get(url, timeout=5)
        except httpx.HTTPError as exc:
            return exc
        raise AssertionError("it connected")
    return asyncio.run(go())


def test_a_refused_connection_reads_the_same_for_okta_the_provider_and_a_notification() -> None:
    port = _closed_port()
    exc = _httpx_error(f"http://127.0.0.1:{port}/")
    assert str(exc) == "All connection attempts failed"  # all httpx itself says
    assert connect_cause(exc) == "the server refused the connection"
    assert network.told_cause(exc) == "the server refused the connection"
    assert network.could_not_reach("the SMTP server", "127.0.0.1", port, exc) == (
        f"Could not reach the SMTP server at 127.0.0.1:{port}: the server refused the connection; check the port, "
        "and that the SMTP server is running.")


def test_a_name_that_does_not_resolve_reads_the_same_over_http_and_smtp() -> None:
    over_http = _httpx_error("http://no-such-host.invalid/")
    with pytest.raises(OSError) as over_smtp:
        smtplib.SMTP("no-such-host.invalid", 25, timeout=5)
    assert connect_cause(over_http) == connect_cause(over_smtp.value) == "the address does not resolve (DNS)"


def test_an_error_none_of_the_kinds_describes_is_quoted_for_an_administrator_not_a_visitor() -> None:
    odd = httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'gopher://'.")
    assert connect_cause(odd) == "Request URL has an unsupported protocol 'gopher://'."
    assert network.told_cause(odd) == "the connection failed"
