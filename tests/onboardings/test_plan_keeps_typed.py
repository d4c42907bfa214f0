"""Make the plan, pressed in the next-step card or the toolbar, takes the values typed on the page
with it: it made the plan from the values saved before and drew the page again without what was
typed, unsaid (QA walk 16, H1: Oort's read/write ticked, planned read-only; Sentinel's workspace
typed, then asked for again)."""

from __future__ import annotations

import html
import re

from okta_sandbox import SandboxOrg
from tests.page_journeys import Form, Journey


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _pressed(j: Journey, page: str, button: str) -> Form:
    """The form a button sends (the card's Make the plan sends the page's one form of values)."""
    [form] = [f for f in j.forms(page, "/plan") if button in f.buttons]
    return form


def test_the_card_s_make_the_plan_keeps_the_choice_typed_on_the_page(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    page = j.get(f"/onboardings/{oid}").text
    card = page[page.index('id="next-step"'):page.index('class="toolbar"')]
    assert 'form="onboarding-inputs"' in card and "Make the plan" in card, card
    # Read/write chosen on the page, not saved: the card's button is pressed next.
    planned = j.submit(_pressed(j, page, "Make the plan"), input_access="read_write")
    shown = _text(planned.text)
    assert "Values saved. Plan ready: review it, then confirm to apply." in shown, shown
    plan = _text(planned.text[planned.text.index('id="plan"'):])
    assert "Help Desk Administrator" in plan, plan
    assert re.search(r'value="read_write"[^>]* checked', planned.text), "the choice is still ticked"
    assert j.onboarding(oid).inputs["access"] == "read_write"


def test_make_the_plan_with_nothing_typed_does_not_say_values_were_saved(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    shown = _text(j.submit(_pressed(j, j.get(f"/onboardings/{oid}").text, "Make the plan")).text)
    assert "Plan ready: review it, then confirm to apply." in shown and "Values saved" not in shown, shown


def test_plan_again_in_the_toolbar_keeps_a_value_typed_on_the_page(j: Journey, sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.demo is not None
    oid = j.start("sentinel-unified-connector", j.connect(sandbox_org.demo.admin_token))
    url = f"/onboardings/{oid}"
    j.submit(_pressed(j, j.get(url).text, "Make the plan"))
    planned = j.submit(_pressed(j, j.get(url).text, "Plan again"), input_workspace_name="sentinel-prod")
    assert "Values saved." in _text(planned.text)
    assert j.onboarding(oid).inputs["workspace_name"] == "sentinel-prod"
    assert 'value="sentinel-prod"' in planned.text


def test_make_the_plan_records_no_save_that_changed_nothing(j: Journey, sandbox_org: SandboxOrg) -> None:
    """The trail read "Values saved, none changed" before every "Plan made" (review of QA walk 16, H1)."""
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    j.submit(_pressed(j, j.get(f"/onboardings/{oid}").text, "Make the plan"))
    trail = _text(j.get(f"/audit?onboarding={oid}").text)
    assert "Plan made" in trail and "Values saved" not in trail, trail


def test_enter_in_a_value_s_box_saves_the_values_and_makes_no_plan(j: Journey, sandbox_org: SandboxOrg) -> None:
    """A browser's Enter presses the form's first button: the card's Make the plan, which came first on
    the page, made a plan (review of QA walk 16, H1). The first button of the page's values is a Save."""
    assert sandbox_org.demo is not None
    oid = j.start("oort", j.connect(sandbox_org.demo.admin_token))
    page = j.get(f"/onboardings/{oid}").text
    first = re.search(r'<button[^>]*form="onboarding-inputs"[^>]*>([^<]*)</button>', page)
    assert first is not None and first.group(1) == "Save values" and "formaction" not in first.group(0), first
