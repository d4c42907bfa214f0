"""What a route hands a service: the posted form read into the service's typed input, and inputs
that carry a password, token or secret keep it out of their repr (a log line, a traceback)."""

from __future__ import annotations

import dataclasses

import pytest

from app.auth.oidc_config import SignInSettings
from app.auth.operators import NewOperator, PasswordChange, PasswordReset
from app.auth.setup import FirstAdministrator
from app.connections.service import NewConnection
from app.watch.channels import EmailRequest, WebhookRequest
from app.web.deps import typed_input

CANARY = "canary-7f3e-do-not-print"
WITH_SECRETS = [NewConnection, NewOperator, PasswordChange, PasswordReset, FirstAdministrator, SignInSettings,
                WebhookRequest, EmailRequest]


@pytest.mark.parametrize("kind", WITH_SECRETS, ids=lambda kind: kind.__name__)
def test_an_input_never_prints_its_secrets(kind: type) -> None:
    filled = typed_input(kind, {field.name: CANARY for field in dataclasses.fields(kind)})
    secrets = [field.name for field in dataclasses.fields(kind) if not field.repr]
    assert secrets, f"{kind.__name__} holds a secret but shows every field"
    assert all(getattr(filled, name) == CANARY for name in secrets)
    shown = repr(filled)
    assert not any(f"{name}=" in shown for name in secrets)
    shown_text = [f for f in dataclasses.fields(kind) if f.repr and isinstance(getattr(filled, f.name), str)]
    assert shown.count(CANARY) == len(shown_text)  # the other fields are shown: only the secrets are left out


def test_a_form_becomes_the_services_input_field_by_field() -> None:
    given = typed_input(EmailRequest, {"email_label": " Ops ", "recipients": "a@acme.example", "starttls": "on",
                                       "smtp_port": "587", "unexpected": "ignored"})
    assert given.email_label == " Ops "  # as typed: the service checks and trims it
    assert given.starttls is True and given.smtp_port == "587"
    assert given.sender == "" and given.smtp_password == ""  # a field the form left out is empty
    assert typed_input(EmailRequest, {}).starttls is False  # an unticked box is not sent at all
    assert typed_input(SignInSettings, {"oidc_enabled": "true"}).oidc_enabled is True
