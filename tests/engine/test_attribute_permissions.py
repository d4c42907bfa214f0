"""Defender's three custom attributes when the org has some of them already (QA walk 29): one with
the user permission the document asks for is kept; one that users may edit is set to Read Only, and
the plan says so before anything is applied; undo removes only what the onboarding added and puts
a permission it set back. After the wizard's work, a permission changed in Okta is put right by a
new plan, and what it made that differs in a way it does not overwrite is said in red."""

from __future__ import annotations

import html
import re

from okta_sandbox import SandboxOrg
from okta_sandbox.domain import schema as schema_domain
from tests.engine.test_defender import LABEL, finish, start
from tests.harness import Wizard
from tests.support import Web
from tests.vendors.readback import last_results, plan_item


def _seed(org: SandboxOrg, **permissions: str) -> None:
    """Custom attributes an administrator made before, with these user permissions."""
    schema_domain.update_schema(org, org.default_schema, {"definitions": {"custom": {"properties": {
        name: {"title": name, "type": "string", "description": "made by hand", "maxLength": 64,
               "permissions": [{"principal": "SELF", "action": action}]}
        for name, action in permissions.items()}}}}, None)


def _permission(org: SandboxOrg, name: str) -> str:
    return str(org.schema_properties()[name]["permissions"][0]["action"])


def _undo_rows(w: Wizard, oid: object) -> list[list[str]]:
    web = Web(w.client)
    assert web.sign_in("ana.admin").status_code == 303
    page = web.get(f"/onboardings/{oid}/undo").text
    rows = re.findall(r"<tr><td data-label=\"Object\">(.*?)</tr>", page, re.S)
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", "<td>" + row, re.S)] for row in rows]


def _made_again_then_undone(w: Wizard, org: SandboxOrg, name: str) -> None:
    """Defender finished, ``name`` deleted in Okta, made again by the plan after the verification
    that found it gone, then the onboarding undone: none of its three attributes is left."""
    oid = start(w)
    finish(w, oid, org)
    del org.default_schema.custom[name]
    w.verify(oid, "reverify")
    w.plan(oid)
    w.apply_ok(oid)
    assert name in org.schema_properties()
    assert w.job(oid, "undo").state == "succeeded"
    assert not [p for p in org.schema_properties() if p in ("ObjectSid", "ObjectGuid", "DistinguishedName")]


def test_an_attribute_users_may_edit_is_set_read_only_and_said_before(w: Wizard, sandbox_org: SandboxOrg) -> None:
    _seed(sandbox_org, ObjectSid="READ_ONLY", ObjectGuid="READ_WRITE")
    oid = start(w)
    item = plan_item(w.draft_plan(oid), "attributes")
    assert item["verdict"] == "create", item
    assert item["summary"] == ("Add DistinguishedName (string, user permission Read Only); set the user permission "
                               "of ObjectGuid from Read-Write to Read Only (nothing else on it changes); keep "
                               "existing ObjectSid"), item
    assert item["calls"] == ["POST /api/v1/meta/schemas/user/default (only DistinguishedName, ObjectGuid)"]

    finish(w, oid, sandbox_org)
    assert last_results(w, oid)["attributes_present"].status == "passed"
    assert _permission(sandbox_org, "ObjectGuid") == "READ_ONLY"
    # Only the permission changed: the rest of the administrator's attribute is as it was.
    guid = sandbox_org.schema_properties()["ObjectGuid"]
    assert (guid["description"], guid["maxLength"]) == ("made by hand", 64)
    done = w.actions(oid)["attributes"]
    assert done.summary == ("Attributes ObjectSid, ObjectGuid, DistinguishedName present (added DistinguishedName; "
                            "user permission of ObjectGuid set to Read Only, was Read-Write)")

    # The confirmation says what undo does with them (it said "remove" beside all three).
    [attributes] = [row for row in _undo_rows(w, oid) if row[0].startswith("Attributes ")]
    assert attributes[2] == ("remove DistinguishedName (added by this onboarding); restore the user permission of "
                             "ObjectGuid to Read-Write; ObjectSid, ObjectGuid stay"), attributes
    assert w.job(oid, "undo").state == "succeeded"
    assert sorted(p for p in sandbox_org.schema_properties() if p.startswith(("Object", "Distinguished"))) == [
        "ObjectGuid", "ObjectSid"]
    assert (_permission(sandbox_org, "ObjectSid"), _permission(sandbox_org, "ObjectGuid")) == ("READ_ONLY",
                                                                                                "READ_WRITE")


def test_undo_does_not_count_the_super_administrator_taken_away_already(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Defender's Super Administrator is removed once the token exists: the confirmation listed
    "Assigned Super Administrator: remove" and counted it (QA walk 29, M4)."""
    oid = start(w)
    finish(w, oid, sandbox_org)
    objects = [row[0] for row in _undo_rows(w, oid)]
    assert not any("Super Administrator" in text for text in objects), objects
    assert any(text.startswith("Assigned Read-Only Administrator") for text in objects), objects


def test_a_permission_changed_since_is_put_right_by_a_new_plan(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """The check's advice says to make the plan again and apply it; the plan read every line
    "unchanged" and apply did nothing, so the check failed again (QA walk 29, M2)."""
    oid = start(w)
    finish(w, oid, sandbox_org)
    sandbox_org.default_schema.custom["ObjectGuid"]["permissions"] = [{"principal": "SELF", "action": "READ_WRITE"}]
    w.verify(oid, "reverify")
    assert "make the plan again and apply it" in (last_results(w, oid)["attributes_present"].remedy or "")
    item = plan_item(w.draft_plan(oid), "attributes")
    assert item["verdict"] == "change", item
    assert item["summary"].startswith("Changed in Okta since it was done (Attributes ObjectSid, ObjectGuid, "
                                      "DistinguishedName present (added ObjectSid, ObjectGuid, DistinguishedName)): "
                                      "Set the user permission of ObjectGuid from Read-Write to Read Only"), item
    w.plan(oid)
    w.apply_ok(oid)
    assert _permission(sandbox_org, "ObjectGuid") == "READ_ONLY"
    assert w.verify(oid, "reverify").state == "succeeded"
    assert last_results(w, oid)["attributes_present"].status == "passed"


def test_what_differs_in_a_way_the_wizard_does_not_overwrite_is_said(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """A permission taken from the custom role the wizard made: the new plan read "unchanged: Done
    earlier: Created the custom role" (QA walk 29, M3); it says what differs and what to do, without
    blocking the plan (a setting changed since in the wizard differs the same way: review of this
    change, M1)."""
    oid = start(w)
    finish(w, oid, sandbox_org)
    role = next(r for r in sandbox_org.custom_roles if r.label == LABEL)
    del role.permissions["okta.iam.read"]
    w.verify(oid, "reverify")
    items = w.draft_plan(oid)
    item = plan_item(items, "role")
    assert item["verdict"] == "unchanged", item
    assert item["summary"] == (f"Done earlier: Created the custom role “{LABEL}”. Differs now: A role labelled "
                               f"“{LABEL}” exists with other permissions, which applying again does not change"), item
    assert "The wizard will not change it: rename or fix that role in the Admin Console" in (item["detail"] or "")
    assert not [i for i in items if i["verdict"] == "conflict"], items


def test_undo_after_a_restore_removes_every_attribute_the_onboarding_made(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """An attribute deleted in Okta and added again by a new plan: the record then named only that
    one as added, and undo left the other two the onboarding had made in the org."""
    _made_again_then_undone(w, sandbox_org, "DistinguishedName")


def test_where_the_document_names_only_the_attribute_its_permission_is_left_as_it_is(
        w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Drata's document names drataStartDate and its type, not who may edit it: an administrator's
    own Read-Write one is kept as it is, not changed unasked (only Defender's are read-only)."""
    from tests.vendors.test_drata import start as start_drata

    _seed(sandbox_org, drataStartDate="READ_WRITE")
    oid = start_drata(w)
    item = plan_item(w.draft_plan(oid), "drata_attributes")
    assert item["summary"] == ("Add drataContractor (boolean, user permission Read Only); keep existing "
                               "drataStartDate"), item
    assert item["calls"] == ["POST /api/v1/meta/schemas/user/default (only drataContractor)"]


def test_an_attribute_set_read_only_then_deleted_and_made_again_is_removed_by_undo(
        w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Its first permission was recorded to put back; made again by a repair, it is the onboarding's:
    undo removed the other two and put this one back (review of this change, L1)."""
    _seed(sandbox_org, ObjectGuid="READ_WRITE")
    _made_again_then_undone(w, sandbox_org, "ObjectGuid")
