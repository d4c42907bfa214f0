"""An e-mail channel's setting "Also send to the person each onboarding is assigned to": an
administrator ticks it when adding the channel or turns it on and off from the channel list
(audited); signed out or in another role nobody changes it; a webhook has no such setting."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import Actor
from app.audit.keys import use_keys
from app.settings import Settings
from app.store.models import AuditEvent, NotificationChannel
from app.vault import Vault, key_source_for
from app.watch.channels import ChannelInput, add_channel
from tests.support import add_operator, in_database, web_client

WORDS = "and the person each onboarding is assigned to"


def _channel(settings: Settings, kind: str = "email") -> uuid.UUID:
    settings_of = {"host": "smtp.acme.example", "port": 587, "username": "", "sender": "wizard@acme.example",
                   "starttls": True} if kind == "email" else {}
    given = ChannelInput(kind, "Okta team" if kind == "email" else "Security hook",
                         "okta@acme.example" if kind == "email" else "https://hooks.acme.example/…", settings_of, {})

    async def go(session: AsyncSession) -> uuid.UUID:
        return (await add_channel(session, Vault(key_source_for(settings)), given, Actor.system("test"))).id

    use_keys(key_source_for(settings))
    return in_database(settings, go)


def _setting(settings: Settings, channel_id: uuid.UUID) -> Any:
    async def go(session: AsyncSession) -> Any:
        channel = await session.get(NotificationChannel, channel_id)
        assert channel is not None
        return channel.settings.get("to_assignee")

    return in_database(settings, go)


def _audited(settings: Settings) -> list[str]:
    async def go(session: AsyncSession) -> list[str]:
        return list((await session.execute(select(AuditEvent.summary).where(
            AuditEvent.action == "notification_channel_change").order_by(AuditEvent.seq))).scalars())

    return in_database(settings, go)


def _words(page: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text.replace("<wbr>", ""))).split())


def test_an_administrator_turns_it_on_and_off(settings: Settings) -> None:
    channel = _channel(settings)
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        assert WORDS not in _words(web.get("/settings"))
        on = web.post(f"/settings/notifications/{channel}/assignee", {"to_assignee": "on"}, page="/settings")
        assert on.status_code == 303
        page = _words(web.get("/settings"))
        assert "“Okta team” now also sends each alert to the onboarding's assignee." in page
        assert f"okta@acme.example {WORDS}" in page and "Stop sending to the assignee" in page
        assert _setting(settings, channel) is True
        web.post(f"/settings/notifications/{channel}/assignee", {}, page="/settings")
        page = _words(web.get("/settings"))
    assert "“Okta team” no longer sends alerts to the onboarding's assignee." in page and WORDS not in page
    assert _setting(settings, channel) is False
    assert _audited(settings) == ["Notifications: e-mail “Okta team” now also sends to each onboarding's assignee",
                                  "Notifications: e-mail “Okta team” no longer sends to each onboarding's assignee"]


def test_a_webhook_has_no_such_setting(settings: Settings) -> None:
    hook = _channel(settings, "webhook")
    add_operator(settings, "boss", "admin")
    with web_client(settings) as web:
        web.sign_in("boss")
        refused = web.post(f"/settings/notifications/{hook}/assignee", {"to_assignee": "on"}, page="/settings")
    assert refused.status_code == 400
    assert "“Security hook” is a webhook: only an e-mail channel sends to the assignee." in _words(refused)
    assert _setting(settings, hook) is None and _audited(settings) == []


def test_signed_out_nobody_changes_it(settings: Settings) -> None:
    channel = _channel(settings)
    with web_client(settings) as web:
        refused = web.post(f"/settings/notifications/{channel}/assignee", {"to_assignee": "on"})
    assert refused.status_code == 401 and "Sign in again" in refused.text
    assert not _setting(settings, channel)


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_only_an_administrator_changes_it(settings: Settings, role: str) -> None:
    channel = _channel(settings)
    add_operator(settings, f"someone.{role}", role)
    with web_client(settings) as web:
        web.sign_in(f"someone.{role}")
        assert "Stop sending to the assignee" not in web.get("/settings").text
        assert "Also send to the person each onboarding is assigned to" not in web.get("/settings").text
        refused = web.post(f"/settings/notifications/{channel}/assignee", {"to_assignee": "on"}, page="/settings")
    assert refused.status_code == 403
    assert not _setting(settings, channel) and _audited(settings) == []
