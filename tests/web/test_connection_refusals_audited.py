"""A connection that was not added, in the audit trail (QA walk 13, L6): the rows of its check
read "GET /.well-known/okta-organization → connect · 127.0.0.1 · Failed", naming no org though
the record kept it, and no event said what the administrator had tried to add. The rows now name
the org, and the refusal is an event of its own: who, which org, why. Never the token."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.common.clock import FakeClock
from app.okta.orgurl import typed_host
from app.settings import Settings
from app.store.models import AuditEvent
from okta_sandbox import SandboxOrg
from tests.page_journeys import journey
from tests.web.test_audit_filter import rows

TOKEN = "00" + "Qz7" * 13 + "x"  # an Okta API token's shape (42 characters)
MISSING = "acme-zz-does-not-exist.okta.com"


def test_a_refused_connection_is_recorded_and_its_calls_name_the_org(settings: Settings, sandbox_org: SandboxOrg,
                                                                     fake_clock: FakeClock) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    with journey(settings, sandbox_org, httpx.MockTransport(unreachable), fake_clock) as j:  # type: ignore[arg-type]
        j.first_admin(settings, "ana.admin", "a long enough password")
        for typed in (f"https://{MISSING}", "evil.example.com/path", TOKEN):
            page = j.get("/connections").text
            refused = j.submit(j.form(page, "/connections"), org_url=typed, api_token=TOKEN, label="Acme")
            assert refused.status_code == 400, typed
            # The token's box comes back empty, and the list at the top says so (QA walk 16, L2).
            summary = refused.text.split('error-summary" role="alert"', 1)[1].split("</div>", 1)[0]
            assert "Paste the API token again: it is never shown back." in summary
            # A custom domain's refusal leads to where it is allowed (QA walk 16: "in Settings" was no link).
            assert ('#domains-title">Allow the custom domain in Settings</a>' in refused.text) == \
                typed.startswith("evil.example.com")

        shown = rows(j.get("/audit").text)
        refusals = [(r["Who"], r["What"], r["Result"]) for r in shown if r["What"].startswith("Okta connection to")]
        ana = "Ana.Admin (ana.admin)"  # as the Who filter names her (QA walk 17, L5)
        assert refusals == [
            (ana, "Okta connection to an address that is not a host name not added: The address is not a "
                          "host name.", "Failed"),
            (ana, "Okta connection to evil.example.com not added: evil.example.com is not an Okta domain "
                          "(okta.com, oktapreview.com, okta-emea.com, okta-gov.com, okta.mil, trexcloud.com). A "
                          "custom domain must first be allowed by an administrator in Settings. Enter your org's "
                          "address, for example acme.okta.com.", "Failed"),
            (ana, f"Okta connection to {MISSING} not added: Could not connect to {MISSING}: the address does "
                          "not resolve (DNS); check the org's address and try again.", "Failed"),
        ]
        # The check's calls say which org they went to (one try and the retries of a read).
        calls = [r["What"] for r in shown if r["What"].startswith("GET /.well-known")]
        assert calls and set(calls) == {f"GET /.well-known/okta-organization → connectOkta org {MISSING}"}
        # The filter finds them by the org's name too, as the rows now show it.
        found = rows(j.get("/audit", params={"action": "acme-zz"}).text)
        assert len(found) == len(calls) + 1

        async def trail() -> str:
            async with j.state.db.sessions() as session:
                events = (await session.execute(select(AuditEvent))).scalars()
                return " ".join(f"{e.summary} {e.subject_id} {e.details}" for e in events)

        assert TOKEN not in j.run(trail) and TOKEN.lower() not in j.run(trail)


def test_only_a_host_name_is_taken_from_what_was_typed() -> None:
    assert typed_host("https://user:pw@Acme.okta.com:8443/admin?x=1") == "acme.okta.com"
    assert typed_host("evil.example.com/x") == "evil.example.com"
    for not_a_host in (TOKEN, "", "   ", "http://[::1]/", "https://exa mple.com", "no-dot", "a..b", "-x.com"):
        assert typed_host(not_a_host) is None, not_a_host
