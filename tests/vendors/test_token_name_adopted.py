"""QA walk, M5: a second onboarding of a vendor adopts the first one's service account, and
proposed for its API token the name the first one's token already had. The person made a second
token by that name, and the paste could not tell which of the two was pasted. The wizard now
reads the account's tokens once, as it adopts the account, and proposes a name none of them has,
saying why; when it must still ask which token was pasted, it says why once and lists the tokens'
times as the pages write times."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from app.common.clock import FakeClock
from app.common.validation import ValidationFailed
from app.onboardings.token_name import propose
from okta_sandbox import SandboxOrg
from tests.harness import Wizard
from tests.page_journeys import Journey

VENDOR = "oort"
TOKENS = "/api/v1/api-tokens"


def token_listings(requests: list[httpx.Request]) -> int:
    return sum(1 for r in requests if r.method == "GET" and r.url.path == TOKENS)


def first_onboarding_done(w: Wizard) -> uuid.UUID:
    """A first Oort onboarding, its account's token made (named as proposed, "Oort") and pasted."""
    first = w.start(VENDOR, w.connect())
    w.to_the_token(first)
    facts = w.activate_and_paste(first, "Oort")
    assert facts["service_token_name"] == "Oort"
    return first


def name_row(w: Wizard, oid: uuid.UUID) -> tuple[str, str]:
    """The token name the "Create an API token" step gives to paste, and its note."""
    [row] = [row for _s, steps in w.view(oid).sections for sv in steps for row in sv.paste if row.label == "Token name"]
    return row.text, row.note


class TestTheSecondOnboardingProposesAFreeName:
    def test_the_token_made_as_proposed_is_verified_without_asking_which(
            self, w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock,
            okta_requests: list[httpx.Request]) -> None:
        first = first_onboarding_done(w)
        assert "service_account_id_tokens" not in w.onboarding(first).facts  # created, not adopted: not read
        fake_clock.advance(86400)
        second = w.start(VENDOR, w.onboarding(first).connection_id)
        before = token_listings(okta_requests)
        svc = w.to_the_token(second)
        assert token_listings(okta_requests) == before + 1  # read once, as the account was adopted

        text, note = name_row(w, second)
        assert text == "Oort 2"
        assert note.startswith("The service account already has a token named “Oort” (created ")
        assert "name this one “Oort 2”" in note
        assert token_listings(okta_requests) == before + 1  # drawing the page calls nothing

        # The person names the token as the step proposes, and pastes it with the name the form proposes.
        made = sandbox_org.issue_api_token(svc, text)
        facts = w.paste_token(second, made)
        assert facts["service_token_name"] == "Oort 2"
        assert facts["service_token_id"] != w.onboarding(first).facts["service_token_id"]
        assert w.onboarding(second).facts["service_token_candidates"] == []

    def test_okta_failing_to_list_the_tokens_leaves_the_adoption_and_the_name_as_given(
            self, w: Wizard, sandbox_org: SandboxOrg) -> None:
        first = first_onboarding_done(w)
        second = w.start(VENDOR, w.onboarding(first).connection_id)
        w.plan(second)
        sandbox_org.faults.add("server_error", method="GET", path=TOKENS, times=None)
        w.apply_ok(second)  # the account is adopted all the same
        sandbox_org.faults.clear()
        assert "service_account_id_tokens" not in w.onboarding(second).facts
        assert name_row(w, second) == ("Oort", "")  # the paste asks which, as before, if need be


class TestThePage:
    def test_the_page_proposes_the_free_name_and_asking_which_token_says_why_once_with_readable_times(
            self, j: Journey, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
        assert sandbox_org.demo is not None
        connection = j.connect(sandbox_org.demo.admin_token)
        first = j.start(VENDOR, connection)
        j.plan_and_apply(first)
        j.paste_service_token(first, "Oort")
        fake_clock.advance(86400)
        second = j.start(VENDOR, connection, another=True)
        j.plan_and_apply(second)
        page = j.get(f"/onboardings/{second}").text
        assert re.search(r'<code id="paste-create_token_read_only-1">Oort 2</code>', page)
        assert "The service account already has a token named “Oort” (created <time " in page
        assert re.search(r'name="service_token_name" type="text" value="Oort 2"', page)

        # The person names it "Oort" all the same: two of the account's tokens have that name.
        svc = str(j.onboarding(second).facts["service_account_id"])
        value = sandbox_org.issue_api_token(svc, "Oort")
        asked = j.submit(j.form(page, "/token"), service_token=value, service_token_name="Oort")
        assert asked.status_code == 400
        why = "The service account has 2 tokens named “Oort”: the wizard cannot tell which you pasted."
        assert asked.text.count(why) == 1
        assert 'href="#service_token_id">Pick the token you pasted' in asked.text
        listed = j.onboarding(second).facts["service_token_candidates"]
        picker = asked.text[asked.text.index("<legend>Which of the service account"):]
        picker = picker[:picker.index("</fieldset>")]
        for candidate in listed:
            assert candidate["created"] not in picker and candidate["expires_at"] not in picker  # not Okta's raw ISO
        created = listed[0]["created"][:16].replace("T", " ") + " UTC"  # e.g. "2027-01-15 08:00 UTC"
        assert re.search(rf'created <time datetime="[^"]+" title="[^"]+" class="local-time">{created}</time>, '
                         r'expires <time ', picker)

        newest = listed[-1]["id"]
        done = j.submit(j.form(asked.text, "/token"), service_token=value, service_token_name="Oort",
                        service_token_id=newest)
        assert "Token verified" in done.text
        assert j.onboarding(second).facts["service_token_id"] == newest


class TestTheNameProposed:
    @pytest.mark.parametrize(("given", "held", "proposed"), [
        ("Oort", [], "Oort"),
        ("Oort", [{"name": "Oort backup"}], "Oort"),
        ("Oort", [{"name": "oort "}], "Oort 2"),
        ("Oort", [{"name": "Oort"}, {"name": "Oort 2"}], "Oort 3"),
        ("Oort 2", [{"name": "Oort 2"}], "Oort 3"),
        ("x" * 100, [{"name": "x" * 100}], "x" * 98 + " 2"),
    ])
    def test_a_name_none_of_the_account_s_tokens_has(self, given: str, held: list[dict[str, str]],
                                                     proposed: str) -> None:
        assert propose(given, held).name == proposed

    def test_the_reason_names_how_many_and_the_newest(self) -> None:
        held = [{"name": "Oort", "created": "2026-11-02T09:30:00.000Z"},
                {"name": "Oort", "created": "2026-12-01T10:15:00.000Z"}]
        assert propose("Oort", held).reason == (
            "The service account already has 2 tokens named “Oort” (the newest created 2026-12-01 10:15 UTC), made "
            "before this onboarding: name this one “Oort 2”, so that the wizard can tell the token you paste from it.")
        assert propose("Oort", []).reason == ""


def test_without_a_free_name_the_paste_still_asks(w: Wizard, sandbox_org: SandboxOrg,
                                                  okta_requests: list[httpx.Request]) -> None:
    """The first onboarding's token made after the second adopted the account is not known to it:
    the paste still asks which token was pasted, rather than guess. An account not active yet has
    no token (only a person signed in as it makes one): adopting it lists none."""
    first = w.start(VENDOR, w.connect())
    svc = w.to_the_token(first)
    second = w.start(VENDOR, w.onboarding(first).connection_id)
    before = token_listings(okta_requests)
    w.to_the_token(second)
    assert token_listings(okta_requests) == before
    assert name_row(w, second)[0] == "Oort"  # the account had no token yet
    sandbox_org.complete_activation(svc)
    sandbox_org.issue_api_token(svc, "Oort")
    with pytest.raises(ValidationFailed) as asked:
        w.paste_token(second, sandbox_org.issue_api_token(svc, "Oort"))
    assert "2 tokens named “Oort”" in asked.value.message
