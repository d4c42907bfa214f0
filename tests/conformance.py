"""Replaying real Okta traffic against the sandbox and comparing the answers' shapes.

The cassettes under ``tests/recordings/okta/`` (go-vcr, recorded by Okta's Terraform provider
against real orgs) are replayed, interaction by interaction and in order, against a fresh sandbox
org per cassette. Recorded ids are mapped to the sandbox's: whenever the sandbox answers an
interaction, its body is aligned with the recorded body and every recorded id (and every id in a
``_links`` href) is remembered as the sandbox's; later request URLs and bodies are rewritten with
the mapping. The recorded org's hosts become the sandbox's (``-admin`` host included) and its org id
the sandbox's.

What the sandbox does not serve is not compared, with a counted reason. Objects the recordings
create through endpoints the sandbox does not serve (groups, apps, user types) are made with the
sandbox's seeding helpers, as a person would in the Admin Console, so the interactions that use
them can still be replayed; an API token the recording only reads (it was made in the Admin
Console) is issued the same way.

A compared interaction is *equal* when the status code is the same and the JSON *shapes* are the
same: the same keys at every level, the same JSON types, list elements compared by the union of
their shapes, and ``_links`` hrefs by host class (org host, ``-admin`` host, another host), never
values. Every difference is keyed ``(operation, path, kind)``, operation being the spec's
operation id the sandbox routes the request to; known ones are listed with their reason in
:data:`KNOWN_DIFFERENCES` (and docs/fidelity.md)."""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from app.common.clock import FakeClock
from okta_sandbox import SandboxOrg, SandboxTransport, seed_demo_org
from okta_sandbox.domain import schema as schema_domain
from okta_sandbox.domain.api_services import CatalogEntry
from okta_sandbox.errors import OktaError
from okta_sandbox.paging import admin_base_url
from okta_sandbox.routing import match

RECORDINGS = Path(__file__).parent / "recordings" / "okta"

# Okta object ids as they appear in URLs and bodies (prefix + 17 characters).
_ID = re.compile(r"\b(?:00u|00g|0oa|00o|cr0|iam|irb|ire|00T|oty|osc|oag|0pr|rst|ocs|nzo)[0-9A-Za-z]{17}\b")


@dataclass(frozen=True)
class Interaction:
    cassette: str  # "<TestName>/<file>"
    index: int
    method: str
    url: str
    body: str
    code: int
    response_body: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def recorded_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body.strip() else None


def cassettes() -> list[Path]:
    return sorted(RECORDINGS.glob("*/*.yaml"))


def cassette_name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@functools.cache
def load(path: Path) -> tuple[Interaction, ...]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    return tuple(Interaction(cassette_name(path), index, item["request"]["method"], item["request"]["url"],
                        item["request"].get("body") or "", int(item["response"]["code"]),
                        item["response"].get("body") or "")
                 for index, item in enumerate(data["interactions"]))


def operation_of(method: str, path: str) -> str | None:
    """The operation id the sandbox routes ``method path`` to, None when it serves no such path."""
    try:
        return match(method, path)[0].operation_id
    except OktaError:
        return None


# Shapes


@dataclass
class Shape:
    """The union of the JSON shapes of one or more values at one place."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None

    def merge(self, other: Shape) -> None:
        self.types |= other.types
        for key, value in other.keys.items():
            if key in self.keys:
                self.keys[key].merge(value)
            else:
                self.keys[key] = value
        if other.items is not None:
            if self.items is None:
                self.items = other.items
            else:
                self.items.merge(other.items)


def host_class(href: str, org_host: str, admin_host: str) -> str:
    host = urlsplit(href).netloc.lower()
    if host == org_host:
        return "href:org"
    if host == admin_host:
        return "href:admin"
    return "href:other" if host else "href:relative"


def shape_of(value: Any, org_host: str, admin_host: str, *, in_links: bool = False) -> Shape:
    if isinstance(value, dict):
        shape = Shape({"object"})
        for key, item in value.items():
            links = in_links or key == "_links"
            if links and key == "href" and isinstance(item, str):
                shape.keys[key] = Shape({host_class(item, org_host, admin_host)})
            else:
                shape.keys[key] = shape_of(item, org_host, admin_host, in_links=links)
        return shape
    if isinstance(value, list):
        shape = Shape({"array"})
        for item in value:
            element = shape_of(item, org_host, admin_host, in_links=in_links)
            if shape.items is None:
                shape.items = element
            else:
                shape.items.merge(element)
        return shape
    if value is None:
        return Shape({"null"})
    if isinstance(value, bool):
        return Shape({"boolean"})
    if isinstance(value, int | float):
        return Shape({"number"})
    return Shape({"string"})


def compare_shapes(recorded: Shape, sandbox: Shape, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, kind) of each difference: ``missing`` (Okta sends the key, the sandbox does not),
    ``extra`` (the reverse), ``type Okta/sandbox``."""
    if recorded.types != sandbox.types:
        yield path or ".", f"type {'|'.join(sorted(recorded.types))}/{'|'.join(sorted(sandbox.types))}"
        if not (recorded.types & sandbox.types):
            return
    for key in sorted(recorded.keys.keys() - sandbox.keys.keys()):
        yield f"{path}.{key}", "missing"
    for key in sorted(sandbox.keys.keys() - recorded.keys.keys()):
        yield f"{path}.{key}", "extra"
    for key in sorted(recorded.keys.keys() & sandbox.keys.keys()):
        yield from compare_shapes(recorded.keys[key], sandbox.keys[key], f"{path}.{key}")
    if recorded.items is not None and sandbox.items is not None:
        yield from compare_shapes(recorded.items, sandbox.items, f"{path}[]")


# Replay


@dataclass
class Outcome:
    interaction: Interaction
    operation: str | None
    compared: bool
    reason: str = ""  # why not compared
    differences: list[tuple[str, str, str]] = field(default_factory=list)  # (operation, path, kind)
    sandbox_code: int | None = None
    sandbox_body: Any = None  # for the few checks of values, not shapes


def _success(code: int) -> bool:
    return 200 <= code < 300


def _partition(interactions: tuple[Interaction, ...]) -> str:
    for item in interactions:
        found = re.search(r"orn:([a-z]+):", item.response_body + item.body)
        if found:
            return found.group(1)
    return "okta"


def _recorded_org_id(interactions: tuple[Interaction, ...]) -> str | None:
    for item in interactions:
        found = re.search(r"\b00o[0-9A-Za-z]{17}\b", item.response_body + item.body + item.url)
        if found:
            return found.group(0)
    return None


class Replayer:
    """Replays one cassette against a fresh sandbox org."""

    def __init__(self, path: Path) -> None:
        self.interactions = load(path)
        name = path.name
        self.org = SandboxOrg(clock=FakeClock(), pipeline="v1" if "classic" in name else "idx",
                              partition=_partition(self.interactions))
        seed_demo_org(self.org)
        assert self.org.demo is not None
        self.token = self.org.demo.admin_token
        first = urlsplit(self.interactions[0].url)
        self.recorded_origin = f"{first.scheme}://{first.netloc}"
        label, _, domain = first.netloc.partition(".")
        self.recorded_admin_origin = f"{first.scheme}://{label}-admin.{domain}"
        self.sandbox_admin_origin = admin_base_url(self.org.base_url)
        self.ids: dict[str, str] = {}
        self.helper_apps: set[str] = set()  # recorded ids of apps the sandbox made with a helper
        recorded_org = _recorded_org_id(self.interactions)
        if recorded_org:
            self.ids[recorded_org] = self.org.org_id
        for item in self.interactions:  # catalog types the recordings install
            if item.path == "/integrations/api/v1/api-services" and item.method == "POST":
                kind = json.loads(item.body).get("type")
                if kind and kind not in self.org.api_service_catalog:
                    granted = json.loads(item.body).get("grantedScopes") or []
                    self.org.add_catalog_entry(CatalogEntry(type=kind, name=kind, scopes=frozenset(granted),
                                                            config_guide_url="https://example.com/guide"))
        self.transport = SandboxTransport(self.org)

    # Mapping recorded values to the sandbox's

    def rewrite(self, text: str) -> str:
        text = text.replace(self.recorded_admin_origin, self.sandbox_admin_origin)
        text = text.replace(self.recorded_origin, self.org.base_url)
        for recorded, ours in sorted(self.ids.items(), key=lambda pair: -len(pair[0])):
            text = text.replace(recorded, ours)
        return text

    def unmapped(self, text: str) -> list[str]:
        return [found for found in _ID.findall(text) if found not in self.ids]

    def learn(self, recorded: Any, sandbox: Any, key: str | None = None) -> None:
        """Remember the sandbox's id for each recorded id at the same place of the two bodies."""
        if isinstance(recorded, dict) and isinstance(sandbox, dict):
            for name, value in recorded.items():
                if name in sandbox:
                    self.learn(value, sandbox[name], name)
        elif isinstance(recorded, list) and isinstance(sandbox, list):
            for left, right in self._pairs(recorded, sandbox):
                self.learn(left, right, key)
        elif isinstance(recorded, str) and isinstance(sandbox, str) and recorded != sandbox:
            if key == "id" and not recorded.startswith(("http", "#")):
                self.ids.setdefault(recorded, sandbox)
            elif key == "href":
                left_parts = urlsplit(recorded).path.split("/")
                right_parts = urlsplit(sandbox).path.split("/")
                if len(left_parts) == len(right_parts):
                    for left, right in zip(left_parts, right_parts, strict=True):
                        if left != right and _ID.fullmatch(left):
                            self.ids.setdefault(left, right)

    def _pairs(self, recorded: list[Any], sandbox: list[Any]) -> list[tuple[Any, Any]]:
        """Pair list elements by what identifies them (label, type, name, self link), else by position."""

        def identity(item: Any, mapped: bool) -> str | None:
            if not isinstance(item, dict):
                return None
            parts = [str(item.get(k)) for k in ("label", "type", "name", "scopeId", "orn") if k in item]
            self_link = ((item.get("_links") or {}).get("self") or {}) if isinstance(item.get("_links"), dict) else {}
            href = self_link.get("href") if isinstance(self_link, dict) else None
            if isinstance(href, str):
                parts.append(urlsplit(href).path)
            if not parts:
                return None
            joined = "|".join(parts)
            return self.rewrite(joined) if mapped else joined

        ours = {identity(item, False): item for item in sandbox}
        pairs: list[tuple[Any, Any]] = []
        for position, item in enumerate(recorded):
            key = identity(item, True)
            if key is not None and key in ours:
                pairs.append((item, ours[key]))
            elif position < len(sandbox):
                pairs.append((item, sandbox[position]))
        return pairs

    # Objects made through endpoints the sandbox does not serve

    def emulate(self, item: Interaction) -> bool:
        """Make what an unserved creating call made, with the sandbox's helpers; True if done."""
        if item.method != "POST" or item.code != 200:
            return False
        body = json.loads(item.body) if item.body.strip() else {}
        answer = item.recorded_json() or {}
        if item.path == "/api/v1/groups":
            group = self.org.add_group(body["profile"]["name"], body["profile"].get("description", ""))
            self.ids[answer["id"]] = group["id"]
            return True
        if item.path == "/api/v1/apps":
            app = self.org.add_app(body["label"], name=body.get("name", "oidc_client"))
            self.ids[answer["id"]] = app["id"]
            self.helper_apps.add(answer["id"])
            return True
        if item.path == "/api/v1/meta/types/user":
            user_type = schema_domain.add_user_type(self.org, body["name"], body.get("displayName", body["name"]),
                                                    body.get("description", ""))
            self.ids[answer["id"]] = user_type.id
            schema_href = (((answer.get("_links") or {}).get("schema") or {}).get("href")) or ""
            recorded_schema = schema_href.rstrip("/").rsplit("/", 1)[-1]
            if recorded_schema:
                self.ids[recorded_schema] = user_type.schema_id
            return True
        return False

    def provide(self, missing: list[str]) -> bool:
        """Objects an interaction reads that existed before the recording: API tokens (made in the
        Admin Console) and users. True when all could be provided."""
        for recorded in missing:
            if recorded.startswith("nzo"):  # a network zone of the recorded org: one of ours
                self.ids[recorded] = self.org.network_zones.listing()[0].id
            elif recorded.startswith("00T"):
                admin = self.org.demo.admin_user_id if self.org.demo else ""
                self.org.issue_api_token(admin, f"Recorded token {recorded}")
                self.ids[recorded] = self.org.api_tokens.listing()[-1].id
            else:
                return False
        return True

    # The replay

    async def _send(self, method: str, url: str, body: str) -> httpx.Response:
        headers = {"Accept": "application/json", "Authorization": f"SSWS {self.token}"}
        if body.strip():
            headers["Content-Type"] = "application/json"
        request = httpx.Request(method, url, headers=headers, content=body.encode() if body.strip() else None)
        response = await self.transport.handle_async_request(request)
        await response.aread()
        return response

    def run(self) -> list[Outcome]:
        return asyncio.run(self._run())

    async def _run(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        org_host = urlsplit(self.org.base_url).netloc.lower()
        admin_host = urlsplit(self.sandbox_admin_origin).netloc.lower()
        recorded_host = urlsplit(self.recorded_origin).netloc.lower()
        recorded_admin_host = urlsplit(self.recorded_admin_origin).netloc.lower()
        for item in self.interactions:
            operation = operation_of(item.method, item.path)
            if operation is None:
                done = self.emulate(item)
                outcomes.append(Outcome(item, None, False, "made with a seeding helper (endpoint not served)"
                                        if done else "endpoint not served by the sandbox"))
                continue
            if operation == "getApplication" and any(app in item.path for app in self.helper_apps):
                outcomes.append(Outcome(item, operation, False,
                                        "the app was made by a seeding helper, not as recorded"))
                continue
            missing = self.unmapped(item.url + item.body)
            if missing and not self.provide(missing):
                outcomes.append(Outcome(item, operation, False,
                                        "references an object the recording did not create"))
                continue
            response = await self._send(item.method, self.rewrite(item.url), self.rewrite(item.body))
            outcome = Outcome(item, operation, True, sandbox_code=response.status_code)
            if response.status_code != item.code:
                outcome.differences.append((operation, "", f"status {item.code}/{response.status_code}"))
            recorded = item.recorded_json()
            ours = outcome.sandbox_body = response.json() if response.content.strip() else None
            if recorded is not None or ours is not None:
                if recorded is not None and ours is not None and _success(item.code) and _success(response.status_code):
                    self.learn(recorded, ours)
                if response.status_code == item.code or (_success(item.code) and _success(response.status_code)):
                    for path, kind in compare_shapes(shape_of(recorded, recorded_host, recorded_admin_host),
                                                     shape_of(ours, org_host, admin_host)):
                        outcome.differences.append((operation, path, kind))
            outcomes.append(outcome)
        return outcomes


def replay_all() -> list[Outcome]:
    outcomes: list[Outcome] = []
    for path in cassettes():
        outcomes.extend(Replayer(path).run())
    return outcomes


def summary(outcomes: list[Outcome]) -> tuple[int, int]:
    compared = [o for o in outcomes if o.compared]
    return len(compared), sum(1 for o in compared if not o.differences)


def skipped(outcomes: list[Outcome]) -> Counter[str]:
    return Counter(o.reason for o in outcomes if not o.compared)


# Differences from real Okta that stay, each with its reason: (operation, path, kind) -> reason.
_VARIES = "Okta itself varies: present in some recorded orgs/years, absent in others"
KNOWN_DIFFERENCES: dict[tuple[str, str, str], str] = {
    ("activateLogStream", ".", "type null/object"):
        "spec: Okta answers the lifecycle calls 200 with an empty body, the spec declares the LogStream"
        " (EXCEPTIONS.md log-stream-lifecycle-empty-body); the sandbox follows the spec, the client ignores"
        " the body",
    ("deactivateLogStream", ".", "type null/object"): "as activateLogStream (log-stream-lifecycle-empty-body)",
    ("grantConsentToScope", "", "status 200/201"):
        "spec: Okta answers 200, the spec declares only 201 (EXCEPTIONS.md grant-consent-status); the sandbox"
        " follows the spec (tests/sandbox pins 201); the client accepts either",
    ("createApiServiceIntegrationInstance", "._links.logo.href", "type href:other/href:org"):
        "Okta serves the catalog logo from its CDN; the sandbox links its own host (cosmetic: the wizard never"
        " reads it)",
    ("getApiServiceIntegrationInstance", "._links.logo.href", "type href:other/href:org"):
        "as createApiServiceIntegrationInstance",
    ("createApiServiceIntegrationInstance", ".properties", "missing"):
        "Okta sends the instance's properties (an empty object); the spec's validator of the sandbox's answers"
        " refuses an empty one, so the sandbox sends it only when it has some (the wizard never reads it)",
    ("getApiServiceIntegrationInstance", ".properties", "missing"): "as createApiServiceIntegrationInstance",
    ("getApiToken", ".network.exclude", "missing"):
        "the recorded token's `exclude` was set before the replay's first read (by a call the sandbox does not"
        " replay); the sandbox lists `exclude` whenever a token has one",
    ("createUser", "._links.resetFactors", "missing"): _VARIES + " (depends on the org's factors)",
    ("getUser", "._links.resetFactors", "missing"): _VARIES + " (depends on the org's factors)",
    ("createUser", ".realmId", "missing"): _VARIES + " (orgs with Okta realms only)",
    ("getUser", ".realmId", "missing"): _VARIES + " (orgs with Okta realms only)",
    ("getUserSchema", ".definitions.custom.required", "missing"):
        _VARIES + ": an empty `required` list is sometimes sent, sometimes left out; the sandbox leaves it out",
    ("updateUserProfile", ".definitions.custom.required", "missing"): "as getUserSchema",
    ("getUserSchema", ".definitions.base.properties.lastName.required", "extra"):
        "org state, not behaviour: the recorded org (mm-classic) had lastName made optional before the test",
    ("updateUserProfile", ".definitions.base.properties.lastName.required", "extra"): "as getUserSchema",
    ("getWellknownOrgMetadata", ".settings.op4wEnabled", "missing"):
        _VARIES + ": newer Identity Engine orgs send it, Classic and older ones do not; the sandbox leaves it out",
    ("listResourceSetResources", "._links.self", "extra"):
        _VARIES + ": the 2022 recordings lack it, the 2025 ones have it; the sandbox follows the newer",
    ("listResourceSetResources", ".resources[]._links.resource", "extra"):
        _VARIES + ": the 2022 recordings lack it, the 2025 ones have it; the sandbox follows the newer",
}
