"""QA walk 18, L3: a plan made once Oort's AWS values were given still said, under its log stream,
"Runs after: 'AWS account id', 'Event source name' and 'Region' are given". A plan item names only
what it still awaits."""

from __future__ import annotations

import html
import re

from tests.harness import Wizard
from tests.support import Web

AWS = {"aws_account_id": "123456789012", "event_source_name": "oort_acme_okta", "aws_region": "eu-west-1"}


def _stream(w: Wizard, **inputs: str) -> dict[str, object]:
    oid = w.start("oort", w.connect(), access="read_only", **inputs)
    return next(item for item in w.plan(oid) if item["action_key"] == "log_stream")


def test_the_values_awaited_are_named_until_they_are_given(w: Wizard) -> None:
    waiting = _stream(w)
    assert waiting["requires_text"] == "“AWS account id”, “Event source name” and “Region” are given"


def test_once_given_nothing_is_said_to_be_awaited(w: Wizard) -> None:
    given = _stream(w, **AWS)
    assert given["requires"] == [] and given["requires_text"] == ""


def test_a_line_that_awaited_the_token_says_it_came_once_it_did(w: Wizard) -> None:
    """The plan is kept as it was made: under its lines that waited for the service account's token,
    "Runs after: the service account's token is verified" stood once it was (review, twenty-seventh
    session)."""
    web = Web(w.client)
    web.sign_in("ana.admin")
    oid = w.start("defender-for-identity", w.connect(), service_account_login="mdi-service@acme.example")
    w.to_the_token(oid)
    before = _plan_text(web.get(f"/onboardings/{oid}").text)
    assert "Runs after: the service account's token is verified" in before
    assert "verified since" not in before
    w.activate_and_paste(oid, "Defender")
    after = _plan_text(web.get(f"/onboardings/{oid}").text)
    assert "Runs after: the service account's token is verified" not in after
    assert after.count("Waited for the service account's token: verified since.") == \
        before.count("Runs after: the service account's token is verified")


def _plan_text(page: str) -> str:
    section = page.split('id="plan"', 1)[1].split("</section>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
