"""The audit trail as an auditor proves who did what: narrowed by who (a person, or the server's own
actors as the Who column names them), by vendor and by whole days (in the viewer's zone, which the
page's script puts in the address; UTC without it); the filters combine, stay on the older pages,
show what is applied with a way to remove each, and a wrong date is said, not silently dropped.
Administrators and auditors only."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from app.audit import Actor, recorder
from app.settings import Settings
from tests.audit.trail import SEEDED, Trail, at, rows, seed, what
from tests.support import Web, add_operator, in_database, web_client

SUMMARY = {who: [s for _m, w, _o, _a, s, _d in SEEDED if w == who] for who in ("ana", "bob")}


@pytest.fixture
def trail(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Trail:
    return seed(settings, monkeypatch)


@pytest.fixture
def auditor(settings: Settings, trail: Trail) -> Iterator[Web]:
    with web_client(settings) as web:
        web.sign_in("aud")
        yield web


def _page(web: Web, **params: str) -> str:
    response = web.get("/audit", params=params)
    assert response.status_code == 200, response.text
    return str(response.text)


def test_who_narrows_the_trail_to_one_person(auditor: Web, trail: Trail) -> None:
    assert what(_page(auditor, who=str(trail.ana))) == SUMMARY["ana"][::-1]
    assert what(_page(auditor, who=str(trail.bob))) == SUMMARY["bob"][::-1]
    # The choice reads as the person is known, their username beside it.
    page = _page(auditor)
    assert f'<option value="{trail.ana}" >Ana Admin (ana)</option>' in page


@pytest.mark.parametrize(("choice", "shown"), [
    ("watch", "The watch (background re-verification)"), ("engine", "The wizard (background run)"),
    ("visitor", "anonymous"), ("identity provider", "Okta (identity provider)")])
def test_who_finds_the_servers_own_actors_as_the_who_column_names_them(auditor: Web, choice: str,
                                                                       shown: str) -> None:
    found = rows(_page(auditor, who=choice))
    assert len(found) == 1 and found[0]["Who"] == shown, found


def test_the_background_run_is_one_choice_for_engine_and_job(settings: Settings, auditor: Web) -> None:
    async def write(session: object) -> None:
        await recorder.record(session, action="secrets_destroyed", summary="Secrets destroyed",  # type: ignore[arg-type]
                              actor=Actor.system("engine"))

    in_database(settings, write)
    assert what(_page(auditor, who="engine")) == ["Secrets destroyed", "Verified: 8 passed, 0 failed"]
    # Someone who typed "engine" at the sign-in page is not the wizard.
    assert "Failed sign-in" not in " ".join(what(_page(auditor, who="engine")))


def test_vendor_narrows_the_trail_to_its_onboardings(auditor: Web) -> None:
    assert what(_page(auditor, vendor="drata")) == ["Verified: 8 passed, 0 failed",
                                                    "Attested: Drata shows the connection"]
    defender = what(_page(auditor, vendor="defender-for-identity"))
    assert defender == ["=HYPERLINK(\"http://attacker.example/\",\"Click me\")", "Re-verified: 12 passed, 0 failed",
                        "Applied the plan: 5 done", "Plan confirmed: 5 actions"]


def test_dates_are_whole_days_in_utc(auditor: Web) -> None:
    # 23:59:59 the day before is out, 00:00:00 is in; the end of To is in.
    assert what(_page(auditor, **{"from": "2025-03-10", "to": "2025-03-10"})) == [
        "Attested: Drata shows the connection", "Applied the plan: 5 done"]
    assert what(_page(auditor, to="2025-03-09")) == ["Plan confirmed: 5 actions"]
    assert what(_page(auditor, **{"from": "2025-03-14", "to": "2025-03-14"})) == ["Signed out"]
    page = _page(auditor)
    assert ("From and To are whole days in <span data-zone-name>UTC</span>, from 00:00 on From to the end of To. "
            "The table shows each time in your own time zone; hover over it for UTC.") in page


def test_days_are_the_viewers_own_when_the_page_gives_its_zone(auditor: Web, trail: Trail) -> None:
    """The page's script sends the viewer's zone: a day picked as the table shows it (in that zone)
    found nothing when it was read as a UTC day (QA walk 27, M2)."""
    auckland = {"tz": "Pacific/Auckland"}  # UTC+13 in March 2025
    assert what(_page(auditor, **{"from": "2025-03-10", "to": "2025-03-10"}, **auckland)) == [
        "Applied the plan: 5 done", "Plan confirmed: 5 actions"]
    assert what(_page(auditor, **{"from": "2025-03-13", "to": "2025-03-13"}, **auckland)) == [
        "Disabled carl: no group maps a role", '=HYPERLINK("http://attacker.example/","Click me")']
    los_angeles = {"tz": "America/Los_Angeles"}  # UTC-7 from 9 March 2025
    assert what(_page(auditor, to="2025-03-09", **los_angeles)) == ["Applied the plan: 5 done",
                                                                      "Plan confirmed: 5 actions"]
    page = _page(auditor, who=str(trail.ana), **{"from": "2025-03-10"}, **auckland)
    applied = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.split('class="applied-filters"', 1)[1])).split())
    assert "From: 2025-03-10, 00:00 Pacific/Auckland" in applied
    assert "From <span class=\"optional\" data-zone-day>(day)</span>" in page  # the script says "local" if it is
    assert 'name="tz" value="Pacific/Auckland"' in page
    assert "whole days in <span data-zone-name>Pacific/Auckland</span>" in page
    # Removing the only day keeps no zone in the address; the older page's and the exports' links keep it.
    [without_from] = re.findall(r'<li>From:[^<]*<a href="([^"]*)"', page)
    assert "tz=" not in without_from and "who=" in without_from
    assert "tz=Pacific%2FAuckland" in page.split('class="report-links"', 1)[1].split("</p>", 1)[0]
    # The calendar's ends in a zone away from UTC, and a zone this server does not know (read as UTC).
    everything = what(_page(auditor))
    assert what(_page(auditor, **{"from": "0001-01-01", "to": "9999-12-31"}, **auckland)) == everything
    assert what(_page(auditor, **{"from": "0001-01-01", "to": "9999-12-31"}, **los_angeles)) == everything
    for unknown_zone in ("../../etc/passwd", "Etc/Unknown", "localtime", "posix/Pacific/Auckland"):
        # Not a zone of the IANA database this server has ("localtime" is the server's own: review).
        unknown = _page(auditor, **{"from": "2025-03-14", "to": "2025-03-14", "tz": unknown_zone})
        assert what(unknown) == ["Signed out"] and "From: 2025-03-14, 00:00 UTC" in " ".join(
            html.unescape(re.sub(r"<[^>]+>", " ", unknown)).split()), unknown_zone
        assert f"This server does not know the time zone “{html.escape(unknown_zone, quote=False)}”: the days are " \
               "read in UTC." in unknown.replace("&#34;", '"'), unknown_zone
    # A CSV has no other place to say which days it holds: its file name says the zone.
    disposition = auditor.get("/audit/events.csv", params={"from": "2025-03-10", **auckland}).headers[
        "content-disposition"]
    assert disposition.endswith('-from-2025-03-10-tz-pacific-auckland.csv"'), disposition


def test_the_ends_of_the_calendar_are_days_too(auditor: Web) -> None:
    everything = what(_page(auditor))
    assert len(everything) > len(SEEDED)
    assert what(_page(auditor, **{"from": "0001-01-01", "to": "9999-12-31"})) == everything


def test_filters_combine(auditor: Web, trail: Trail) -> None:
    assert what(_page(auditor, who=str(trail.ana), vendor="defender-for-identity", **{"from": "2025-03-10"})) == [
        '=HYPERLINK("http://attacker.example/","Click me")', "Applied the plan: 5 done"]
    assert what(_page(auditor, who=str(trail.ana), vendor="drata")) == []
    assert what(_page(auditor, who=str(trail.bob), action="attested", to="2025-03-12")) == [
        "Attested: Drata shows the connection"]


def test_the_filters_applied_are_shown_each_with_a_way_to_remove_it(auditor: Web, trail: Trail) -> None:
    page = _page(auditor, who=str(trail.ana), vendor="defender-for-identity", **{"from": "2025-03-10"})
    applied = page.split('class="applied-filters"', 1)[1].split("</div>", 1)[0]
    items = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split())
             for item in re.findall(r"<li>(.*?)</li>", applied, re.S)]
    assert items == ["Who: Ana Admin (ana) Remove the Who filter",
                     "Vendor: Microsoft Defender for Identity onboardings Remove the Vendor filter",
                     "From: 2025-03-10, 00:00 UTC Remove the From filter"]
    without_who = html.unescape(re.findall(r'<li>Who:.*?href="([^"]+)"', applied, re.S)[0])
    assert what(auditor.get(without_who).text) == what(_page(auditor, vendor="defender-for-identity",
                                                             **{"from": "2025-03-10"}))
    assert '<a href="http://testserver/audit">Clear all filters</a>' in applied
    # Without a filter, nothing says the trail is narrowed.
    assert "applied-filters" not in _page(auditor)


def test_the_older_page_keeps_every_filter(settings: Settings, auditor: Web, trail: Trail,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async def write(session: object) -> None:
        with monkeypatch.context() as patch:
            for n in range(60):
                patch.setattr(recorder, "utcnow", lambda n=n: at(20, 8, n))
                for name, person in (("ana", trail.ana), ("bob", trail.bob)):
                    await recorder.record(session, action="verify", summary=f"Checked #{n} by {name}",  # type: ignore[arg-type]
                                          actor=Actor(person, name, "198.51.100.7"))

    in_database(settings, write)
    first = _page(auditor, who=str(trail.ana), action="checked", **{"from": "2025-03-20", "to": "2025-03-20"})
    assert what(first) == [f"Checked #{n} by ana" for n in range(59, 9, -1)]
    link = re.search(r'<a href="([^"]+)">Older ›</a>', first)
    assert link, "no link to older events"
    older = auditor.get(html.unescape(link.group(1)))
    assert what(older.text) == [f"Checked #{n} by ana" for n in range(9, -1, -1)]
    assert "Who: Ana Admin (ana)" in older.text and "To: 2025-03-20, end of the day UTC" in older.text
    # And back: the older page had no way to the newer ones but the browser's (QA walk 27, M3).
    assert re.search(r"Events #\d+ to #\d+ of the trail, the newest</span>", first), first
    assert re.search(r"Events #\d+ to #\d+ of the trail, the oldest</span>", older.text)
    assert "« Newest" not in first and "‹ Newer" not in first
    newer = re.search(r'<a href="([^"]+)">‹ Newer</a>', older.text)
    newest = re.search(r'<a href="([^"]+)">« Newest</a>', older.text)
    assert newer and newest, "no way back from the older page"
    assert what(auditor.get(html.unescape(newer.group(1))).text) == what(first)
    assert what(auditor.get(html.unescape(newest.group(1))).text) == what(first)
    assert "action=checked" in newer.group(1) and "who=" in newest.group(1)  # the filters kept


def test_a_wrong_date_is_said_and_the_other_filters_still_apply(auditor: Web, trail: Trail) -> None:
    response = auditor.get("/audit", params={"who": str(trail.ana), "from": "2025-02-30"})
    assert response.status_code == 400
    page = response.text
    assert "Some filters were not applied: the events below are narrowed by the others only." in page
    assert "From “2025-02-30” is not a date: write it as year-month-day, like 2026-12-01." in page
    assert what(page) == SUMMARY["ana"][::-1]
    assert f'<option value="{trail.ana}" selected>' in page
    assert "From: " not in page.split('class="applied-filters"', 1)[1].split("</div>", 1)[0]
    # A day before its start is no range at all: said, and neither date is applied.
    response = auditor.get("/audit", params={"from": "2025-03-12", "to": "2025-03-10", "vendor": "drata"})
    assert response.status_code == 400
    assert "To (2025-03-10) is before From (2025-03-12): no day is in between." in response.text
    assert what(response.text) == ["Verified: 8 passed, 0 failed", "Attested: Drata shows the connection"]


def test_an_unknown_person_or_vendor_is_said(auditor: Web) -> None:
    for params, message in (({"who": "00000000-0000-0000-0000-000000000000"}, "Who is not someone the trail names"),
                            ({"who": "root"}, "Who is not someone the trail names"),
                            ({"vendor": "acme-siem"}, "Vendor is not one the wizard onboards")):
        response = auditor.get("/audit", params=params)
        assert response.status_code == 400 and message in response.text, params
        assert len(rows(response.text)) > len(SEEDED)  # not narrowed by what was refused


def test_the_filtered_page_is_for_administrators_and_auditors(settings: Settings, trail: Trail) -> None:
    query = f"/audit?who={trail.ana}&from=2025-03-10"
    with web_client(settings) as web:
        signed_out = web.get(query)
        assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=")
    add_operator(settings, "opal", "operator")
    add_operator(settings, "adam", "admin")
    with web_client(settings) as web:
        web.sign_in("opal")
        assert web.get(query).status_code == 403
    with web_client(settings) as web:
        web.sign_in("adam")
        assert what(web.get(query).text) == SUMMARY["ana"][:0:-1]


def test_a_middle_page_leads_both_ways(settings: Settings, auditor: Web, trail: Trail,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Three pages: the middle one, reached by Older or by Newer, links to both sides and to the newest."""
    async def write(session: object) -> None:
        with monkeypatch.context() as patch:
            for n in range(120):
                patch.setattr(recorder, "utcnow", lambda n=n: at(21, 8, n % 60))
                await recorder.record(session, action="verify", summary=f"Paged #{n}",  # type: ignore[arg-type]
                                      actor=Actor(trail.ana, "ana", "198.51.100.7"))

    in_database(settings, write)

    def go(page: str, name: str) -> str:
        link = re.search(rf'<a href="([^"]+)">{re.escape(name)}</a>', page)
        assert link, f"no {name} link"
        return str(auditor.get(html.unescape(link.group(1))).text)

    first = _page(auditor, action="paged")
    middle = go(first, "Older ›")
    last = go(middle, "Older ›")
    assert what(first) == [f"Paged #{n}" for n in range(119, 69, -1)]
    assert what(middle) == [f"Paged #{n}" for n in range(69, 19, -1)]
    assert what(last) == [f"Paged #{n}" for n in range(19, -1, -1)]
    assert "Older ›" not in last and "« Newest" in last and "‹ Newer" in last
    assert what(go(last, "‹ Newer")) == what(middle)
    back = go(last, "‹ Newer")
    assert "Older ›" in back and "‹ Newer" in back and "« Newest" in back
    assert what(go(back, "‹ Newer")) == what(first) and what(go(back, "« Newest")) == what(first)


def test_a_day_whose_midnight_the_clocks_skip_starts_when_it_begins() -> None:
    """Chile moved its clocks from 00:00 to 01:00 on 7 September 2025: that day has no midnight, and
    begins at 01:00 local (04:00 UTC); the day before ends there."""
    from datetime import date

    from app.audit.browse import TrailFilter

    day = TrailFilter(since=date(2025, 9, 7), until=date(2025, 9, 7), zone="America/Santiago")
    bounds = [str(condition.right.effective_value) for condition in day.where()]  # type: ignore[attr-defined]
    assert bounds == ["2025-09-07 04:00:00+00:00", "2025-09-08 03:00:00+00:00"]
