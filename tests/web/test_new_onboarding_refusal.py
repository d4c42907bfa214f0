"""New onboarding, when the start is refused (no vendor chosen, a connection not listed): the page
comes back with a 400, the error summary above the vendor cards (not one of the cards), and what
the person chose still chosen. The address the browser shows then is the form's own, with what was
chosen: reloaded or bookmarked, it shows the form again. /onboardings itself is the list of
onboardings (QA walk 8, finding 14: it showed the start form)."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

from sqlalchemy import func, select

from app.settings import Settings
from app.store.models import Onboarding
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import add_operator, web_client


class _Grid(HTMLParser):
    """The elements laid out in the grid of vendor cards (``<div class="cards">``'s children), and
    whether the error summary and the vendor's message came before it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str]] = []  # (tag, class) of each grid item
        self.before: list[str] = []  # the classes and ids met before the grid
        self._depth = 0  # inside the grid: 1 for its own children
        self._seen_grid = False

    VOID = frozenset({"input", "br", "img", "hr", "meta", "link"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._depth:
            if self._depth == 1:
                self.items.append((tag, a.get("class", "")))
            if tag not in self.VOID:
                self._depth += 1
            return
        if tag == "div" and a.get("class") == "cards" and not self._seen_grid:
            self._seen_grid = True
            self._depth = 1
            return
        if not self._seen_grid:
            self.before += a.get("class", "").split() + ([f"#{a['id']}"] if a.get("id") else [])

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in self.VOID:
            self._depth -= 1


def grid(page: str) -> _Grid:
    parsed = _Grid()
    parsed.feed(page)
    assert parsed.items, "no vendor cards on the page"
    return parsed


def onboardings(j: Journey) -> int:
    async def count() -> int:
        async with j.state.db.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(Onboarding))).scalar_one())
    return j.run(count)


def test_no_vendor_chosen_keeps_the_connection_and_shows_the_error_above_the_cards(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    connection = str(j.connect(sandbox_org.demo.admin_token))
    form = j.form(j.get("/onboardings/new").text, "/onboardings")
    refused = j.client.post("/onboardings", data=form.data(vendor=None, connection=connection))
    assert refused.status_code == 400
    page = refused.text
    assert "Choose a vendor and an Okta connection." in page and "Choose the vendor." in page
    shown = grid(page)
    # The summary and the vendor's message come before the cards; every grid item is a vendor's card.
    assert "error-summary" in shown.before and "#vendor-error" in shown.before
    assert set(shown.items) == {("label", "card")}
    assert 'href="#vendor"' in page and "#vendor" in shown.before  # the summary's link leads somewhere
    # The connection chosen is still chosen; no card is ticked; nothing was started.
    again = j.form(page, "/onboardings")
    assert ("connection", connection) in again.fields and "vendor" not in dict(again.fields)
    assert f'<option value="{connection}" selected>' in page
    assert onboardings(j) == 0

    # A reload of the address the browser shows now is the form again, not an error, the connection still chosen.
    shown_address = f"/onboardings/new?connection={connection}"
    assert f'data-page-url="{shown_address}"' in page
    reloaded = j.get(shown_address)
    assert reloaded.status_code == 200 and "<h1>New onboarding</h1>" in reloaded.text
    assert "error-summary" not in reloaded.text and f'<option value="{connection}" selected>' in reloaded.text
    started = j.client.post("/onboardings", data=j.form(reloaded.text, "/onboardings").data(vendor="oort"))
    assert started.status_code == 303 and onboardings(j) == 1


def test_a_connection_not_listed_keeps_the_vendor_chosen(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    j.connect(sandbox_org.demo.admin_token)
    form = j.form(j.get("/onboardings/new").text, "/onboardings")
    refused = j.client.post("/onboardings", data=form.data(vendor="drata", connection=str(uuid.UUID(int=0))))
    assert refused.status_code == 400
    page = refused.text
    assert "Choose one of the listed Okta connections." in page
    shown = grid(page)
    assert "error-summary" in shown.before and "vendor-error" not in page
    assert set(shown.items) == {("label", "card")}
    assert ("vendor", "drata") in j.form(page, "/onboardings").fields
    assert onboardings(j) == 0


def test_get_onboardings_is_the_list(settings: Settings) -> None:
    """Opened by hand, /onboardings lists the onboardings as the home page does, its tabs and
    filters from the query, to everyone who reads them; starting one stays at /onboardings/new."""
    add_operator(settings, "oli", "operator")
    add_operator(settings, "aud", "auditor")
    with web_client(settings) as web:
        signed_out = web.get("/onboardings")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/sign-in?next=%2Fonboardings"
        web.sign_in("aud")
        listed = web.get("/onboardings")
        assert listed.status_code == 200 and "<h1>Onboardings</h1>" in listed.text
        assert "New onboarding</h1>" not in listed.text
        assert 'href="http://testserver/?view=all" aria-current="page"' in listed.text
        web.sign_out()
        web.sign_in("oli")
        shown = web.get("/onboardings")
        assert shown.status_code == 200 and "<h1>Onboardings</h1>" in shown.text
        assert "New onboarding</h1>" not in shown.text and 'name="vendor" value=' not in shown.text
        assert 'href="http://testserver/?view=mine" aria-current="page"' in shown.text
        queue = web.get("/onboardings?view=queue")
        assert 'href="http://testserver/?view=queue" aria-current="page"' in queue.text
        assert "<h1>New onboarding</h1>" in web.get("/onboardings/new").text
