"""``make test-live``: each vendor's onboarding against a real Okta org (ONBOARD_LIVE_OKTA_URL and
ONBOARD_LIVE_OKTA_TOKEN), the person's steps prompted on the terminal, the org left as found, every
exchange recorded. Without the variables it is skipped, and says why."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.live_okta.conftest import INPUTS_VARIABLE, VENDORS_VARIABLE, LiveOrg
from tests.live_okta.person import TerminalPerson
from tests.live_okta.recorder import Cassette, cassette_path
from tests.live_okta.runner import VENDORS, inputs_hint, live_run, live_settings, vendor_run


def selected_vendors() -> list[str]:
    wanted = [v.strip() for v in os.environ.get(VENDORS_VARIABLE, "").split(",") if v.strip()]
    return wanted or sorted(VENDORS)


@pytest.mark.live_okta
@pytest.mark.parametrize("vendor", selected_vendors())
def test_onboarding_on_a_real_org_leaves_it_as_found(vendor: str, live_org: LiveOrg, tmp_path: Path) -> None:
    if vendor not in VENDORS:
        pytest.fail(f"{VENDORS_VARIABLE} names {vendor!r}; the live mode knows {', '.join(sorted(VENDORS))}",
                    pytrace=False)
    spec = vendor_run(vendor, os.environ.get(INPUTS_VARIABLE, ""))
    if spec.missing():
        # A made-up value would reach the real org (Oort's AWS account: Okta would create the partner
        # event source in whoever's account that is), so the vendor waits for the owner's own.
        pytest.skip(f"live {vendor} run skipped: {inputs_hint(spec)}")
    person = TerminalPerson()
    cassette = Cassette()
    settings = live_settings(tmp_path / "wizard", sandbox_url=None)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    person.tell(f"{vendor} on {live_org.url}: connect, plan, apply, your steps, verify, undo.")
    try:
        with live_run(settings, person, cassette, live_org.url, live_org.token) as run:
            report = run.onboard(spec)
    finally:
        host = urlsplit(live_org.url if "://" in live_org.url else f"https://{live_org.url}").hostname or "org"
        path = cassette.save(cassette_path(live_org.recordings, vendor, host, stamp))
        person.tell(f"Recorded {len(cassette.interactions)} exchanges (tokens and secrets redacted) in {path}")
    assert report.jobs.get("undo") == "succeeded", f"undo did not finish: {report.undo_error}"
    assert report.leftovers == {}, f"the org is not as it was found (before, after): {report.leftovers}"
    assert report.jobs.get("verify") == "succeeded", report.jobs
    person.tell(f"{vendor}: onboarding {report.status} ({report.status_note}); undone, the org is as it was.")
