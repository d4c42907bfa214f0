"""An onboarding that waits for a person says for whom, as seen by who reads it: "for you" to its
owner only. It read "Waiting for you" to an auditor, in the help-desk queue before anyone had taken
it, and to the person who had just handed it off (QA walk 16, M1)."""

from __future__ import annotations

import re

from app.settings import Settings
from tests.onboardings.test_prerequisites_first import _drata_at_the_drawer
from tests.page_journeys import Journey
from tests.support import Web, add_operator


def _badges(page: str) -> list[str]:
    found = re.findall(r'<span class="pill pill--waiting">(.*?)</span>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", badge).split()) for badge in found]


def test_waiting_for_a_person_names_whose_turn_it_is(j: Journey, settings: Settings) -> None:
    oid = _drata_at_the_drawer(j)  # waits for a person: the prerequisites to verify
    url = f"/onboardings/{oid}"
    assert _badges(j.get(url).text) == ["Waiting for you"]
    assert _badges(j.get("/").text) == ["Waiting for you"]
    # Handed to the help-desk queue: nobody's yet, not its former owner's.
    j.submit(j.form(j.get(url).text, "/handoff"), to="queue", note="Anyone: verify, then Drata's drawer.")
    assert _badges(j.get(url).text) == ["Waiting for the help-desk queue"]
    add_operator(settings, "bob", "operator")  # the help desk
    add_operator(settings, "aud", "auditor")
    web = Web(j.client)
    web.sign_out()
    web.sign_in("bob")
    assert _badges(web.get("/?view=queue").text) == ["Waiting for the help-desk queue"]
    web.post(f"{url}/take", page=url)
    assert _badges(web.get(url).text) == ["Waiting for you"]
    web.sign_out()
    web.sign_in("aud")
    assert _badges(web.get(url).text) == ["Waiting for its owner"]
    assert _badges(web.get("/").text) == ["Waiting for its owner"]
