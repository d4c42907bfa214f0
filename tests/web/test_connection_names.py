"""Two connections of one name could not be told apart where one is chosen (a new onboarding's
picker, the onboarding's connection switch, the lists): a name typed that another connection in use
has is refused, and a name not typed is told apart from another's by the token's owner (QA walk 24, L2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.common.clock import FakeClock
from app.settings import Settings
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.harness import Wizard, wizard
from tests.support import Web, add_operator


@pytest.fixture
def w(settings: Settings, sandbox_org: SandboxOrg, okta_transport: SandboxTransport,
      fake_clock: FakeClock) -> Iterator[Wizard]:
    with wizard(settings, sandbox_org, okta_transport, fake_clock) as harness:
        add_operator(settings, "oli", "operator")
        add_operator(settings, "amy", "operator")
        yield harness


def _names(page: str) -> list[str]:
    return re.findall(r'<td data-label="Name">([^<]*)<br>', page)


def test_a_name_in_use_is_refused_and_an_untyped_one_told_apart(w: Wizard) -> None:
    assert w.org.demo is not None
    w.connect()  # ana.admin's, named "Sandbox"
    web = Web(w.client)
    web.sign_in("oli")
    typed = {"org_url": w.org.base_url, "api_token": w.org.demo.admin_token}
    refused: Any = web.post("/connections", {**typed, "label": "sandbox"}, page="/connections")
    assert refused.status_code == 400
    assert "Another Okta connection is named “sandbox”: choose a name that tells them apart." in refused.text
    assert 'value="sandbox"' in refused.text  # what was typed is kept
    assert _names(web.get("/connections").text) == ["Sandbox"]

    # Without a name: the demo's button, pressed by two people, names the second by its token's owner.
    assert web.post("/connections/sandbox", page="/connections").status_code == 303
    web.sign_out()
    web.sign_in("amy")
    assert web.post("/connections/sandbox", page="/connections").status_code == 303
    names = _names(web.get("/connections").text)
    login = w.org.demo.admin_login
    assert sorted(names) == sorted(["Sandbox", "Sandbox org (demo)", f"Sandbox org (demo) ({login})"]), names

    # Renewing one's own connection's token under its own name is no clash.
    web.sign_out()
    web.sign_in("ana.admin")
    renewed: Any = web.post("/connections", {**typed, "label": "Sandbox"}, page="/connections")
    assert renewed.status_code == 303, renewed.text
    assert len(_names(web.get("/connections").text)) == 3
