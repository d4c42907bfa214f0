"""Issue 14, point 8: words as a person reads them. A `backticked` command in a message is drawn as
code (never as literal backticks), and nothing else in the text becomes markup."""

from __future__ import annotations

import re

import httpx

from app.common.clock import FakeClock
from app.settings import Settings
from app.web.templating import _breakable, _code_spans, _local_times
from okta_sandbox import SandboxOrg
from tests.page_journeys import journey


def test_backticks_become_code_and_the_rest_stays_text() -> None:
    shown = str(_code_spans("Print a new one with `onboard setup-link`, then <b>sign in</b>."))
    assert shown == ("Print a new one with <code>onboard setup-link</code>, then &lt;b&gt;sign in&lt;/b&gt;.")


def test_markup_inside_backticks_is_escaped_too() -> None:
    assert str(_code_spans("`<script>alert(1)</script>`")) == "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"
    assert str(_code_spans("a lone ` stays")) == "a lone ` stays"


def test_logins_and_okta_calls_wrap_between_their_parts_not_mid_word() -> None:
    """At 1280 px the Preflight's login read "sam.super@acme.exa / mple" and a plan's calls
    "lifecycle/activa / te": they now offer a break before the @ and after each / ? & and :."""
    assert str(_breakable("sam.super@acme.example")) == "sam.super<wbr>@acme.example"
    assert str(_breakable("POST /api/v1/users/{id}/lifecycle/activate?sendEmail=false")) == (
        "POST /<wbr>api/<wbr>v1/<wbr>users/<wbr>{id}/<wbr>lifecycle/<wbr>activate?<wbr>sendEmail=false")
    assert str(_breakable("https://acme.okta.com:443")) == "https://<wbr>acme.okta.com:<wbr>443"
    # Escaped part by part: an ampersand's entity is never cut, markup stays text.
    assert str(_breakable("?a=1&b=<i>")) == "?<wbr>a=1&amp;<wbr>b=&lt;i&gt;"


def test_a_timer_s_end_in_a_finding_is_a_local_time() -> None:
    until = 1_800_000_000.0  # 2027-01-15 08:00 UTC
    shown = str(_local_times("Waiting until 08:00 UTC (12 minutes left) & <more>", until))
    assert shown == ('Waiting until <time datetime="2027-01-15T08:00:00Z" title="2027-01-15 08:00:00 UTC" '
                     'class="local-time">08:00 UTC</time> (12 minutes left) &amp; &lt;more&gt;')
    assert str(_local_times("No timer <here>", None)) == "No timer &lt;here&gt;"


def test_a_dated_moment_in_a_finding_is_a_local_time() -> None:
    """Authomize's "Proven on 2026-12-05 14:03 UTC" stood in UTC among local times."""
    shown = str(_local_times("Proven on 2026-12-05 14:03 UTC: <ok>. Attested by ana on 2026-12-05 15:00 UTC.", None))
    assert shown == ('Proven on <time datetime="2026-12-05T14:03:00Z" title="2026-12-05 14:03 UTC" '
                     'class="local-time">2026-12-05 14:03 UTC</time>: &lt;ok&gt;. Attested by ana on '
                     '<time datetime="2026-12-05T15:00:00Z" title="2026-12-05 15:00 UTC" class="local-time">'
                     '2026-12-05 15:00 UTC</time>.')


def test_an_unreachable_org_is_the_addresses_fault_with_its_cause(settings: Settings, sandbox_org: SandboxOrg,
                                                                  fake_clock: FakeClock) -> None:
    """"Could not connect to acme.okta.com", attached to the token field, sent people to fix a token
    that was fine: the page names the cause and puts it on the address."""
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    transport = httpx.MockTransport(unreachable)
    with journey(settings, sandbox_org, transport, fake_clock) as j:  # type: ignore[arg-type]
        j.first_admin(settings, "ana.admin", "a long enough password")
        page = j.get("/connections").text
        refused = j.submit(j.form(page, "/connections"), org_url="https://acme.okta.com",
                           api_token="00" + "x" * 40, label="Acme")
        assert refused.status_code == 400
        summary = re.search(r'<div class="notice notice--error error-summary".*?</div>', refused.text, re.S)
        assert summary is not None
        assert '<a href="#org_url">Could not connect to acme.okta.com: the address does not resolve (DNS)' \
            in summary.group(0)
        # The token is not at fault: it is only to paste again, never shown back (QA walk 16, L2).
        assert re.findall(r'<a href="#api_token">([^<]*)</a>', summary.group(0)) == [
            "Paste the API token again: it is never shown back."]
