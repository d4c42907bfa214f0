"""The System Log: every write the sandbox performs records an event, as Okta does, with the
actor (the token's owner or the OAuth client), the targets, and the request it came from.

Event type names are Okta's (``user.lifecycle.create``, ``user.account.privilege.grant``,
``iam.resourceset.bindings.add``, ...). Events render to the spec's ``LogEvent`` without the null
fields Okta sometimes sends, because the spec declares most of them non-nullable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from okta_sandbox import ids, scim
from okta_sandbox.domain.actors import Actor
from okta_sandbox.entities import Json, LogEvent
from okta_sandbox.tables import next_seq
from okta_sandbox.timestamps import iso

if TYPE_CHECKING:
    from okta_sandbox.org import SandboxOrg


def target(object_id: str, object_type: str, alternate_id: str, display_name: str) -> Json:
    return {"id": object_id, "type": object_type, "alternateId": alternate_id, "displayName": display_name}


def record(org: SandboxOrg, actor: Actor | None, event_type: str, message: str,
           targets: Sequence[Json] = (), *, outcome: str = "SUCCESS", reason: str | None = None) -> LogEvent | None:
    """Append an event; ``actor`` None means the change is seeding the org and is not logged."""
    if actor is None:
        return None
    now = org.clock.now()
    body: Json = {
        "uuid": ids.event_uuid(),
        "published": iso(now),
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": message,
        "actor": {"id": actor.id, "type": actor.type, "alternateId": actor.alternate_id,
                  "displayName": actor.display_name},
        "outcome": {"result": outcome, **({"reason": reason} if reason else {})},
        "target": list(targets),
        "authenticationContext": {"authenticationStep": 0},
        "securityContext": {},
    }
    request = actor.request
    if request is not None:
        body["client"] = {
            "userAgent": {"rawUserAgent": request.user_agent, "os": "Unknown", "browser": "UNKNOWN"},
            "device": "Unknown",
            "ipAddress": request.ip_address,
        }
        body["transaction"] = {"type": "WEB", "id": request.request_id}
        if request.api_token_id:
            body["transaction"]["detail"] = {"requestApiTokenId": request.api_token_id}
        body["debugContext"] = {"debugData": {"requestId": request.request_id, "requestUri": request.uri.split("?")[0],
                                              "url": request.uri}}
        body["request"] = {"ipChain": [{"ip": request.ip_address, "version": "V4"}]}
    event = LogEvent(id=body["uuid"], seq=next_seq(), published=now, body=body)
    org.events.append(event)
    return event


@dataclass(frozen=True, slots=True)
class LogQuery:
    since: float | None
    until: float | None
    after: int | None  # sequence of the last event already served
    filter: scim.Node | None
    keywords: tuple[str, ...]
    descending: bool


def query(org: SandboxOrg, spec: LogQuery) -> list[LogEvent]:
    """All events the query selects, in the requested order (paging is the caller's)."""
    now = org.clock.now()
    until = spec.until if spec.until is not None else now
    since = spec.since if spec.since is not None else until - 7 * 86_400
    selected: list[LogEvent] = []
    for event in org.events:
        if event.published < since:
            continue
        if spec.until is not None and event.published >= until:
            continue
        if spec.filter is not None and not scim.evaluate(spec.filter, scim.json_lookup(event.body),
                                                         case_sensitive=False):
            continue
        if spec.keywords:
            text = str(event.body).lower()
            if not all(keyword.lower() in text for keyword in spec.keywords):
                continue
        selected.append(event)
    selected.sort(key=lambda event: (event.published, event.seq), reverse=spec.descending)
    if spec.after is not None:
        position = spec.after
        selected = [event for event in selected
                    if (event.seq < position if spec.descending else event.seq > position)]
    return selected
