"""Two people adding a connection, or a channel, of one name at the same moment: the name was
checked before the preflight's seconds, and each add saw no other, so both kept it (review). The
names are read again in the transaction that writes, and a unique index on the folded name refuses
what that read cannot see yet (a colleague's add committed between the read and the insert, on
Postgres; on SQLite writers queue)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.common.validation import ValidationFailed
from app.connections import service
from app.store.models import NotificationChannel, OktaConnection, SealedSecret
from okta_sandbox import SandboxOrg
from tests.harness import Wizard
from tests.page_journeys import Journey
from tests.watch.test_notifications import _settings_form, _words


def _during_the_preflight(monkeypatch: pytest.MonkeyPatch, w: Wizard, label: str) -> None:
    """A colleague's connection of ``label`` (to another org) is kept while Okta answers the preflight."""
    real = service.check_credential

    async def preflight(*args: Any) -> service.PreflightReport:
        report = await real(*args)
        async with w.state.db.session() as session:
            session.add(OktaConnection(label=label, org_origin="https://beta.okta.com", org_kind="okta",
                                       credential_kind="api_token", scopes=[], preflight={}))
        return report

    monkeypatch.setattr(service, "check_credential", preflight)


def _stale_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names read in the writing transaction miss the colleague's, once (not committed yet when
    read, committed before the insert): only the index can refuse it."""
    real = service._names_in_use
    calls = {"n": 0}

    async def names(session: Any) -> Any:
        calls["n"] += 1
        return {} if calls["n"] == 2 else await real(session)

    monkeypatch.setattr(service, "_names_in_use", names)


def _add(w: Wizard, sandbox_org: SandboxOrg, label: str = "", default_label: str = "") -> OktaConnection:
    demo = sandbox_org.demo
    assert demo is not None
    new = service.NewConnection(org_url=sandbox_org.base_url, api_token=demo.admin_token, label=label,
                                default_label=default_label)
    connection, _report = w.run(lambda: service.add_connection(w.state.db, w.state.vault, w.state.gateway, new,
                                                               w.actor, []))
    return connection


def _kept(w: Wizard) -> tuple[list[str], int]:
    async def read() -> tuple[list[str], int]:
        async with w.state.db.sessions() as session:
            labels = sorted((await session.execute(select(OktaConnection.label))).scalars())
            secrets = (await session.execute(select(func.count()).select_from(SealedSecret))).scalar_one()
        return labels, secrets
    return w.run(read)


@pytest.mark.parametrize("stale", [False, True], ids=["read again", "the index"])
def test_a_name_typed_that_a_colleague_took_meanwhile_is_refused(w: Wizard, sandbox_org: SandboxOrg,
                                                                 monkeypatch: pytest.MonkeyPatch, stale: bool) -> None:
    _during_the_preflight(monkeypatch, w, "Acme")
    if stale:
        _stale_once(monkeypatch)
    with pytest.raises(ValidationFailed) as refused:
        _add(w, sandbox_org, label="ACME")
    assert refused.value.errors == {"label": "Another Okta connection is named “Acme”: choose a name that tells "
                                             "them apart."}
    assert _kept(w) == (["Acme"], 0)  # nothing of the refused one: no row, no sealed token


def test_a_name_chosen_that_a_colleague_took_meanwhile_is_told_apart(w: Wizard, sandbox_org: SandboxOrg,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _during_the_preflight(monkeypatch, w, "Sandbox")
    _stale_once(monkeypatch)
    connection = _add(w, sandbox_org, default_label="Sandbox")
    assert connection.label == "Sandbox (sam.super@acme.example)"
    assert _kept(w) == (["Sandbox", "Sandbox (sam.super@acme.example)"], 1)


def test_a_channel_name_another_administrator_took_meanwhile_is_refused(j: Journey,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused by the index, the page is drawn again in the same request (its session still usable)."""
    from app.watch import channels

    real = channels._refuse_a_name_in_use
    calls = {"n": 0}

    async def refuse(session: Any, given: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the first read misses the other administrator's channel
            async with j.state.db.session() as other:
                other.add(NotificationChannel(id=uuid.uuid4(), kind="webhook", label="Okta team",
                                              target="https://hooks.acme.example/…", settings={}))
            return
        await real(session, given)

    monkeypatch.setattr(channels, "_refuse_a_name_in_use", refuse)
    assert j.state.watch is not None

    async def resolve(host: str, _port: int = 25) -> list[str]:
        return ["93.184.216.34"]
    j.state.watch.notifier.resolver = resolve
    page = _settings_form(j, "/settings/notifications/email", email_label="okta TEAM", recipients="okta@acme.example",
                          sender="wizard@acme.example", smtp_host="mail.acme.example", smtp_port="587",
                          starttls="on", smtp_username="wizard", smtp_password="smtp canary password 52")
    assert page.status_code == 400
    said = _words(page.text)
    assert "The e-mail channel was not added." in said and "Another channel is named “Okta team”" in said
    assert "Sign out" in said  # the operator's header drawn after the refusal

    async def labels() -> list[str]:
        async with j.state.db.sessions() as session:
            return sorted((await session.execute(select(NotificationChannel.label))).scalars())
    assert j.run(labels) == ["Okta team"]
