"""QA walk 18, L3: a plan made once Oort's AWS values were given still said, under its log stream,
"Runs after: 'AWS account id', 'Event source name' and 'Region' are given". A plan item names only
what it still awaits."""

from __future__ import annotations

from tests.harness import Wizard

AWS = {"aws_account_id": "123456789012", "event_source_name": "oort_acme_okta", "aws_region": "eu-west-1"}


def _stream(w: Wizard, **inputs: str) -> dict[str, object]:
    oid = w.start("oort", w.connect(), access="read_only", **inputs)
    return next(item for item in w.plan(oid) if item["action_key"] == "log_stream")


def test_the_values_awaited_are_named_until_they_are_given(w: Wizard) -> None:
    waiting = _stream(w)
    assert waiting["requires_text"] == "'AWS account id', 'Event source name' and 'Region' are given"


def test_once_given_nothing_is_said_to_be_awaited(w: Wizard) -> None:
    given = _stream(w, **AWS)
    assert given["requires"] == [] and given["requires_text"] == ""
