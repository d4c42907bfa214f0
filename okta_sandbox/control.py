"""The sandbox's control plane (not Okta): JSON endpoints under ``/__sandbox__`` that let tests
and demos of a standalone sandbox inspect the org, inject faults and start over.

- ``GET /__sandbox__/state``: counts and a compact dump of the org.
- ``GET|POST|DELETE /__sandbox__/faults``: list, add (body: ``kind`` and the optional ``method``,
  ``path``, ``times``, ``delay_ms``, ``status``, ``processed``, ``skip`` of ``FaultPlan.add``) or clear rules.
  ``{"kind": "invisible", "method": "POST", "path": "/api/v1/users", "delay_ms": 2000}`` keeps the next
  user created out of reads for two seconds of org-clock time.
- ``POST /__sandbox__/config``: change ``eventual_consistency_ms`` or ``page_size``.
- ``POST /__sandbox__/reset``: a new org with the seeds applied so far (the demo keeps its token).
- ``POST /__sandbox__/schema/required``: make a profile attribute required for new users.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from okta_sandbox.domain import schema as schema_domain
from okta_sandbox.errors import OktaError
from okta_sandbox.faults import FaultKind
from okta_sandbox.org import SandboxOrg

_FAULT_FIELDS = {"kind", "method", "path", "times", "delay_ms", "status", "processed", "skip"}


def _org(request: Request) -> SandboxOrg:
    org: SandboxOrg = request.app.state.org
    return org


def _problem(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def state(request: Request) -> Response:
    return JSONResponse(_org(request).state())


async def list_faults(request: Request) -> Response:
    return JSONResponse([rule.to_json() for rule in _org(request).faults.rules])


async def add_fault(request: Request) -> Response:
    body = await _body(request)
    if body is None:
        return _problem("Send a JSON object.")
    unknown = set(body) - _FAULT_FIELDS
    if unknown:
        return _problem(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    kind = body.get("kind")
    if kind not in {str(member) for member in FaultKind}:
        return _problem(f"kind must be one of {', '.join(str(member) for member in FaultKind)}.")
    for field in ("times", "delay_ms", "status", "skip"):
        value = body.get(field)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return _problem(f"{field} must be an integer.")
    for field in ("method", "path"):
        if body.get(field) is not None and not isinstance(body[field], str):
            return _problem(f"{field} must be a string.")
    try:
        rule = _org(request).faults.add(
            kind, method=body.get("method"), path=body.get("path"), times=body.get("times", 1),
            delay_ms=body.get("delay_ms") or 0, status=body.get("status"), processed=bool(body.get("processed")),
            skip=body.get("skip") or 0)
    except ValueError as error:
        return _problem(str(error))
    return JSONResponse(rule.to_json(), status_code=201)


async def clear_faults(request: Request) -> Response:
    _org(request).faults.clear()
    return Response(status_code=204)


async def configure(request: Request) -> Response:
    body = await _body(request)
    if body is None or set(body) - {"eventual_consistency_ms", "page_size"}:
        return _problem("Send a JSON object with eventual_consistency_ms and/or page_size.")
    org = _org(request)
    for field, minimum in (("eventual_consistency_ms", 0), ("page_size", 1)):
        if field in body:
            value = body[field]
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                return _problem(f"{field} must be an integer of at least {minimum}.")
            setattr(org, field, value)
    return JSONResponse(org.state()["org"])


async def require_attribute(request: Request) -> Response:
    """Make a profile attribute required (a custom one is added if missing), as an admin does in
    the Profile Editor: ``{"name", "title"?, "type"?, "description"?, "enum"?}``."""
    body = await _body(request)
    if body is None or not isinstance(body.get("name"), str) or set(body) - {"name", "title", "type", "description",
                                                                              "enum"}:
        return _problem("Send a JSON object with name, and optionally title, type, description, enum.")
    try:
        attribute = schema_domain.require_attribute(
            _org(request), body["name"], **{key: body[key] for key in ("title", "type", "description", "enum")
                                            if key in body})
    except OktaError as exc:
        return _problem("; ".join(exc.causes) or exc.summary)
    except ValueError as exc:
        return _problem(str(exc))
    return JSONResponse({"name": body["name"], "attribute": attribute})


async def reset(request: Request) -> Response:
    org = _org(request)
    org.reset()
    return JSONResponse({"reset": True, "counts": org.state()["counts"]})


def control_routes() -> list[BaseRoute]:
    return [
        Route("/state", state, methods=["GET"]),
        Route("/faults", list_faults, methods=["GET"]),
        Route("/faults", add_fault, methods=["POST"]),
        Route("/faults", clear_faults, methods=["DELETE"]),
        Route("/config", configure, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/schema/required", require_attribute, methods=["POST"]),
    ]
