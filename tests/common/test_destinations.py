"""The one rule for where the server may be made to connect (app/common/destinations.py), for the
IPv6 forms that carry another address: a 6to4 or Teredo address reaches the IPv4 address inside it,
and a site-local address (fec0::/10) is a private network's (review of the DNS-rebinding change)."""

from __future__ import annotations

import pytest

from app.common.destinations import address_problem


def _problem(address: str, *, private_ok: bool = False) -> str | None:
    return address_problem("hooks.acme.example", [address], private_ok=private_ok, loopback_ok=False,
                           service="the receiver", private_choice="On our private network")


@pytest.mark.parametrize(("address", "said"), [
    ("2002:a9fe:a9fe::1", "resolves to 169.254.169.254, an address on this machine's local link"),
    ("2002:7f00:1::1", "resolves to 127.0.0.1, an address of this machine"),
    ("2002:a00:1::1", "resolves to 10.0.0.1, a private address"),
    ("fec0::1", "resolves to fec0::1, a private address"),
])
def test_an_address_inside_an_ipv6_one_is_held_to_the_rule(address: str, said: str) -> None:
    assert said in (_problem(address) or "")


def test_a_site_local_address_is_allowed_where_the_private_network_is() -> None:
    assert _problem("fec0::1", private_ok=True) is None
    assert "local link" in (_problem("2002:a9fe:a9fe::1", private_ok=True) or "")


def test_a_public_address_inside_6to4_is_public() -> None:
    assert _problem("2002:808:808::1") is None
