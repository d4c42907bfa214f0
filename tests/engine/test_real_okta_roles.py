"""Role assignments and their undo as real Okta has them (issue: real Okta, not only our fake):
no third-party-admin flag on assignments, and an undo that removes the custom-role binding the way
Okta's own tools do, so the role it created can then be deleted."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.engine.engine import STALE_SETTINGS_CONFIRMED
from app.okta.models import RoleAssignment
from okta_sandbox import SandboxOrg, SandboxTransport
from tests.engine.test_defender import LABEL, LOGIN, PERMISSIONS, finish, start
from tests.harness import Wizard
from tests.support import Web


def _role_posts(okta_requests: list[httpx.Request]) -> list[httpx.Request]:
    return [r for r in okta_requests if r.method == "POST" and r.url.path.endswith("/roles")
            and r.url.path.startswith("/api/v1/users/")]


class TestRoleAssignmentsKeepOktaSupport:
    def test_no_assignment_makes_the_service_account_a_third_party_admin(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        finish(w, start(w), sandbox_org)
        posts = _role_posts(okta_requests)
        # Super Admin (while the token is made), Read-Only Admin, and the custom role.
        assert len(posts) == 3
        for request in posts:
            assert "disableNotifications" not in request.url.params, request.url


class TestUndoOfACustomRoleAssignment:
    def test_removes_the_member_then_the_empty_binding_so_the_role_can_go(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        # The resource set exists already (adopted, so undo keeps it); the role is the wizard's.
        org_id = sandbox_org.org_id
        sandbox_org.add_resource_set(LABEL, [f"{sandbox_org.base_url}/api/v1/users",
                                             f"orn:okta:iam:{org_id}:contained_resources"])
        oid = start(w)
        finish(w, oid, sandbox_org)
        resource_set = next(s for s in sandbox_org.resource_sets if s.label == LABEL)
        assert len(resource_set.bindings) == 1
        del okta_requests[:]

        job = w.job(oid, "undo")

        assert job.state == "succeeded", job.error
        assert [s.label for s in sandbox_org.resource_sets] == [LABEL]
        assert resource_set.bindings == {}
        assert LABEL not in [r.label for r in sandbox_org.custom_roles]
        deletes = [r.url.path for r in okta_requests if r.method == "DELETE" and "/bindings/" in r.url.path]
        # The order of the recorded Terraform runs: the member, then the binding, then the role.
        assert len(deletes) == 2 and "/members/" in deletes[0] and deletes[1].endswith(
            deletes[0].split("/bindings/")[1].split("/")[0])
        role_delete = next(i for i, r in enumerate(okta_requests) if r.method == "DELETE"
                           and r.url.path.startswith("/api/v1/iam/roles/"))
        binding_delete = next(i for i, r in enumerate(okta_requests) if r.method == "DELETE"
                              and "/bindings/" in r.url.path and "/members/" not in r.url.path)
        assert binding_delete < role_delete

    def test_keeps_a_binding_that_has_other_members(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        # Role and set exist already, and a colleague holds the role on the set (all adopted).
        role = sandbox_org.add_custom_role(LABEL, sorted(PERMISSIONS))
        sandbox_org.add_resource_set(LABEL, [f"{sandbox_org.base_url}/api/v1/users",
                                             f"orn:okta:iam:{sandbox_org.org_id}:contained_resources"])
        colleague = sandbox_org.add_user("colleague@acme.example")
        sandbox_org.assign_role(colleague["id"], "CUSTOM", role=role["id"], resource_set=LABEL)
        oid = start(w)
        finish(w, oid, sandbox_org)
        binding = next(s for s in sandbox_org.resource_sets if s.label == LABEL).bindings[role["id"]]
        assert len(binding.members) == 2

        job = w.job(oid, "undo")

        assert job.state == "succeeded", job.error
        assert [m.principal_id for m in binding.members.values()] == [colleague["id"]]
        assert [r["type"] for r in sandbox_org.user_roles(colleague["id"])] == ["CUSTOM"]
        assert [r.label for r in sandbox_org.custom_roles] == [LABEL]


def _service_account(org: SandboxOrg, **kwargs: Any) -> dict[str, Any]:
    return org.add_user(LOGIN, first_name="Defender", last_name="Service", profile={"userType": "Service Account"},
                        **kwargs)


def _failed_message(w: Wizard, oid: Any) -> str:
    return w.failure(oid)


class TestRolesHeldThroughAGroup:
    def test_the_plan_counts_them_and_names_the_group_it_cannot_change(self, w: Wizard,
                                                                       sandbox_org: SandboxOrg) -> None:
        svc = _service_account(sandbox_org)
        group = sandbox_org.add_group("Okta Admins", members=[svc["id"]])
        sandbox_org.assign_group_role(group["id"], "SUPER_ADMIN")
        listed = sandbox_org.user_roles(svc["id"])
        assert [(r["type"], r["assignmentType"]) for r in listed] == [("SUPER_ADMIN", "GROUP")]

        items = {item["action_key"]: item for item in w.draft_plan(start(w))}

        assert items["super_admin"]["verdict"] == "unchanged"
        assert "through a group" in items["super_admin"]["summary"]
        assert items["drop_super_admin"]["verdict"] == "conflict"
        assert "through its membership of “Okta Admins”" in items["drop_super_admin"]["detail"]

    def test_apply_never_removes_a_groups_role_through_the_user(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        oid = start(w)
        svc = w.to_the_token(oid)
        sandbox_org.complete_activation(svc)
        # Between plan and apply, someone puts the account in a group that holds Super Admin.
        group = sandbox_org.add_group("Okta Admins", members=[svc])
        sandbox_org.assign_group_role(group["id"], "SUPER_ADMIN")
        w.paste_token(oid, sandbox_org.issue_api_token(svc, "Defender for Identity"))

        job = w.apply(oid)

        assert job.state == "failed"
        assert "through its membership of “Okta Admins”" in _failed_message(w, oid)
        # Its own Super Admin went; the group's stays where it was.
        assert [(r["type"], r["assignmentType"]) for r in sandbox_org.user_roles(svc)
                if r["type"] == "SUPER_ADMIN"] == [("SUPER_ADMIN", "GROUP")]
        user_deletes = [r.url.path for r in okta_requests if r.method == "DELETE" and "/roles/" in r.url.path]
        assert len(user_deletes) == 1


class TestADeactivatedServiceAccount:
    def test_is_reactivated_once_the_plan_says_so_and_deactivated_again_by_undo(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        svc = _service_account(sandbox_org, status="DEPROVISIONED", password=None)
        oid = start(w)

        items = {item["action_key"]: item for item in w.plan(oid)}
        job = w.apply(oid)

        assert items["service_account"]["verdict"] == "adopt"
        assert "Reactivate the deactivated service account" in items["service_account"]["summary"]
        assert job.state == "succeeded", job.error
        assert sandbox_org.find_user(LOGIN)["status"] == "PROVISIONED"
        assert w.onboarding(oid).waiting_for  # the person's step: the activation link, not a silent wait
        assert w.job(oid, "undo").state == "succeeded"
        user = sandbox_org.find_user(LOGIN)
        assert user is not None and user["id"] == svc["id"] and user["status"] == "DEPROVISIONED"


def _override(w: Wizard, name: str, value: Any) -> None:
    from app.playbooks.loader import setting_key
    from app.store.models import AppSetting

    async def save() -> None:
        async with w.state.db.session() as session:
            await session.merge(AppSetting(key=setting_key("defender-for-identity", name), value=value))

    w.run(save)


class TestTheOrgsOrnPartition:
    def test_is_learned_from_the_orns_okta_returns_not_from_the_domain(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        # A preview cell reached through an address that says nothing about it (127.0.0.1).
        sandbox_org.partition = "oktapreview"
        oid = start(w)
        finish(w, oid, sandbox_org)

        resource_set = next(s for s in sandbox_org.resource_sets if s.label == LABEL)
        orns = sorted(r.orn for r in resource_set.resources.values())
        org_id = sandbox_org.org_id
        assert orns == [f"orn:oktapreview:directory:{org_id}:users",
                        f"orn:oktapreview:iam:{org_id}:contained_resources"]
        assert w.onboarding(oid).status == "completed"

    def test_a_refused_iam_resource_stops_with_what_was_sent_and_the_clicks_then_retry_goes_on(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        wrong = "orn:okta:iam:00oNOTTHISORG:contained_resources"
        _override(w, "iam_resource", wrong)
        oid = start(w)
        w.plan(oid)

        job = w.apply(oid)

        assert job.state == "failed"
        note = _failed_message(w, oid)
        assert wrong in note and "Add resource" in note and "Identity and Access Management" in note
        resource_set = next(s for s in sandbox_org.resource_sets if s.label == LABEL)
        assert len(resource_set.resources) == 1  # the users resource: the set exists, half made
        # The administrator adds it by hand in the Admin Console, then retries.
        sandbox_org.add_set_resources(LABEL, [f"orn:okta:iam:{sandbox_org.org_id}:contained_resources"])
        _override(w, "iam_resource", f"orn:okta:iam:{sandbox_org.org_id}:contained_resources")
        # The plan said the refused resource: Retry under it is refused until it is made again.
        assert w.apply(oid).error == STALE_SETTINGS_CONFIRMED
        w.plan(oid)
        w.apply_ok(oid)


    def test_a_set_of_only_orns_is_not_sent_while_the_partition_is_unknown(
            self, w: Wizard, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
        """Review (thirtieth session), M1: every resource an ORN ('All users' written as one), the set
        went to Okta as "orn::directory:…", which Okta refuses; Retry sent it again."""
        _override(w, "users_resource", "orn:{org.partition}:directory:{org.id}:users")
        oid = start(w)
        item = next(i for i in w.draft_plan(oid) if i.get("object_type") == "resource_set")
        assert item["verdict"] == "conflict" and "this org's ORN partition is not known yet" in item["detail"]
        assert "name one resource by its URL (https://…/api/v1/users for all users)" in item["detail"]
        assert not any(r.method == "POST" and r.url.path.endswith("/resource-sets") for r in okta_requests)
        assert not [s for s in sandbox_org.resource_sets if s.label == LABEL]
        # With the partition written out, as the words say, the set is made as set.
        _override(w, "users_resource", "orn:okta:directory:{org.id}:users")
        _override(w, "iam_resource", "orn:okta:iam:{org.id}:contained_resources")
        w.plan(oid)
        w.apply_ok(oid)
        resource_set = next(s for s in sandbox_org.resource_sets if s.label == LABEL)
        assert sorted(r.orn for r in resource_set.resources.values()) == [
            f"orn:okta:directory:{sandbox_org.org_id}:users", f"orn:okta:iam:{sandbox_org.org_id}:contained_resources"]


def _latest_checks(w: Wizard, oid: Any) -> dict[str, tuple[str, str]]:
    from sqlalchemy import select

    from app.store.models import CheckResult, VerificationRun

    async def results() -> dict[str, tuple[str, str]]:
        async with w.state.db.sessions() as session:
            run = (await session.execute(select(VerificationRun).where(VerificationRun.onboarding_id == oid)
                                         .order_by(VerificationRun.finished_at.desc()).limit(1))).scalar_one()
            rows = (await session.execute(select(CheckResult).where(CheckResult.run_id == run.id))).scalars()
            return {r.check_key: (r.status, r.found) for r in rows}

    return w.run(results)


class TestUndoOfObjectsAnotherOnboardingAdopted:
    def _two(self, w: Wizard, org: SandboxOrg) -> tuple[Any, Any]:
        first = start(w)
        finish(w, first, org)
        second = start(w)  # the same vendor again, on the same org: it adopts the first one's objects
        w.plan(second)
        job = w.apply(second)
        assert job.state == "succeeded", job.error
        return first, second

    def test_keeps_them_and_names_who_uses_them(self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        first, second = self._two(w, sandbox_org)
        shared = w.run(lambda: w.state.engine.shared_with(first))
        assert shared and all([o.id for o in users] == [second] for users in shared.values())
        web = Web(w.client)
        web.sign_in("ana.admin")
        page = web.get(f"/onboardings/{first}/undo")
        assert page.status_code == 200
        assert "also used by" in page.text and f"onboarding {str(second)[:8]}" in page.text
        assert 'name="remove_shared"' in page.text

        assert w.job(first, "undo").state == "succeeded"

        # Account, role and resource set stay for the second onboarding, which still verifies.
        assert sandbox_org.find_user(LOGIN) is not None
        assert LABEL in [r.label for r in sandbox_org.custom_roles]
        assert LABEL in [s.label for s in sandbox_org.resource_sets]
        assert "kept" in str(w.onboarding(first).status_note)
        assert w.verify(second).state == "succeeded"
        checks = _latest_checks(w, second)
        assert checks["role_permissions"][0] == "passed" and checks["resource_set_contents"][0] == "passed"

    def test_removes_them_when_confirmed_and_the_other_verify_reports_what_is_gone(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        first, second = self._two(w, sandbox_org)
        web = Web(w.client)
        web.sign_in("ana.admin")

        # The operator ticks "Remove them anyway" on the undo page.
        answer = web.post(f"/onboardings/{first}/undo", {"remove_shared": "yes"}, page=f"/onboardings/{first}/undo")
        assert answer.status_code in (200, 303)
        w.run(lambda: w.state.jobs.wait_idle(60))

        assert sandbox_org.find_user(LOGIN) is None
        assert w.verify(second).state == "succeeded"
        checks = _latest_checks(w, second)
        assert checks["role_permissions"] == ("failed", "The custom role is not in Okta")


class TestDuplicatesAreRecognisedByOktasCodes:
    @pytest.mark.parametrize(("status", "code"), [(409, "E0000090"), (400, "E0000090"), (409, "E0000263")])
    def test_a_lost_assignment_answer_then_okta_says_already_assigned(
            self, w: Wizard, sandbox_org: SandboxOrg, monkeypatch: pytest.MonkeyPatch, status: int, code: str) -> None:
        from okta_sandbox import errors
        from okta_sandbox.domain import roles

        monkeypatch.setattr(roles, "role_already_assigned", lambda: errors.OktaError(
            status, code, "The role specified is already assigned to the user."))
        oid = start(w)
        w.plan(oid)
        # Super Admin reaches Okta but its answer is lost; the retry is told it is a duplicate.
        # ...and stays out of Okta's role list for a while, so the retry assigns it again.
        sandbox_org.faults.add("drop", method="POST", path="/api/v1/users/{userId}/roles", processed=True)
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users/{userId}/roles", delay_ms=3000)
        assert w.apply(oid).state == "failed"

        w.apply_ok(oid)
        svc = str(w.onboarding(oid).facts["service_account_id"])
        assert sorted(r["type"] for r in sandbox_org.user_roles(svc)) == ["CUSTOM", "READ_ONLY_ADMIN", "SUPER_ADMIN"]

    def test_a_concurrent_change_is_not_taken_for_a_duplicate(
            self, w: Wizard, sandbox_org: SandboxOrg, monkeypatch: pytest.MonkeyPatch) -> None:
        from okta_sandbox import errors
        from okta_sandbox.domain import roles

        monkeypatch.setattr(roles, "role_already_assigned", lambda: errors.OktaError(
            409, "E0000268", "Another change to this admin's roles is in progress."))
        oid = start(w)
        w.plan(oid)
        # ...and stays out of Okta's role list for a while, so the retry assigns it again.
        sandbox_org.faults.add("drop", method="POST", path="/api/v1/users/{userId}/roles", processed=True)
        sandbox_org.faults.add("invisible", method="POST", path="/api/v1/users/{userId}/roles", delay_ms=3000)
        assert w.apply(oid).state == "failed"

        job = w.apply(oid)

        assert job.state == "failed"
        assert "E0000268" in str(w.onboarding(oid).status_note)


class TestCustomRolesHeldThroughAGroup:
    """Okta lists a custom role that a group's binding member gives with assignmentType GROUP, and
    the user endpoint cannot remove it; the sandbox answers the same, and the client sees it."""

    def test_listed_as_group_and_not_removable_through_the_user(self, sandbox_org: SandboxOrg,
                                                                  okta_transport: SandboxTransport) -> None:
        from okta_sandbox.domain import resource_sets as sets_domain
        from okta_sandbox.domain.resource_sets import MemberRef

        svc = _service_account(sandbox_org)
        group = sandbox_org.add_group("Identity Readers", members=[svc["id"]])
        role = sandbox_org.add_custom_role(LABEL, sorted(PERMISSIONS))
        resource_set = sandbox_org.add_resource_set("Everything", [f"{sandbox_org.base_url}/api/v1/users"])
        found_set = next(s for s in sandbox_org.resource_sets if s.id == resource_set["id"])
        found_role = sandbox_org.custom_roles[role["id"]]
        sets_domain.add_member(sandbox_org, found_set, found_role,
                               MemberRef("group", group["id"], f"{sandbox_org.base_url}/api/v1/groups/{group['id']}"),
                               None)

        listed = sandbox_org.user_roles(svc["id"])
        assert [(r["type"], r["assignmentType"]) for r in listed] == [("CUSTOM", "GROUP")]
        assert listed[0]["_links"]["assignee"]["href"].endswith(f"/api/v1/groups/{group['id']}")

        async def go() -> tuple[list[Any], int]:
            assert sandbox_org.demo is not None
            async with httpx.AsyncClient(transport=okta_transport, base_url=sandbox_org.base_url,
                                         headers={"Authorization": f"SSWS {sandbox_org.demo.admin_token}"}) as http:
                roles = (await http.get(f"/api/v1/users/{svc['id']}/roles")).json()
                removed = await http.delete(f"/api/v1/users/{svc['id']}/roles/{roles[0]['id']}")
                return roles, removed.status_code

        roles, status = asyncio.run(go())
        assert status == 404
        assert [RoleAssignment.model_validate(r).via_group for r in roles] == [True]
        assert [(r["type"], r["assignmentType"]) for r in sandbox_org.user_roles(svc["id"])] == [("CUSTOM", "GROUP")]


class TestUndoOfAStandardRoleOktaGivesEveryUserTheSameIdFor:
    """Real Okta's id of a standard role assignment is the role type in base32, the same for every
    user of every org (TestAccResourceOktaUserAdminRoles_crud: APP_ADMIN is IFIFAX2BIRGUSTQ for two
    users of two orgs). Undo matched other onboardings' objects on the id alone, so any live
    onboarding with Read-Only Admin kept this one's on its service account (the Okta review, M2)."""

    OKTA_ID = "KJCUCRC7J5HEYWK7IFCE2SKO"  # base32 of READ_ONLY_ADMIN, as Okta gives it

    def _as_okta_ids_them(self, w: Wizard, *oids: Any) -> None:
        # The sandbox gives Okta's id, so both onboardings recorded the same one.
        assert {w.actions(oid)["read_only_admin"].object_id for oid in oids} == {self.OKTA_ID}

    def test_another_service_accounts_role_is_not_a_reason_to_keep_this_ones(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        mine = start(w)
        svc = finish(w, mine, sandbox_org)
        theirs = w.start("defender-for-identity", w.connect(), service_account_login="mdi-other@acme.example")
        other = finish(w, theirs, sandbox_org)
        self._as_okta_ids_them(w, mine, theirs)

        assert self.OKTA_ID not in w.run(lambda: w.state.engine.shared_with(mine))
        assert w.job(mine, "undo").state == "succeeded"
        assert svc not in {u.id for u in sandbox_org.users if u.status == "ACTIVE"}  # deactivated by undo
        assert "READ_ONLY_ADMIN" in {r["type"] for r in sandbox_org.user_roles(other)}

    def test_the_same_accounts_role_adopted_by_another_onboarding_is_still_kept(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        mine = start(w)
        finish(w, mine, sandbox_org)
        theirs = start(w)  # the same service account, adopted
        svc = w.to_the_token(theirs)
        w.paste_token(theirs, sandbox_org.issue_api_token(svc, "Defender for Identity, again"),
                      name="Defender for Identity, again")  # the name the person gave it, as the form says
        w.apply_ok(theirs)
        assert w.actions(theirs)["read_only_admin"].state == "done"
        self._as_okta_ids_them(w, mine, theirs)

        shared = w.run(lambda: w.state.engine.shared_with(mine))
        assert [o.id for o in shared.get(self.OKTA_ID, [])] == [theirs]

    def test_a_phases_read_keeps_the_users_own_role_beside_the_groups_of_the_same_id(self) -> None:
        """A resumed assignment (its intent recorded, a group holding the same role since) adds the
        user's own assignment to the phase's read of their roles even though the group's has its
        id: told apart by ``assignmentType``, the later steps of the phase see it and undo owns it."""
        from app.engine.actions.roles import _added

        group = RoleAssignment.model_validate({"id": self.OKTA_ID, "type": "READ_ONLY_ADMIN",
                                               "assignmentType": "GROUP"})
        own = RoleAssignment.model_validate({"id": self.OKTA_ID, "type": "READ_ONLY_ADMIN",
                                             "assignmentType": "USER"})
        read: dict[str, list[RoleAssignment]] = {"roles:u1": [group]}

        class Phase:
            def revise(self, key: str, change: Any) -> None:
                read[key] = change(read[key])

        _added(Phase(), "u1", own)  # type: ignore[arg-type]
        assert [r.via_group for r in read["roles:u1"]] == [True, False]
        _added(Phase(), "u1", own)  # type: ignore[arg-type]
        assert len(read["roles:u1"]) == 2  # added once
