"""Resource identifiers for resource sets. Okta accepts a REST URL or an ORN for the same
resource and may return either; comparisons use one canonical form so that
``https://acme.okta.com/api/v1/users`` and ``orn:okta:directory:00o1:users`` are equal."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_URL_FORMS = [
    (re.compile(r"^/api/v1/users/?$"), "directory:{org}:users"),
    (re.compile(r"^/api/v1/groups/?$"), "directory:{org}:groups"),
    (re.compile(r"^/api/v1/groups/(?P<id>[^/]+)/?$"), "directory:{org}:groups:{id}"),
    (re.compile(r"^/api/v1/groups/(?P<id>[^/]+)/users/?$"), "directory:{org}:groups:{id}:contained_resources"),
    (re.compile(r"^/api/v1/apps/?$"), "idp:{org}:apps"),
    (re.compile(r"^/api/v1/apps/(?P<id>[^/?]+)/?$"), "idp:{org}:apps:{id}"),
]


def canonical(resource: str, *, org_id: str, partition: str = "okta") -> str:
    """The ORN form of a resource, without its partition (preview and production orgs compare
    alike); unknown forms are returned as given, lower-cased, so they still compare exactly."""
    value = resource.strip()
    if value.startswith("orn:"):
        parts = value.split(":")
        if len(parts) >= 4:
            return ":".join(parts[2:])
        return value
    path = urlsplit(value).path if "://" in value else value
    for pattern, template in _URL_FORMS:
        match = pattern.match(path)
        if match:
            return template.format(org=org_id, **match.groupdict())
    return value.lower()


def same_resources(expected: list[str], actual: list[str], *, org_id: str, partition: str = "okta"
                   ) -> tuple[set[str], set[str]]:
    """(missing, extra) between two lists of resources, in canonical form."""
    want = {canonical(r, org_id=org_id, partition=partition) for r in expected}
    have = {canonical(r, org_id=org_id, partition=partition) for r in actual}
    return want - have, have - want


def permission_gaps(expected: list[str], actual: list[str]) -> tuple[set[str], set[str]]:
    """(missing, unexpected) permissions. Okta may report the finer permissions a broad one
    expands to (``okta.users.lifecycle.manage`` brings ``okta.users.lifecycle.activate`` …);
    those are not unexpected."""
    want = set(expected)
    have = set(actual)
    missing = want - have
    extra = {p for p in have - want if not any(p.startswith(w.rsplit(".", 1)[0] + ".") and
                                                w.endswith(".manage") for w in want)}
    return missing, extra
