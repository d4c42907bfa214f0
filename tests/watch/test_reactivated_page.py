"""QA, M2: the answer that shows the service account's new activation link was drawn from what the
request read before Okta reactivated the account: it still said the account was deactivated and
still offered “Reactivate the service account”, until a reload. Pressed again (a double submit, a
second tab drawn before), the wizard asked Okta for another link, and the one just shown stopped
working without a word. Now the answer says who reactivated the account and when, and offers only a
new link; a press from a page drawn before the last link was given is refused and explained, from
the database (no Okta call), and the link shown still works."""

from __future__ import annotations

import re

import httpx

from okta_sandbox import SandboxOrg
from tests.page_journeys import Journey
from tests.watch.test_one_alarm import _alert_words
from tests.watch.test_reactivation import LINK_FORM, _deactivated, _link, _words
from tests.watch.test_watch import _audit

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


def test_the_answer_with_the_link_says_the_account_was_reactivated(j: Journey, sandbox_org: SandboxOrg) -> None:
    oid, user = _deactivated(j, sandbox_org)
    page = j.get(f"/onboardings/{oid}").text
    shown = j.post_form(j.form(page, LINK_FORM, button="Reactivate the service account"), {}, revealed=True)
    assert shown.status_code == 200 and _link(shown)
    words = _words(shown.text)
    alert = _alert_words(words)
    assert re.search(re.escape(f"{user.login} was reactivated in Okta by ana.admin on ") + STAMP
                     + " : it waits for its password to be set with its new activation link", alert), alert
    assert f"{user.login} was deactivated in Okta" not in alert
    # Nothing offers to reactivate it again: only a new link, which says the one shown stops working.
    assert not j.forms(shown.text, LINK_FORM, button="Reactivate the service account")
    assert j.forms(shown.text, LINK_FORM, button="Get a new activation link")
    assert "Get a new activation link Okta sends no e-mail: the wizard shows you the account's new activation link " \
           "once, here, and does not keep it; the earlier link stops working." in words


def test_a_second_press_from_the_page_drawn_before_is_explained_and_keeps_the_link(
        j: Journey, sandbox_org: SandboxOrg, okta_requests: list[httpx.Request]) -> None:
    oid, user = _deactivated(j, sandbox_org)
    page = j.get(f"/onboardings/{oid}").text
    pressed = j.form(page, LINK_FORM, button="Reactivate the service account")
    first = _link(j.post_form(pressed, {}, revealed=True)).rsplit("/", 1)[1]

    okta_requests.clear()
    again = j.post_form(pressed, {})  # the same form once more: a double submit, or a second tab
    words = _words(again.text)
    assert re.search(r"The service account was reactivated in Okta by ana\.admin on " + STAMP + r" ?, after the "
                     r"page you pressed was drawn; its new link was shown then\. Nothing was changed in "
                     r"Okta: that link still works\. Lost it\? Press “Get a new activation link”\.",
                     words), words
    # The page it comes back to offers just that, and says the earlier link then stops working.
    assert "Get a new activation link Okta sends no e-mail: the wizard shows you the account's new activation link " \
           "once, here, and does not keep it; the earlier link stops working." in words
    assert "secret-value" not in again.text
    assert okta_requests == []  # the database knew: Okta was not asked
    assert sandbox_org.activation_tokens == {first: user.id}  # the link shown still works
    assert len(_audit(j, "service_account_reactivate")) == 1

    # Lost after all: the page as it is now makes a new one on purpose, and says the earlier one stops working.
    renewed = _link(j.post_form(j.form(again.text, LINK_FORM, button="Get a new activation link"), {}, revealed=True))
    assert sandbox_org.activation_tokens == {renewed.rsplit("/", 1)[1]: user.id}

