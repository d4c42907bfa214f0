"""The schema updates the attribute steps send have the shape Okta's own tools send: the request
bodies recorded from Okta's Terraform provider (tests/recordings/okta/) are the reference, key for
key at each level of ``definitions`` (the section's ``id`` and ``type``, a base property's
``required`` and ``master``)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

from okta_sandbox import SandboxOrg
from tests.harness import Wizard

RECORDINGS = Path(__file__).resolve().parent.parent / "recordings" / "okta"
SCHEMA_URL = "/api/v1/meta/schemas/user/default"


def recorded_update(cassette: str, section: str) -> dict[str, Any]:
    """The first schema update of ``section`` that Terraform sent in the cassette."""
    data = yaml.safe_load((RECORDINGS / cassette).read_text())
    for interaction in data["interactions"]:
        request = interaction["request"]
        if request["method"] == "POST" and request["url"].endswith(SCHEMA_URL) and request["body"]:
            body: dict[str, Any] = json.loads(request["body"])
            if section in body.get("definitions", {}):
                return body
    raise AssertionError(f"{cassette} has no update of definitions.{section}")


def drata(w: Wizard) -> uuid.UUID:
    oid = w.start("drata", w.connect(), app_users=["ada.lovelace0@acme.example", "ben.tanaka1@acme.example"],
                  app_groups=["Drata Users"], custom_attributes=True, group_label="Engineering")
    w.plan(oid)
    w.apply_ok(oid)
    return oid


def section_update(sent: list[httpx.Request], section: str) -> dict[str, Any]:
    """The first update of the user schema's ``section`` the wizard sent."""
    bodies = [json.loads(r.content) for r in sent if r.method == "POST" and r.url.path.endswith(SCHEMA_URL)]
    found = [body for body in bodies if section in body.get("definitions", {})]
    assert found, f"the wizard sent no update of definitions.{section}"
    return found[0]


class TestSchemaUpdateBodies:
    def test_a_base_permission_change_is_sent_as_terraform_sends_it(self, w: Wizard, sandbox_org: SandboxOrg,
                                                                     okta_requests: list[httpx.Request]) -> None:
        sandbox_org.set_base_permission("email", "HIDE")  # Drata then makes email readable
        drata(w)
        ours = section_update(okta_requests, "base")
        theirs = recorded_update("TestAccOktaUserBaseSchema_crud/mm-classic-2022-10-04.yaml", "base")
        assert set(ours) == set(theirs) == {"definitions"}
        assert set(ours["definitions"]["base"]) == set(theirs["definitions"]["base"])
        assert ours["definitions"]["base"]["id"] == "#base" and ours["definitions"]["base"]["type"] == "object"
        [(name, attribute)] = ours["definitions"]["base"]["properties"].items()
        [recorded] = theirs["definitions"]["base"]["properties"].values()
        assert name == "email" and set(attribute) == set(recorded)
        # What Okta holds is resent as it is: the permission is the only change.
        assert attribute["required"] is True and attribute["master"] == {"type": "PROFILE_MASTER"}
        assert attribute["permissions"] == [{"principal": "SELF", "action": "READ_ONLY"}]
        assert sandbox_org.schemas[next(iter(sandbox_org.schemas))].base["email"]["required"] is True

    def test_custom_attributes_are_sent_as_terraform_sends_them(self, w: Wizard,
                                                                 okta_requests: list[httpx.Request]) -> None:
        drata(w)
        ours = section_update(okta_requests, "custom")
        theirs = recorded_update("TestAccResourceOktaUserSchema_enum_string/classic-00.yaml", "custom")
        assert set(ours["definitions"]["custom"]) == set(theirs["definitions"]["custom"])
        assert ours["definitions"]["custom"]["id"] == "#custom"
        recorded = set(next(iter(theirs["definitions"]["custom"]["properties"].values())))
        for name, attribute in ours["definitions"]["custom"]["properties"].items():
            assert {"title", "type", "required", "master", "permissions"} <= set(attribute) <= recorded, name
            assert attribute["required"] is False
