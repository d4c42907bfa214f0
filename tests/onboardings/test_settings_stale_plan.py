"""A plan shows exactly what Apply will do, with the vendor's settings an administrator keeps (a
custom role's permissions). Settings saved after the plan was made changed what Apply did without a
word: the plan said one list of permissions and Okta got another. A plan keeps the settings its
actions still to apply use; one whose settings changed since is out of date, like one whose values
changed: it cannot be confirmed, Apply refuses it, and the page says which setting changed."""

from __future__ import annotations

import html
import uuid

from app.audit import Actor
from app.engine.engine import STALE_SETTINGS_CONFIRMED, STALE_SETTINGS_PLAN
from app.engine.status import DRAFT_STALE_SETTINGS
from okta_sandbox import SandboxOrg
from tests.harness import Wizard
from tests.page_journeys import Journey

VENDOR = "defender-for-identity"
NEW = ["okta.users.lifecycle.manage", "okta.iam.read"]


def _change_permissions(j: Journey, permissions: list[str]) -> str:
    """What an administrator does in Settings; the page after saving."""
    form = j.form(j.get("/settings").text, f"/settings/playbooks/{VENDOR}")
    return html.unescape(j.submit(form, setting_custom_role_permissions=", ".join(permissions)).text)


def _role_permissions(org: SandboxOrg) -> set[str]:
    [role] = list(org.custom_roles)
    return set(role.permissions)


def test_a_plan_made_before_a_settings_change_is_made_again_before_anything_is_applied(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start(VENDOR, j.connect(sandbox_org.demo.admin_token))
    url = f"/onboardings/{oid}"
    planned = j.submit(j.form(j.get(url).text, "/plan"))
    confirm = j.form(planned.text, "/confirm")  # as the page drew it before the change

    saved = _change_permissions(j, NEW)
    assert ("1 onboarding of Microsoft Defender for Identity has a plan made with the previous values: its "
            "operator makes the plan again before Apply goes on.") in saved
    page = j.get(url).text
    text = html.unescape(page)
    assert j.onboarding(oid).status_note == DRAFT_STALE_SETTINGS
    assert ("An administrator changed this vendor's settings (Permissions of the Defender custom role) after it "
            "was made, so it no longer shows what the wizard would do.") in text
    assert not j.forms(page, "/confirm") and j.forms(page, "/plan", button="Make the plan again")

    refused = j.submit(confirm)  # an old tab's Confirm: said as a refusal (QA walk 7, L6)
    assert f"Not confirmed, nothing applied. {STALE_SETTINGS_PLAN}" in html.unescape(refused.text)
    j.wait_for_jobs()
    assert not sandbox_org.custom_roles

    replanned = j.submit(j.form(refused.text, "/plan", button="Make the plan again"))
    assert "This plan is out of date" not in replanned.text
    j.submit(j.form(replanned.text, "/confirm"))
    j.wait_for_jobs()
    assert _role_permissions(sandbox_org) == set(NEW)  # what the plan made again said


def test_apply_refuses_a_confirmed_plan_whose_settings_changed(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start(VENDOR, j.connect(sandbox_org.demo.admin_token))
    url = f"/onboardings/{oid}"
    page = j.submit(j.form(j.get(url).text, "/plan")).text
    plan_id = uuid.UUID(page.split("/plans/", 1)[1].split("/confirm", 1)[0])
    j.run(lambda: j.state.engine.confirm_plan(oid, plan_id, Actor.system("test")))
    _change_permissions(j, NEW)

    async def apply() -> None:
        await j.state.jobs.submit(oid, "apply", None)
        await j.state.jobs.wait_idle(30)

    j.run(apply)
    text = html.unescape(j.get(url).text)
    assert STALE_SETTINGS_CONFIRMED in text or "nothing more is applied from it" in text
    assert j.onboarding(oid).status_note == DRAFT_STALE_SETTINGS
    assert not sandbox_org.custom_roles and j.onboarding(oid).status == "draft"


def test_a_setting_only_done_actions_used_leaves_the_plan_standing(w: Wizard, sandbox_org: SandboxOrg) -> None:
    """Once the custom role is made, its permissions setting no longer concerns the plan (the next
    verification compares Okta with it): the onboarding goes on without making the plan again."""
    oid = w.start(VENDOR, w.connect())
    w.plan(oid)
    w.apply(oid)  # stops at the service account's token; the custom role is made
    assert w.actions(oid)["role"].state == "done"
    before = w.onboarding(oid).status_note

    async def change() -> int:
        from app.playbooks.loader import setting_key
        from app.store.models import AppSetting

        async with w.state.db.session() as session:
            await session.merge(AppSetting(key=setting_key(VENDOR, "custom_role_permissions"), value=NEW))
        return await w.state.engine.settings_changed(VENDOR)

    assert w.run(change) == 0
    assert w.onboarding(oid).status_note == before
    assert w.view(oid).plan_stale is None
    assert w.run(lambda: w.state.engine.why_not_apply(oid)) is None


def test_a_plan_that_makes_again_what_drifted_is_bound_to_the_settings_too(
        w: Wizard, sandbox_org: SandboxOrg) -> None:
    """The custom role deleted in Okta since: the plan makes it again with the permissions set now.
    Changed before it is confirmed, the plan showed one list and Apply would send the other (review)."""
    import pytest

    from app.engine.base import EngineError
    from tests.engine.test_defender import finish
    from tests.engine.test_defender import start as start_defender

    oid = start_defender(w)
    finish(w, oid, sandbox_org)
    [role] = list(sandbox_org.custom_roles)
    for resource_set in sandbox_org.resource_sets:  # as an administrator does: unbind, then delete
        resource_set.bindings.pop(role.id, None)
    sandbox_org.custom_roles.remove(role.id)
    w.verify(oid, "reverify")
    made = w.run(lambda: w.state.engine.plan(oid, w.actor))
    assert any(item.get("restore") and item["action_key"] == "role" for item in made.items)

    async def change() -> int:
        from app.playbooks.loader import setting_key
        from app.store.models import AppSetting

        async with w.state.db.session() as session:
            await session.merge(AppSetting(key=setting_key(VENDOR, "custom_role_permissions"), value=NEW))
        return await w.state.engine.settings_changed(VENDOR)

    assert w.run(change) == 1
    with pytest.raises(EngineError) as refused:
        w.run(lambda: w.state.engine.confirm_plan(oid, made.id, w.actor))
    assert str(refused.value) == STALE_SETTINGS_PLAN
    assert not sandbox_org.custom_roles  # nothing made with the permissions the plan did not show


def test_a_completed_onboarding_checked_against_a_changed_setting_says_okta_is_as_made(
        w: Wizard, sandbox_org: SandboxOrg) -> None:
    """The custom role's permissions setting changed after completion: the check failed as drift,
    with "restore the permissions in Okta", though nothing had changed there (QA walk 7, M1). It says
    Okta is as the onboarding made it, names the setting, and is not drift; at no extra Okta call."""
    from app.okta.api.iam import ROLE
    from tests.engine.test_defender import finish
    from tests.engine.test_defender import start as start_defender
    from tests.vendors.readback import last_results, okta_calls

    oid = start_defender(w)
    finish(w, oid, sandbox_org)

    async def change() -> None:
        from app.playbooks.loader import setting_key
        from app.store.models import AppSetting

        async with w.state.db.session() as session:
            await session.merge(AppSetting(key=setting_key(VENDOR, "custom_role_permissions"), value=NEW))

    w.run(change)
    calls = okta_calls(w, "GET", ROLE + "/permissions")
    w.verify(oid, "reverify")
    assert okta_calls(w, "GET", ROLE + "/permissions") == calls + 1
    role = last_results(w, oid)["role_permissions"]
    assert role.status == "failed"
    assert (role.found or "").endswith("Okta is as the onboarding made it: “Permissions of the Defender custom "
                                       "role” changed in Settings since")
    assert (role.remedy or "").startswith("Set “Permissions of the Defender custom role” back in Settings")
    view = w.view(oid)
    assert view.last_run is not None and view.last_run.drift == []
