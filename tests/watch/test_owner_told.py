"""The watch's alerts went only to the channels an administrator set up: the owner of an onboarding
that drifted was not told where they work (QA walk 6, M2). Their home page says how many of the
onboardings they own have an open alert, and leads to them; nobody else is told of them as theirs."""

from __future__ import annotations

import html
import re

from app.settings import Settings
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import PASSWORD, add_operator
from tests.watch.test_watch import _drifted

TOLD = "1 onboarding you own has an open alert"


def test_the_owner_is_told_on_their_home_page(j: Journey, sandbox_org: SandboxOrg, settings: Settings) -> None:
    assert TOLD not in html.unescape(j.get("/").text)
    oid, _token = _drifted(j, sandbox_org)
    home = html.unescape(j.get("/").text)
    assert TOLD in home and 'href="/?view=mine&health=alerting"' in home.replace("http://testserver", "")
    listed = j.get("/?view=mine&health=alerting").text
    assert f"/onboardings/{oid}" in listed and TOLD not in html.unescape(listed)  # not said again on the list

    add_operator(settings, "olga.op", "operator")
    j.submit(j.form(j.get("/").text, "/sign-out"))
    j.sign_in("olga.op", PASSWORD)
    assert "you own" not in html.unescape(j.get("/").text)


def test_a_completed_onboarding_nobody_owns_is_in_the_queue(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """Handed to the help-desk queue once completed: the queue left out completed onboardings, while
    the alert's notification said it was there (review); then it listed one only once it drifted,
    though whoever takes it owns the watch's alerts (QA walk 23, L8)."""
    from tests.watch.test_watch import DAY, _completed, _tick

    oid, token = _completed(j, sandbox_org)
    page = j.get(f"/onboardings/{oid}").text
    handed = j.submit(j.form(page, "/handoff"), to="queue", note="Done; the watch looks after it.")
    assert "Handed off to the help-desk queue." in handed.text
    assert f"/onboardings/{oid}" in j.get("/?view=queue").text  # nobody's: its alerts are to be owned
    # Why it is there, said on its row: who handed it, when, and their note (QA walk 25, L9).
    assert re.search(r'class="hint queue-handed">handed there by Ana\.Admin <time[^>]*>[^<]*</time>: '
                     r'“Done; the watch looks after it\.”', j.get("/?view=queue").text)
    _tick(j)
    sandbox_org.assign_role(token["account"], "SUPER_ADMIN")
    j.clock.advance(DAY + 1)
    _tick(j)
    assert f"/onboardings/{oid}" in j.get("/?view=queue").text


def test_a_completed_onboarding_on_a_retired_connection_is_not_left_in_the_queue(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """Its watch stopped with the connection: no alert will need an owner, and it stayed in the queue
    for good (review)."""
    from sqlalchemy import update

    from app.store.base import utcnow
    from app.store.models import OktaConnection
    from tests.watch.test_watch import _completed

    oid, _token = _completed(j, sandbox_org)
    j.submit(j.form(j.get(f"/onboardings/{oid}").text, "/handoff"), to="queue", note="Done; anyone may own it.")
    assert f"/onboardings/{oid}" in j.get("/?view=queue").text

    async def retire() -> None:
        async with j.state.db.session() as session:
            await session.execute(update(OktaConnection).values(retired_at=utcnow()))

    j.run(retire)
    assert f"/onboardings/{oid}" not in j.get("/?view=queue").text
