"""Settings of a playbook that are lists (an Oort custom role's permissions, Authomize's scopes): one
per line or separated by commas, as the default is shown. Typed "a, b, c" was kept as one permission
named "a, b, c", and a completed onboarding then failed its checks against Okta with the advice to
restore permissions nobody had changed (QA walk 3, M1). A name that is not a permission is refused,
on its field, with the list kept as typed."""

from __future__ import annotations

import html
import re

from app.playbooks.loader import setting_key
from app.settings import Settings
from app.store.models import AppSetting
from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.support import Web, add_operator


def saved(j: Journey, key: str) -> object:
    async def read() -> object:
        async with j.state.db.sessions() as session:
            row = await session.get(AppSetting, key)
            return None if row is None else row.value
    return j.run(read)


def test_a_list_setting_takes_commas_and_refuses_what_is_not_a_permission(j: Journey) -> None:
    form = j.form(j.get("/settings").text, "/settings/playbooks/oort")
    done = j.submit(form, setting_custom_role_permissions=("okta.users.read,  okta.groups.members.manage\n"
                                                           "okta.users.lifecycle.suspend"))
    assert "Oort: settings saved." in done.text
    assert saved(j, setting_key("oort", "custom_role_permissions")) == [
        "okta.users.read", "okta.groups.members.manage", "okta.users.lifecycle.suspend"]

    form = j.form(j.get("/settings").text, "/settings/playbooks/oort")
    typed = "okta.users.read, okta.bogus, users.read"
    refused = j.submit(form, setting_custom_role_permissions=typed)
    assert refused.status_code == 400
    page = html.unescape(refused.text)
    assert ("Permissions of the Oort remediation role: not an Okta permission name (like okta.users.read): "
            "'okta.bogus', 'users.read'.") in page
    assert 'href="#oort-custom_role_permissions"' in refused.text  # the summary leads to the field
    field = re.search(r'<textarea id="oort-custom_role_permissions"[^>]*>([^<]*)</textarea>', refused.text)
    assert field is not None and html.unescape(field.group(1)) == typed
    assert 'aria-invalid="true"' in refused.text.split('id="oort-custom_role_permissions"', 1)[1].split(">", 1)[0]
    # Nothing was saved from the refused form; the Defender setting of the same name shows no error.
    assert saved(j, setting_key("oort", "custom_role_permissions")) == [
        "okta.users.read", "okta.groups.members.manage", "okta.users.lifecycle.suspend"]
    assert 'id="defender-for-identity-custom_role_permissions-error"' not in refused.text


def test_changing_a_setting_says_which_completed_onboardings_it_touches(j: Journey, sandbox_org: SandboxOrg) -> None:
    """A completed onboarding is re-verified against today's settings: saving another value said only
    "settings saved", and the next verification reported drift nobody caused in Okta (QA walk 4, M2)."""
    assert sandbox_org.demo is not None
    oid = j.start("defender-for-identity", j.connect(sandbox_org.demo.admin_token))
    j.complete(oid, service_token=lambda account: sandbox_org.issue_api_token(account, "Defender"))
    form = j.form(j.get("/settings").text, "/settings/playbooks/defender-for-identity")
    saved_page = j.submit(form, setting_custom_role_permissions="okta.users.lifecycle.manage, okta.iam.read")
    assert ("1 completed onboarding of Microsoft Defender for Identity was made with the previous values: the next "
            "verification compares Okta with these, and where Okta is still as it was made, says this setting "
            "changed.") in html.unescape(saved_page.text)


def test_the_trail_names_a_changed_setting_by_its_label(j: Journey) -> None:
    """The audit entry said `custom_role_permissions` (QA walk 7, L5)."""
    from sqlalchemy import select

    from app.store.models import AuditEvent

    form = j.form(j.get("/settings").text, "/settings/playbooks/oort")
    j.submit(form, setting_custom_role_permissions="okta.users.read")

    async def summaries() -> list[str]:
        async with j.state.db.sessions() as session:
            return list((await session.execute(select(AuditEvent.summary).where(
                AuditEvent.action == "settings_change"))).scalars())

    assert j.run(summaries) == ["Oort settings changed: Permissions of the Oort remediation role"]


def test_notifications_warn_when_their_links_name_this_machine(j: Journey) -> None:
    """Without ONBOARD_PUBLIC_URL, each alert's link pointed at http://127.0.0.1:8000, and nothing
    said so (review)."""
    page = re.sub(r"<[^>]+>", "", html.unescape(j.get("/settings").text))
    assert "this server's own address: set ONBOARD_PUBLIC_URL to the address people open the wizard at" in page
    object.__setattr__(j.state.settings, "public_url", "https://wizard.acme.example")
    assert 'id="public-url-unset"' not in j.get("/settings").text


def test_who_may_not_change_the_settings_reads_them_as_values(j: Journey, settings: Settings) -> None:
    """An operator or auditor saw empty greyed boxes under "Leave a field empty to use the default"
    (QA walk 16, L6): they read the value in use, and whether it is the default or an administrator's."""
    form = j.form(j.get("/settings").text, "/settings/playbooks/oort")
    j.submit(form, setting_custom_role_permissions="okta.users.read")
    add_operator(settings, "aud", "auditor")
    web = Web(j.client)
    web.sign_out()
    web.sign_in("aud")
    page = web.get("/settings").text
    oort = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page.split('id="pb-oort-title"', 1)[1]
                                         .split("</section>", 1)[0]).split()))
    assert "Permissions of the Oort remediation role unsure okta.users.read set by an administrator" in oort, oort
    assert "Leave a field empty" not in oort and "<input" not in page.split('id="pb-oort-title"', 1)[1].split(
        "</section>", 1)[0]
    assert "Save Oort settings" not in page
