"""Playbook templates and conditions."""

from __future__ import annotations

import pytest

from app.engine.scope import OrgInfo, Scope, TemplateError, references


@pytest.fixture
def scope() -> Scope:
    return Scope(inputs={"login": "svc@acme.example", "mode": "read_write", "empty": ""},
                 facts={"user_id": "00u1", "verified": True},
                 settings={"perms": ["a.read", "b.manage"], "orn": "orn:okta:iam:00o1:contained_resources"},
                 org=OrgInfo(origin="https://acme.okta.com", display_domain="acme.okta.com", org_id="00o1"))


def test_strings_are_filled(scope: Scope) -> None:
    assert scope.render("user {input.login} in {org.display_domain}") == "user svc@acme.example in acme.okta.com"


def test_a_whole_reference_keeps_its_type(scope: Scope) -> None:
    assert scope.render("{setting.perms}") == ["a.read", "b.manage"]
    assert scope.render(["{setting.orn}", "x"]) == ["orn:okta:iam:00o1:contained_resources", "x"]
    assert scope.render({"list": "{setting.perms}", "n": 3}) == {"list": ["a.read", "b.manage"], "n": 3}


def test_a_list_item_that_is_a_list_setting_is_spliced(scope: Scope) -> None:
    assert scope.render(["{setting.perms}", "c.read"]) == ["a.read", "b.manage", "c.read"]


def test_unknown_values_say_which(scope: Scope) -> None:
    with pytest.raises(TemplateError, match=r"fact\.role_id"):
        scope.render("{fact.role_id}")
    assert not scope.can_render({"x": "{fact.role_id}"})


def test_conditions(scope: Scope) -> None:
    assert scope.condition(None)
    assert scope.condition("input.mode == read_write")
    assert not scope.condition("input.mode == read_only")
    assert scope.condition("input.mode != read_only and fact.verified")
    assert scope.condition("not input.empty")
    assert not scope.condition("fact.missing")


def test_references_are_listed() -> None:
    assert references({"a": ["{input.x}", "{setting.y} {org.id}"]}) == [("input", "x"), ("setting", "y"), ("org", "id")]
