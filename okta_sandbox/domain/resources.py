"""Resource and member identifiers in resource sets and role bindings.

Okta names a resource either by REST URL (``https://{domain}/api/v1/users``) or by ORN
(``orn:okta:directory:{orgId}:users``); both forms of one resource are the same resource, so the
sandbox reduces every identifier to its canonical ORN. "All Identity and Access Management
resources" has only an ORN: ``orn:okta:iam:{orgId}:contained_resources``. The partition
(``okta`` here) is the org's cell's (``SandboxOrg.partition``); an ORN with another is refused.

Each resource also has a *kind* (users, groups, apps or iam) that decides which custom-role
permissions it makes effective (see ``okta_sandbox.authz``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from okta_sandbox.errors import OktaError, validation_failed

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg

@dataclass(frozen=True, slots=True)
class ResourceRef:
    orn: str
    href: str | None
    kind: str  # "users", "groups", "apps" or "iam"


@dataclass(frozen=True, slots=True)
class MemberRef:
    kind: str  # "user" or "group"
    principal_id: str
    href: str


def _bad(field: str, value: str, why: str) -> OktaError:
    return validation_failed(field, f"{field}: '{value}' is not a valid resource: {why}")


def _api_path(org: SandboxOrg, url: str, field: str) -> tuple[str, str]:
    parts = urlsplit(url)
    base = urlsplit(org.base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        raise _bad(field, url, f"it must be a URL of this org ({org.base_url}).")
    path = parts.path.rstrip("/")
    if not path.startswith("/api/v1/"):
        raise _bad(field, url, "only /api/v1 URLs name resources.")
    return path[len("/api/v1/"):], parts.query


def _directory(org: SandboxOrg, rest: str) -> str:
    return f"orn:{org.partition}:directory:{org.org_id}:{rest}"


def _from_parts(org: SandboxOrg, segments: list[str], app_name: str | None, field: str, raw: str) -> ResourceRef:
    base = f"{org.base_url}/api/v1"
    match segments:
        case ["users"]:
            return ResourceRef(_directory(org, "users"), f"{base}/users", "users")
        case ["groups"]:
            return ResourceRef(_directory(org, "groups"), f"{base}/groups", "groups")
        case ["groups", group_id]:
            if group_id not in org.groups:
                raise _bad(field, raw, f"there is no group {group_id}.")
            return ResourceRef(_directory(org, f"groups:{group_id}"), f"{base}/groups/{group_id}", "groups")
        case ["groups", group_id, "users"]:
            if group_id not in org.groups:
                raise _bad(field, raw, f"there is no group {group_id}.")
            return ResourceRef(_directory(org, f"groups:{group_id}:contained_resources"),
                               f"{base}/groups/{group_id}/users", "users")
        case ["apps"] if app_name is None:
            return ResourceRef(f"orn:{org.partition}:idp:{org.org_id}:apps", f"{base}/apps", "apps")
        case ["apps"]:
            return ResourceRef(f"orn:{org.partition}:idp:{org.org_id}:apps:{app_name}",
                               f'{base}/apps/?filter=name+eq+"{app_name}"', "apps")
        case ["apps", app_id]:
            app = org.apps.get(app_id)
            if app is None:
                raise _bad(field, raw, f"there is no app {app_id}.")
            return ResourceRef(f"orn:{org.partition}:idp:{org.org_id}:apps:{app.name}:{app_id}",
                               f"{base}/apps/{app_id}", "apps")
    raise _bad(field, raw, "the sandbox knows users, groups, a group, a group's users, apps and IAM resources.")


def parse_resource(org: SandboxOrg, value: object, field: str = "resources") -> ResourceRef:
    if not isinstance(value, str) or not value.strip():
        raise validation_failed(field, f"{field}: each resource must be a non-empty string.")
    text = value.strip()
    if text.startswith("orn:"):
        pieces = text.split(":")
        if len(pieces) < 5 or pieces[1] != org.partition:
            raise _bad(field, text, f"an ORN reads orn:{org.partition}:{{service}}:{{orgId}}:{{objectType}}.")
        service, org_id, rest = pieces[2], pieces[3], pieces[4:]
        if org_id != org.org_id:
            raise _bad(field, text, f"it names another org (this org is {org.org_id}).")
        if service == "iam" and rest == ["contained_resources"]:
            return ResourceRef(text, None, "iam")
        if service == "directory":
            if rest in (["users"], ["groups"]):
                return _from_parts(org, rest, None, field, text)
            if len(rest) == 2 and rest[0] == "groups":
                return _from_parts(org, rest, None, field, text)
            if len(rest) == 3 and rest[0] == "groups" and rest[2] == "contained_resources":
                return _from_parts(org, ["groups", rest[1], "users"], None, field, text)
        if service == "idp" and rest[:1] == ["apps"]:
            if len(rest) == 1:
                return _from_parts(org, ["apps"], None, field, text)
            if len(rest) == 2:
                return _from_parts(org, ["apps"], rest[1], field, text)
            if len(rest) == 3:
                return _from_parts(org, ["apps", rest[2]], None, field, text)
        raise _bad(field, text, "unknown ORN.")
    path, query = _api_path(org, text, field)
    app_name = None
    if path == "apps" and query:
        expression = " ".join(parse_qs(query).get("filter", []))
        match = re.fullmatch(r'\s*name\s+eq\s+"([^"]+)"\s*', expression)
        if match is None:
            raise _bad(field, text, 'an app type reads /api/v1/apps?filter=name+eq+"{name}".')
        app_name = match.group(1)
    return _from_parts(org, path.split("/"), app_name, field, text)


def parse_member(org: SandboxOrg, value: object, field: str = "members") -> MemberRef:
    if not isinstance(value, str) or not value.strip():
        raise validation_failed(field, f"{field}: each member must be a user or group URL.")
    text = value.strip()
    path, _ = _api_path(org, text, field)
    segments = path.split("/")
    if len(segments) == 2 and segments[0] == "users":
        if segments[1] not in org.users:
            raise validation_failed(field, f"{field}: there is no user {segments[1]}.")
        return MemberRef("user", segments[1], f"{org.base_url}/api/v1/users/{segments[1]}")
    if len(segments) == 2 and segments[0] == "groups":
        if segments[1] not in org.groups:
            raise validation_failed(field, f"{field}: there is no group {segments[1]}.")
        return MemberRef("group", segments[1], f"{org.base_url}/api/v1/groups/{segments[1]}")
    raise validation_failed(field, f"{field}: '{text}' is not a user or group URL.")
