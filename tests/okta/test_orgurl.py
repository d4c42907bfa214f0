"""The org address: Okta's own domains are normalised; everything else is refused with a reason."""

from __future__ import annotations

import pytest

from app.okta.orgurl import OrgUrl, OrgUrlError, normalise_org_url
from okta_sandbox.paging import admin_base_url

SANDBOX = "http://127.0.0.1:8010"


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("acme.okta.com", "https://acme.okta.com"),
        ("https://acme.okta.com", "https://acme.okta.com"),
        ("https://acme.okta.com/", "https://acme.okta.com"),
        ("  https://ACME.Okta.com/  ", "https://acme.okta.com"),
        ("https://acme-admin.okta.com/admin/dashboard", "https://acme.okta.com"),
        ("acme-admin.okta.com", "https://acme.okta.com"),
        ("https://acme.okta.com:443/app/UserHome", "https://acme.okta.com"),
        ("dev-1234567.okta.com", "https://dev-1234567.okta.com"),
        ("acme.oktapreview.com", "https://acme.oktapreview.com"),
        ("acme-admin.oktapreview.com", "https://acme.oktapreview.com"),
        ("acme.okta-emea.com", "https://acme.okta-emea.com"),
        ("acme.okta-gov.com", "https://acme.okta-gov.com"),
        ("acme.okta.mil", "https://acme.okta.mil"),
        ("acme.trexcloud.com", "https://acme.trexcloud.com"),
        ("https://acme.okta.com?x=1#frag", "https://acme.okta.com"),
    ],
)
def test_okta_addresses_are_normalised(raw: str, origin: str) -> None:
    org = normalise_org_url(raw)
    assert org.origin == origin
    assert org.kind == "okta"


def test_display_domain_and_admin_console_link() -> None:
    org = normalise_org_url("https://acme.okta.com/")
    assert org.display_domain == "acme.okta.com"
    assert org.admin_console("/admin/access/api/tokens") == "https://acme-admin.okta.com/admin/access/api/tokens"


HOSTILE = [
    # schemes
    "http://acme.okta.com",
    "ftp://acme.okta.com",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "gopher://acme.okta.com",
    "//acme.okta.com",
    # ports
    "https://acme.okta.com:8443",
    "https://acme.okta.com:80",
    "https://acme.okta.com:0",
    "https://acme.okta.com:99999",
    # user-info tricks
    "https://user:pass@acme.okta.com",
    "https://acme.okta.com@evil.example",
    "https://acme.okta.com:443@evil.example",
    "https://evil.example\\@acme.okta.com",
    "https://evil.example#@acme.okta.com",
    "https://evil.example?@acme.okta.com",
    # IP literals in every notation
    "https://127.0.0.1",
    "https://127.1",
    "https://2130706433",
    "https://0x7f000001",
    "https://0x7f.0x0.0x0.0x1",
    "https://0177.0.0.1",
    "https://017700000001",
    "https://[::1]",
    "https://[::ffff:127.0.0.1]",
    "https://[0:0:0:0:0:ffff:7f00:1]",
    "https://169.254.169.254",
    "https://10.0.0.1",
    "127.0.0.1:8010",
    # look-alike and wrong domains
    "https://acme.okta.com.evil.example",
    "https://acmeokta.com",
    "https://acme.oktacom.net",
    "https://acme-okta.com",
    "https://acme.okta.co",
    "https://okta.com",
    "https://www.okta.com.evil.example",
    "https://acme.0kta.com",
    "https://a.b.acme.okta.com",
    "https://evil.example/acme.okta.com",
    "https://acme.okta.com.",
    "https://acme.okta.com..",
    "https://.okta.com",
    "https://-acme.okta.com",
    "https://acme_.okta.com",
    # IDN and homoglyphs
    "https://acme.οkta.com",  # Greek omicron
    "https://аcme.okta.com",  # Cyrillic a
    "https://xn--acme-9za.okta.com",
    "https://acme.xn--okta-9ra.com",
    # whitespace, control characters, encodings
    "https://acme.okta.com\n.evil.example",
    "https://acme .okta.com",
    "https://acme.okta.com\x00.evil.example",
    "https://acme%2eokta.com",
    "https://acme.okta.com%2f@evil.example",
    "",
    "   ",
    "https://" + "a" * 300 + ".okta.com",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_addresses_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(OrgUrlError) as info:
        normalise_org_url(raw)
    assert "Enter your org's address" in str(info.value)


def test_there_are_at_least_forty_hostile_cases() -> None:
    assert len(HOSTILE) >= 40


class TestCustomDomains:
    def test_allowed_custom_domain_is_accepted(self) -> None:
        org = normalise_org_url("https://login.acme.example/", allowed_custom_domains=["login.acme.example"])
        assert (org.origin, org.kind) == ("https://login.acme.example", "custom")

    def test_custom_domain_not_allowed_says_how_to_allow_it(self) -> None:
        with pytest.raises(OrgUrlError, match="allowed by an administrator in Settings"):
            normalise_org_url("https://login.acme.example/")

    def test_allowing_a_domain_does_not_allow_its_subdomains(self) -> None:
        with pytest.raises(OrgUrlError):
            normalise_org_url("https://evil.login.acme.example", allowed_custom_domains=["login.acme.example"])

    def _custom(self) -> OrgUrl:
        return normalise_org_url("login.acme.example", allowed_custom_domains=["login.acme.example"])

    def test_links_on_its_okta_org_and_admin_host_are_followed_on_the_custom_domain(self) -> None:
        """Okta writes IAM next links on the org's -admin host (recorded:
        classic-00-admin.dne-okta.com), whatever address the request used."""
        org = self._custom().reached_by_custom_domain(normalise_org_url("acme.okta.com"))
        assert org.admin_origin == "https://acme-admin.okta.com"
        assert org.link_on_org("https://acme-admin.okta.com/api/v1/iam/roles?after=cr0b") == \
            "https://login.acme.example/api/v1/iam/roles?after=cr0b"
        assert org.link_on_org("https://acme.okta.com/api/v1/users?after=00u2") == \
            "https://login.acme.example/api/v1/users?after=00u2"
        assert org.link_on_org("https://login.acme.example/api/v1/users?after=00u2") == \
            "https://login.acme.example/api/v1/users?after=00u2"

    @pytest.mark.parametrize("link", [
        "https://other.okta.com/api/v1/users", "https://other-admin.okta.com/api/v1/iam/roles",
        "https://evil-admin.okta.com/api/v1/iam/roles", "https://acme.oktapreview.com/api/v1/users",
        "http://acme.okta.com/api/v1/users", "https://acme.okta.com:8443/api/v1/users",
        "https://x@acme.okta.com/api/v1/users", "https://acme-admin.login.acme.example/api/v1/iam/roles",
    ])
    def test_links_anywhere_else_are_still_refused(self, link: str) -> None:
        org = self._custom().reached_by_custom_domain(normalise_org_url("acme.okta.com"))
        assert org.link_on_org(link) is None

    def test_without_its_okta_org_a_custom_domain_follows_only_its_own_links(self) -> None:
        org = self._custom()
        assert org.admin_origin is None
        assert org.link_on_org("https://acme-admin.okta.com/api/v1/iam/roles?after=cr0b") is None

    def test_the_okta_org_behind_it_must_be_an_okta_org(self) -> None:
        other = normalise_org_url("sso.acme.example", allowed_custom_domains=["sso.acme.example"])
        with pytest.raises(ValueError, match="not the Okta org behind"):
            self._custom().reached_by_custom_domain(other)
        with pytest.raises(ValueError):
            normalise_org_url("acme.okta.com").reached_by_custom_domain(normalise_org_url("acme.okta.com"))


class TestSandbox:
    def test_sandbox_origin_is_allowed_only_when_enabled(self) -> None:
        org = normalise_org_url("http://127.0.0.1:8010", sandbox_origin=SANDBOX)
        assert org.kind == "sandbox" and org.origin == SANDBOX
        with pytest.raises(OrgUrlError):
            normalise_org_url("http://127.0.0.1:8010")

    def test_other_loopback_ports_are_not_the_sandbox(self) -> None:
        with pytest.raises(OrgUrlError):
            normalise_org_url("http://127.0.0.1:8011", sandbox_origin=SANDBOX)


@pytest.mark.parametrize(
    ("org", "link", "sent_to"),
    [
        ("acme.okta.com", "https://acme.okta.com/api/v1/users?after=x", "https://acme.okta.com/api/v1/users?after=x"),
        ("acme.okta.com", "https://acme-admin.okta.com/api/v1/iam/resource-sets?after=iamA&limit=2",
         "https://acme.okta.com/api/v1/iam/resource-sets?after=iamA&limit=2"),
        ("acme.okta.com", "https://ACME-ADMIN.okta.com:443/api/v1/iam/roles?after=cr0",
         "https://acme.okta.com/api/v1/iam/roles?after=cr0"),
        ("acme.oktapreview.com", "https://acme-admin.oktapreview.com/api/v1/iam/roles?after=cr0",
         "https://acme.oktapreview.com/api/v1/iam/roles?after=cr0"),
        ("acme.okta-emea.com", "https://acme-admin.okta-emea.com/api/v1/iam/roles",
         "https://acme.okta-emea.com/api/v1/iam/roles"),
    ],
)
def test_links_on_the_org_or_its_admin_host_are_sent_to_the_org(org: str, link: str, sent_to: str) -> None:
    assert normalise_org_url(org).link_on_org(link) == sent_to


@pytest.mark.parametrize(
    "link",
    [
        "https://evil-admin.okta.com/api/v1/iam/roles?after=x",  # another org's admin host
        "https://other.okta.com/api/v1/iam/roles?after=x",  # another org
        "https://acme-admin.oktapreview.com/api/v1/iam/roles",  # same name, another Okta cell
        "https://acme-admin-admin.okta.com/api/v1/iam/roles",
        "http://acme-admin.okta.com/api/v1/iam/roles",  # another scheme
        "https://acme-admin.okta.com:8443/api/v1/iam/roles",  # another port
        "https://user@acme-admin.okta.com/api/v1/iam/roles",  # user-info
        "https://acme-admin.okta.com.evil.example/api/v1/iam/roles",
        "/api/v1/iam/roles?after=x",
    ],
)
def test_links_anywhere_else_are_refused(link: str) -> None:
    assert normalise_org_url("acme.okta.com").link_on_org(link) is None


def test_the_sandbox_admin_alias_is_the_one_the_sandbox_links_to() -> None:
    org = normalise_org_url(SANDBOX, sandbox_origin=SANDBOX)
    assert org.admin_origin == admin_base_url(SANDBOX) == "http://127-0-0-1-admin.localhost:8010"
    link = f"{admin_base_url(SANDBOX)}/api/v1/iam/roles?after=c3"
    assert org.link_on_org(link) == f"{SANDBOX}/api/v1/iam/roles?after=c3"
    assert org.link_on_org("http://evil-admin.localhost:8010/api/v1/iam/roles") is None
    assert org.link_on_org("http://127-0-0-1-admin.localhost:8011/api/v1/iam/roles") is None
