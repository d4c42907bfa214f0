"""What adding a connection says: the connection by name (a name not typed is the wizard's choice), and
whole: with a long name, the message lost its warning and its next step at the flash's limit (review)."""

from __future__ import annotations

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.web.test_webhook_destinations import _flash


def _add(j: Journey, sandbox_org: SandboxOrg, label: str) -> str:
    assert sandbox_org.demo is not None
    page = j.get("/connections").text
    return _flash(j.submit(j.form(page, "/connections"), org_url=sandbox_org.base_url,
                           api_token=sandbox_org.demo.admin_token, label=label).text)


def test_the_message_names_the_connection(j: Journey, sandbox_org: SandboxOrg) -> None:
    said = _add(j, sandbox_org, "Acme production")
    assert said.startswith("Connection “Acme production” to 127.0.0.1:"), said
    assert said.endswith("added: the token belongs to sam.super@acme.example (Super Administrator). Next: start an "
                         "onboarding on it."), said


def test_a_long_name_does_not_cut_the_warning_or_the_next_step(j: Journey, sandbox_org: SandboxOrg) -> None:
    said = _add(j, sandbox_org, "Acme production tenant for the security operations team " * 3)
    assert "(Super Administrator). Next: start an onboarding on it." in said, said
    assert said.startswith("Connection to 127.0.0.1:"), said
