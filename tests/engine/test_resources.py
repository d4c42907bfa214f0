"""Resource sets and role permissions compare in a canonical form."""

from __future__ import annotations

from app.engine.resources import canonical, permission_gaps, same_resources


def test_url_and_orn_of_all_users_are_equal() -> None:
    assert canonical("https://acme.okta.com/api/v1/users", org_id="00o1") == \
        canonical("orn:okta:directory:00o1:users", org_id="00o1")


def test_partition_does_not_matter() -> None:
    assert canonical("orn:oktapreview:iam:00o1:contained_resources", org_id="00o1") == \
        canonical("orn:okta:iam:00o1:contained_resources", org_id="00o1")


def test_group_forms() -> None:
    assert canonical("https://acme.okta.com/api/v1/groups/00g1/users", org_id="00o1") == \
        "directory:00o1:groups:00g1:contained_resources"


def test_same_resources_reports_missing_and_extra() -> None:
    missing, extra = same_resources(
        ["https://acme.okta.com/api/v1/users", "orn:okta:iam:00o1:contained_resources"],
        ["orn:okta:directory:00o1:users", "orn:okta:directory:00o1:groups"], org_id="00o1")
    assert missing == {"iam:00o1:contained_resources"}
    assert extra == {"directory:00o1:groups"}


def test_expanded_permissions_are_not_drift() -> None:
    missing, extra = permission_gaps(
        ["okta.users.lifecycle.manage", "okta.iam.read"],
        ["okta.users.lifecycle.manage", "okta.users.lifecycle.activate", "okta.iam.read"])
    assert missing == set() and extra == set()


def test_unrelated_extra_permissions_are_drift() -> None:
    missing, extra = permission_gaps(["okta.iam.read"], ["okta.iam.read", "okta.users.manage"])
    assert extra == {"okta.users.manage"}
    missing, _ = permission_gaps(["okta.iam.read", "okta.users.read"], ["okta.iam.read"])
    assert missing == {"okta.users.read"}
