"""The Okta org address: normalised to ``https://<org>.<okta domain>`` and accepted only when it
is an Okta org, so the server never sends a credential anywhere else.

Accepted: subdomains of Okta's own domains (one label, e.g. ``acme.okta.com``; the Admin
Console's ``acme-admin.okta.com`` means the same org), a custom domain an administrator allowed
explicitly, and, only when the sandbox is enabled, the sandbox's loopback origin. Refused, each
with the reason: other schemes and plain http, user-info, ports other than 443, IP literals in
any notation, non-ASCII and punycode look-alikes, trailing dots, and anything else.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

OKTA_DOMAINS = ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil", "trexcloud.com")

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+))*$")


class OrgUrlError(ValueError):
    """The address is not an Okta org the server may call; ``str()`` says why and what to enter."""


@dataclass(frozen=True)
class OrgUrl:
    origin: str  # scheme://host[:port], no path: every request is built from this
    host: str
    kind: str  # "okta", "custom" or "sandbox"
    # For a custom domain, the org's own address (``acme.okta.com``), once the connection's
    # preflight has learned it from Okta (see :meth:`reached_by_custom_domain`).
    okta_org: OrgUrl | None = None

    @property
    def display_domain(self) -> str:
        """The domain as vendor consoles want it: no scheme (``acme.okta.com``)."""
        return self.origin.split("://", 1)[1]

    @property
    def admin_origin(self) -> str | None:
        """The org's Admin Console origin (``https://acme-admin.okta.com``), where Okta puts the
        links of ``/api/v1/iam`` answers; for the sandbox, its admin alias (the same rule as
        ``okta_sandbox.paging.admin_base_url``). For a custom domain, its Okta org's admin host,
        or None while the wizard does not know the org's Okta address."""
        if self.kind == "okta":
            first, rest = self.host.split(".", 1)
            return f"https://{first}-admin.{rest}"
        if self.kind == "sandbox":
            return _sandbox_admin_origin(self.origin)
        return self.okta_org.admin_origin if self.okta_org is not None else None

    def reached_by_custom_domain(self, okta_org: OrgUrl) -> OrgUrl:
        """This custom domain, knowing its org's Okta address (preflight reads it from Okta:
        ``_links.organization``). Okta writes the next links of /api/v1/iam lists on the org's
        ``-admin`` host, and may write others on its Okta domain, whatever address the request
        used; without knowing them, every list past its first page failed. ``okta_org`` must be
        an Okta org (or the sandbox): nothing the server calls comes from anywhere else."""
        if self.kind != "custom" or okta_org.kind not in ("okta", "sandbox"):
            raise ValueError(f"{okta_org.host} is not the Okta org behind {self.host}")
        return OrgUrl(origin=self.origin, host=self.host, kind=self.kind, okta_org=okta_org)

    def admin_console(self, path: str = "") -> str:
        """A link into the Okta Admin Console (``acme-admin.okta.com``) for the operator to open."""
        if self.kind != "okta":
            return self.origin + path
        return f"{self.admin_origin}{path}"

    def link_on_org(self, url: str) -> str | None:
        """``url`` (a link Okta gave) as a URL on the org origin, or None if it is not this org's.

        Okta's links point at the org (``acme.okta.com``) or, on ``/api/v1/iam`` lists, at its
        Admin Console host (``acme-admin.okta.com``): both are the same org and the same API. A
        link on the admin host is sent to the org origin with the same path and query, as Okta's
        Go SDK does with every next link (``okta/response.go`` keeps only path and query), so
        the credential only ever goes to the org origin. For a custom domain, links on its Okta
        org's two hosts are the org's too, once known. Anything else (another org, a look-alike
        such as ``evil-admin.okta.com``, another scheme or port, user-info) is refused."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if parts.username is not None or parts.password is not None or not parts.hostname:
            return None
        scheme = parts.scheme.lower()
        default_port = {"https": 443, "http": 80}.get(scheme)
        netloc = parts.hostname.lower() + (f":{port}" if port is not None and port != default_port else "")
        origin = f"{scheme}://{netloc}"
        accepted = {self.origin, self.admin_origin}
        if self.okta_org is not None:
            accepted.add(self.okta_org.origin)
        if origin not in accepted:
            return None
        rest = parts.path or "/"
        return self.origin + rest + (f"?{parts.query}" if parts.query else "")


def _sandbox_admin_origin(origin: str) -> str:
    """``http://127.0.0.1:8010`` -> ``http://127-0-0-1-admin.localhost:8010``: the sandbox's
    stand-in for an org's ``-admin`` host (a ``.localhost`` name cannot be anyone else's)."""
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    label = host.replace(".", "-").replace(":", "-").strip("[]-")
    return f"{parts.scheme}://{label}-admin.localhost" + (f":{parts.port}" if parts.port is not None else "")


def typed_host(raw: str) -> str | None:
    """The host name in an address as typed, when it is one (labels of letters, digits and
    hyphens, at least one dot): what a record may say was tried, refused or not. Never the
    user-info, port or path, nor text that is no host name (a token pasted in the wrong field)."""
    text = (raw or "").strip()
    try:
        host = (urlsplit(text if "://" in text else "https://" + text).hostname or "").lower()
    except ValueError:
        return None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def _reason(message: str) -> OrgUrlError:
    return OrgUrlError(message + " Enter your org's address, for example acme.okta.com.")


def _sandbox_origin(sandbox_origin: str | None) -> tuple[str, str] | None:
    if not sandbox_origin:
        return None
    parts = urlsplit(sandbox_origin)
    return (parts.scheme, parts.netloc.lower())


def normalise_org_url(
    raw: str,
    *,
    allowed_custom_domains: Collection[str] = (),
    sandbox_origin: str | None = None,
) -> OrgUrl:
    text = (raw or "").strip()
    if not text:
        raise _reason("The Okta address is empty.")
    if len(text) > 300:
        raise _reason("The Okta address is too long.")
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise _reason("The Okta address contains spaces or control characters.")
    if not text.isascii():
        raise _reason("The Okta address contains non-ASCII characters (look-alike letters are refused).")

    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _reason(f"The Okta address could not be read ({exc}).") from None
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()

    sandbox = _sandbox_origin(sandbox_origin)
    if sandbox is not None and (scheme, netloc) == sandbox:
        return OrgUrl(origin=f"{scheme}://{netloc}", host=parts.hostname or "", kind="sandbox")

    if scheme != "https":
        raise _reason(f"Okta orgs are reached over https, not {scheme or 'an unknown scheme'}.")
    if "@" in netloc or parts.username is not None or parts.password is not None:
        raise _reason("The Okta address must not contain a user name or password (the part before @).")
    if port is not None and port != 443:
        raise _reason(f"Okta orgs answer on the standard https port, not on port {port}.")
    host = (parts.hostname or "").lower()
    if not host:
        raise _reason("The Okta address has no host name.")
    if host.startswith("[") or ":" in host:
        raise _reason("IP addresses are not Okta orgs.")
    if host.endswith("."):
        raise _reason("The Okta address must not end with a dot.")
    if _NUMERIC_HOST.match(host):
        raise _reason("IP addresses are not Okta orgs.")
    labels = host.split(".")
    if any(not _LABEL.fullmatch(label) for label in labels):
        raise _reason("The Okta address is not a valid host name.")
    if any(label.startswith("xn--") for label in labels):
        raise _reason("Internationalised (punycode) names are not Okta org addresses.")

    for domain in OKTA_DOMAINS:
        suffix = "." + domain
        if host.endswith(suffix):
            org = host[: -len(suffix)]
            if "." in org or not org:
                raise _reason(f"Okta org addresses have one name before {domain}; {host} is not one.")
            if org.endswith("-admin"):
                org = org[: -len("-admin")]
                if not org:
                    raise _reason("The Okta address has no org name.")
            return OrgUrl(origin=f"https://{org}.{domain}", host=f"{org}.{domain}", kind="okta")
        if host == domain:
            raise _reason(f"{host} is Okta's own site, not an org.")

    allowed = {d.strip().lower().rstrip(".") for d in allowed_custom_domains if d.strip()}
    if host in allowed:
        return OrgUrl(origin=f"https://{host}", host=host, kind="custom")
    raise _reason(
        f"{host} is not an Okta domain ({', '.join(OKTA_DOMAINS)}). A custom domain must first be "
        "allowed by an administrator in Settings."
    )
