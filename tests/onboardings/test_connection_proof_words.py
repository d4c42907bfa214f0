"""QA walk 12, L2 and L3: the warning at the attestation that proves the vendor connected.

L2: the warning, the flash, the report and the audit trail gave Okta's moments in UTC in the same
sentence as times the page draws in the reader's zone ("Attested … on Dec 7, 12:12 AM GMT+13.
Confirmed despite …: pasted on 2026-12-06 11:12 UTC"). Each moment is now a ``<time>`` the page
draws in the reader's zone, as the alerts' are; the record keeps the one UTC form every finding uses.

L3: the warning never said that the vendor may simply not have called Okta yet (it reads on a
schedule), so it steered people to tick "despite"; and its "If it shows Okta's data" was Sentinel's
words for every vendor (Defender's item is "appears in the Defender table as enabled")."""

from __future__ import annotations

import html
import re
import uuid

from app.common.clock import FakeClock
from okta_sandbox import SandboxOrg
from tests.engine.test_defender import past_the_token
from tests.engine.test_defender import start as start_defender
from tests.harness import Wizard
from tests.onboardings.test_connection_proof import LAST, _text, signed_in_at_the_last_attestation
from tests.support import Web

MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? UTC")
LOCAL = re.compile(r'<time datetime="[^"]+" title="[^"]+" class="local-time">(' + MOMENT.pattern + ")</time>")


def _moments(fragment: str) -> tuple[list[str], list[str]]:
    """The moments of a piece of a page: those drawn in the reader's zone, and those left in UTC."""
    local = LOCAL.findall(fragment)
    bare = MOMENT.findall(LOCAL.sub("", fragment))
    return local, bare


def _around(page: str, words: str, before: int = 600, after: int = 1200) -> str:
    at = page.index(words)
    return page[max(0, at - before):at + after]


def test_the_warning_s_moments_are_in_the_reader_s_zone_everywhere_it_is_read(
        w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
    _oid, _token, web, url = signed_in_at_the_last_attestation(w, sandbox_org, fake_clock)
    warned = web.post(f"{url}/attest/{LAST}", {"note": ""}, page=url)
    assert warned.status_code == 409
    page = html.unescape(warned.text)
    # The flash ("Not attested yet: …") and the warning at the attestation.
    for words in ("Not attested yet: Okta shows no use", f'id="warning-{LAST}"'):
        local, bare = _moments(_around(page, words, before=0, after=700))
        assert len(local) >= 3 and bare == [], (words, bare)

    web.post(f"{url}/attest/{LAST}", {"note": "", "despite_no_use": "yes"}, page=url)
    w.run(lambda: w.state.jobs.wait_idle(60))
    for where, words in ((url, "Confirmed despite the wizard's warning"),
                         (f"{url}/report", "Confirmed despite the wizard's warning"),
                         (f"{url}/summary", "Confirmed despite the wizard's warning"),
                         ("/audit", "Attested: The OktaSystemLogs table shows Okta's events. Confirmed despite")):
        shown = html.unescape(web.get(where).text)
        local, bare = _moments(re.split(r"</(?:p|strong|td|li)>", _around(shown, words, before=0, after=900))[0])
        assert len(local) >= 3 and bare == [], (where, bare)


def test_the_warning_says_the_vendor_may_not_have_called_yet_and_that_waiting_is_better(
        w: Wizard, sandbox_org: SandboxOrg, fake_clock: FakeClock) -> None:
    _oid, _token, web, url = signed_in_at_the_last_attestation(w, sandbox_org, fake_clock)
    said = _text(web.post(f"{url}/attest/{LAST}", {"note": ""}, page=url))
    assert ("The connector reads Okta's System Log on its own schedule, and its first data can take up to 30 "
            "minutes after it is saved: if it was set up only a little while ago, it may simply not have called "
            "Okta yet. Then wait, and attest again later (the wizard asks Okta again then): that is better than "
            "confirming now.") in said
    assert "If the OktaSystemLogs table shows Okta's events all the same, check that you queried" in said
    # One "despite", at the box that records it; each thing the warning may mean is an item of its own
    # (QA walk 16, L5: one paragraph of 170 words said "despite" three times).
    warning = said.split("Okta moves a token's expiry on at each call made with it.", 1)[1].split("I confirm:", 1)[0]
    assert warning.count("despite") == 1 and "I checked: record it despite this warning" in warning
    assert len(re.findall(r"<li>", _around(html.unescape(web.get(url).text), f'id="warning-{LAST}"', 0, 3000)
                          .split("</ul>", 1)[0])) == 2


def _defender_at_its_last_attestation(w: Wizard, org: SandboxOrg) -> uuid.UUID:
    oid = start_defender(w)
    past_the_token(w, oid, org)
    for _step, check in w.state.library.get("defender-for-identity").checks():
        if check.kind == "attest" and check.key != "defender_enabled":
            w.attest(oid, check.key)
    assert w.verify(oid).state == "succeeded"
    return oid


def test_defender_s_warning_speaks_of_its_own_item(w: Wizard, sandbox_org: SandboxOrg) -> None:
    oid = _defender_at_its_last_attestation(w, sandbox_org)
    web = Web(w.client)
    web.sign_in("ana.admin")
    url = f"/onboardings/{oid}"
    warned = web.post(f"{url}/attest/defender_enabled", {"note": ""}, page=url)
    assert warned.status_code == 409
    said = _text(warned)
    assert "The Okta instance appears in the Defender table as enabled" in said  # the item attested
    assert "If the Defender table shows the Okta instance as enabled all the same, check in the Microsoft" in said
    assert "Okta's data" not in said
    assert "Defender for Identity reads Okta on its own schedule once the instance is saved" in said
    assert "it may simply not have called Okta yet. Then wait, and attest again later" in said
