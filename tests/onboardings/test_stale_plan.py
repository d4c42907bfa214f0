"""Issue 14, point 1: a plan is bound to the values it was made from. Once a value changes the plan
is out of date: the page says so, hides Confirm (and Apply), offers to plan again, and the server
refuses to confirm it or to apply a confirmed plan whose values changed since. Nothing is written
to Okta that the confirmed plan did not name."""

from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import select

from app.audit import Actor
from app.engine.engine import STALE_CONFIRMED, STALE_PLAN
from app.engine.status import DRAFT_PLANNED, DRAFT_STALE
from app.store.models import Job, Onboarding, OnboardingPlan
from app.store.repositories.plans import inputs_digest, is_stale
from app.store.repositories.state import touch
from okta_sandbox import SandboxOrg
from tests.page_journeys import Form, Journey

FIRST = "defender-first@acme.example"
SECOND = "defender-second@acme.example"



def _defender(j: Journey, login: str) -> uuid.UUID:
    assert j.org.demo is not None
    oid = j.start("defender-for-identity", j.connect(j.org.demo.admin_token))
    j.save_values(oid, "create_account", service_account_login=login, service_account_email=login)
    return oid


def _values_form(j: Journey, oid: uuid.UUID) -> Form:
    page = j.get(f"/onboardings/{oid}").text
    [form] = j.forms(page, "/inputs")
    return form


def _logins(org: SandboxOrg) -> set[str]:
    return {user.login for user in org.users.values()}


def test_inputs_digest_changes_with_any_value() -> None:
    base = {"service_account_login": FIRST, "groups": ["a", "b"]}
    assert inputs_digest(base) == inputs_digest(dict(reversed(list(base.items()))))
    assert inputs_digest(base) != inputs_digest({**base, "service_account_login": SECOND})
    assert inputs_digest(base) != inputs_digest({**base, "groups": ["b", "a"]})
    assert inputs_digest(base) != inputs_digest({**base, "extra": ""})


def test_a_plan_made_before_a_change_cannot_be_confirmed(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _defender(j, FIRST)
    url = f"/onboardings/{oid}"
    planned = j.submit(j.form(j.get(url).text, "/plan"))
    assert "Plan ready" in planned.text and FIRST in planned.text
    confirm = j.form(planned.text, "/confirm")  # the button as the page drew it before the change

    saved = j.submit(_values_form(j, oid), at="create_account", input_service_account_login=SECOND,
                     input_service_account_email=SECOND)
    assert "Values saved. The plan no longer matches them" in saved.text
    page = j.get(url).text
    assert "This plan is out of date" in page
    assert "Confirm and apply" not in page and not j.forms(page, "/confirm")
    assert j.forms(page, "/plan", button="Make the plan again")

    # A confirm sent anyway (an old tab, a double click) is refused and applies nothing.
    refused = j.submit(confirm)
    assert STALE_PLAN in refused.text
    j.wait_for_jobs()
    assert not {FIRST, SECOND} & _logins(sandbox_org)
    assert j.onboarding(oid).status == "draft"

    replanned = j.submit(j.form(refused.text, "/plan", button="Make the plan again"))
    assert "This plan is out of date" not in replanned.text and SECOND in replanned.text
    j.submit(j.form(replanned.text, "/confirm"))
    j.wait_for_jobs()
    assert SECOND in _logins(sandbox_org) and FIRST not in _logins(sandbox_org)


def test_apply_refuses_a_confirmed_plan_whose_values_changed(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Values changed between confirming and a later Apply (a job started from an old page, or the
    engine itself): the job fails with the reason and Okta is not called to create anything."""
    oid = _defender(j, FIRST)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    page = j.get(url).text
    # Confirm, but change the values before the job runs: the engine checks again when it starts.
    state = j.state

    async def confirm_then_change() -> None:
        plan_id = uuid.UUID(page.split("/plans/", 1)[1].split("/confirm", 1)[0])
        await state.engine.confirm_plan(oid, plan_id, Actor.system("test"))
        async with state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            onboarding.inputs = {**onboarding.inputs, "service_account_login": SECOND}
        await state.jobs.submit(oid, "apply", None)
        await state.jobs.wait_idle(30)

    j.run(confirm_then_change)

    async def last_job() -> Job:
        async with state.db.sessions() as session:
            return (await session.execute(select(Job).where(Job.onboarding_id == oid))).scalars().one()

    job = j.run(last_job)
    assert job.state == "failed" and job.error == STALE_CONFIRMED
    assert not {FIRST, SECOND} & _logins(sandbox_org)
    page = j.get(url).text
    assert "This plan is out of date" in page and "nothing more is applied from it" in page
    assert not j.forms(page, "/apply")
    # The page's Apply (from an old tab) is refused the same way, before any job starts.
    refused = j.client.post(f"{url}/apply", data={"csrf_token": page.split('name="csrf_token" value="', 1)[1]
                                                  .split('"', 1)[0]})
    assert refused.status_code == 303 and refused.headers["location"].endswith("#plan")
    assert STALE_CONFIRMED in j.get(refused.headers["location"].split("#")[0]).text


def test_save_and_make_the_plan_plans_the_values_just_typed(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid = _defender(j, FIRST)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    form = _values_form(j, oid)
    assert "Save and make the plan" in form.buttons
    data = form.data(input_service_account_login=SECOND, input_service_account_email=SECOND, then="plan")
    response = j.client.post(form.action.replace("http://testserver", ""), data=data)
    assert response.status_code == 303 and response.headers["location"].endswith("#plan")
    shown = j.get(response.headers["location"].split("#")[0]).text
    assert "Values saved. Plan ready" in shown
    assert "This plan is out of date" not in shown and SECOND in shown and j.forms(shown, "/confirm")
    assert j.onboarding(oid).inputs["service_account_login"] == SECOND


def test_saving_the_values_the_plan_used_leaves_it_current(j: Journey) -> None:
    """Pressing Save without a change (the fields show the defaults the plan used) is no change."""
    assert j.org.demo is not None
    oid = j.start("defender-for-identity", j.connect(j.org.demo.admin_token))
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    saved = j.submit(_values_form(j, oid), at="create_account")
    assert "The plan still holds: none of the values it depends on changed." in saved.text
    page = j.get(url).text
    assert "This plan is out of date" not in page and j.forms(page, "/confirm")


def test_a_value_the_plan_does_not_use_leaves_it_current(j: Journey) -> None:
    """Writing Sentinel's workspace (pasted in Microsoft's console, never sent to Okta) made the plan
    "out of date" and asked for a new one; a value the plan sends still does."""
    assert j.org.demo is not None
    oid = j.start("sentinel-unified-connector", j.connect(j.org.demo.admin_token))
    url = f"/onboardings/{oid}"
    page = j.get(url).text
    assert _status_line(page) == "Check the values, then make the plan."
    # Only a step whose values the plan depends on offers to make it.
    workspace = page[page.index('id="step-choose_workspace"'):page.index('id="step-azure_roles"')]
    account = page[page.index('id="step-create_account"'):page.index('id="step-assign_read_only"')]
    assert "Save values" in workspace and "Save and make the plan" not in workspace
    assert "Save and make the plan" in account
    # Its attestation waits for the workspace: the page says so instead of a button the server refuses.
    assert "To attest this, first write ‘Sentinel workspace for Okta’ above and save it." in workspace
    assert "attest/workspace_chosen" not in workspace
    j.submit(j.form(j.get(url).text, "/plan"))
    j.save_values(oid, "choose_workspace", workspace_name="sentinel-prod")
    page = j.get(url).text
    assert "This plan is out of date" not in page and j.forms(page, "/confirm")
    # The line under the title says what the card says (it stayed "Check the values, then make the plan").
    assert _status_line(page) == "Read the plan, then confirm it."
    # An attestation derives the status again: the line still follows the plan ("Plan and apply to start").
    j.submit(j.form(page, "/attest/workspace_chosen"))
    assert _status_line(j.get(url).text) == "Read the plan, then confirm it."
    j.save_values(oid, "create_account", service_account_login=FIRST, service_account_email=FIRST)
    page = j.get(url).text
    assert "This plan is out of date" in page and not j.forms(page, "/confirm")
    assert _status_line(page) == "Values changed after the plan was made: make the plan again."


def test_an_old_plan_or_an_empty_value_is_judged_by_what_the_plan_depends_on() -> None:
    """Plans stored before plans kept only their own values kept every saved one, but not a value
    nobody had given yet (Oort's AWS values): saving it later still makes them stale. An optional
    value saved empty (an unticked box, no users) is no change from none."""
    old = OnboardingPlan(inputs={"service_account_login": FIRST, "workspace_name": "a"})
    depends_on = {"service_account_login", "aws_region"}
    assert not is_stale(old, {"service_account_login": FIRST, "workspace_name": "b"}, depends_on)
    assert is_stale(old, {"service_account_login": FIRST, "aws_region": "eu-west-1"}, depends_on)
    assert is_stale(old, {"service_account_login": SECOND}, depends_on)
    new = OnboardingPlan(inputs={"app_users": None, "schema_check": None})
    assert not is_stale(new, {"app_users": [], "schema_check": False}, {"app_users", "schema_check"})
    assert is_stale(new, {"app_users": ["ada@acme.example"]}, {"app_users", "schema_check"})


def test_saving_drata_values_the_plan_does_not_depend_on(j: Journey) -> None:
    """Drata's one form sends its optional lists empty: saving the group label alone, after the
    card's "Make the plan", marked the plan out of date ([] against the plan's nothing)."""
    assert j.org.demo is not None
    oid = j.start("drata", j.connect(j.org.demo.admin_token))
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    saved = j.submit(_values_form(j, oid), at="choose_group", input_group_label="Drata Users")
    assert "The plan still holds: none of the values it depends on changed." in saved.text, saved.text
    assert "This plan is out of date" not in j.get(url).text


def _status_line(page: str) -> str:
    found = re.search(r'<p class="status-note[^"]*" role="status">([^<]*)</p>', page)
    assert found, page
    return html.unescape(found.group(1))


def test_a_waiting_action_is_described_by_the_confirmed_plan_only_while_its_values_stand(
        j: Journey, sandbox_org: SandboxOrg) -> None:
    """A step's not-yet action reads as the confirmed plan's line; once a value changes (or before
    any plan is confirmed) that line would name what Apply will not do, so the step says neither."""
    oid = _defender(j, FIRST)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    step = _step(j.get(url).text, "create_account")
    assert f"Create the user {FIRST}" not in step  # unconfirmed: not the plan's line, what the step does
    assert f"Create or adopt a dedicated service account: {FIRST}" in step
    sandbox_org.faults.add("server_error", method="POST", path="/api/v1/users", times=4)
    j.submit(j.form(j.get(url).text, "/confirm"))
    j.wait_for_jobs()
    assert f"Create the user {FIRST}" in _step(j.get(url).text, "create_account")  # the confirmed line
    state = j.state

    async def change_the_values() -> None:  # as Drata's people can change after an apply stopped
        async with state.db.session() as session:
            onboarding = await session.get(Onboarding, oid)
            assert onboarding is not None
            await touch(session, oid, inputs={**onboarding.inputs, "service_account_login": SECOND})

    j.run(change_the_values)
    step = _step(j.get(url).text, "create_account")
    assert "This plan is out of date" in j.get(url).text
    assert f"Create the user {FIRST}" not in step
    assert f"Create or adopt a dedicated service account: {SECOND}" in step  # the values as they stand now


def _step(page: str, key: str) -> str:
    start = page.index(f'id="step-{key}"')
    return page[start:page.index("</li>", start)]


def test_the_status_line_follows_the_plan_after_the_first_apply(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Oort's AWS values come after the first apply: once saved, the line said "Waiting until 'AWS
    account id' is given" while the card said make the plan again. It says what the card says, as the
    plan is made again and confirmed, and the stream is created."""
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    url = f"/onboardings/{oid}"
    j.plan_and_apply(oid)
    j.paste_service_token(oid, "Oort")
    # Step 4 leads, as in the card: Oort's console shows the AWS values only at 4.4 (QA walk 11, M1).
    assert _status_line(j.get(url).text).startswith("Waiting for attestation: Advanced tab")

    j.save_values(oid, "event_streaming_tab", aws_account_id="123456789012", aws_region="us-east-2",
                  event_source_name="oort-acme-okta_events")
    page = j.get(url).text
    assert "Make the plan again" in page
    assert _status_line(page) == DRAFT_STALE
    assert (j.onboarding(oid).status, j.onboarding(oid).waiting_for) == ("waiting", "operator")

    j.submit(j.form(page, "/plan", button="Make the plan again"))
    page = j.get(url).text
    assert _status_line(page) == DRAFT_PLANNED and j.forms(page, "/confirm")
    j.submit(j.form(page, "/confirm"))
    j.wait_for_jobs()
    assert sandbox_org.log_streams
    assert _status_line(j.get(url).text) not in (DRAFT_STALE, DRAFT_PLANNED)


def test_confirm_pressed_again_on_a_page_left_open_applies_nothing_twice(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Two tabs showing the unconfirmed plan: the first confirms it and the wizard applies it; the
    second's Confirm and apply then said "Plan confirmed: the wizard is applying it." and ran a
    second apply, for one confirmation (QA walk 2, L1)."""
    oid = _defender(j, FIRST)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    left_open = j.form(j.get(url).text, "/confirm")
    j.submit(left_open)
    j.wait_for_jobs()
    again = j.submit(left_open)
    assert "nothing left to apply" in again.text and "the wizard is applying it" not in again.text
    j.wait_for_jobs()

    async def applies() -> int:
        async with j.state.db.sessions() as session:
            jobs = (await session.execute(select(Job).where(Job.onboarding_id == oid))).scalars().all()
            return sum(1 for job in jobs if job.kind == "apply")

    assert j.run(applies) == 1


def test_an_older_plan_confirmed_after_a_newer_one_was_applied_says_so(j: Journey, sandbox_org: SandboxOrg) -> None:
    """Confirm pressed on an older plan's page after a newer plan was made, confirmed and applied: it
    said "A newer plan exists; review and confirm that one", of a plan confirmed already (QA walk 29, L7)."""
    oid = _defender(j, FIRST)
    url = f"/onboardings/{oid}"
    j.submit(j.form(j.get(url).text, "/plan"))
    older = j.form(j.get(url).text, "/confirm")
    j.submit(j.form(j.get(url).text, "/plan"))
    j.submit(j.form(j.get(url).text, "/confirm"))
    j.wait_for_jobs()
    said = html.unescape(re.sub(r"\s+", " ", j.submit(older).text))
    assert "Not confirmed, nothing applied. A newer plan was confirmed " in said, said
    assert ": the wizard applies that one, and this one is kept only as a record." in said
    assert "review and confirm that one" not in said
