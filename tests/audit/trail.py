"""A trail an auditor searches: people, the server's own actors, a visitor and an identity provider
acting on two vendors' onboardings over a few days in March 2025 (far from the moment the tests run,
whose own events, creating the operators and signing in, fall outside every day filtered on)."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from app.audit import Actor, recorder
from app.settings import Settings
from app.store.models import OktaConnection, Onboarding
from tests.support import add_operator, in_database

# A value that was no secret when its event was written, and is one this process handles since.
CANARY = "CanaryPastedByMistake-7Hq2Lx9Vw4"
FORMULA = '=HYPERLINK("http://attacker.example/","Click me")'
AGENT = "@SUM(1+1) Mozilla/5.0"

_ROW = re.compile(r"<tr><td data-label=\"#\">.*?</tr>", re.S)
_CELL = re.compile(r'<td data-label="([^"]+)">(.*?)</td>', re.S)
_TAG = re.compile(r"<[^>]+>")


def rows(page: str) -> list[dict[str, str]]:
    """The table's rows as a person reads them: column name to the cell's text."""
    return [{label: " ".join(html.unescape(_TAG.sub("", cell)).split()) for label, cell in _CELL.findall(row)}
            for row in _ROW.findall(page)]


def what(page: str) -> list[str]:
    """The What column's descriptions, without the name of the onboarding under each."""
    return [" ".join(html.unescape(_TAG.sub("", cell.split("<br>", 1)[0])).split())
            for row in _ROW.findall(page) for label, cell in _CELL.findall(row) if label == "What"]


@dataclass(frozen=True)
class Trail:
    ana: uuid.UUID
    bob: uuid.UUID
    defender: uuid.UUID
    drata: uuid.UUID


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


def seed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Trail:
    """Operators ana (Ana Admin), bob and the auditor aud, a Defender and a Drata onboarding, and
    the events of SEEDED, each at its own moment."""
    ana = add_operator(settings, "ana", display_name="Ana Admin").id
    bob = add_operator(settings, "bob").id
    add_operator(settings, "aud", "auditor")
    defender, drata = uuid.uuid4(), uuid.uuid4()
    people = {"ana": Actor(ana, "ana", "198.51.100.7", AGENT), "bob": Actor(bob, "bob", "198.51.100.8")}
    actors = {**people, "watch": Actor.system("watch"), "job": Actor.system("job"),
              "visitor": Actor(None, "anonymous", "203.0.113.9"), "idp": Actor.system("Okta (identity provider)")}
    onboardings = {"defender": defender, "drata": drata, None: None}

    async def write(session: Any) -> None:
        connection = OktaConnection(label="Acme", org_origin="https://acme.okta.com", org_kind="okta",
                                    credential_kind="api_token", scopes=[], preflight={})
        session.add(connection)
        await session.flush()
        for oid, vendor in ((defender, "defender-for-identity"), (drata, "drata")):
            session.add(Onboarding(id=oid, vendor=vendor, playbook_version="1", connection_id=connection.id,
                                   org_origin=connection.org_origin, created_by_id=ana, inputs={}, facts={}))
        await session.flush()
        # Each event at its moment; the clock is given back before any page is asked for.
        with monkeypatch.context() as patch:
            for moment, who, onboarding, action, summary, details in SEEDED:
                patch.setattr(recorder, "utcnow", lambda moment=moment: moment)
                await recorder.record(session, action=action, summary=summary, actor=actors[who],
                                      onboarding_id=onboardings[onboarding], details=details)

    in_database(settings, write)
    return Trail(ana=ana, bob=bob, defender=defender, drata=drata)


SEEDED: list[tuple[datetime, str, str | None, str, str, dict[str, Any] | None]] = [
    (at(9, 23, 59, 59), "ana", "defender", "plan_confirm", "Plan confirmed: 5 actions", None),
    (at(10, 0), "ana", "defender", "apply", "Applied the plan: 5 done", None),
    (at(10, 12), "bob", "drata", "attest", "Attested: Drata shows the connection", None),
    (at(11, 8), "watch", "defender", "reverify", "Re-verified: 12 passed, 0 failed", None),
    (at(11, 9), "job", "drata", "verify", "Verified: 8 passed, 0 failed", None),
    (at(12, 10), "visitor", None, "sign_in", "Failed sign-in for ana (1 in a row from this address)", None),
    (at(12, 11), "ana", "defender", "values_saved", FORMULA, {"note": f"pasted by mistake: {CANARY}"}),
    (at(13, 7), "idp", None, "operator_disable", "Disabled carl: no group maps a role", None),
    (at(14, 23, 59, 59), "bob", None, "sign_out", "Signed out", None),
]
