"""The onboarding lists: each view, each filter, and pages that neither skip nor repeat."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.settings import Settings
from app.store.db import Database
from app.store.models import OktaConnection, Onboarding
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import add_operator, web_client

VENDORS = ["defender-for-identity"]


def _seed(settings: Settings, owner: uuid.UUID, other: uuid.UUID, count: int = 60) -> list[uuid.UUID]:
    """Onboardings with known statuses, owners and activity times (newest first by index)."""

    async def go() -> list[uuid.UUID]:
        db = Database(settings.resolved_database_url)
        ids: list[uuid.UUID] = []
        now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        try:
            async with db.session() as session:
                connection = OktaConnection(label="Acme", org_origin="https://acme.okta.com", org_kind="okta",
                                            credential_kind="api_token", scopes=[], preflight={})
                other_org = OktaConnection(label="Beta", org_origin="https://beta.okta.com", org_kind="okta",
                                           credential_kind="api_token", scopes=[], preflight={})
                session.add_all([connection, other_org])
                await session.flush()
                statuses = [("draft", None), ("waiting", "service_token"), ("blocked", None), ("completed", None)]
                for i in range(count):
                    status, waiting = statuses[i % 4]
                    target = other_org if i % 5 == 0 else connection
                    onboarding = Onboarding(
                        id=uuid.uuid4(), vendor=VENDORS[0], playbook_version="1", connection_id=target.id,
                        org_origin=target.org_origin, status=status, waiting_for=waiting, created_by_id=owner,
                        assignee_id=None if i % 7 == 0 else (owner if i % 2 == 0 else other), inputs={}, facts={},
                        last_activity_at=now - timedelta(hours=i))
                    session.add(onboarding)
                    ids.append(onboarding.id)
        finally:
            await db.dispose()
        return ids

    return asyncio.run(go())


def _ids(html: str) -> list[str]:
    return re.findall(r'href="http://testserver/onboardings/([0-9a-f-]{36})"', html)


def _walk(web: Any, first_url: str) -> list[str]:
    seen: list[str] = []
    url: str | None = first_url
    while url:
        html = web.get(url).text
        seen.extend(_ids(html))
        match = re.search(r'href="([^"]+after=[^"]+)">Older', html)
        url = match.group(1).replace("&amp;", "&").replace("http://testserver", "") if match else None
    return seen


class TestLists:
    def test_views(self, settings: Settings) -> None:
        amy = add_operator(settings, "amy")
        bob = add_operator(settings, "bob")
        ids = _seed(settings, amy.id, bob.id)
        with web_client(settings) as web:
            web.sign_in("amy")
            mine = _walk(web, "/?view=mine")
            queue = _walk(web, "/?view=queue")
            waiting = _walk(web, "/?view=waiting")
            completed = _walk(web, "/?view=completed")
            every = _walk(web, "/?view=all")
        assert sorted(every) == sorted(str(i) for i in ids)
        assert len(mine) == len([i for i in range(60) if i % 7 and i % 2 == 0])
        # Nobody's, whatever their status: a completed one too, whose alerts then go to no one (QA walk 23, L8).
        assert len(queue) == len([i for i in range(60) if i % 7 == 0])
        assert len(waiting) == len([i for i in range(60) if i % 4 in (1, 2)])
        assert len(completed) == 15

    def test_pages_neither_skip_nor_repeat_and_newest_come_first(self, settings: Settings) -> None:
        amy = add_operator(settings, "amy")
        ids = _seed(settings, amy.id, amy.id, count=60)
        with web_client(settings) as web:
            web.sign_in("amy")
            walked = _walk(web, "/?view=all")
            assert walked == [str(i) for i in ids]
            first = web.get("/?view=all").text
            assert "60 onboardings" in first and "Last »" in first and "Newer" not in first
            last = web.get("/?view=all&page=last").text
            assert _ids(last) == [str(i) for i in ids[-25:]]
            assert "Older" not in last and "‹ Newer" in last
            newer = re.search(r'href="([^"]+before=[^"]+)">‹ Newer', last).group(1)  # type: ignore[union-attr]
            previous = web.get(newer.replace("&amp;", "&").replace("http://testserver", "")).text
            assert _ids(previous) == [str(i) for i in ids[10:35]]

    def test_filters(self, settings: Settings) -> None:
        amy = add_operator(settings, "amy")
        bob = add_operator(settings, "bob")
        ids = _seed(settings, amy.id, bob.id)
        with web_client(settings) as web:
            web.sign_in("amy")
            by_org = _walk(web, "/?view=all&org=beta.okta")
            assert sorted(by_org) == sorted(str(ids[i]) for i in range(60) if i % 5 == 0)
            by_status = _walk(web, "/?view=all&status=waiting:service_token")
            assert sorted(by_status) == sorted(str(ids[i]) for i in range(60) if i % 4 == 1)
            by_owner = _walk(web, f"/?view=all&operator={bob.id}")
            assert sorted(by_owner) == sorted(str(ids[i]) for i in range(60) if i % 7 and i % 2)
            by_date = _walk(web, "/?view=all&since=2026-11-20&until=2026-11-20")
            assert sorted(by_date) == sorted(str(ids[i]) for i in range(13))
            by_vendor = _walk(web, "/?view=all&vendor=defender-for-identity")
            assert len(by_vendor) == 60
            combined = _walk(web, f"/?view=waiting&operator={amy.id}&org=acme")
            assert sorted(combined) == sorted(str(ids[i]) for i in range(60)
                                              if i % 4 in (1, 2) and i % 7 and i % 2 == 0 and i % 5)

    def test_odd_filter_values_are_ignored_not_errors(self, settings: Settings) -> None:
        add_operator(settings, "amy")
        with web_client(settings) as web:
            web.sign_in("amy")
            for query in ("view=nonsense", "since=yesterday", "operator=not-a-uuid", "after=garbage",
                          "vendor=<script>", "org=%27%20OR%201=1", "org=acme%00", "status=%00",
                          "after=%00"):
                response = web.get(f"/?{query}")
                assert response.status_code == 200, query
                assert "<script>" not in response.text.split("<main", 1)[1]
            # A date that is not one is said, not silently dropped while the address names it.
            page = web.get("/?view=all&since=yesterday&until=2026-02-30").text
            assert "Active since \u201cyesterday\u201d is not a date (write it as year-month-day, like 2026-12-01): " \
                "the list is not narrowed by it." in page
            assert "Active until \u201c2026-02-30\u201d is not a date" in page
            assert "is not a date" not in web.get("/?view=all&since=2026-11-20").text



def test_an_empty_home_says_to_connect_okta_first(j: Journey, sandbox_org: SandboxOrg) -> None:
    """QA walk 8, finding 14: the first administrator's empty home page offered "Start an
    onboarding", whose form then refused them for want of an Okta connection."""
    empty = j.get("/").text  # the first administrator, just set up
    assert "there is none yet: add an Okta connection (or use the sandbox org) first, then start an onboarding" \
        in empty
    assert '<a class="button button--primary" href="http://testserver/connections">Add an Okta connection</a>' \
        in empty
    assert "Start an onboarding" not in empty
    assert sandbox_org.demo is not None
    j.connect(sandbox_org.demo.admin_token)
    connected = j.get("/").text
    assert "Start an onboarding" in connected and "Add an Okta connection" not in connected


def test_an_auditor_s_empty_home_offers_neither(settings: Settings) -> None:
    add_operator(settings, "aud", "auditor")  # an auditor starts nothing, and connects nothing
    with web_client(settings) as web:
        web.sign_in("aud")
        read_only = web.get("/").text
    assert "No onboardings match" in read_only
    assert "Add an Okta connection" not in read_only and "Start an onboarding" not in read_only
