"""Issue 14, point 2: forms never drop input. The page's values are one form: any step's Save keeps
everything typed in every step; a refused save redraws every value as typed (nothing reset, no
region chosen for the person); a required value of another step may wait."""

from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import select

from app.settings import Settings
from app.store.models import AuditEvent
from tests.page_journeys import Form, Journey, input_attributes
from tests.support import PASSWORD, add_operator


def _start(j: Journey, vendor: str) -> uuid.UUID:
    assert j.org.demo is not None
    return j.start(vendor, j.connect(j.org.demo.admin_token))


def _values_form(html: str) -> Form:
    [form] = Journey.forms(html, "/inputs")
    return form


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select id="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.findall(r'<option value="([^"]*)" selected>', select.group(1))
    assert len(chosen) == 1, chosen
    return chosen[0]


def test_one_save_keeps_what_was_typed_in_every_step(j: Journey) -> None:
    """Drata's page asks for values in five steps: typing in four and pressing one Save keeps all four."""
    oid = _start(j, "drata")
    page = j.get(f"/onboardings/{oid}").text
    form = _values_form(page)
    assert {b.split(" (step")[0] for b in form.buttons} >= {"Save values", "Save and make the plan"}
    saved = j.submit(form, at="assign_app", input_group_label="Drata Users",
                     input_service_account_login="drata.svc@acme.example",
                     input_service_account_email="drata.svc@acme.example",
                     input_app_users="ada.lovelace0@acme.example", input_access_review="1")
    assert "Values saved" in saved.text, saved.text
    inputs = j.onboarding(oid).inputs
    assert inputs["group_label"] == "Drata Users"
    assert inputs["service_account_login"] == "drata.svc@acme.example"
    assert inputs["app_users"] == ["ada.lovelace0@acme.example"]
    assert inputs["access_review"] is True


def test_a_refused_save_redraws_every_value_as_typed(j: Journey) -> None:
    oid = _start(j, "oort")
    page = j.get(f"/onboardings/{oid}").text
    # Nothing is chosen for the person: the region starts on a prompt, not on a region.
    assert _selected(page, "input_aws_region") == ""
    refused = j.submit(_values_form(page), at="event_streaming_tab", input_aws_account_id="12345",
                       input_event_source_name="oort_acme_okta", input_aws_region="eu-west-1",
                       input_log_stream_name="Oort to AWS")
    assert refused.status_code == 400
    assert "An AWS account id is exactly 12 digits." in refused.text
    assert input_attributes(refused.text, "input_aws_account_id")["value"] == "12345"
    assert input_attributes(refused.text, "input_event_source_name")["value"] == "oort_acme_okta"
    assert input_attributes(refused.text, "input_log_stream_name")["value"] == "Oort to AWS"
    assert _selected(refused.text, "input_aws_region") == "eu-west-1"
    # Nothing was saved: one invalid value saves none.
    assert not j.onboarding(oid).inputs.get("event_source_name")


def test_each_region_is_offered_by_its_name_and_its_code(j: Journey) -> None:
    """Oort's region picker listed seventeen codes: "eu-west-1" does not say Ireland to everyone, and
    AWS's console and the vendor's name a region by both (QA walk 18, review)."""
    page = j.get(f"/onboardings/{_start(j, 'oort')}").text
    picker = re.search(r'<select id="input_aws_region"[^>]*>(.*?)</select>', page, re.S)
    assert picker is not None
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', picker.group(1)))
    assert options["eu-west-1"] == "Europe (Ireland): eu-west-1"
    assert options["us-east-2"] == "US East (Ohio): us-east-2"
    assert html.unescape(options["sa-east-1"]) == "South America (São Paulo): sa-east-1"
    assert len(options) == 17 and all(label.endswith(f": {code}") for code, label in options.items())


def test_the_people_who_sign_in_are_logins(j: Journey) -> None:
    """Drata's people field took any text ("Ada Lovelace" went to the plan as a login)."""
    oid = _start(j, "drata")
    form = _values_form(j.get(f"/onboardings/{oid}").text)
    refused = j.submit(form, at="assign_app", input_app_users="ada.lovelace0@acme.example\nAda Lovelace")
    assert refused.status_code == 400
    assert "“Ada Lovelace” is not an Okta login: a login has no spaces" in refused.text
    assert "ada.lovelace0@acme.example\nAda Lovelace" in refused.text  # kept as typed
    assert not j.onboarding(oid).inputs.get("app_users")
    # Every one that is not, at once: the next was found only at the next save (QA walk 19, L2).
    several = j.submit(_values_form(refused.text), at="assign_app",
                       input_app_users="not an email\nada.lovelace0@acme.example, Ben Tanaka")
    assert "“not an email” and “Ben Tanaka” are not Okta logins: a login has no spaces" in several.text, several.text
    # A pasted list of addresses, separated by commas or semicolons, is a list of logins.
    saved = j.submit(_values_form(refused.text), at="assign_app",
                     input_app_users="ada.lovelace0@acme.example, ben.tanaka1@acme.example;\ncarla@acme.example")
    assert "Values saved" in saved.text, saved.text
    assert j.onboarding(oid).inputs["app_users"] == ["ada.lovelace0@acme.example", "ben.tanaka1@acme.example",
                                                     "carla@acme.example"]


def test_the_trail_names_the_values_a_save_changed(j: Journey) -> None:
    """The page's one form sends every step's values; each "Values saved" event listed all of them,
    so an auditor could not tell one save from another."""
    oid = _start(j, "drata")
    saved = j.submit(_values_form(j.get(f"/onboardings/{oid}").text), at="assign_app",
                     input_app_users="ada.lovelace0@acme.example")
    j.submit(_values_form(saved.text), at="assign_app", input_group_label="Drata Users")
    j.submit(_values_form(j.get(f"/onboardings/{oid}").text), at="assign_app")

    async def saves() -> list[str]:
        async with j.state.db.sessions() as session:
            return list((await session.execute(select(AuditEvent.summary).where(
                AuditEvent.onboarding_id == oid, AuditEvent.action == "inputs_save").order_by(AuditEvent.seq)))
                .scalars())

    assert j.run(saves) == ["Values saved: People who sign in to Drata (logins, one a line)",
                            "Values saved: Group label to sync", "Values saved, none changed"]


def test_another_steps_missing_value_does_not_block_a_save(j: Journey) -> None:
    """Oort's AWS values come from Oort's console after the first apply: saving the service
    account's values must not ask for them; saving their own step does."""
    oid = _start(j, "oort")
    form = _values_form(j.get(f"/onboardings/{oid}").text)
    saved = j.submit(form, at="create_account", input_first_name="Oort Cloud", input_last_name="Service")
    assert "Values saved" in saved.text
    assert j.onboarding(oid).inputs["first_name"] == "Oort Cloud"
    refused = j.submit(_values_form(saved.text), at="event_streaming_tab")
    assert refused.status_code == 400 and "Enter the AWS account id." in refused.text


def test_the_same_org_and_account_twice_is_one_connection(j: Journey) -> None:
    """Issue 14, point 7: 'Use the sandbox org' twice made two connections the dropdown could not
    tell apart. The second paste of a token of the same account replaces the first's token."""
    assert j.org.demo is not None
    first = j.connect(j.org.demo.admin_token)
    page = j.get("/connections").text
    again = j.submit(j.form(page, "/connections"), org_url=j.org.base_url, api_token=j.org.demo.admin_token,
                     label="Sandbox again")
    assert "You already had the connection “Sandbox”" in again.text
    assert "it now uses the token just pasted" in again.text
    # The name typed for it is not dropped without a word (QA walk 3, L3).
    assert "Its name stays “Sandbox”, not “Sandbox again”." in again.text
    new = j.get("/onboardings/new").text
    assert [value for name, value in j.form(new, "/onboardings").fields if name == "connection"] == [str(first)]


def test_a_second_onboarding_of_a_vendor_on_an_org_asks_first(j: Journey) -> None:
    """Issue 14, point 7: it started without a word; now the page names the open one and starts
    another only when the person ticks that they mean it (the chosen vendor and org are kept)."""
    first = _start(j, "oort")
    page = j.get("/onboardings/new").text
    connection = next(value for name, value in j.form(page, "/onboardings").fields if name == "connection")
    asked = j.client.post("/onboardings", data=j.form(page, "/onboardings").data(vendor="oort",
                                                                                 connection=connection))
    assert asked.status_code == 200
    assert "This vendor already has an onboarding on this org" in asked.text
    # What a second one does, as its plan will show (it said it "makes a second service account").
    assert "finds what the first made under the same names" in asked.text
    assert f'/onboardings/{first}"' in asked.text
    form = j.form(asked.text, "/onboardings")
    assert ("vendor", "oort") in form.fields and ("connection", connection) in form.fields
    started = j.client.post("/onboardings", data=form.data(start_another="1"))
    assert started.status_code == 303 and str(first) not in started.headers["location"]
    # Another vendor on the same org is no question.
    other = j.client.post("/onboardings", data=form.data(vendor="drata"))
    assert other.status_code == 303


def test_an_auditor_reads_values_not_fields(j: Journey, settings: Settings) -> None:
    """Issue 14, point 8: an auditor cannot save, so the values are shown as values, not as
    editable-looking fields."""
    oid = _start(j, "defender-for-identity")
    j.save_values(oid, "create_account", service_account_login="mdi.svc@acme.example",
                  service_account_email="mdi.svc@acme.example")
    add_operator(settings, "audrey", "auditor", PASSWORD)
    j.client.cookies.clear()  # a fresh browser: the auditor's own session
    j.sign_in("audrey", PASSWORD)
    page = j.get(f"/onboardings/{oid}").text
    assert 'name="input_service_account_login"' not in page
    assert not Journey.forms(page, "/inputs")
    values = re.search(r'<dl class="facts step__values">(.*?)</dl>', page, re.S)
    assert values and "mdi.svc@acme.example" in values.group(1)


def test_a_required_value_cleared_on_another_step_is_said_not_saved(j: Journey) -> None:
    """Clearing Oort's service account username and saving another step showed the username again
    (its default) with no word: the note says it was left empty and keeps the value shown. Values
    not given yet (the AWS values, sent empty too) are not said to be."""
    oid = _start(j, "oort")
    page = j.get(f"/onboardings/{oid}").text
    default = input_attributes(page, "input_service_account_login")["value"]
    assert default.startswith("oort-service-account@")
    saved = j.submit(_values_form(page), at="choose_access", input_service_account_login="")
    assert saved.status_code == 200
    note = html.unescape(saved.text)
    assert "“Service account username (an email address)” left empty, so not saved: it keeps the value shown." \
        in note, note
    assert "not saved: it keeps" in note and "not saved: they keep" not in note  # the username alone
    assert input_attributes(saved.text, "input_service_account_login")["value"] == default
    # Saved at its own step, an empty value is an error on the field, as before.
    refused = j.submit(_values_form(saved.text), at="create_account", input_service_account_login="")
    assert refused.status_code == 400 and "left empty, so not saved" not in refused.text


def test_drata_takes_one_group_label_only(j: Journey) -> None:
    """"Engineering, Sales" was accepted under "Connect one group at a time", offered to copy into
    Drata's drawer, and found wrong only at the last verification."""
    oid = _start(j, "drata")
    page = j.get(f"/onboardings/{oid}").text
    refused = j.submit(_values_form(page), at="choose_group", input_group_label="Engineering, Sales")
    assert refused.status_code == 400
    assert "Name one group only: Drata connects one group at a time" in refused.text
    assert input_attributes(refused.text, "input_group_label")["value"] == "Engineering, Sales"
    # Saved from another step (the page's one Save sends them all), the refusal names its step and field
    # (it read as if it were the step just saved: QA walk 19, L3).
    elsewhere = j.submit(_values_form(refused.text), at="assign_app", input_app_users="ada.lovelace0@acme.example")
    summary = elsewhere.text.split('class="notice notice--error error-summary"', 1)[1].split("</div>", 1)[0]
    assert re.search(r"Step O2, [^<:]*group[^<:]*: Name one group only", html.unescape(summary), re.I), summary
    saved = j.submit(_values_form(refused.text), at="choose_group", input_group_label="Engineering")
    assert "Values saved" in saved.text and j.onboarding(oid).inputs["group_label"] == "Engineering"


def test_a_default_made_from_another_value_follows_it_when_that_value_changes(j: Journey) -> None:
    """The e-mail defaults to the username: a person changed the username and saved, the e-mail's box
    sent the old username's address as it showed it, and Okta made the account with an e-mail nobody
    chose; the plan never named it (QA walk 17, H1)."""
    oid = _start(j, "defender-for-identity")
    page = j.get(f"/onboardings/{oid}").text
    shown = dict(_values_form(page).fields)["input_service_account_email"]
    assert shown == "defender-for-identity@acme.example"
    saved = j.submit(_values_form(page), at="create_account", input_service_account_login="mdi-service@acme.example")
    assert "Values saved" in saved.text, saved.text
    page = j.get(f"/onboardings/{oid}").text
    assert dict(_values_form(page).fields)["input_service_account_email"] == "mdi-service@acme.example"
    j.plan_and_apply(oid)
    user = j.org.find_user("mdi-service@acme.example")
    assert user is not None and user["profile"]["email"] == "mdi-service@acme.example"
    # Typed otherwise, the e-mail is the person's, and the plan names it beside the login.
    other = j.start("drata", j.onboarding(oid).connection_id)
    page = j.get(f"/onboardings/{other}").text
    j.submit(_values_form(page), at="create_service_account", input_service_account_login="svc-drata@acme.example",
             input_service_account_email="it-alerts@acme.example")
    url = f"/onboardings/{other}"
    planned = html.unescape(j.submit(j.form(j.get(url).text, "/plan")).text)
    assert "Create the user svc-drata@acme.example (" in planned and ", e-mail it-alerts@acme.example" in planned


def test_a_token_pasted_into_a_value_is_refused_and_not_shown_back(j: Journey) -> None:
    """Security review, L3: a value is kept as typed and shown on the page, the report and the
    exports; an API token pasted into the groups' box by mistake was kept and shown in plain text."""
    oid = _start(j, "drata")
    token = "00" + "Qx7bK2mPz9WcR4tY1uHs6vJd3nLf8gAe5oBi0pZkMq"[:40]
    refused = j.submit(_values_form(j.get(f"/onboardings/{oid}").text), at="assign_app",
                       input_app_users="ada.lovelace0@acme.example", input_app_groups=f"Drata Users\n{token}")
    assert refused.status_code == 400
    assert ("Groups who sign in to Drata (names, one a line) holds what looks like a secret (an Okta API token): it "
            "is not kept here, where values are shown as typed.") in html.unescape(refused.text)
    assert token not in refused.text
    assert "app_groups" not in (j.onboarding(oid).inputs or {})
    # The rest of what was typed comes back as typed.
    assert "Drata Users" in refused.text and "ada.lovelace0@acme.example" in refused.text
